"""Scenario rules on top of detections, one instance per camera: the e-bike in the lift car (N of M frames,
cleared after K empty ones), litter left on a garbage-room apron out of hours (a stationary-object detector
over the region), and people per crowd zone (smoothed)."""

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import cv2
import numpy as np

EBIKE_CLASSES = {"bicycle", "motorcycle"}


@dataclass(frozen=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def foot(self) -> tuple[float, float]:
        """Bottom centre: where an object stands on the floor."""
        return ((self.x1 + self.x2) / 2, self.y2)

    def iou(self, other: "Box") -> float:
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = (self.x2 - self.x1) * (self.y2 - self.y1) + (other.x2 - other.x1) * (other.y2 - other.y1) - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class Detection:
    class_name: str
    score: float
    box: Box


class Polygon:
    """A region of the camera's view."""

    def __init__(self, points: list[tuple[float, float]]) -> None:
        if len(points) < 3:
            raise ValueError("a region needs at least 3 points")
        self.points = np.array(points, dtype=np.float32)

    def contains(self, x: float, y: float) -> bool:
        return cv2.pointPolygonTest(self.points, (float(x), float(y)), False) >= 0

    def mask(self, height: int, width: int) -> np.ndarray:
        out = np.zeros((height, width), dtype=np.uint8)
        cv2.fillPoly(out, [self.points.astype(np.int32)], 255)
        return out


@dataclass
class Outcome:
    """What a rule concluded from one frame."""

    kind: str = ""  # "alarm", "cleared", "observation" or "" (nothing new)
    alarm_id: str = ""
    box: Box | None = None
    score: float = 0.0
    counts: dict[str, float] = field(default_factory=dict)


class EbikeRule:
    """云梯: a bicycle or motorcycle standing inside the car in n of the last m frames raises an alarm;
    k frames in a row without one clear it."""

    def __init__(self, car: Polygon, *, n: int = 3, m: int = 5, clear_after: int = 5, min_score: float = 0.35):
        self.car, self.n, self.clear_after, self.min_score = car, n, clear_after, min_score
        self.recent: deque[bool] = deque(maxlen=m)
        self.active_alarm = ""
        self.empty_run = 0

    def update(
        self, detections: list[Detection], image: np.ndarray | None = None, now: datetime | None = None
    ) -> Outcome:
        bikes = [
            d
            for d in detections
            if d.class_name in EBIKE_CLASSES and d.score >= self.min_score and self.car.contains(*d.box.foot)
        ]
        self.recent.append(bool(bikes))
        if self.active_alarm:
            self.empty_run = 0 if bikes else self.empty_run + 1
            if self.empty_run >= self.clear_after:
                cleared, self.active_alarm = self.active_alarm, ""
                self.recent.clear()
                return Outcome("cleared", cleared)
            return Outcome()
        if sum(self.recent) >= self.n:
            best = max(bikes, key=lambda d: d.score) if bikes else None
            self.active_alarm, self.empty_run = str(uuid.uuid4()), 0
            return Outcome("alarm", self.active_alarm, best.box if best else None, best.score if best else 0.0)
        return Outcome()


def _in_windows(now: datetime, windows: list[tuple[time, time]]) -> bool:
    t = now.time()
    # A window past midnight (22:00-02:00) holds the times after its start or before its end.
    return any(start <= t < end if start <= end else (t >= start or t < end) for start, end in windows)


def parse_windows(texts: list[str]) -> list[tuple[time, time]]:
    """'07:00-09:00' -> (07:00, 09:00)."""
    out = []
    for text in texts:
        start, end = text.split("-")
        out.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
    return out


class LitterRule:
    """垃圾分类: outside the disposal windows, something new that stays on the apron for `persist` frames
    (a blob against a slowly learned background, not a person) raises one alarm; the same pile does not
    alarm again while it stays."""

    def __init__(
        self,
        apron: Polygon,
        *,
        windows: list[str],
        tz: str = "Asia/Shanghai",
        persist: int = 5,
        min_area_ratio: float = 0.01,
        learning_rate: float = 0.002,
    ):
        self.apron, self.windows, self.tz = apron, parse_windows(windows), ZoneInfo(tz)
        self.persist, self.min_area_ratio, self.learning_rate = persist, min_area_ratio, learning_rate
        self.background: np.ndarray | None = None
        self.candidate: Box | None = None
        self.seen = 0
        self.alarmed: list[Box] = []

    def update(self, detections: list[Detection], image: np.ndarray, now: datetime) -> Outcome:
        gray = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (5, 5), 0).astype(np.float32)
        mask = self.apron.mask(*gray.shape)
        if self.background is None or self.background.shape != gray.shape:
            self.background = gray.copy()  # the first frame is the empty apron
            return Outcome()
        diff = cv2.absdiff(gray, self.background)
        cv2.accumulateWeighted(gray, self.background, self.learning_rate)
        fg = ((diff > 30).astype(np.uint8) * 255) & mask
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
        contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_area = self.min_area_ratio * float(mask.sum() / 255)
        people = [d.box for d in detections if d.class_name == "person"]
        blobs = []
        for c in contours:
            if cv2.contourArea(c) < min_area:
                continue
            x, y, w, h = cv2.boundingRect(c)
            box = Box(x, y, x + w, y + h)
            if not any(box.iou(p) > 0.3 for p in people):  # people come and go; litter stays
                blobs.append(box)
        self.alarmed = [b for b in self.alarmed if any(b.iou(x) > 0.3 for x in blobs)]  # cleared piles forget
        fresh = [b for b in blobs if not any(b.iou(a) > 0.3 for a in self.alarmed)]
        if not fresh:
            self.candidate, self.seen = None, 0
            return Outcome()
        biggest = max(fresh, key=lambda b: (b.x2 - b.x1) * (b.y2 - b.y1))
        if self.candidate is not None and biggest.iou(self.candidate) > 0.5:
            self.seen += 1
        else:
            self.candidate, self.seen = biggest, 1
        if self.seen >= self.persist and not _in_windows(now.astimezone(self.tz), self.windows):
            self.alarmed.append(biggest)
            self.candidate, self.seen = None, 0
            return Outcome("alarm", str(uuid.uuid4()), biggest, 1.0)
        return Outcome()


class CrowdRule:
    """大客流: people standing in each zone, smoothed (exponential moving average) into observations."""

    def __init__(self, zones: dict[str, Polygon], *, alpha: float = 0.3, min_score: float = 0.5):
        self.zones, self.alpha, self.min_score = zones, alpha, min_score
        self.smoothed: dict[str, float] = {}

    def update(
        self, detections: list[Detection], image: np.ndarray | None = None, now: datetime | None = None
    ) -> Outcome:
        counts = {}
        for zone_id, polygon in self.zones.items():
            n = sum(
                1
                for d in detections
                if d.class_name == "person" and d.score >= self.min_score and polygon.contains(*d.box.foot)
            )
            prev = self.smoothed.get(zone_id)
            counts[zone_id] = n if prev is None else self.alpha * n + (1 - self.alpha) * prev
        self.smoothed = counts
        return Outcome("observation", counts=dict(counts))
