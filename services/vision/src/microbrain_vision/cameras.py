"""The cameras vision watches and the rule each one runs, from a YAML file."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from microbrain.vision.v1 import resources_pb2 as res

from microbrain_vision.rules import CrowdRule, EbikeRule, LitterRule, Polygon

SCENARIOS = {
    "ebike_in_elevator": res.SCENARIO_EBIKE_IN_ELEVATOR,
    "litter_off_hours": res.SCENARIO_LITTER_OFF_HOURS,
    "crowd": res.SCENARIO_CROWD,
}


@dataclass
class CameraSpec:
    camera_id: str
    place_id: str
    scenario: str
    regions: dict[str, list[tuple[float, float]]]
    video_url: str = ""
    allowed_windows: list[str] = field(default_factory=list)
    time_zone: str = "Asia/Shanghai"
    source: str = ""
    """Where vision pulls frames itself (rtsp://, http(s):// or a video file), instead of the camera
    streaming them in; empty for cameras that use StreamFrames."""
    fps: float = 2.0
    """Frames per second taken from a pulled source."""

    def rule(self):
        """A fresh rule instance for this camera."""
        polygons = {name: Polygon([tuple(p) for p in points]) for name, points in self.regions.items()}
        if self.scenario == "ebike_in_elevator":
            return EbikeRule(next(iter(polygons.values())))
        if self.scenario == "litter_off_hours":
            return LitterRule(next(iter(polygons.values())), windows=self.allowed_windows, tz=self.time_zone)
        return CrowdRule(polygons)

    def to_proto(self, grid_id: str) -> res.Camera:
        return res.Camera(
            camera_id=self.camera_id,
            grid_id=grid_id,
            place_id=self.place_id,
            scenario=SCENARIOS[self.scenario],
            video_url=self.video_url,
            allowed_windows=self.allowed_windows,
            time_zone=self.time_zone,
            regions=[
                res.Region(region_id=name, polygon=[res.Point(x=x, y=y) for x, y in points])
                for name, points in self.regions.items()
            ],
        )


def load_cameras(path: str) -> dict[str, CameraSpec]:
    """Cameras by id from a YAML file (see deploy/vision/cameras.yaml); a bad entry fails with its camera id."""
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text()) or {}
    cameras = {}
    for entry in data.get("cameras", []):
        spec = CameraSpec(**entry)
        if spec.scenario not in SCENARIOS:
            raise ValueError(f"{path}: camera {spec.camera_id}: scenario must be one of {', '.join(SCENARIOS)}")
        if not spec.regions:
            raise ValueError(f"{path}: camera {spec.camera_id}: needs at least one region")
        spec.rule()  # polygons are checked here
        cameras[spec.camera_id] = spec
    return cameras
