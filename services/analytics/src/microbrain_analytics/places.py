"""The grid's places and crowd zones, read from YAML in the scenario file's format."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_WINDOW = re.compile(r"^(\d{1,2}):00-(\d{1,2}):00$")


class PlacesError(ValueError):
    """The places file is not usable; the message says where and why."""


@dataclass(frozen=True)
class Window:
    """Whole hours of the day, local time; end < start runs past midnight. "18:00-20:00" is Window(18, 20)."""

    start: int
    end: int

    def hours(self) -> list[int]:
        """The hours of the day it covers: Window(22, 1) → [22, 23, 0]."""
        return [(self.start + i) % 24 for i in range((self.end - self.start) % 24 or 24)]

    def __str__(self) -> str:
        return f"{self.start:02d}:00-{self.end:02d}:00"


def parse_window(text: str) -> Window:
    """ "07:00-09:00" → Window(7, 9); whole hours only (roll-ups are hourly)."""
    m = _WINDOW.match(text.strip())
    if not m or not (0 <= int(m[1]) <= 23 and 0 <= int(m[2]) <= 24) or int(m[1]) == int(m[2]) % 24:
        raise PlacesError(f"disposal window {text!r} is not HH:00-HH:00 with two different whole hours")
    return Window(int(m[1]), int(m[2]) % 24)


@dataclass(frozen=True)
class Place:
    place_id: str
    name: str
    kind: str
    windows: tuple[Window, ...] = ()
    at: tuple[float, float] | None = None

    @property
    def is_garbage_room(self) -> bool:
        return self.kind == "garbage room"


@dataclass(frozen=True)
class Zone:
    """A crowd zone: thresholds with hysteresis, and how its cameras and Wi-Fi probes see it."""

    zone_id: str
    place_id: str
    name: str
    warning: float
    critical: float
    # camera id → share of the zone's area that camera sees (their sum, capped at 1, is the coverage).
    cameras: dict[str, float] = field(default_factory=dict)
    # Share of the people in the zone whose phones a probe sees.
    phone_share: float = 0.7
    # A level clears only when the estimate falls this share below its threshold.
    hysteresis: float = 0.1

    @property
    def coverage(self) -> float:
        return min(1.0, sum(self.cameras.values()))


@dataclass(frozen=True)
class Places:
    places: dict[str, Place] = field(default_factory=dict)
    zones: dict[str, Zone] = field(default_factory=dict)

    def name(self, place_id: str) -> str:
        place = self.places.get(place_id)
        return place.name if place else place_id

    def garbage_rooms(self) -> list[Place]:
        return [p for p in self.places.values() if p.is_garbage_room]


def _share(value: object, what: str) -> float:
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        share = -1.0
    if not 0 < share <= 1:
        raise PlacesError(f"{what} is {value!r}: it must be a share above 0 and at most 1")
    return share


def parse_places(data: dict, grid_id: str) -> Places:
    """The places and zones of one grid from the scenario's mapping (places of other grids are left out)."""
    places: dict[str, Place] = {}
    for p in data.get("places") or []:
        if p.get("grid", grid_id) != grid_id:
            continue
        windows = tuple(parse_window(w) for w in p.get("disposal_windows") or [])
        at = tuple(float(v) for v in p["at"]) if p.get("at") else None
        places[p["id"]] = Place(p["id"], p.get("name", p["id"]), p.get("kind", ""), windows, at)
    zones: dict[str, Zone] = {}
    for z in data.get("crowd_zones") or []:
        if z.get("place") not in places:
            continue
        where = f"crowd zone {z.get('id')}"
        warning, critical = float(z["warning"]), float(z["critical"])
        if not 0 < warning < critical:
            raise PlacesError(f"{where}: warning {warning:g} must be above 0 and below critical {critical:g}")
        cameras = {str(k): _share(v, f"{where} camera {k} coverage") for k, v in (z.get("cameras") or {}).items()}
        zones[z["id"]] = Zone(
            zone_id=z["id"],
            place_id=z["place"],
            name=z.get("name") or places[z["place"]].name,
            warning=warning,
            critical=critical,
            cameras=cameras,
            phone_share=_share(z.get("phone_share", 0.7), f"{where} phone_share"),
            hysteresis=float(z.get("hysteresis", 0.1)),
        )
    return Places(places, zones)


def load_places(path: str, grid_id: str) -> Places:
    """Reads the YAML file at path; an empty path gives no places."""
    if not path:
        return Places()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PlacesError(f"{path}: {exc}") from None
    try:
        return parse_places(data, grid_id)
    except (KeyError, TypeError, ValueError) as exc:
        raise PlacesError(f"{path}: {exc}") from None
