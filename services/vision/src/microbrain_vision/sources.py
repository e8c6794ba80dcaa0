"""Pulled sources: for cameras configured with `source:` (RTSP, HTTP or a video file), vision reads frames
itself with OpenCV and feeds them through the same pipeline as streamed frames, at the camera's fps."""

import asyncio
import logging
import time
from datetime import UTC, datetime

import cv2

from microbrain_vision.cameras import CameraSpec
from microbrain_vision.metrics import FRAMES
from microbrain_vision.pipeline import Frame

log = logging.getLogger(__name__)


class SourcePuller:
    """Reads one camera's source in a thread and submits its newest frame every 1/fps seconds; reconnects
    with backoff when the source fails, and starts a file over when it ends (a looping demo feed)."""

    def __init__(self, spec: CameraSpec, pipeline) -> None:
        self.spec, self.pipeline = spec, pipeline
        self.seq = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"source-{self.spec.camera_id}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            capture = await asyncio.to_thread(cv2.VideoCapture, self.spec.source)
            try:
                if not capture.isOpened():
                    raise ConnectionError("cannot open the source")
                log.info("pulling %s from %s at %g fps", self.spec.camera_id, self.spec.source, self.spec.fps)
                backoff = 1.0
                await self._pull(capture)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("source of %s failed (%s); retrying in %.0fs", self.spec.camera_id, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)
            finally:
                capture.release()

    async def _pull(self, capture: cv2.VideoCapture) -> None:
        interval = 1.0 / self.spec.fps
        while True:
            started = time.monotonic()
            ok, image = await asyncio.to_thread(capture.read)
            if not ok:
                if capture.set(cv2.CAP_PROP_POS_FRAMES, 0):  # a file: loop it
                    continue
                raise ConnectionError("the stream ended")
            self.seq += 1
            self.pipeline.submit(Frame(self.spec.camera_id, self.seq, datetime.now(UTC), image, self._answered))
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    def _answered(self, response) -> None:
        if response.code:
            FRAMES.labels(self.spec.camera_id, "refused").inc()
            log.warning("frame of %s not processed: %s", self.spec.camera_id, response.message)
