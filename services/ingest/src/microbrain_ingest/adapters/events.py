"""Storing device events in JetStream, shared by the gRPC stream and the MQTT bridge.

The hot path: publish asynchronously (pipelined), and answer each event from a callback when its
PubAck arrives. No task per event; a sweeper fails publishes that JetStream never answers.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

import grpc
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2
from microbrain_kit import telemetry
from microbrain_kit.bus import Bus
from microbrain_kit.service import failpoint
from opentelemetry import context as otel_context
from opentelemetry import trace

from microbrain_ingest.domain import service
from microbrain_ingest.metrics import EVENT_STORE_SECONDS, REFUSED, TRANSPORT_LABEL

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE.value[0]


class EventStore:
    """Publishes a validated device event (and its alarm) and reports, as an Ack, whether it is durable."""

    def __init__(self, bus: Bus, publish_timeout_s: float = 10.0) -> None:
        self.bus, self.publish_timeout_s = bus, publish_timeout_s
        self._waiting: deque[tuple[float, asyncio.Future]] = deque()
        self._sweeper: asyncio.Task | None = None
        self._stored = {t: EVENT_STORE_SECONDS.labels(label, "stored") for t, label in TRANSPORT_LABEL.items()}
        self._duplicate = {t: EVENT_STORE_SECONDS.labels(label, "duplicate") for t, label in TRANSPORT_LABEL.items()}

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep(), name="publish-sweeper")

    async def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)

    async def submit(
        self, recorder: service.EventRecorder, event: resources_pb2.DeviceEvent, on_ack: Callable[[pb.Ack], None]
    ) -> None:
        """Starts storing a valid event; on_ack gets code OK only once JetStream holds it, else UNAVAILABLE."""
        started = time.perf_counter()
        try:
            if event.HasField("alarm"):  # an alarm starts an incident: it gets a span, and a trace, of its own
                connection = trace.get_current_span().get_span_context()
                with tracer.start_as_current_span(
                    "device alarm",
                    context=None if recorder.device_traced else otel_context.Context(),
                    links=[trace.Link(connection)] if connection.is_valid else None,
                    attributes={"device.id": recorder.device.device_id, "alarm.code": event.alarm.code},
                ):
                    futures = await self._publish(recorder.records(event), telemetry.inject())
            else:
                futures = await self._publish(recorder.records(event), recorder.trace)
        except Exception as exc:
            on_ack(self._unavailable(recorder, event, exc))
            return
        done = futures[0] if len(futures) == 1 else asyncio.gather(*futures)
        self._waiting.append((time.monotonic() + self.publish_timeout_s, done))
        done.add_done_callback(lambda f: on_ack(self._answer(f, recorder, event, started)))

    async def store(self, recorder: service.EventRecorder, event: resources_pb2.DeviceEvent) -> pb.Ack:
        """Stores a valid event and returns its Ack (for callers that take one message at a time)."""
        answered: asyncio.Future = asyncio.get_running_loop().create_future()
        await self.submit(recorder, event, answered.set_result)
        return await answered

    async def _publish(self, records: list[service.Record], trace_carrier: dict[str, str]) -> list[asyncio.Future]:
        return [
            await self.bus.publish_async(subject, message, msg_id=msg_id, trace=trace_carrier)
            for subject, msg_id, message in records
        ]

    def _answer(self, done: asyncio.Future, recorder: service.EventRecorder, event, started: float) -> pb.Ack:
        if done.cancelled():
            return self._unavailable(recorder, event, TimeoutError("no answer from JetStream"))
        if done.exception() is not None:
            return self._unavailable(recorder, event, done.exception())
        result = done.result()
        first = result[0] if isinstance(result, list) else result
        failpoint("ingest.after_persist")
        histogram = self._duplicate if first.duplicate else self._stored
        histogram[recorder.transport].observe(time.perf_counter() - started)
        return pb.Ack(event_id=event.event_id, duplicate=bool(first.duplicate), stream_sequence=first.seq)

    def _unavailable(self, recorder: service.EventRecorder, event, exc: BaseException) -> pb.Ack:
        REFUSED.labels(TRANSPORT_LABEL[recorder.transport], "UNAVAILABLE").inc()
        log.warning("event %s of %s not stored: %r", event.event_id, recorder.device.device_id, exc)
        return pb.Ack(
            event_id=event.event_id,
            code=UNAVAILABLE,
            message=f"not stored ({type(exc).__name__}); resend with the same event_id",
        )

    async def _sweep(self) -> None:
        """Cancels publishes past their deadline (their events are answered UNAVAILABLE)."""
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            while self._waiting and (self._waiting[0][1].done() or self._waiting[0][0] < now):
                _, done = self._waiting.popleft()
                done.cancel()
