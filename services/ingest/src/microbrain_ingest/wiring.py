"""Builds ingest from its settings: database, bus, stream, servicer, presence, command routing, MQTT bridge."""

import asyncio
import logging
from pathlib import Path

from microbrain.ingest.v1 import ingest_service_pb2, ingest_service_pb2_grpc
from microbrain_kit import errors
from microbrain_kit.alarms import ensure_alarm_stream
from microbrain_kit.bus import Bus, stream_name
from microbrain_kit.db import OutboxRelay, create_engine, migrate, session_factory
from microbrain_kit.server import GrpcServer, Registration
from nats.aio.msg import Msg

from microbrain_ingest.adapters.commands import CommandRouter
from microbrain_ingest.adapters.events import EventStore
from microbrain_ingest.adapters.grpc_api import DeviceStream, IngestServicer
from microbrain_ingest.adapters.presence import Presence
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.domain.models import outbox
from microbrain_ingest.domain.service import DOMAIN, Limits

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = ingest_service_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name


class App:
    """Everything one ingest replica runs; start() and stop() in the order that loses nothing."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url, schema=settings.database_schema or None)
        self.sessions = session_factory(self.engine)
        self.limits = Limits(settings.max_event_bytes, settings.max_future_skew_s)
        self.stream = stream_name(settings.grid_id, DOMAIN)
        self.kick_subject = f"mbrpc.{settings.grid_id}.ingest.kick"
        self.streams: dict[str, tuple[DeviceStream, object]] = {}
        self.mqtt = None
        self.grpc = GrpcServer(
            service=DOMAIN,
            registrations=[
                Registration(
                    ingest_service_pb2_grpc.add_IngestServiceServicer_to_server,
                    IngestServicer(self),
                    SERVICE_NAME,
                )
            ],
            host=settings.grpc_host,
            port=settings.grpc_port,
            max_message_bytes=max(4 * 1024 * 1024, 2 * settings.max_event_bytes),
        )

    async def start(self) -> None:
        """Migrates, connects, declares the stream, then opens the doors (gRPC last)."""
        await migrate(self.engine, MIGRATIONS, version_table="ingest_alembic_version")
        self.bus = await Bus.connect(self.settings.nats_url, name=f"ingest-{self.settings.grid_id}")
        await self.bus.ensure_stream(
            self.stream,
            [f"mb.{self.settings.grid_id}.{DOMAIN}.*"],
            duplicate_window_s=self.settings.dedupe_window_s,
        )
        self.alarm_stream = await ensure_alarm_stream(self.bus, self.settings.grid_id)
        self.events = EventStore(self.bus)
        self.events.start()
        self.router = CommandRouter(self.bus, self.settings.grid_id)
        self.relay = OutboxRelay(self.sessions, outbox, self.bus)
        self.presence = Presence(
            self.sessions,
            self.relay,
            interval_s=self.settings.presence_interval_s,
            misses=self.settings.heartbeat_misses,
            on_offline=self._on_offline,
        )
        self._kicks = await self.bus.nc.subscribe(self.kick_subject, cb=self._on_kick)
        self.relay.start()
        self.presence.start()
        if self.settings.mqtt_url:
            from microbrain_ingest.adapters.mqtt_bridge import MqttBridge

            self.mqtt = MqttBridge(self)
            await self.mqtt.start()
        self.port = await self.grpc.start()

    async def stop(self) -> None:
        """Stops taking traffic, answers in-flight events, saves presence, flushes the outbox, drains NATS."""
        await self.grpc.health.enter_graceful_shutdown()
        streams = [stream for stream, _ in self.streams.values()]
        try:  # device streams never end by themselves: end them once their events in flight are answered
            await asyncio.wait_for(
                asyncio.gather(*(s.shut_down() for s in streams)), timeout=self.settings.shutdown_grace_s
            )
        except TimeoutError:
            log.warning("device streams still storing events after %ss; closing anyway", self.settings.shutdown_grace_s)
        await self.grpc.stop(self.settings.shutdown_grace_s)
        if self.mqtt:
            await self.mqtt.stop()
        await self._kicks.unsubscribe()
        await self.presence.stop()
        await self.relay.stop()
        await self.events.stop()
        await self.bus.close()
        await self.engine.dispose()

    # -- live connections --------------------------------------------------------------------

    async def register_stream(self, stream: DeviceStream):
        """Makes a stream the device's live connection here (closing an older one) and routes commands to it."""
        device_id = stream.device.device_id
        if device_id in self.streams:
            old, _ = self.streams[device_id]
            old.close(errors.FailedPrecondition(f"device {device_id} opened a newer stream; this one is closed"))
        subscription = await self.router.attach(device_id, stream.deliver)
        self.streams[device_id] = (stream, subscription)
        return subscription

    async def unregister_stream(self, stream: DeviceStream, subscription) -> None:
        """Forgets a stream that ended."""
        await subscription.unsubscribe()
        current = self.streams.get(stream.device.device_id)
        if current and current[0] is stream:
            del self.streams[stream.device.device_id]

    async def kick(self, device_id: str) -> None:
        """Tells every replica to drop the device's connections and cached credentials."""
        await self.bus.nc.publish(self.kick_subject, device_id.encode())
        await self.bus.nc.flush()

    async def _on_kick(self, msg: Msg) -> None:
        device_id = msg.data.decode()
        if device_id in self.streams:
            self.streams[device_id][0].close(
                errors.Unauthenticated(
                    f"device {device_id} was disabled or its secret rotated; reconnect with current credentials"
                )
            )
        if self.mqtt:
            self.mqtt.forget([device_id])

    def _on_offline(self, device_ids: list[str]) -> None:
        if self.mqtt:
            self.mqtt.forget(device_ids)


async def build(settings: IngestSettings) -> App:
    """The runtime of `python -m microbrain_ingest`."""
    return App(settings)
