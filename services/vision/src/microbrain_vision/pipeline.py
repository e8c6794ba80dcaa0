"""Frames to findings: the newest frame of each camera waits for the detector (older ones are dropped and
said so), frames of different cameras are detected in one batch, each camera's rule runs on its
detections, and alarms (with a snapshot in the evidence store), clears and crowd observations go out."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import grpc
import numpy as np
from microbrain.alarms.v1 import alarms_pb2
from microbrain.common.v1 import common_pb2
from microbrain.vision.v1 import events_pb2
from microbrain.vision.v1 import resources_pb2 as res
from microbrain.vision.v1 import vision_service_pb2 as pb
from microbrain_kit import telemetry
from microbrain_kit.alarms import alarm_subject
from microbrain_kit.bus import subject
from microbrain_kit.times import timestamp

from microbrain_vision.metrics import ALARMS, DETECT_SECONDS, FRAME_SECONDS, FRAMES
from microbrain_vision.rules import Box, Detection, Outcome

log = logging.getLogger(__name__)
DOMAIN = "vision"
SEVERITY = {"ebike_in_elevator": common_pb2.SEVERITY_CRITICAL, "litter_off_hours": common_pb2.SEVERITY_WARNING}
TITLES = {"ebike_in_elevator": "电动车进入电梯", "litter_off_hours": "垃圾厢房外乱扔垃圾 (非投放时段)"}


@dataclass
class Frame:
    """One frame waiting for the detector, and where its answer goes."""

    camera_id: str
    seq: int
    captured_at: datetime
    image: np.ndarray  # decoded on arrival, off the detector's critical path
    reply: Callable[[pb.StreamFramesResponse], None]


def decode(data: bytes) -> np.ndarray | None:
    """A BGR image from JPEG/PNG bytes, or None when it is not one."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None


def to_proto(d: Detection) -> res.Detection:
    return res.Detection(
        class_name=d.class_name, score=d.score, box=res.Box(x1=d.box.x1, y1=d.box.y1, x2=d.box.x2, y2=d.box.y2)
    )


def snapshot(image: np.ndarray, box: Box | None) -> bytes:
    """The frame as JPEG, with the finding's box drawn for the person reading the case."""
    marked = image.copy()
    if box is not None:
        cv2.rectangle(marked, (int(box.x1), int(box.y1)), (int(box.x2), int(box.y2)), (0, 0, 255), 3)
    _, jpeg = cv2.imencode(".jpg", marked, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return jpeg.tobytes()


class Pipeline:
    """The detector loop of one vision replica."""

    def __init__(self, app) -> None:  # app: microbrain_vision.wiring.App
        self.app = app
        self.slots: dict[str, Frame] = {}
        self.wake = asyncio.Event()
        self.rules = {cid: spec.rule() for cid, spec in app.cameras.items()}
        self.last_observation: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="vision-pipeline")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def submit(self, frame: Frame) -> None:
        """Queues a frame; a frame of the same camera still waiting is dropped (the newest wins)."""
        stale = self.slots.pop(frame.camera_id, None)
        if stale is not None:
            FRAMES.labels(stale.camera_id, "dropped").inc()
            stale.reply(
                pb.StreamFramesResponse(
                    seq=stale.seq, dropped=True, message="dropped: a newer frame of this camera came first"
                )
            )
        self.slots[frame.camera_id] = frame
        self.wake.set()

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.slots:
                batch = [self.slots.pop(cid) for cid in list(self.slots)[: self.app.settings.batch_size]]
                try:
                    await self._process(batch)
                except Exception:
                    log.exception("frame batch failed")
                    for f in batch:
                        f.reply(
                            pb.StreamFramesResponse(
                                seq=f.seq,
                                code=grpc.StatusCode.INTERNAL.value[0],
                                message="internal error; frame not processed",
                            )
                        )

    async def _process(self, batch: list[Frame]) -> None:
        good = [(frame, frame.image) for frame in batch]
        started = time.perf_counter()
        found = await asyncio.to_thread(self.app.detector.detect, [image for _, image in good])
        DETECT_SECONDS.labels(str(len(good))).observe(time.perf_counter() - started)
        for (frame, image), dets in zip(good, found, strict=True):
            detections = [Detection(d.class_name, d.score, Box(*d.box)) for d in dets]
            outcome = self.rules[frame.camera_id].update(detections, image, frame.captured_at)
            finding = await self._act(frame, image, outcome)
            FRAMES.labels(frame.camera_id, "processed").inc()
            FRAME_SECONDS.labels(frame.camera_id).observe(
                max(0.0, (datetime.now(UTC) - frame.captured_at).total_seconds())
            )
            frame.reply(
                pb.StreamFramesResponse(
                    seq=frame.seq,
                    detections=[to_proto(d) for d in detections],
                    finding=finding,
                    model_version=self.app.detector.model_version,
                )
            )

    async def _act(self, frame: Frame, image: np.ndarray, outcome: Outcome) -> res.Finding:
        """Publishes what the rule concluded; returns it for the reply."""
        spec, grid = self.app.cameras[frame.camera_id], self.app.settings.grid_id
        finding = res.Finding(kind=outcome.kind, alarm_id=outcome.alarm_id, captured_at=timestamp(frame.captured_at))
        if outcome.kind == "alarm":
            ref = await self.app.evidence.put(
                grid,
                await asyncio.to_thread(snapshot, image, outcome.box),
                content_type="image/jpeg",
                captured_at=frame.captured_at,
            )
            ref.video_url = spec.video_url
            alarm = alarms_pb2.AlarmRaised(
                meta=self._meta(outcome.alarm_id, frame.captured_at),
                type=spec.scenario,
                severity=SEVERITY.get(spec.scenario, common_pb2.SEVERITY_WARNING),
                source=DOMAIN,
                place_id=spec.place_id,
                device=common_pb2.DeviceRef(grid_id=grid, device_id=frame.camera_id),
                title=TITLES.get(spec.scenario, spec.scenario),
                evidence=[ref],
                video_url=spec.video_url,
                attributes={"score": f"{outcome.score:.2f}", "model": self.app.detector.model_version}
                | (
                    {"box": f"{outcome.box.x1:.0f},{outcome.box.y1:.0f},{outcome.box.x2:.0f},{outcome.box.y2:.0f}"}
                    if outcome.box
                    else {}
                ),
            )
            await self.app.bus.publish(alarm_subject(grid), alarm, msg_id=outcome.alarm_id)
            ALARMS.labels(frame.camera_id, spec.scenario).inc()
            log.warning("alarm %s at %s (%s)", spec.scenario, frame.camera_id, outcome.alarm_id)
        elif outcome.kind == "cleared":
            event_id = f"{outcome.alarm_id}:cleared"
            await self.app.bus.publish(
                subject(grid, DOMAIN, "scenario_cleared"),
                events_pb2.ScenarioCleared(
                    meta=self._meta(event_id, frame.captured_at),
                    camera_id=frame.camera_id,
                    place_id=spec.place_id,
                    alarm_id=outcome.alarm_id,
                    type=spec.scenario,
                ),
                msg_id=event_id,
            )
        elif outcome.kind == "observation":
            finding.counts.update({k: round(v) for k, v in outcome.counts.items()})
            now = time.monotonic()
            if now - self.last_observation.get(frame.camera_id, 0.0) >= self.app.settings.observation_interval_s:
                self.last_observation[frame.camera_id] = now
                event_id = f"{frame.camera_id}:{frame.captured_at.timestamp():.3f}"
                await self.app.bus.publish(
                    subject(grid, DOMAIN, "crowd_observed"),
                    events_pb2.CrowdObserved(
                        meta=self._meta(event_id, frame.captured_at),
                        camera_id=frame.camera_id,
                        place_id=spec.place_id,
                        counts=outcome.counts,
                    ),
                    msg_id=event_id,
                )
        return finding

    def _meta(self, event_id: str, at: datetime) -> common_pb2.EventMeta:
        carrier = telemetry.inject()
        return common_pb2.EventMeta(
            event_id=event_id,
            grid_id=self.app.settings.grid_id,
            occurred_at=timestamp(at),
            recorded_at=timestamp(datetime.now(UTC)),
            producer=DOMAIN,
            trace=common_pb2.TraceContext(
                traceparent=carrier.get("traceparent", ""), tracestate=carrier.get("tracestate", "")
            ),
        )
