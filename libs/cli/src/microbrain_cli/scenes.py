"""What the simulated cameras see (no I/O): 640×480 frames made from scikit-image's real photos, and when a
scene (an e-bike in the lift car, a bag left on the garbage-room apron) comes and goes.

scikit-image (its photos) and OpenCV (resizing, JPEG) come with the workspace's dev dependencies and the
vision service; without them there are no frames, and `missing()` says why.
"""

from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

WIDTH, HEIGHT = 640, 480
# Kept below 1 frame/s per camera except the lift car's 2: the detector costs ~27 ms a frame on a small
# CPU, and the four cameras together stay at ~5 frames/s.
LIFT_FPS, APRON_FPS, CROWD_FPS = 2.0, 1.0, 1.0
# An e-bike stays ~4 s (8 frames at 2 fps: vision alarms after 3); the car then stays empty at least 4 s,
# longer than vision's 5 empty frames (2.5 s) that clear the alarm.
EBIKE_SCENE_S, EBIKE_MIN_GAP_S = 4.0, 4.0
# A bag stays 12 s (vision alarms after 5 frames at 1 fps). Vision learns the empty apron slowly (its
# background follows the frames at 0.2% a frame); a bag present most of the time would slowly become
# background and leave a ghost when it goes. At the default cadence it is there ~1/6 of the time.
BAG_SCENE_S, BAG_MIN_GAP_S = 12.0, 3.0
# Crowd cameras: the head count (0-3) steps up or down by one every few seconds.
CROWD_STEP_S = 5.0
MAX_PEOPLE = 3


def missing() -> str | None:
    """Why frames cannot be made here (a module is not installed), or None when they can."""
    absent = [name for name, module in (("scikit-image", "skimage"), ("OpenCV", "cv2")) if not _has(module)]
    if absent:
        return f"{' and '.join(absent)} not importable (`uv sync` installs the workspace's dev dependencies)"
    return None


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module already imported without a spec
        return True


# --- frames -----------------------------------------------------------------------------------------


def _bgr(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """Encodes a BGR frame as JPEG, as a camera sends it."""
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the frame as JPEG")
    return data.tobytes()


def lift_car(with_bike: bool) -> np.ndarray:
    """A lift car seen from its ceiling camera: plain walls and floor, and the real motorcycle photo (the
    e-bike) standing on the floor, or not.

    The same composite as vision's own tests; its floor region (deploy/vision/cameras.yaml) is most of the view.
    """
    import cv2
    import numpy as np
    from skimage import data

    frame = np.full((HEIGHT, WIDTH, 3), (150, 150, 145), np.uint8)
    frame[300:, :] = (110, 110, 105)
    if with_bike:
        bike = cv2.resize(_bgr(data.stereo_motorcycle()[0]), (420, 283))
        frame[190:473, 110:530] = bike
    return frame


# Where the bag lies: on the apron, which is the view's lower part from y=300 (deploy/vision/cameras.yaml).
BAG_BOX = (250, 330, 390, 450)  # x1, y1, x2, y2


def garbage_room(with_bag: bool) -> np.ndarray:
    """The garbage room's camera: a wall with two sorting bins, a light concrete apron in front, and a
    dark bin bag left on the apron, or not.

    The bag's folds are the wood grain of scikit-image's coffee photo, darkened and cut to a bag's outline
    (a round body and a knot), so it has a real texture rather than a flat colour.
    """
    import cv2
    import numpy as np
    from skimage import data

    frame = np.full((HEIGHT, WIDTH, 3), (185, 190, 190), np.uint8)  # wall
    frame[300:, :] = (150, 155, 160)  # apron
    # Two bins against the wall (above the apron: they are part of the room, not litter).
    frame[180:300, 60:170] = (60, 120, 40)  # green: 湿垃圾
    frame[180:300, 190:300] = (70, 70, 75)  # grey: 干垃圾
    if with_bag:
        x1, y1, x2, y2 = BAG_BOX
        w, h = x2 - x1, y2 - y1
        # The grain of the table in the coffee photo (its top right, clear of the cup) as the folds of
        # black plastic: its brightness, darkened and tinted blue-black.
        wood = cv2.cvtColor(_bgr(data.coffee())[0:110, 440:600], cv2.COLOR_BGR2GRAY)
        folds = cv2.resize(wood, (w, h)).astype(np.float32) * 0.35 + 10
        texture = np.clip(np.dstack([folds + 8, folds, folds - 4]), 0, 255).astype(np.uint8)
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(mask, (w // 2, h * 3 // 5), (w // 2 - 2, h * 2 // 5 - 2), 0, 0, 360, 255, -1)  # body
        cv2.ellipse(mask, (w // 2, h // 6), (w // 8, h // 6), 0, 0, 360, 255, -1)  # knot
        region = frame[y1:y2, x1:x2]
        region[mask > 0] = texture[mask > 0]
    return frame


def plaza(people: int) -> np.ndarray:
    """A 640×480 plaza with 0-3 copies of the astronaut photo's person standing in it."""
    import cv2
    import numpy as np
    from skimage import data

    if not 0 <= people <= MAX_PEOPLE:
        raise ValueError(f"a plaza frame holds 0 to {MAX_PEOPLE} people")
    frame = np.full((HEIGHT, WIDTH, 3), (170, 175, 180), np.uint8)
    person = cv2.resize(_bgr(data.astronaut()), (200, 200))
    for i in range(people):
        x = 10 + i * 210
        frame[250:450, x : x + 200] = person
    return frame


@cache
def lift_car_jpeg(with_bike: bool) -> bytes:
    """lift_car() as JPEG, made once: a camera sends the same few pictures again and again."""
    return jpeg(lift_car(with_bike))


@cache
def garbage_room_jpeg(with_bag: bool) -> bytes:
    """garbage_room() as JPEG, made once."""
    return jpeg(garbage_room(with_bag))


@cache
def plaza_jpeg(people: int) -> bytes:
    """plaza() as JPEG, made once."""
    return jpeg(plaza(people))


# --- when things happen -----------------------------------------------------------------------------


class SceneSchedule:
    """When a scene is on at one camera: it starts every ~every_s seconds (±50%, after at least min_gap_s
    since the last one ended), lasts duration_s, and is never on at the start (so the first frame shows
    the empty view, which vision's litter rule learns as the background).

    Asked with non-decreasing times in seconds (a monotonic clock); every_s = 0 means never.
    """

    def __init__(
        self,
        *,
        every_s: float,
        duration_s: float,
        min_gap_s: float = 0.0,
        start: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        if every_s < 0 or duration_s <= 0 or min_gap_s < 0:
            raise ValueError("every_s must be 0 (never) or more, duration_s positive, min_gap_s 0 or more")
        self.every_s, self.duration_s, self.min_gap_s = every_s, duration_s, min_gap_s
        self.rng = rng or random.Random()
        self.starts = 0  # scenes begun so far
        self._on = False
        self._next = self._after(start)

    def _after(self, t: float) -> float:
        if self.every_s == 0:
            return float("inf")
        return t + max(self.min_gap_s, self.every_s * self.rng.uniform(0.5, 1.5), 1e-3)

    def on(self, t: float) -> bool:
        """Whether the scene is on at time t."""
        while t >= self._next:
            if self._on:
                self._on, self._next = False, self._after(self._next)
            else:
                self._on, self._next = True, self._next + self.duration_s
                self.starts += 1
        return self._on


class CrowdWalk:
    """How many people a crowd camera sees: 0 to MAX_PEOPLE, one more or one fewer every ~CROWD_STEP_S."""

    def __init__(self, *, start: float = 0.0, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()
        self.people = self.rng.randint(0, MAX_PEOPLE)
        self._next = start + CROWD_STEP_S * self.rng.uniform(0.5, 1.5)

    def count(self, t: float) -> int:
        """The head count at time t (non-decreasing)."""
        while t >= self._next:
            self.people = min(MAX_PEOPLE, max(0, self.people + self.rng.choice((-1, 1))))
            self._next += CROWD_STEP_S * self.rng.uniform(0.5, 1.5)
        return self.people


@dataclass(frozen=True)
class CameraShow:
    """What one simulated camera sends: how often, and which picture at a given moment."""

    camera_id: str
    scenario: str
    fps: float
    schedule: SceneSchedule | None = None
    crowd: CrowdWalk | None = None

    def frame(self, t: float) -> tuple[bytes, str]:
        """The JPEG to send at time t, and what it shows ("empty car", "e-bike", "bag", "2 people", ...)."""
        if self.scenario == "ebike_in_elevator":
            bike = self.schedule is not None and self.schedule.on(t)
            return lift_car_jpeg(bike), "e-bike" if bike else "empty car"
        if self.scenario == "litter_off_hours":
            bag = self.schedule is not None and self.schedule.on(t)
            return garbage_room_jpeg(bag), "bag on the apron" if bag else "empty apron"
        people = self.crowd.count(t) if self.crowd is not None else 0
        return plaza_jpeg(people), f"{people} people"


SCENARIOS = ("ebike_in_elevator", "litter_off_hours", "crowd")


def camera_show(
    camera_id: str, scenario: str, *, scene_every_s: float, start: float = 0.0, rng: random.Random | None = None
) -> CameraShow:
    """The show of a camera watching `scenario` (as in deploy/scenarios: ebike_in_elevator, litter_off_hours
    or crowd), with its scenes every ~scene_every_s seconds."""
    rng = rng or random.Random()
    if scenario == "ebike_in_elevator":
        schedule = SceneSchedule(
            every_s=scene_every_s, duration_s=EBIKE_SCENE_S, min_gap_s=EBIKE_MIN_GAP_S, start=start, rng=rng
        )
        return CameraShow(camera_id, scenario, LIFT_FPS, schedule=schedule)
    if scenario == "litter_off_hours":
        schedule = SceneSchedule(
            every_s=scene_every_s, duration_s=BAG_SCENE_S, min_gap_s=BAG_MIN_GAP_S, start=start, rng=rng
        )
        return CameraShow(camera_id, scenario, APRON_FPS, schedule=schedule)
    if scenario == "crowd":
        return CameraShow(camera_id, scenario, CROWD_FPS, crowd=CrowdWalk(start=start, rng=rng))
    raise ValueError(f"no camera show for scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
