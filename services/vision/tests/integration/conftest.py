"""Vision running in-process with the real detector on real photos (scikit-image's), a real nats-server."""

import uuid
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from microbrain.vision.v1 import vision_service_pb2_grpc as pb_grpc
from microbrain_vision.config import VisionSettings
from microbrain_vision.wiring import App
from skimage import data

ROOT = Path(__file__).resolve().parents[4]
MODEL = ROOT / "models" / "nanodet-m.onnx"
CAMERAS = ROOT / "deploy" / "vision" / "cameras.yaml"


def bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def jpeg(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def lift_car(with_bike: bool) -> np.ndarray:
    """A 640×480 lift-car view: a plain car, with the real motorcycle photo standing on its floor or not."""
    frame = np.full((480, 640, 3), (150, 150, 145), np.uint8)
    frame[300:, :] = (110, 110, 105)
    if with_bike:
        bike = cv2.resize(bgr(data.stereo_motorcycle()[0]), (420, 283))
        frame[190:473, 110:530] = bike
    return frame


def plaza(people: int) -> np.ndarray:
    """A 640×480 plaza with copies of the astronaut photo's person standing in it."""
    frame = np.full((480, 640, 3), (170, 175, 180), np.uint8)
    person = cv2.resize(bgr(data.astronaut()), (200, 200))
    for i in range(people):
        x = 10 + i * 210
        frame[250:450, x : x + 200] = person
    return frame


@pytest.fixture(scope="session")
def model_path() -> Path:
    assert MODEL.is_file(), f"{MODEL} is missing: run `make model`"
    return MODEL


@pytest.fixture
def settings(nats_url, model_path) -> VisionSettings:
    return VisionSettings(
        grid_id=f"t-{uuid.uuid4().hex[:8]}",
        database_url="unused",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        model_path=str(model_path),
        cameras=str(CAMERAS),
    )


@pytest.fixture
async def app(settings):
    app = App(settings)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
async def stub(app):
    async with grpc.aio.insecure_channel(
        f"127.0.0.1:{app.port}", options=[("grpc.max_send_message_length", 16 * 1024 * 1024)]
    ) as channel:
        yield pb_grpc.VisionServiceStub(channel)


@pytest.fixture
def frames():
    """Real-photo frames for the scenarios."""

    class Frames:
        lift_car = staticmethod(lift_car)
        plaza = staticmethod(plaza)
        jpeg = staticmethod(jpeg)
        bgr = staticmethod(bgr)

    return Frames
