"""Scenario rules on detections and frames, without the model."""

from datetime import UTC, datetime

import numpy as np
from microbrain_vision.rules import Box, CrowdRule, Detection, EbikeRule, LitterRule, Polygon

CAR = Polygon([(100, 100), (500, 100), (500, 460), (100, 460)])
BIKE_IN_CAR = Detection("motorcycle", 0.8, Box(200, 200, 400, 450))
BIKE_OUTSIDE = Detection("bicycle", 0.8, Box(520, 200, 630, 470))
PERSON_IN_CAR = Detection("person", 0.9, Box(150, 120, 250, 450))


def _feed(rule, frames):
    return [rule.update(f).kind for f in frames]


def test_ebike_alarms_on_n_of_m_frames_and_clears_after_k_empty():
    rule = EbikeRule(CAR, n=3, m=5, clear_after=3)
    kinds = _feed(rule, [[BIKE_IN_CAR], [], [BIKE_IN_CAR], [PERSON_IN_CAR, BIKE_IN_CAR]])
    assert kinds == ["", "", "", "alarm"]
    alarm_id = rule.active_alarm
    assert _feed(rule, [[BIKE_IN_CAR], [], [PERSON_IN_CAR], [BIKE_IN_CAR]]) == ["", "", "", ""]  # not 3 empty in a row
    out = [rule.update([]) for _ in range(3)]
    assert [o.kind for o in out] == ["", "", "cleared"] and out[-1].alarm_id == alarm_id


def test_ebike_outside_the_car_or_a_person_alone_never_alarms():
    rule = EbikeRule(CAR, n=2, m=3)
    assert set(_feed(rule, [[BIKE_OUTSIDE], [PERSON_IN_CAR], [BIKE_OUTSIDE, PERSON_IN_CAR]] * 3)) == {""}


def test_crowd_counts_people_per_zone_and_smooths():
    zones = {
        "atrium": Polygon([(0, 0), (320, 0), (320, 480), (0, 480)]),
        "gate": Polygon([(320, 0), (640, 0), (640, 480), (320, 480)]),
    }
    rule = CrowdRule(zones, alpha=0.5)
    people = [Detection("person", 0.9, Box(x, 100, x + 40, 300)) for x in (10, 60, 110, 400)]
    first = rule.update(people)
    assert first.kind == "observation" and first.counts == {"atrium": 3, "gate": 1}
    second = rule.update(people[:1])
    assert second.counts == {"atrium": 2.0, "gate": 0.5}


def _apron_frame(with_bag: bool, person_at: int | None = None) -> np.ndarray:
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[300:480, :] = 90  # the apron's pavement
    if with_bag:
        frame[360:430, 280:360] = (20, 20, 20)  # a black bin bag
    if person_at is not None:
        frame[200:470, person_at : person_at + 40] = (200, 180, 160)
    return frame


APRON = Polygon([(0, 300), (640, 300), (640, 480), (0, 480)])
NIGHT = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai: outside 07-09 and 18-20
EVENING = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai: inside a disposal window


def test_litter_left_out_of_hours_alarms_once_per_pile():
    rule = LitterRule(APRON, windows=["07:00-09:00", "18:00-20:00"], persist=3)
    kinds = [rule.update([], _apron_frame(False), NIGHT).kind]
    kinds += [rule.update([], _apron_frame(True), NIGHT).kind for _ in range(8)]
    assert kinds.count("alarm") == 1 and kinds[3] == "alarm"  # after 3 frames of the bag staying


def test_litter_inside_a_disposal_window_or_a_passer_by_stays_quiet():
    rule = LitterRule(APRON, windows=["07:00-09:00", "18:00-20:00"], persist=3)
    rule.update([], _apron_frame(False), EVENING)
    assert {rule.update([], _apron_frame(True), EVENING).kind for _ in range(6)} == {""}
    walker = LitterRule(APRON, windows=[], persist=3)
    walker.update([], _apron_frame(False), NIGHT)
    kinds = [
        walker.update([Detection("person", 0.9, Box(x, 200, x + 40, 470))], _apron_frame(False, x), NIGHT).kind
        for x in range(100, 400, 50)
    ]
    assert set(kinds) == {""}


def test_disposal_windows_may_cross_midnight():
    from microbrain_vision.rules import _in_windows, parse_windows

    windows = parse_windows(["22:00-02:00"])
    assert _in_windows(datetime(2026, 11, 26, 23, 30), windows)
    assert _in_windows(datetime(2026, 11, 27, 1, 0), windows)
    assert not _in_windows(datetime(2026, 11, 27, 12, 0), windows)
