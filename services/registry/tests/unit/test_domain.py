"""Registry rules without I/O: a project's figure on dates against its target, the 5-minute service circle on a small
made-up map, tax bands, town targets, and validation messages that name the field."""

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_registry import domain
from microbrain_registry.domain import InvalidField

SHANGHAI = ZoneInfo("Asia/Shanghai")

# ---------------------------------------------------------------- progress: the seed's "上下楼" project


def lifts() -> res.LivelihoodProject:
    return res.LivelihoodProject(
        project_id="lp-2026-lifts",
        name='"上下楼"工程 既有多层住宅加装电梯',
        year=2026,
        target=res.Target(value=60, stretch=65, unit="台"),
        milestones=[
            res.Milestone(name="first 30 in service", due_date="2026-06-30", done_date="2026-06-15"),
            res.Milestone(name="design of the last batch", due_date="2026-09-01"),
            res.Milestone(name="all 60", due_date="2026-12-31", done_date="2026-12-10"),
        ],
    )


def lift_entries() -> list[res.ProgressEntry]:
    """In the order they were recorded: the recount (SET) was typed in before the June entry."""
    A, S = res.PROGRESS_KIND_ADD, res.PROGRESS_KIND_SET
    return [
        res.ProgressEntry(project_id="lp-2026-lifts", date="2026-03-01", kind=A, value=10),
        res.ProgressEntry(project_id="lp-2026-lifts", date="2026-09-30", kind=S, value=45, note="recount"),
        res.ProgressEntry(project_id="lp-2026-lifts", date="2026-06-15", kind=A, value=20),
        res.ProgressEntry(project_id="lp-2026-lifts", date="2026-12-10", kind=A, value=17),
    ]


def test_progress_before_any_entry_is_zero_and_behind_the_straight_line():
    p = domain.progress_as_of(lifts(), lift_entries(), date(2026, 2, 28))
    assert (p.value, p.entries, p.as_of) == (0, 0, "2026-02-28")
    assert p.planned_value == pytest.approx(60 * 59 / 365)
    assert p.behind_plan and not p.target_met
    assert (p.share_of_target, p.share_of_stretch) == (0, 0)
    assert list(p.overdue_milestones) == []


def test_progress_adds_up_to_mid_year_just_ahead_of_plan():
    p = domain.progress_as_of(lifts(), lift_entries(), date(2026, 6, 30))
    assert (p.value, p.entries) == (30, 2)
    assert p.planned_value == pytest.approx(60 * 181 / 365)  # 29.75
    assert not p.behind_plan
    assert p.share_of_target == pytest.approx(30 / 60)


def test_a_recount_replaces_the_figure_and_leaves_it_just_behind_plan():
    p = domain.progress_as_of(lifts(), lift_entries(), date(2026, 10, 1))
    assert (p.value, p.entries) == (45, 3)
    assert p.planned_value == pytest.approx(60 * 274 / 365)  # 45.04
    assert p.behind_plan
    assert [m.name for m in p.overdue_milestones] == ["design of the last batch"]


def test_year_end_meets_the_target_and_shows_the_stretch():
    p = domain.progress_as_of(lifts(), lift_entries(), date(2026, 12, 31))
    assert (p.value, p.entries) == (62, 4)
    assert p.planned_value == 60 and not p.behind_plan
    assert p.target_met
    assert p.share_of_target == pytest.approx(62 / 60)
    assert p.share_of_stretch == pytest.approx(62 / 65)
    assert p.target.stretch == 65
    assert [m.name for m in p.overdue_milestones] == ["design of the last batch"]


def test_entries_on_one_date_apply_in_the_order_recorded():
    A, S = res.PROGRESS_KIND_ADD, res.PROGRESS_KIND_SET
    entries = [
        res.ProgressEntry(date="2026-05-01", kind=S, value=40),
        res.ProgressEntry(date="2026-05-01", kind=A, value=2),
        res.ProgressEntry(date="2026-04-01", kind=A, value=100),
    ]
    assert domain.progress_as_of(lifts(), entries, date(2026, 5, 1)).value == 42
    assert domain.progress_as_of(lifts(), list(reversed(entries)), date(2026, 5, 1)).value == 40


def test_planned_value_is_zero_before_the_year_and_everything_after():
    assert domain.planned_value(60, 2026, date(2025, 12, 31)) == 0
    assert domain.planned_value(60, 2026, date(2026, 1, 1)) == pytest.approx(60 / 365)
    assert domain.planned_value(60, 2026, date(2027, 1, 1)) == 60
    assert domain.planned_value(366, 2028, date(2028, 12, 30)) == pytest.approx(365)  # a leap year


def test_an_at_least_target_is_met_when_reached():
    talent = res.LivelihoodProject(
        project_id="lp-talent", year=2026, target=res.Target(value=500, unit="人", at_least=True)
    )
    entry = res.ProgressEntry(date="2026-08-01", kind=res.PROGRESS_KIND_SET, value=500)
    p = domain.progress_as_of(talent, [entry], date(2026, 8, 1))
    assert p.target_met and p.share_of_target == 1 and p.share_of_stretch == 0


# ---------------------------------------------------------------- the 5-minute service circle

BASE = (31.19, 121.40)
M_PER_DEG = domain.EARTH_RADIUS_M * math.pi / 180


def at(north_m: float, east_m: float) -> common_pb2.GeoPoint:
    """A point north_m north and east_m east of BASE."""
    lat = BASE[0] + north_m / M_PER_DEG
    return common_pb2.GeoPoint(lat=lat, lon=BASE[1] + east_m / (M_PER_DEG * math.cos(math.radians(BASE[0]))))


def haversine(a, b) -> float:
    """An independent haversine (the test's reference)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def hours(days, opens, closes) -> res.OpeningHours:
    return res.OpeningHours(weekdays=days, opens=opens, closes=closes)


STATIONS = [
    # Every day 09:00–21:00: closed in the evening.
    res.ServiceStation(
        station_id="s-wanxiang",
        name="心驿虹桥·万象城站",
        location=at(0, 0),
        opening_hours=[hours(range(1, 8), "09:00", "21:00")],
    ),
    # Weekdays until 22:00.
    res.ServiceStation(
        station_id="s-gaoxin",
        name="高新大厦站",
        location=at(1000, 0),
        opening_hours=[hours(range(1, 6), "08:00", "22:00")],
    ),
    # Weekends only.
    res.ServiceStation(
        station_id="s-shequ", name="社区站", location=at(0, 1700 + 300), opening_hours=[hours([6, 7], "10:00", "18:00")]
    ),
]
R = res.BUILDING_KIND_RESIDENTIAL_COMPOUND
BUILDINGS = [
    res.Building(building_id="b1", name="一号小区", kind=R, location=at(200, 0)),
    res.Building(building_id="b2", name="二号小区", kind=res.BUILDING_KIND_RESIDENTIAL_BUILDING, location=at(700, 0)),
    res.Building(building_id="b3", name="三号小区", kind=R, location=at(450, 0)),
    res.Building(building_id="b4", name="四号小区", kind=R, location=at(0, 1700)),
    res.Building(building_id="b5", name="五号小区", kind=R, location=at(0, -300)),
    res.Building(building_id="office", name="写字楼", kind=res.BUILDING_KIND_OFFICE_BUILDING, location=at(0, 100)),
]
WEDNESDAY, SUNDAY = (2026, 11, 25), (2026, 11, 29)


def circle(day, hh, mm, **kw):
    covered, gaps, open_ids = domain.service_circle(
        STATIONS, BUILDINGS, datetime(*day, hh, mm, tzinfo=SHANGHAI), 400, **kw
    )
    for e in [*covered, *gaps]:  # every distance is the haversine to the station named
        station = next(s for s in STATIONS if s.station_id == e.station_id)
        assert abs(e.distance_m - haversine(e.building.location, station.location)) < 1
    return (
        {e.building.building_id: (e.station_id, round(e.distance_m)) for e in covered},
        {e.building.building_id: e.reason for e in gaps},
        open_ids,
    )


def test_weekday_morning():
    covered, gaps, open_ids = circle(WEDNESDAY, 10, 0)
    assert open_ids == ["s-gaoxin", "s-wanxiang"]
    assert covered == {"b1": ("s-wanxiang", 200), "b2": ("s-gaoxin", 300), "b5": ("s-wanxiang", 300)}
    assert gaps == {
        "b3": "nearest open station 心驿虹桥·万象城站 is 450 m away",
        "b4": "社区站 is 300 m away but closed at 10:00; nearest open station 心驿虹桥·万象城站 is 1700 m away",
    }


def test_weekday_evening_the_station_that_closed_at_nine_leaves_gaps():
    covered, gaps, open_ids = circle(WEDNESDAY, 21, 30)
    assert open_ids == ["s-gaoxin"]
    assert covered == {"b2": ("s-gaoxin", 300)}
    assert gaps == {
        "b1": "心驿虹桥·万象城站 is 200 m away but closed at 21:30; nearest open station 高新大厦站 is 800 m away",
        "b3": "心驿虹桥·万象城站 is 450 m away but closed at 21:30; nearest open station 高新大厦站 is 550 m away",
        "b4": "社区站 is 300 m away but closed at 21:30; nearest open station 高新大厦站 is 1972 m away",
        "b5": "心驿虹桥·万象城站 is 300 m away but closed at 21:30; nearest open station 高新大厦站 is 1044 m away",
    }


def test_sunday_morning_the_weekend_station_covers_its_compound():
    covered, gaps, open_ids = circle(SUNDAY, 10, 0)
    assert open_ids == ["s-shequ", "s-wanxiang"]
    assert covered == {"b1": ("s-wanxiang", 200), "b4": ("s-shequ", 300), "b5": ("s-wanxiang", 300)}
    assert gaps == {
        "b2": "高新大厦站 is 300 m away but closed at 10:00; nearest open station 心驿虹桥·万象城站 is 700 m away",
        "b3": "nearest open station 心驿虹桥·万象城站 is 450 m away",
    }


def test_sunday_evening_nothing_is_open():
    covered, gaps, open_ids = circle(SUNDAY, 21, 30)
    assert (covered, open_ids) == ({}, [])
    assert gaps["b1"] == "心驿虹桥·万象城站 is 200 m away but closed at 21:30; no station is open at 21:30"
    assert set(gaps) == {"b1", "b2", "b3", "b4", "b5"}


def test_circle_kinds_radius_and_no_station():
    covered, _, _ = circle(WEDNESDAY, 10, 0, kinds=[res.BUILDING_KIND_OFFICE_BUILDING])
    assert covered == {"office": ("s-wanxiang", 100)}
    covered, gaps, _ = domain.service_circle(STATIONS, BUILDINGS, datetime(*WEDNESDAY, 10, 0, tzinfo=SHANGHAI), 500)
    assert [e.building.building_id for e in covered] == ["b1", "b2", "b3", "b5"]
    assert [e.building.building_id for e in gaps] == ["b4"]
    _, gaps, _ = domain.service_circle([], BUILDINGS, datetime(*WEDNESDAY, 10, 0, tzinfo=SHANGHAI), 400)
    assert {g.reason for g in gaps} == {"no service station in the registry"} and not gaps[0].station_id


def test_opening_hours_are_half_open():
    wanxiang = STATIONS[0]
    assert domain.is_open(wanxiang, datetime(*WEDNESDAY, 9, 0, tzinfo=SHANGHAI))
    assert domain.is_open(wanxiang, datetime(*WEDNESDAY, 20, 59, 59, tzinfo=SHANGHAI))
    assert not domain.is_open(wanxiang, datetime(*WEDNESDAY, 21, 0, tzinfo=SHANGHAI))
    assert not domain.is_open(wanxiang, datetime(*WEDNESDAY, 8, 59, tzinfo=SHANGHAI))
    all_day = res.ServiceStation(opening_hours=[hours([3], "00:00", "24:00")])
    assert domain.is_open(all_day, datetime(*WEDNESDAY, 23, 59, tzinfo=SHANGHAI))
    assert not domain.is_open(res.ServiceStation(), datetime(*WEDNESDAY, 12, 0, tzinfo=SHANGHAI))  # no hours: never


# ---------------------------------------------------------------- buildings and town targets


def test_tax_bands_and_the_latest_year():
    assert [domain.tax_band(a) for a in (0, 9_999_999, 10_000_000, 49_999_999, 50_000_000, 99_999_999, 1e8)] == [
        "<1000万",
        "<1000万",
        "1000万-5000万",
        "1000万-5000万",
        "5000万-1亿",
        "5000万-1亿",
        "≥1亿",
    ]
    b = res.Building(tax=[res.TaxYear(year=2025, amount_yuan=1.2e8), res.TaxYear(year=2024, amount_yuan=3e7)])
    domain.with_building_outputs(b)
    assert (b.tax_band, b.billion_yuan_building) == ("≥1亿", True)
    b.tax.append(res.TaxYear(year=2026, amount_yuan=9e7))
    domain.with_building_outputs(b)
    assert (b.tax_band, b.billion_yuan_building) == ("5000万-1亿", False)
    assert domain.is_billion_yuan(b, 2025) and not domain.is_billion_yuan(b, 2026)
    empty = domain.with_building_outputs(res.Building())
    assert (empty.tax_band, empty.billion_yuan_building) == ("", False)


def test_town_targets_at_least_and_at_most():
    revenue = domain.with_target_outputs(res.TownTarget(target=66.5, actual=70, comparison=res.COMPARISON_AT_LEAST))
    assert revenue.met and revenue.share == pytest.approx(70 / 66.5)
    short = domain.with_target_outputs(res.TownTarget(target=12, actual=9))  # unspecified: at least
    assert not short.met and short.share == pytest.approx(0.75)
    cap = domain.with_target_outputs(res.TownTarget(target=10, actual=8, comparison=res.COMPARISON_AT_MOST))
    assert cap.met and cap.share == pytest.approx(10 / 8)
    over = domain.with_target_outputs(res.TownTarget(target=10, actual=20, comparison=res.COMPARISON_AT_MOST))
    assert not over.met and over.share == pytest.approx(0.5)
    zero = domain.with_target_outputs(res.TownTarget(target=10, actual=0, comparison=res.COMPARISON_AT_MOST))
    assert zero.met and zero.share == 1
    assert domain.is_billion_target("billion_yuan_buildings") and domain.is_billion_target(
        "billion_yuan_buildings-2027"
    )
    assert not domain.is_billion_target("billion_yuan_buildingsx")


# ---------------------------------------------------------------- validation


def invalid(validate, msg) -> tuple[str, str]:
    with pytest.raises(InvalidField) as info:
        validate(msg)
    return info.value.field, info.value.message


def station(**kw) -> res.ServiceStation:
    s = res.ServiceStation(station_id="s-1", name="站", location=at(0, 0))
    for k, v in kw.items():
        if isinstance(v, list):
            getattr(s, k).extend(v)
        elif k == "location":
            s.location.CopyFrom(v)
        else:
            setattr(s, k, v)
    return s


def test_coordinates_are_checked():
    v = domain.validate_station
    assert invalid(v, station(location=common_pb2.GeoPoint(lat=191, lon=121))) == (
        "location.lat",
        "location.lat 191 is not a latitude (-90..90)",
    )
    assert invalid(v, station(location=common_pb2.GeoPoint(lat=31, lon=-200))) == (
        "location.lon",
        "location.lon -200 is not a longitude (-180..180)",
    )
    assert invalid(v, station(location=common_pb2.GeoPoint())) == (
        "location",
        "location is missing (lat and lon are both 0)",
    )
    assert invalid(v, station(location=common_pb2.GeoPoint(lat=math.nan, lon=1)))[0] == "location.lat"
    v(station())


def test_ids_names_and_opening_hours():
    v = domain.validate_station
    assert invalid(v, station(station_id="S 1"))[1] == (
        "station_id 'S 1' is not an id: use 1–64 lowercase letters, digits, '-' or '_'"
    )
    assert invalid(v, station(station_id="a" * 65))[0] == "station_id"
    assert invalid(v, station(name="  ")) == ("name", "name is empty")
    assert invalid(v, station(opening_hours=[hours([0], "09:00", "10:00")])) == (
        "opening_hours[0].weekdays",
        "opening_hours[0].weekdays has 0: days are 1 = Monday … 7 = Sunday",
    )
    assert invalid(v, station(opening_hours=[hours([1], "9:00", "10:00")]))[1] == (
        "opening_hours[0].opens '9:00' is not a time of day (HH:MM)"
    )
    assert invalid(v, station(opening_hours=[hours([1], "10:00", "10:00")]))[1] == (
        "opening_hours[0].closes 10:00 is not after opens 10:00"
    )
    assert invalid(v, station(opening_hours=[hours([1], "24:00", "24:00")]))[0] == "opening_hours[0].opens"
    assert invalid(v, station(partner_ids=["ok", "Bad"]))[0] == "partner_ids[1]"
    v(station(opening_hours=[hours([1, 7], "00:00", "24:00")], building_id="b-1", partner_ids=["p-1"]))


def test_project_targets_years_and_dates():
    def project(**kw):
        p = lifts()
        for k, v in kw.items():
            if k == "target":
                p.target.CopyFrom(v)
            else:
                setattr(p, k, v)
        return p

    v = domain.validate_project
    assert invalid(v, project(target=res.Target(value=-5))) == ("target.value", "target.value -5 is negative")
    assert invalid(v, project(target=res.Target(value=60, stretch=50))) == (
        "target.stretch",
        "target.stretch 50 is below target.value 60 (0 for none)",
    )
    assert invalid(v, project(year=26)) == ("year", "year 26 is not a plausible year (2000–2100)")
    assert invalid(v, project(status=9))[0] == "status"
    bad = lifts()
    bad.milestones[1].due_date = "2026-02-30"
    assert invalid(v, bad) == (
        "milestones[1].due_date",
        "milestones[1].due_date '2026-02-30' is not a date (YYYY-MM-DD)",
    )
    v(lifts())
    v(project(target=res.Target(value=1)))


def test_progress_buildings_firms_targets():
    E = res.ProgressEntry
    assert invalid(domain.validate_progress, E(project_id="p", date="2026-01-01", value=1))[0] == "kind"
    assert invalid(domain.validate_progress, E(project_id="p", date="2026-01-01", kind=2, value=-1)) == (
        "value",
        "value -1 is negative",
    )
    assert invalid(domain.validate_progress, E(project_id="p", date="2026-01-01", kind=1, value=math.inf))[0] == "value"
    domain.validate_progress(E(project_id="p", date="2026-01-01", kind=res.PROGRESS_KIND_ADD, value=-2))  # a correction
    b = res.Building(
        building_id="b", name="楼", kind=R, location=at(0, 0), tax=[res.TaxYear(year=2025, amount_yuan=-1)]
    )
    assert invalid(domain.validate_building, b) == ("tax[0].amount_yuan", "tax[0].amount_yuan -1 is negative")
    b.tax[0].amount_yuan, b.kind = 1, 0
    assert invalid(domain.validate_building, b)[0] == "kind"
    b.kind = R
    b.tax.append(res.TaxYear(year=2025, amount_yuan=2))
    assert invalid(domain.validate_building, b) == ("tax[1].year", "tax[1].year 2025 is there twice")
    f = res.Firm(firm_id="f", name="企业", signed_date="2026/03/01")
    assert invalid(domain.validate_firm, f) == ("signed_date", "signed_date '2026/03/01' is not a date (YYYY-MM-DD)")
    t = res.TownTarget(target_id="revenue", name="财政总收入", year=2026, target=-1)
    assert invalid(domain.validate_target, t) == ("target", "target -1 is negative")
    p = res.PartnerUnit(partner_id="p", name="华润置地", joined_year=1800)
    assert invalid(domain.validate_partner, p) == (
        "joined_year",
        "joined_year 1800 is not a plausible year (1949–2100)",
    )
