"""The simulator's cameras against the real vision service (in-process, real detector, the session's nats-server):
frames made from real photos make the e-bike alarm fire and clear and the bag left on the apron alarm, and the
crowd cameras are counted."""

import asyncio
import random
import uuid
from pathlib import Path

import pytest
import yaml
from microbrain.alarms.v1 import alarms_pb2
from microbrain_cli.cameras import CameraFeeds, camera_shows
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_kit.testing import stream_messages
from microbrain_vision.config import VisionSettings
from microbrain_vision.wiring import App

ROOT = Path(__file__).resolve().parents[4]
MODEL = ROOT / "models" / "nanodet-m.onnx"
LIFT_CAMERA, REFUSE_CAMERA = "cam-gdy22-lift-a", "cam-gdy-refuse-1"


@pytest.fixture
def cameras_yaml(tmp_path) -> Path:
    """The repository's cameras, with the garbage room's disposal windows taken away: litter alarms whatever the
    hour the test runs at (the windows themselves are vision's own tests' business)."""
    data = yaml.safe_load((ROOT / "deploy" / "vision" / "cameras.yaml").read_text(encoding="utf-8"))
    for camera in data["cameras"]:
        if camera["camera_id"] == REFUSE_CAMERA:
            camera["allowed_windows"] = []
    path = tmp_path / "cameras.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
async def vision(nats_url, cameras_yaml):
    assert MODEL.is_file(), f"{MODEL} is missing: run `make model`"
    app = App(
        VisionSettings(
            grid_id=f"t-{uuid.uuid4().hex[:8]}",
            database_url="unused",
            nats_url=nats_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
            model_path=str(MODEL),
            cameras=str(cameras_yaml),
        )
    )
    await app.start()
    yield app
    await app.stop()


async def test_the_simulated_cameras_make_vision_alarm_clear_and_count(vision, js):
    grid = grid_scenario(load_scenario(ROOT / "deploy" / "scenarios" / "hongqiao.yaml"), "jinhui-shanghong")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    shows = camera_shows(grid.devices, scene_every_s=1, start=loop.time(), rng=random.Random(3))
    feeds = CameraFeeds(target=f"127.0.0.1:{vision.port}", shows=shows, stop=stop)
    running = asyncio.create_task(feeds.run())
    wanted = {(LIFT_CAMERA, "alarm"), (LIFT_CAMERA, "cleared"), (REFUSE_CAMERA, "alarm")}
    try:
        deadline = loop.time() + 40
        while not wanted <= set(feeds.stats.findings) and loop.time() < deadline and not running.done():
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
    findings = feeds.stats.findings
    assert wanted <= set(findings), findings
    assert findings["cam-aegean-atrium", "observation"] and findings["cam-seoul-street", "observation"]
    assert feeds.stats.refused == 0 and feeds.stats.sent >= feeds.stats.answered > 0

    grid_id = vision.settings.grid_id
    raised = [alarms_pb2.AlarmRaised.FromString(m.data) for m in await stream_messages(js, f"mb-{grid_id}-alarms")]
    assert {(a.type, a.device.device_id) for a in raised} == {
        ("ebike_in_elevator", LIFT_CAMERA),
        ("litter_off_hours", REFUSE_CAMERA),
    }
