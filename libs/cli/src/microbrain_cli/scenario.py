"""The demo scenario (deploy/scenarios/hongqiao.yaml) turned into the devices of one grid."""

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import yaml
from microbrain.ingest.v1 import resources_pb2 as res

DEFAULT_SCENARIO = Path("deploy/scenarios/hongqiao.yaml")

# Scenario kind names -> proto enum. Radios are not listed under `devices:`; every field unit gets one.
KINDS: dict[str, int] = {
    "elevator_controller": res.DEVICE_KIND_ELEVATOR_CONTROLLER,
    "camera": res.DEVICE_KIND_CAMERA,
    "wifi_probe": res.DEVICE_KIND_WIFI_PROBE,
}

# Device fields that are structure, not labels.
_NOT_LABELS = {"id", "kind", "place"}


class ScenarioError(ValueError):
    """The scenario file does not describe what was asked for."""


@dataclass(frozen=True)
class DeviceSpec:
    """One simulated device as the scenario describes it."""

    device_id: str
    kind: int  # res.DeviceKind
    name: str
    place_id: str
    lat: float
    lon: float
    labels: dict[str, str] = field(default_factory=dict)
    # Wi-Fi probes only: the crowd zone they count and its warning threshold.
    zone_id: str = ""
    zone_warning: int = 0
    # Garbage rooms: when residents may bring their rubbish (定时定点), Shanghai time, [start, end).
    disposal_windows: tuple[tuple[time, time], ...] = ()


@dataclass(frozen=True)
class GridScenario:
    """The devices of one grid, and where its centre is (radios walk around it)."""

    grid_id: str
    name: str
    centre: tuple[float, float]
    devices: list[DeviceSpec]


def load_scenario(path: Path | str = DEFAULT_SCENARIO) -> dict[str, Any]:
    """Reads a scenario YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"scenario file {path} not found (run from the repository root?)") from None
    if not isinstance(data, dict) or "grids" not in data:
        raise ScenarioError(f"{path} is not a scenario file: it has no 'grids:'")
    return data


def _clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def disposal_windows(place: dict[str, Any]) -> tuple[tuple[time, time], ...]:
    """Returns a place's disposal windows ("07:00-09:00") as (start, end) pairs."""
    windows = []
    for text in place.get("disposal_windows") or []:
        start, sep, end = str(text).partition("-")
        try:
            if not sep:
                raise ValueError
            windows.append((_clock(start), _clock(end)))
        except ValueError:
            raise ScenarioError(
                f"place {place.get('id')}: disposal window {text!r} is not HH:MM-HH:MM, e.g. 07:00-09:00"
            ) from None
    return tuple(windows)


def grid_scenario(data: dict[str, Any], grid_id: str) -> GridScenario:
    """Returns the devices of one grid: its listed devices plus one radio per field unit."""
    grids = {g["id"]: g for g in data.get("grids", [])}
    if grid_id not in grids:
        raise ScenarioError(f"unknown grid {grid_id!r}; the scenario has {', '.join(sorted(grids))}")
    grid = grids[grid_id]
    places = {p["id"]: p for p in data.get("places", [])}
    zones_by_place = {z["place"]: z for z in data.get("crowd_zones", [])}

    devices: list[DeviceSpec] = []
    for d in data.get("devices", []):
        place = places.get(d.get("place", ""))
        if place is None:
            raise ScenarioError(f"device {d['id']} is at unknown place {d.get('place')!r}")
        # Devices carry no grid of their own: they belong to the grid of their place.
        if place["grid"] != grid_id:
            continue
        if d["kind"] not in KINDS:
            raise ScenarioError(f"device {d['id']} has unknown kind {d['kind']!r}")
        labels = {k: str(v) for k, v in d.items() if k not in _NOT_LABELS}
        zone = zones_by_place.get(place["id"]) if d["kind"] == "wifi_probe" else None
        if d["kind"] == "wifi_probe" and zone is None:
            raise ScenarioError(f"wifi probe {d['id']} is at {place['id']}, which has no crowd zone")
        devices.append(
            DeviceSpec(
                device_id=d["id"],
                kind=KINDS[d["kind"]],
                name=f"{place['name']} {d.get('note') or d.get('watches') or d.get('zone') or d['id']}",
                place_id=place["id"],
                lat=float(place["at"][0]),
                lon=float(place["at"][1]),
                labels=labels,
                zone_id=zone["id"] if zone else "",
                zone_warning=int(zone["warning"]) if zone else 0,
                disposal_windows=disposal_windows(place),
            )
        )

    centre = (float(grid["centre"][0]), float(grid["centre"][1]))
    for unit in data.get("field_units", []):
        if unit["grid"] != grid_id:
            continue
        members = ", ".join(unit.get("members", []))
        devices.append(
            DeviceSpec(
                device_id=f"radio-{unit['id']}",
                kind=res.DEVICE_KIND_FIELD_UNIT_RADIO,
                name=f"单兵 {unit['id']} ({members})" if members else f"单兵 {unit['id']}",
                place_id="",
                lat=centre[0],
                lon=centre[1],
                labels={"unit": unit["id"], "skills": ",".join(unit.get("skills", []))},
            )
        )
    return GridScenario(grid_id=grid_id, name=grid.get("name", grid_id), centre=centre, devices=devices)
