"""Made-up alarm history tells the seed's story: late-evening dumping, fewer e-bikes, weekend crowds."""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from microbrain.common.v1 import common_pb2
from microbrain_cli.devices import in_windows
from microbrain_cli.history import SHANGHAI, TimeOfDay, ebike_factor, generate_history, history_end, poisson
from microbrain_cli.scenario import GridScenario, grid_scenario, load_scenario

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
# Midnight of 2026-11-27 in Shanghai.
END = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def grid() -> GridScenario:
    return grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")


@pytest.fixture(scope="module")
def year(grid):
    return list(generate_history(grid, end=END, days=365, scale=3))


def _when(alarm) -> datetime:
    return alarm.meta.occurred_at.ToDatetime(tzinfo=UTC)


def _local(alarm) -> datetime:
    return _when(alarm).astimezone(SHANGHAI)


def test_the_same_seed_gives_the_same_alarms_and_another_seed_others(grid):
    first = [a.SerializeToString() for a in generate_history(grid, end=END, days=30)]
    again = [a.SerializeToString() for a in generate_history(grid, end=END, days=30)]
    other = [a.SerializeToString() for a in generate_history(grid, end=END, days=30, seed=8)]

    assert first == again
    assert len(first) > 200
    assert first != other


def test_alarms_fall_in_the_range_in_time_order_with_unique_ids(year):
    times = [_when(a) for a in year]
    ids = [a.meta.event_id for a in year]

    assert times == sorted(times)
    assert END - timedelta(days=365) <= times[0] and times[-1] < END
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("hist-jinhui-shanghong-20") for i in ids)


def test_each_alarm_is_a_full_envelope(year):
    by_type = {a.type: a for a in year}

    assert set(by_type) == {"litter_off_hours", "ebike_in_elevator", "crowd_over_threshold", "device_offline"}
    litter = by_type["litter_off_hours"]
    assert (litter.meta.grid_id, litter.meta.producer, litter.source) == ("jinhui-shanghong", "history", "history")
    assert (litter.place_id, litter.device.device_id) == ("gengduyuan-refuse-1", "cam-gdy-refuse-1")
    assert (litter.location.lat, litter.location.lon) == (31.1868, 121.3946)
    assert litter.title == "垃圾厢房外乱扔垃圾 (非投放时段) · 耕读园小区 垃圾厢房 1"
    assert litter.severity == common_pb2.SEVERITY_WARNING
    ebike = by_type["ebike_in_elevator"]
    assert (ebike.place_id, ebike.device.device_id, ebike.severity) == (
        "gengduyuan-22",
        "cam-gdy22-lift-a",
        common_pb2.SEVERITY_CRITICAL,
    )
    assert ebike.title == "电动车进入电梯 · 耕读园小区 22 号"
    crowds = {a.place_id for a in year if a.type == "crowd_over_threshold"}
    assert crowds == {"aegean-mall", "seoul-night-market"}
    assert by_type["device_offline"].device.device_id


def test_no_litter_alarm_inside_the_disposal_windows(grid, year):
    windows = next(d.disposal_windows for d in grid.devices if d.place_id == "gengduyuan-refuse-1")

    litter = [a for a in year if a.type == "litter_off_hours"]

    assert len(litter) > 5000
    assert not [a for a in litter if in_windows(windows, _when(a))]


def test_late_evening_dumping_is_the_peak_with_a_smaller_early_morning_group(year):
    hours = Counter(_local(a).hour for a in year if a.type == "litter_off_hours")
    total = sum(hours.values())

    assert hours.most_common(1)[0][0] in (21, 22)
    assert (hours[21] + hours[22]) / total > 0.5
    assert hours[6] > 2 * max(hours[h] for h in (0, 1, 2, 3, 4, 5, 10, 14, 23))
    assert hours[6] < hours[21]
    assert not {7, 8, 18, 19} & set(hours)


def test_more_litter_at_weekends(year):
    per_weekday = Counter(_local(a).weekday() for a in year if a.type == "litter_off_hours")
    weekday = sum(per_weekday[d] for d in range(5)) / 5
    weekend = (per_weekday[5] + per_weekday[6]) / 2

    assert 1.15 < weekend / weekday < 1.5
    # About 6 a day at scale 1 (this year is made at scale 3).
    assert sum(per_weekday.values()) / 365 / 3 == pytest.approx(6.0, rel=0.05)


def test_ebikes_fall_over_the_period_mostly_at_rush_hours(grid):
    ebikes = [a for a in generate_history(grid, end=END, days=90, scale=10) if a.type == "ebike_in_elevator"]
    start = END - timedelta(days=90)

    first = sum(1 for a in ebikes if _when(a) < start + timedelta(days=15))
    last = sum(1 for a in ebikes if _when(a) >= END - timedelta(days=15))
    assert last < 0.7 * first  # ~0.53 expected
    assert first / 15 / 10 == pytest.approx(2 * 0.9, rel=0.15)  # ~2 a day at first, already falling
    rush = sum(1 for a in ebikes if 7 <= _local(a).hour < 9 or 18 <= _local(a).hour < 21)
    assert rush / len(ebikes) > 0.8
    assert ebike_factor(0) == 1.0
    assert ebike_factor(60) == pytest.approx(0.55, abs=0.03)


def test_crowds_only_on_friday_to_sunday_evenings(year):
    crowds = [_local(a) for a in year if a.type == "crowd_over_threshold"]

    assert {t.weekday() for t in crowds} == {4, 5, 6}
    assert all(18 <= t.hour < 22 for t in crowds)
    # About one per Friday, Saturday and Sunday at each of the two zones (scale 3).
    assert len(crowds) / 3 / 2 / (52 * 3) == pytest.approx(1.0, rel=0.15)


def test_devices_go_offline_rarely(year):
    offline = [a for a in year if a.type == "device_offline"]

    assert len(offline) / 365 / 3 == pytest.approx(0.2, rel=0.3)
    assert len({a.device.device_id for a in offline}) >= 5


def test_scale_multiplies_the_counts(grid):
    one = Counter(a.type for a in generate_history(grid, end=END, days=60, scale=1))
    ten = Counter(a.type for a in generate_history(grid, end=END, days=60, scale=10))

    assert sum(ten.values()) / sum(one.values()) == pytest.approx(10, rel=0.15)
    assert ten["litter_off_hours"] / one["litter_off_hours"] == pytest.approx(10, rel=0.15)
    assert list(generate_history(grid, end=END, days=60, scale=0)) == []


def test_a_later_import_repeats_the_days_already_made(grid):
    today = {a.meta.event_id: a for a in generate_history(grid, end=END, days=60)}
    tomorrow = {a.meta.event_id: a for a in generate_history(grid, end=END + timedelta(days=1), days=60)}

    # The 59 days both cover: the same litter, crowds and offline devices, by the same ids. (E-bikes fall from the
    # start of the range, which moved by a day: their counts may differ a little.)
    overlap = [i for i in today if _when(today[i]) >= END - timedelta(days=59) and "-eb" not in i]
    assert len(overlap) > 300
    assert all(tomorrow[i] == today[i] for i in overlap)
    assert {i for i in tomorrow if i not in today} >= {i for i in tomorrow if _when(tomorrow[i]) >= END}


def test_a_range_that_starts_mid_day_keeps_only_its_part(grid):
    end = END + timedelta(hours=5)

    alarms = list(generate_history(grid, end=end, days=2, scale=20))

    assert alarms and all(end - timedelta(days=2) <= _when(a) < end for a in alarms)


def test_a_year_at_benchmark_scale_is_fast(grid):
    started = time.perf_counter()
    count = sum(1 for _ in generate_history(grid, end=END, days=365, scale=30))
    elapsed = time.perf_counter() - started

    assert 80_000 < count < 110_000
    assert elapsed < 10  # about 0.4 s here; a million (scale 300) in about 4 s


def test_time_of_day_skips_windows_across_midnight():
    from datetime import time as clock

    hours = TimeOfDay(((1.0, ((0, 24),)),), exclude=[(clock(22), clock(2))])
    drawn = [hours.draw_ms(i / 1000) / 3_600_000 for i in range(1000)]

    assert all(2 <= h < 22 for h in drawn)
    assert hours.draw_ms(0.0) == 2 * 3_600_000
    assert hours.draw_ms(0.999999999) < 22 * 3_600_000


def test_poisson_mean_for_small_and_large_rates():
    for lam in (0.2, 6.0, 1800.0):
        draws = [poisson(lam, (i + 0.5) / 2000) for i in range(2000)]
        assert sum(draws) / len(draws) == pytest.approx(lam, rel=0.02)
    assert poisson(0, 0.5) == 0


def test_history_ends_at_the_start_of_today_in_shanghai():
    # 01:30 on 27 November in Shanghai is 17:30 UTC on the 26th.
    assert history_end(datetime(2026, 11, 26, 17, 30, tzinfo=UTC)) == END
    assert history_end(datetime(2026, 11, 26, 15, 59, tzinfo=UTC)) == END - timedelta(days=1)
