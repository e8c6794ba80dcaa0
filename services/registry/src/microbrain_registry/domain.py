"""Registry rules without I/O: what a valid record is, a project's figure on a date against its target, tax bands,
opening hours and the 5-minute service circle (5 分钟党群服务圈), and town targets against their actuals."""

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import grpc
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_kit import errors

YI = 100_000_000.0  # 1 亿元: a building paying this much in a year is a 亿元楼 that year
BILLION_TARGET = "billion_yuan_buildings"
EARTH_RADIUS_M = 6_371_000.0
RESIDENTIAL = (res.BUILDING_KIND_RESIDENTIAL_COMPOUND, res.BUILDING_KIND_RESIDENTIAL_BUILDING)
_ID = re.compile(r"^[a-z0-9_-]{1,64}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
PLAUSIBLE_YEARS = (2000, 2100)
JOINED_YEARS = (1949, 2100)


class Conflict(errors.DomainError):
    """The record changed since the caller read it (ABORTED: reload and apply the change again)."""

    code = grpc.StatusCode.ABORTED


class InvalidField(errors.InvalidArgument):
    """A bad field; `field` names it (an import reports it as the row's column)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- values


def check_id(field: str, value: str) -> None:
    """An id: 1–64 lowercase letters, digits, '-' or '_'."""
    if not _ID.match(value):
        shown = f"{value!r}" if value else "empty"
        raise InvalidField(field, f"{field} {shown} is not an id: use 1–64 lowercase letters, digits, '-' or '_'")


def check_name(field: str, value: str) -> None:
    """A text that must say something."""
    if not value.strip():
        raise InvalidField(field, f"{field} is empty")


def parse_date(field: str, value: str) -> date:
    """A calendar date "YYYY-MM-DD"."""
    if _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidField(field, f"{field} {value!r} is not a date (YYYY-MM-DD)")


def check_optional_date(field: str, value: str) -> None:
    """A date, or empty."""
    if value:
        parse_date(field, value)


def check_year(field: str, value: int, bounds: tuple[int, int] = PLAUSIBLE_YEARS) -> None:
    """A plausible calendar year."""
    if not bounds[0] <= value <= bounds[1]:
        raise InvalidField(field, f"{field} {value} is not a plausible year ({bounds[0]}–{bounds[1]})")


def check_number(field: str, value: float, *, minimum: float | None = None) -> None:
    """A finite number, at least `minimum` when given."""
    if not math.isfinite(value):
        raise InvalidField(field, f"{field} {value} is not a number")
    if minimum is not None and value < minimum:
        raise InvalidField(
            field, f"{field} {value:g} is negative" if minimum == 0 else f"{field} {value:g} < {minimum:g}"
        )


def check_enum(field: str, value: int, enum, *, required: bool = True) -> None:
    """A value the enum defines (and not its UNSPECIFIED when required)."""
    if value not in enum.values():
        raise InvalidField(field, f"{field} {value} is not one of {', '.join(enum.keys()[1:])}")
    if required and value == 0:
        raise InvalidField(field, f"{field} is {enum.Name(0)}: use one of {', '.join(enum.keys()[1:])}")


def check_location(field: str, point) -> None:
    """A WGS84 point; lat and lon both 0 is a missing location (the Gulf of Guinea has no compounds)."""
    if not (math.isfinite(point.lat) and -90 <= point.lat <= 90):
        raise InvalidField(f"{field}.lat", f"{field}.lat {point.lat:g} is not a latitude (-90..90)")
    if not (math.isfinite(point.lon) and -180 <= point.lon <= 180):
        raise InvalidField(f"{field}.lon", f"{field}.lon {point.lon:g} is not a longitude (-180..180)")
    if point.lat == 0 and point.lon == 0:
        raise InvalidField(field, f"{field} is missing (lat and lon are both 0)")


def minutes(field: str, value: str, *, allow_24: bool = False) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" only as a closing time)."""
    m = _HHMM.match(value)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if (h < 24 and mi < 60) or (allow_24 and h == 24 and mi == 0):
            return h * 60 + mi
    raise InvalidField(field, f"{field} {value!r} is not a time of day (HH:MM)")


def check_target(field: str, t: res.Target) -> None:
    """value ≥ 0; stretch 0 (none) or at least value."""
    check_number(f"{field}.value", t.value, minimum=0)
    check_number(f"{field}.stretch", t.stretch, minimum=0)
    if t.stretch and t.stretch < t.value:
        raise InvalidField(
            f"{field}.stretch", f"{field}.stretch {t.stretch:g} is below {field}.value {t.value:g} (0 for none)"
        )


# ---------------------------------------------------------------- records


def validate_project(p: res.LivelihoodProject) -> None:
    """Raises InvalidField naming the first bad field of a project."""
    check_id("project_id", p.project_id)
    check_name("name", p.name)
    check_year("year", p.year)
    check_target("target", p.target)
    check_enum("status", p.status, res.ProjectStatus, required=False)
    for i, m in enumerate(p.milestones):
        check_name(f"milestones[{i}].name", m.name)
        parse_date(f"milestones[{i}].due_date", m.due_date)
        check_optional_date(f"milestones[{i}].done_date", m.done_date)


def validate_progress(e: res.ProgressEntry) -> None:
    """Raises InvalidField naming the first bad field of a progress entry (entry_id and recorded_* are the
    server's)."""
    check_id("project_id", e.project_id)
    parse_date("date", e.date)
    check_enum("kind", e.kind, res.ProgressKind)
    check_number("value", e.value, minimum=0 if e.kind == res.PROGRESS_KIND_SET else None)


def validate_opening_hours(field: str, hours: Sequence[res.OpeningHours]) -> None:
    """Weekdays 1..7, "HH:MM" times with opens before closes."""
    for i, h in enumerate(hours):
        f = f"{field}[{i}]"
        if not h.weekdays:
            raise InvalidField(f"{f}.weekdays", f"{f}.weekdays is empty (1 = Monday … 7 = Sunday)")
        for d in h.weekdays:
            if not 1 <= d <= 7:
                raise InvalidField(f"{f}.weekdays", f"{f}.weekdays has {d}: days are 1 = Monday … 7 = Sunday")
        opens = minutes(f"{f}.opens", h.opens)
        closes = minutes(f"{f}.closes", h.closes, allow_24=True)
        if opens >= closes:
            raise InvalidField(f"{f}.closes", f"{f}.closes {h.closes} is not after opens {h.opens}")


def _check_list(field: str, values: Iterable[str]) -> None:
    for i, v in enumerate(values):
        if not v.strip() or "\n" in v:
            raise InvalidField(field, f"{field}[{i}] {v!r} is empty or has a line break")


def validate_station(s: res.ServiceStation) -> None:
    """Raises InvalidField naming the first bad field of a service station."""
    check_id("station_id", s.station_id)
    check_name("name", s.name)
    if s.building_id:
        check_id("building_id", s.building_id)
    check_location("location", s.location)
    _check_list("services", s.services)
    validate_opening_hours("opening_hours", s.opening_hours)
    for i, p in enumerate(s.partner_ids):
        check_id(f"partner_ids[{i}]", p)


def validate_partner(p: res.PartnerUnit) -> None:
    """Raises InvalidField naming the first bad field of a partner unit."""
    check_id("partner_id", p.partner_id)
    check_name("name", p.name)
    if p.joined_year:
        check_year("joined_year", p.joined_year, JOINED_YEARS)


def validate_building(b: res.Building) -> None:
    """Raises InvalidField naming the first bad field of a building."""
    check_id("building_id", b.building_id)
    check_name("name", b.name)
    check_enum("kind", b.kind, res.BuildingKind)
    check_location("location", b.location)
    seen: set[int] = set()
    for i, t in enumerate(b.tax):
        check_year(f"tax[{i}].year", t.year)
        if t.year in seen:
            raise InvalidField(f"tax[{i}].year", f"tax[{i}].year {t.year} is there twice")
        seen.add(t.year)
        check_number(f"tax[{i}].amount_yuan", t.amount_yuan, minimum=0)


def validate_follow_up(field: str, f: res.FollowUp) -> None:
    """A follow-up visit has a date."""
    parse_date(f"{field}.date", f.date)


def validate_firm(f: res.Firm) -> None:
    """Raises InvalidField naming the first bad field of a firm."""
    check_id("firm_id", f.firm_id)
    check_name("name", f.name)
    if f.building_id:
        check_id("building_id", f.building_id)
    check_optional_date("signed_date", f.signed_date)
    for i, fu in enumerate(f.follow_ups):
        validate_follow_up(f"follow_ups[{i}]", fu)


def validate_target(t: res.TownTarget) -> None:
    """Raises InvalidField naming the first bad field of a town target."""
    check_id("target_id", t.target_id)
    check_name("name", t.name)
    check_year("year", t.year)
    check_number("target", t.target, minimum=0)
    check_enum("comparison", t.comparison, res.Comparison, required=False)
    check_number("actual", t.actual)
    check_optional_date("actual_as_of", t.actual_as_of)


# ---------------------------------------------------------------- progress


def planned_value(target: float, year: int, as_of: date) -> float:
    """Where a straight line from 0 on 1 January to `target` on 31 December is on as_of (0 before, all after)."""
    if as_of.year < year:
        return 0.0
    if as_of.year > year:
        return target
    days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    return target * as_of.timetuple().tm_yday / days


def progress_as_of(
    project: res.LivelihoodProject, entries: Sequence[res.ProgressEntry], as_of: date
) -> res.ProjectProgress:
    """A project's figure on as_of against its target.

    `entries` come in the order they were recorded; they apply in date order (ties in recorded order): SET
    replaces the figure, ADD adds to it. The target counts as met when the figure reached target.value — for an
    "at least" target ("500 人以上") by definition, and for a number to deliver ("60 台") too: delivering more
    than promised meets it (the stretch, when there is one, is the figure to aim past it).
    """
    counted = sorted((e for e in entries if parse_date("date", e.date) <= as_of), key=lambda e: e.date)
    value = 0.0
    for e in counted:
        value = e.value if e.kind == res.PROGRESS_KIND_SET else value + e.value
    t = project.target
    planned = planned_value(t.value, project.year, as_of)
    out = res.ProjectProgress(
        project_id=project.project_id,
        as_of=as_of.isoformat(),
        value=value,
        target=t,
        share_of_target=value / t.value if t.value else 0.0,
        share_of_stretch=value / t.stretch if t.stretch else 0.0,
        planned_value=planned,
        behind_plan=value < planned,
        target_met=value >= t.value,
        entries=len(counted),
    )
    for m in project.milestones:
        due = parse_date("due_date", m.due_date)
        done = parse_date("done_date", m.done_date) if m.done_date else None
        if due <= as_of and (done is None or done > as_of):
            out.overdue_milestones.append(m)
    return out


# ---------------------------------------------------------------- buildings and targets


def tax_band(amount_yuan: float) -> str:
    """The band of a year's tax: "<1000万", "1000万-5000万", "5000万-1亿" or "≥1亿"."""
    if amount_yuan >= YI:
        return "≥1亿"
    if amount_yuan >= 50_000_000:
        return "5000万-1亿"
    if amount_yuan >= 10_000_000:
        return "1000万-5000万"
    return "<1000万"


def latest_tax(b: res.Building) -> res.TaxYear | None:
    """The building's latest tax year, None without any."""
    return max(b.tax, key=lambda t: t.year) if b.tax else None


def with_building_outputs(b: res.Building) -> res.Building:
    """Sets the output-only fields from the latest tax year (none: no band, not a 亿元楼)."""
    latest = latest_tax(b)
    b.tax_band = tax_band(latest.amount_yuan) if latest else ""
    b.billion_yuan_building = latest is not None and latest.amount_yuan >= YI
    return b


def is_billion_yuan(b: res.Building, year: int) -> bool:
    """Whether the building paid 1 亿元 or more in `year`."""
    return any(t.year == year and t.amount_yuan >= YI for t in b.tax)


def is_billion_target(target_id: str) -> bool:
    """Targets the registry counts itself: "billion_yuan_buildings", or "billion_yuan_buildings-<anything>" for
    another year (ids are unique, a year is not part of them)."""
    return target_id == BILLION_TARGET or target_id.startswith(BILLION_TARGET + "-")


def with_target_outputs(t: res.TownTarget) -> res.TownTarget:
    """Sets met and share from actual and target.

    AT_LEAST (and UNSPECIFIED): met when actual ≥ target, share = actual / target (1 for a target of 0).
    AT_MOST: met when actual ≤ target, share = target / actual (1 when actual is 0), so above 1 is better in
    both: the share says how far past the line it is.
    """
    if t.comparison == res.COMPARISON_AT_MOST:
        t.met = t.actual <= t.target
        t.share = t.target / t.actual if t.actual else 1.0
    else:
        t.met = t.actual >= t.target
        t.share = t.actual / t.target if t.target else 1.0
    return t


# ---------------------------------------------------------------- the 5-minute service circle


def distance_m(a, b) -> float:
    """Great-circle (haversine) distance in metres between two points with lat/lon."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def is_open(station: res.ServiceStation, local: datetime) -> bool:
    """Whether the station is open at a local wall-clock time (opening hours are [opens, closes))."""
    day = local.isoweekday()
    now = local.hour * 60 + local.minute + local.second / 60
    for h in station.opening_hours:
        if day in h.weekdays:
            opens = minutes("opens", h.opens)
            closes = minutes("closes", h.closes, allow_24=True)
            if opens <= now < closes:
                return True
    return False


def service_circle(
    stations: Sequence[res.ServiceStation],
    buildings: Sequence[res.Building],
    at_local: datetime,
    radius_m: float,
    kinds: Iterable[int] = RESIDENTIAL,
) -> tuple[list[pb.CircleEntry], list[pb.CircleEntry], list[str]]:
    """Which buildings of `kinds` have a station open at at_local within radius_m (covered), and which do not
    (gaps, each with the nearest station of any and why); plus the ids of the stations open then.

    Every list is ordered by id. A gap's reason names the nearest station when it is closed then, and the
    nearest open station (or that none is open).
    """
    wanted = set(kinds)
    open_now = {s.station_id for s in stations if is_open(s, at_local)}
    hhmm = at_local.strftime("%H:%M")
    covered: list[pb.CircleEntry] = []
    gaps: list[pb.CircleEntry] = []
    for b in sorted((b for b in buildings if b.kind in wanted), key=lambda b: b.building_id):
        by_distance = sorted((distance_m(b.location, s.location), s.station_id, s) for s in stations)
        nearest_open = next(((d, s) for d, _, s in by_distance if s.station_id in open_now), None)
        if nearest_open is not None and nearest_open[0] <= radius_m:
            d, s = nearest_open
            covered.append(pb.CircleEntry(building=b, station_id=s.station_id, station_name=s.name, distance_m=d))
            continue
        entry = pb.CircleEntry(building=b)
        if not by_distance:
            entry.reason = "no service station in the registry"
            gaps.append(entry)
            continue
        d, _, nearest = by_distance[0]
        entry.station_id, entry.station_name, entry.distance_m = nearest.station_id, nearest.name, d
        reasons = []
        if nearest.station_id not in open_now:
            reasons.append(f"{nearest.name} is {d:.0f} m away but closed at {hhmm}")
        if nearest_open is None:
            reasons.append(f"no station is open at {hhmm}")
        else:
            reasons.append(f"nearest open station {nearest_open[1].name} is {nearest_open[0]:.0f} m away")
        entry.reason = "; ".join(reasons)
        gaps.append(entry)
    return covered, gaps, sorted(open_now)
