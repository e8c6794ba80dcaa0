"""Simulated cameras: each streams its frames (scenes.py) to vision over StreamFrames and says what vision
found: an alarm raised or cleared."""

import asyncio
import contextlib
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
from microbrain.vision.v1 import vision_service_pb2 as pb
from microbrain.vision.v1 import vision_service_pb2_grpc as pb_grpc

from microbrain_cli.scenario import DeviceSpec
from microbrain_cli.scenes import SCENARIOS, CameraShow, camera_show

log = logging.getLogger(__name__)

_BACKOFF_FIRST_S, _BACKOFF_MAX_S = 0.5, 5.0
# Like the device streams: find a restarted local vision within seconds, not gRPC's default 2 minutes.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 5000),
]


class StreamEnded(Exception):
    """A frame stream ended with a non-OK status (same accessors as grpc.aio.AioRpcError)."""

    def __init__(self, code: grpc.StatusCode, details: str | None) -> None:
        super().__init__(f"{code.name}: {details or ''}")
        self._code, self._details = code, details or ""

    def code(self) -> grpc.StatusCode:
        """Returns the stream's status code."""
        return self._code

    def details(self) -> str:
        """Returns the stream's status message."""
        return self._details


@dataclass
class FrameStats:
    """What the cameras sent and what vision answered."""

    sent: int = 0
    answered: int = 0
    dropped: int = 0  # vision had a newer frame of the same camera
    refused: int = 0
    alarms: int = 0
    cleared: int = 0
    # (camera id, finding kind) -> how many answers said so: "alarm", "cleared", "observation".
    findings: Counter[tuple[str, str]] = field(default_factory=Counter)


def camera_shows(
    devices: list[DeviceSpec], *, scene_every_s: float, start: float, rng: random.Random
) -> list[CameraShow]:
    """A show for each camera of the grid whose scenario vision watches (e-bike, litter, crowd)."""
    return [
        camera_show(
            spec.device_id,
            spec.labels["scenario"],
            scene_every_s=scene_every_s,
            start=start,
            rng=random.Random(rng.random()),
        )
        for spec in devices
        if spec.labels.get("scenario") in SCENARIOS
    ]


class CameraFeeds:
    """Streams every show to one vision service until stopped, reconnecting when vision goes away."""

    def __init__(self, *, target: str, shows: list[CameraShow], stop: asyncio.Event) -> None:
        self.target = target
        self.shows = shows
        self.stats = FrameStats()
        self.streaming: set[str] = set()
        self._stop = stop
        self._waiting_logged = False

    async def run(self) -> None:
        """Runs every camera until the stop event is set."""
        log.info("streaming %d cameras to vision at %s", len(self.shows), self.target)
        async with grpc.aio.insecure_channel(self.target, options=_CHANNEL_OPTIONS) as channel:
            stub = pb_grpc.VisionServiceStub(channel)
            await asyncio.gather(*(self._camera_loop(stub, show) for show in self.shows))

    async def _camera_loop(self, stub: pb_grpc.VisionServiceStub, show: CameraShow) -> None:
        backoff = _BACKOFF_FIRST_S
        while not self._stop.is_set():
            answered = False
            try:
                answered = await self._stream(stub, show)
            except (grpc.aio.AioRpcError, StreamEnded) as e:
                if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    if not self._waiting_logged:
                        log.info("waiting for vision at %s (%s)", self.target, e.code().name)
                        self._waiting_logged = True
                else:
                    log.warning("%s: frame stream failed: %s %s", show.camera_id, e.code().name, e.details())
            except Exception:
                log.exception("%s: unexpected error in the frame stream; reconnecting", show.camera_id)
            finally:
                self.streaming.discard(show.camera_id)
            if answered:
                backoff = _BACKOFF_FIRST_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX_S)

    async def _stream(self, stub: pb_grpc.VisionServiceStub, show: CameraShow) -> bool:
        """One StreamFrames call, until stop or failure; returns whether vision answered on it."""
        call = stub.StreamFrames()
        state = {"answered": False}
        reader = asyncio.create_task(self._read(call, show, state))
        writer = asyncio.create_task(self._write(call, show))
        stopping = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({reader, writer, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                writer.cancel()
                with contextlib.suppress(Exception):
                    await call.done_writing()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(reader, 2.0)
                return state["answered"]
            for task in (reader, writer):
                if task in done and task.exception() is not None:
                    err = task.exception()
                    if task is writer and not isinstance(err, grpc.aio.AioRpcError):
                        # A write on a finished call fails without the status; the call has it.
                        code = await asyncio.wait_for(call.code(), 5.0)
                        if code == grpc.StatusCode.OK:
                            break  # vision closed the stream as it stopped
                        raise StreamEnded(code, await call.details())
                    raise err
            return state["answered"]  # vision closed the stream (a restart): reconnect
        finally:
            for task in (reader, writer, stopping):
                task.cancel()
            await asyncio.gather(reader, writer, stopping, return_exceptions=True)
            call.cancel()

    async def _write(self, call: grpc.aio.StreamStreamCall, show: CameraShow) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / show.fps
        seq, last_shown = 0, ""
        next_at = loop.time()
        while True:
            image, shown = show.frame(loop.time())
            if shown != last_shown and show.scenario != "crowd":
                if last_shown:  # the first frame is no news
                    log.info("%s now shows: %s", show.camera_id, shown)
                last_shown = shown
            seq += 1
            request = pb.StreamFramesRequest(seq=seq, camera_id=show.camera_id, image=image)
            request.captured_at.FromDatetime(datetime.now(UTC))
            await call.write(request)
            self.stats.sent += 1
            next_at += period
            # Behind (vision slow, or the machine busy): skip the missed ticks rather than burst to catch up.
            next_at = max(next_at, loop.time())
            await asyncio.sleep(next_at - loop.time())

    async def _read(self, call: grpc.aio.StreamStreamCall, show: CameraShow, state: dict[str, bool]) -> None:
        last_refusal = ""
        while True:
            reply = await call.read()
            if reply is grpc.aio.EOF:
                return
            if not state["answered"]:
                state["answered"] = True
                self.streaming.add(show.camera_id)
                if self._waiting_logged:
                    log.info("vision at %s is answering", self.target)
                    self._waiting_logged = False
            self.stats.answered += 1
            if reply.code:
                self.stats.refused += 1
                # Every frame of a camera vision does not know is refused the same way: say it once.
                if reply.message != last_refusal:
                    log.warning(
                        "%s: vision refused frame %d: code %d %s", show.camera_id, reply.seq, reply.code, reply.message
                    )
                    last_refusal = reply.message
                continue
            if reply.dropped:
                self.stats.dropped += 1
                continue
            kind = reply.finding.kind
            if kind:
                self.stats.findings[show.camera_id, kind] += 1
            if kind == "alarm":
                self.stats.alarms += 1
                seen = ", ".join(f"{d.class_name} {d.score:.2f}" for d in reply.detections) or "a new object"
                log.warning(
                    "vision: %s alarm at %s (%s), alarm %s", show.scenario, show.camera_id, seen, reply.finding.alarm_id
                )
            elif kind == "cleared":
                self.stats.cleared += 1
                log.info("vision: %s cleared at %s, alarm %s", show.scenario, show.camera_id, reply.finding.alarm_id)
