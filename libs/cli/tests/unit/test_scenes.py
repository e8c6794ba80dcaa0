"""What the simulated cameras show and when: frames from real photos, scenes that come and go, a modest frame rate."""

import random
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
import pytest
from microbrain_cli import scenes
from microbrain_cli.cameras import camera_shows
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_cli.scenes import CrowdWalk, SceneSchedule, camera_show
from microbrain_cli.simulator import Simulator

ROOT = Path(__file__).resolve().parents[4]
SCENARIO = ROOT / "deploy" / "scenarios" / "hongqiao.yaml"
APRON_TOP = 300  # deploy/vision/cameras.yaml: the apron is the view below y=300


def _decoded(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_every_frame_is_a_640_by_480_jpeg():
    frames = [
        scenes.lift_car_jpeg(False),
        scenes.lift_car_jpeg(True),
        scenes.garbage_room_jpeg(False),
        scenes.garbage_room_jpeg(True),
        *(scenes.plaza_jpeg(n) for n in range(scenes.MAX_PEOPLE + 1)),
    ]
    assert {_decoded(f).shape for f in frames} == {(480, 640, 3)}
    assert scenes.lift_car_jpeg(True) is scenes.lift_car_jpeg(True)  # encoded once


def test_the_e_bike_stands_on_the_car_floor_and_the_empty_car_is_plain():
    empty, bike = scenes.lift_car(False), scenes.lift_car(True)
    changed = np.argwhere(np.any(empty != bike, axis=2))
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    assert (top, left, bottom, right) == (190, 110, 472, 529)
    assert len(np.unique(empty.reshape(-1, 3), axis=0)) == 2  # wall and floor, nothing a detector could find


def test_the_bag_is_a_dark_object_on_the_apron_and_nothing_else_changes():
    empty, bag = scenes.garbage_room(False), scenes.garbage_room(True)
    changed = np.any(empty != bag, axis=2)
    rows, cols = np.nonzero(changed)
    x1, y1, x2, y2 = scenes.BAG_BOX
    assert rows.min() >= max(y1, APRON_TOP) and rows.max() < y2 and cols.min() >= x1 and cols.max() < x2
    # Big enough for vision's litter rule (1% of the apron) and much darker than the concrete around it.
    assert changed.sum() > 0.05 * (480 - APRON_TOP) * 640
    gray_bag = cv2.cvtColor(bag, cv2.COLOR_BGR2GRAY)[changed]
    gray_floor = cv2.cvtColor(empty, cv2.COLOR_BGR2GRAY)[changed]
    assert np.median(gray_floor.astype(int) - gray_bag) > 80


@pytest.mark.parametrize("people", [0, 1, 3])
def test_the_plaza_holds_as_many_astronauts_as_asked(people):
    plaza = scenes.plaza(people)
    background = np.array([170, 175, 180], np.uint8)
    columns = np.any(np.any(plaza != background, axis=2), axis=0)
    # Each person is a 200-pixel-wide block; count the blocks.
    starts = np.flatnonzero(columns & ~np.concatenate(([False], columns[:-1])))
    assert len(starts) == people


def test_a_plaza_holds_at_most_three_people():
    with pytest.raises(ValueError, match="0 to 3"):
        scenes.plaza(4)


def _timeline(schedule: SceneSchedule, until: float, step: float = 0.1) -> list[tuple[float, bool]]:
    return [(round(i * step, 3), schedule.on(i * step)) for i in range(int(until / step) + 1)]


def _runs(timeline: list[tuple[float, bool]]) -> list[tuple[bool, float, float]]:
    """(on, first t, last t) of each stretch of equal state."""
    runs: list[tuple[bool, float, float]] = []
    for t, on in timeline:
        if runs and runs[-1][0] == on:
            runs[-1] = (on, runs[-1][1], t)
        else:
            runs.append((on, t, t))
    return runs


def test_a_scene_comes_now_and_then_lasts_its_time_and_the_view_is_empty_at_first():
    schedule = SceneSchedule(every_s=10, duration_s=4, min_gap_s=6, rng=random.Random(1))
    runs = _runs(_timeline(schedule, 300))

    assert runs[0][0] is False and runs[0][1] == 0  # the first frame shows the empty view
    scenes_on = [r for r in runs if r[0]]
    gaps = [r for r in runs[1:-1] if not r[0]]
    assert len(scenes_on) == schedule.starts >= 15
    assert all(3.8 <= last - first <= 4.0 for _, first, last in scenes_on[:-1])  # 4 s, sampled every 0.1 s
    # Gaps of 10 s ± 50%, never under the 6 s minimum.
    assert all(5.8 <= last - first <= 15.0 for _, first, last in gaps)
    assert min(last - first for _, first, last in gaps) < 9 < max(last - first for _, first, last in gaps)


def test_no_scene_when_every_is_zero_and_bad_settings_are_refused():
    never = SceneSchedule(every_s=0, duration_s=4)
    assert not any(on for _, on in _timeline(never, 1000, step=1)) and never.starts == 0
    with pytest.raises(ValueError):
        SceneSchedule(every_s=-1, duration_s=4)
    with pytest.raises(ValueError):
        SceneSchedule(every_s=10, duration_s=0)


def test_a_long_pause_between_questions_still_goes_through_every_scene():
    schedule = SceneSchedule(every_s=10, duration_s=4, rng=random.Random(2))
    schedule.on(0)
    schedule.on(1000)  # the camera was away for a while
    assert 60 <= schedule.starts <= 240


def test_a_crowd_changes_by_one_person_at_a_time_within_zero_to_three():
    walk = CrowdWalk(rng=random.Random(4))
    counts = [walk.count(t) for t in range(600)]
    assert set(counts) == {0, 1, 2, 3}
    assert all(abs(a - b) <= 1 for a, b in pairwise(counts))


def test_each_camera_shows_its_scenario_and_together_they_stay_near_five_frames_a_second():
    grid = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")
    shows = {s.camera_id: s for s in camera_shows(grid.devices, scene_every_s=60, start=0, rng=random.Random(5))}

    assert {c: (s.scenario, s.fps) for c, s in shows.items()} == {
        "cam-gdy22-lift-a": ("ebike_in_elevator", 2.0),
        "cam-gdy-refuse-1": ("litter_off_hours", 1.0),
        "cam-aegean-atrium": ("crowd", 1.0),
        "cam-seoul-street": ("crowd", 1.0),
    }
    assert sum(s.fps for s in shows.values()) <= 5
    lift = shows["cam-gdy22-lift-a"]
    seen = {lift.frame(t / 2)[1] for t in range(2 * 600)}
    assert seen == {"empty car", "e-bike"}
    assert lift.frame(0) == (scenes.lift_car_jpeg(False), "empty car")


def test_the_scene_of_a_show_follows_its_schedule():
    show = camera_show("cam", "litter_off_hours", scene_every_s=10, rng=random.Random(6))
    assert show.schedule is not None
    shown = set()
    for t in range(120):
        image, what = show.frame(float(t))
        bag = show.schedule.on(float(t))  # asking again at the same time changes nothing
        assert image == scenes.garbage_room_jpeg(bag)
        assert what == ("bag on the apron" if bag else "empty apron")
        shown.add(what)
    assert shown == {"bag on the apron", "empty apron"}
    with pytest.raises(ValueError, match="no camera show"):
        camera_show("cam", "parking", scene_every_s=10)


def test_missing_photos_or_opencv_are_named(monkeypatch):
    assert scenes.missing() is None
    monkeypatch.setattr(scenes, "_has", lambda module: module != "skimage")
    assert scenes.missing() == "scikit-image not importable (`uv sync` installs the workspace's dev dependencies)"


def _simulator(tmp_path, **kwargs) -> Simulator:
    grid = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")
    return Simulator(grid=grid, state_dir=tmp_path, **kwargs)


def test_with_frames_going_to_vision_only_the_lift_raises_alarms_through_ingest(tmp_path):
    sim = _simulator(tmp_path, vision_target="127.0.0.1:50052")
    via_ingest = {d.spec.device_id for d in sim.devices if sim.camera_alarms_via_ingest(d.sim)}

    assert sim.streams_frames
    assert "lift-gdy22-a" in via_ingest  # its door fault
    assert not {d for d in via_ingest if d.startswith("cam-")}


def _cameras(sim: Simulator) -> list:
    return [d.sim for d in sim.devices if d.spec.device_id.startswith("cam-")]


def test_without_vision_or_without_frames_the_cameras_raise_alarms_through_ingest(tmp_path, monkeypatch):
    no_vision = _simulator(tmp_path)
    assert not no_vision.streams_frames and all(no_vision.camera_alarms_via_ingest(c) for c in _cameras(no_vision))

    monkeypatch.setattr(scenes, "missing", lambda: "scikit-image not importable")
    no_frames = _simulator(tmp_path, vision_target="127.0.0.1:50052")
    assert not no_frames.streams_frames and no_frames.frames_missing == "scikit-image not importable"
    assert all(no_frames.camera_alarms_via_ingest(c) for c in _cameras(no_frames))
