"""Crowd fusion (camera counts + distinct Wi-Fi phones) and the levels' hysteresis, on exact numbers."""

from datetime import UTC, datetime, timedelta

from microbrain.analytics.v1 import resources_pb2 as res
from microbrain_analytics.crowd import CrowdTracker, next_level
from microbrain_analytics.places import Zone

L = res.CrowdLevel
T0 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
ATRIUM = Zone(
    "aegean-atrium",
    "aegean-mall",
    "爱琴海 中庭",
    warning=800,
    critical=1200,
    cameras={"cam-a": 0.3, "cam-b": 0.1},
    phone_share=0.8,
)


def phones(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def tracker() -> CrowdTracker:
    return CrowdTracker({"aegean-atrium": ATRIUM}, wifi_window_s=300, camera_stale_s=60)


def test_cameras_count_what_they_see_and_wifi_fills_in_the_rest():
    t = tracker()
    t.camera("cam-a", {"aegean-atrium": 150}, T0)
    t.camera("cam-b", {"aegean-atrium": 50}, T0)
    # Two probes hear 400 and 300 phones, 100 of them both: 600 distinct.
    t.probe("wifi-1", "aegean-atrium", phones("p", 400), 400, T0)
    t.probe("wifi-2", "aegean-atrium", phones("p", 700)[300:], 400, T0)
    occ = t.occupancy("aegean-atrium", T0 + timedelta(seconds=5))
    assert occ.wifi_distinct_devices == 700 - 0  # ids p0000..p0699, each once
    assert occ.camera_count == 200 and abs(occ.camera_coverage - 0.4) < 1e-9
    # 200 seen + (1 - 0.4) × 700 / 0.8
    assert occ.estimate == 725.0 and occ.wifi_estimate == 875.0 and occ.sources == "camera+wifi"


def test_one_source_alone_when_the_other_is_stale():
    t = tracker()
    t.camera("cam-a", {"aegean-atrium": 150}, T0)
    occ = t.occupancy("aegean-atrium", T0 + timedelta(seconds=30))
    assert (occ.sources, occ.estimate) == ("camera", 500.0)  # 150 / 0.3
    t.probe("wifi-1", "aegean-atrium", phones("p", 80), 80, T0 + timedelta(seconds=90))
    occ = t.occupancy("aegean-atrium", T0 + timedelta(seconds=100))
    assert (occ.sources, occ.estimate) == ("wifi", 100.0)  # the camera is 100 s old; 80 / 0.8


def test_phones_leave_the_sliding_window_and_unknown_cameras_are_ignored():
    t = tracker()
    t.probe("wifi-1", "aegean-atrium", phones("old", 50), 50, T0)
    t.probe("wifi-1", "aegean-atrium", phones("new", 20), 20, T0 + timedelta(seconds=200))
    assert t.occupancy("aegean-atrium", T0 + timedelta(seconds=250)).wifi_distinct_devices == 70
    assert t.occupancy("aegean-atrium", T0 + timedelta(seconds=301)).wifi_distinct_devices == 20
    assert t.camera("cam-unknown", {"aegean-atrium": 999}, T0) == []
    # A probe that only counts adds its latest count.
    t.probe("wifi-3", "aegean-atrium", [], 30, T0 + timedelta(seconds=300))
    assert t.occupancy("aegean-atrium", T0 + timedelta(seconds=301)).wifi_distinct_devices == 50


def test_levels_rise_at_the_threshold_and_fall_only_below_the_hysteresis_line():
    seq = [700, 800, 750, 721, 719, 1200, 1100, 1079, 900, 700]
    levels, level = [], L.CROWD_LEVEL_NORMAL
    for x in seq:
        level = next_level(ATRIUM, level, x)
        levels.append(level)
    N, W, C = L.CROWD_LEVEL_NORMAL, L.CROWD_LEVEL_WARNING, L.CROWD_LEVEL_CRITICAL
    # warning line 800 (clears below 720), critical 1200 (drops below 1080)
    assert levels == [N, W, W, W, N, C, C, W, W, N]
