"""Storing device events in JetStream, shared by the gRPC stream and the MQTT bridge."""

import asyncio
import logging
import time

import grpc
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2
from microbrain_kit.bus import Bus
from microbrain_kit.service import failpoint
from opentelemetry import trace

from microbrain_ingest.domain import service
from microbrain_ingest.domain.models import DeviceInfo
from microbrain_ingest.metrics import EVENT_STORE_SECONDS, REFUSED, TRANSPORT_LABEL

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class EventStore:
    """Publishes a validated device event (and its alarm) and reports, as an Ack, whether it is durable."""

    def __init__(self, bus: Bus, publish_timeout_s: float = 10.0) -> None:
        self.bus, self.publish_timeout_s = bus, publish_timeout_s

    async def store(self, device: DeviceInfo, event: resources_pb2.DeviceEvent, transport: int) -> pb.Ack:
        """Acks with code OK only once JetStream holds the event; UNAVAILABLE tells the device to resend."""
        started = time.perf_counter()
        label = TRANSPORT_LABEL[transport]
        try:
            if event.HasField("alarm"):  # an alarm starts an incident: give it a span of its own
                with tracer.start_as_current_span("device alarm", attributes={"device.id": device.device_id}):
                    futures = await self._publish(device, event, transport)
            else:
                futures = await self._publish(device, event, transport)
            acks = await asyncio.wait_for(asyncio.gather(*futures), timeout=self.publish_timeout_s)
        except Exception as exc:
            REFUSED.labels(label, "UNAVAILABLE").inc()
            log.warning("event %s of %s not stored: %r", event.event_id, device.device_id, exc)
            return pb.Ack(
                event_id=event.event_id,
                code=grpc.StatusCode.UNAVAILABLE.value[0],
                message=f"not stored ({type(exc).__name__}); resend with the same event_id",
            )
        failpoint("ingest.after_persist")
        outcome = "duplicate" if acks[0].duplicate else "stored"
        EVENT_STORE_SECONDS.labels(label, outcome).observe(time.perf_counter() - started)
        return pb.Ack(event_id=event.event_id, duplicate=bool(acks[0].duplicate), stream_sequence=acks[0].seq)

    async def _publish(self, device, event, transport) -> list[asyncio.Future]:
        return [
            await self.bus.publish_async(subject, message, msg_id=msg_id)
            for subject, msg_id, message in service.recorded_events(device, event, transport)
        ]
