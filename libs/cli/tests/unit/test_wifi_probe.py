"""A simulated Wi-Fi probe lists the hashed ids of the phones it counts; visitors stay for some minutes."""

import hashlib
import itertools
import random
import re
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from microbrain_cli.devices import WifiProbe, make_device
from microbrain_cli.scenario import grid_scenario, load_scenario

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
# 18:00 Shanghai time.
EVENING = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _probe(device_id: str = "wifi-aegean-1", seed: int = 1) -> WifiProbe:
    spec = next(
        d for d in grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong").devices if d.device_id == device_id
    )
    probe = make_device(spec, random.Random(seed))
    assert isinstance(probe, WifiProbe)
    return probe


def _reports(probe: WifiProbe, start: datetime, count: int, every_s: float = 15.0) -> list:
    return [probe.next_event(start + timedelta(seconds=i * every_s)).wifi for i in range(count)]


def test_each_report_lists_as_many_distinct_ids_as_it_counts():
    reports = _reports(_probe(), EVENING, 240)

    for wifi in reports:
        assert len(wifi.device_hashes) == wifi.unique_devices
        assert len(set(wifi.device_hashes)) == len(wifi.device_hashes)
        assert all(re.fullmatch(r"[0-9a-f]{16}", h) for h in wifi.device_hashes)
    # Around 18:00 some 65-70% of the atrium's warning threshold of 800 people, 70% of them with a phone heard.
    assert statistics.mean(w.unique_devices for w in reports) == pytest.approx(0.68 * 800 * 0.7, rel=0.05)


def test_ids_are_stable_hashes_of_the_zone_and_the_phone():
    probe = _probe()

    assert probe.phone_id(42) == hashlib.sha256(b"aegean-atrium-42").hexdigest()[:16]
    wifi = probe.next_event(EVENING).wifi
    # What it saw is the crowd present, or most of it.
    assert set(wifi.device_hashes) <= {probe.phone_id(n) for n in probe.present}
    # Another zone's phones have other ids.
    assert _probe("wifi-seoul-1").phone_id(42) != probe.phone_id(42)


def test_the_same_seed_gives_the_same_phones():
    first = _reports(_probe(seed=5), EVENING, 20)
    again = _reports(_probe(seed=5), EVENING, 20)

    assert [list(w.device_hashes) for w in first] == [list(w.device_hashes) for w in again]


def test_most_phones_are_still_there_at_the_next_report_but_not_hours_later():
    reports = _reports(_probe(), EVENING, 8 * 60 * 4)  # 8 hours, every 15 s

    def overlap(a, b) -> float:
        return len(set(a.device_hashes) & set(b.device_hashes)) / max(1, len(a.device_hashes))

    next_report = [overlap(a, b) for a, b in itertools.pairwise(reports)]
    # A report hears about 9 in 10 of the phones present, so two reports share most of them.
    assert statistics.mean(next_report) > 0.85
    assert min(next_report) > 0.7
    # Two hours (480 reports) later, a mean visit of 30 minutes leaves few of the same phones.
    assert overlap(reports[0], reports[480]) < 0.2


def test_a_visitor_is_seen_for_some_minutes():
    reports = _reports(_probe(), EVENING, 4 * 60 * 4)  # 4 hours, every 15 s
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, wifi in enumerate(reports):
        for h in wifi.device_hashes:
            first.setdefault(h, i)
            last[h] = i

    # Visits that began and ended inside the 4 hours.
    stays_min = [(last[h] - first[h] + 1) * 15 / 60 for h in first if first[h] > 0 and last[h] < len(reports) - 1]
    assert len(stays_min) > 1000
    assert 10 < statistics.median(stays_min) < 40


def test_a_long_gap_empties_the_zone_before_the_new_crowd_arrives():
    probe = _probe()
    before = set(probe.next_event(EVENING).wifi.device_hashes)

    after = probe.next_event(EVENING + timedelta(hours=12)).wifi

    assert len(after.device_hashes) == after.unique_devices
    assert len(before & set(after.device_hashes)) < 0.1 * len(before)


def test_distinct_ids_over_five_minutes_stay_near_the_count():
    reports = _reports(_probe(), EVENING, 60)  # 15 minutes
    last = reports[-20:]  # the last 5 minutes

    distinct = set().union(*(set(w.device_hashes) for w in last))

    # What analytics counts over its window: the phones present (a few more than one report hears) and those
    # that came in the meantime, with a visit of ~30 minutes.
    assert 1.1 < len(distinct) / statistics.mean(w.unique_devices for w in last) < 1.45
