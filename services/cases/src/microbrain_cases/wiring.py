"""Builds cases from its settings: database, bus, alarm consumer, SLA timers, evidence store, gRPC API."""

import asyncio
import logging
from pathlib import Path

from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import cases_service_pb2, cases_service_pb2_grpc
from microbrain_kit.alarms import alarm_subject, ensure_alarm_stream
from microbrain_kit.bus import Bus, Consumer, ConsumerSpec, stream_name, subject
from microbrain_kit.db import OutboxRelay, create_engine, migrate, session_factory
from microbrain_kit.evidence import JetStreamEvidenceStore
from microbrain_kit.server import GrpcServer, Registration

from microbrain_cases.adapters.consumers import AlarmConsumer, ClearedConsumer
from microbrain_cases.adapters.grpc_api import CaseServicer
from microbrain_cases.adapters.timers import SlaTimers
from microbrain_cases.config import CasesSettings
from microbrain_cases.domain.models import outbox
from microbrain_cases.domain.policies import Policies
from microbrain_cases.domain.service import DOMAIN

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = cases_service_pb2.DESCRIPTOR.services_by_name["CaseService"].full_name


class App:
    """Everything one cases replica runs."""

    def __init__(self, settings: CasesSettings) -> None:
        self.settings = settings
        self.policies = Policies.load(settings.sla_policies)
        self.engine = create_engine(
            settings.database_url,
            schema=settings.database_schema or None,
            pool_size=settings.consumer_concurrency + 4,  # handlers, the relay, the timers and the API
        )
        self.sessions = session_factory(self.engine)
        self.stream = stream_name(settings.grid_id, DOMAIN)
        self._changed = asyncio.Event()
        self.grpc = GrpcServer(
            service=DOMAIN,
            registrations=[
                Registration(cases_service_pb2_grpc.add_CaseServiceServicer_to_server, CaseServicer(self), SERVICE_NAME)
            ],
            host=settings.grpc_host,
            port=settings.grpc_port,
            max_message_bytes=max(4 * 1024 * 1024, settings.evidence_max_bytes + 1024 * 1024),
        )

    async def start(self) -> None:
        """Migrates, connects, declares streams, then consumes alarms, runs timers and serves."""
        await migrate(self.engine, MIGRATIONS, version_table="cases_alembic_version")
        grid = self.settings.grid_id
        self.bus = await Bus.connect(self.settings.nats_url, name=f"cases-{grid}")
        await self.bus.ensure_stream(self.stream, [f"mb.{grid}.{DOMAIN}.*"])
        alarms = await ensure_alarm_stream(self.bus, grid)
        self.evidence = JetStreamEvidenceStore(
            self.bus.js,
            max_object_bytes=self.settings.evidence_max_bytes,
            retention_s=self.settings.evidence_retention_days * 86400,
        )
        self.relay = OutboxRelay(self.sessions, outbox, self.bus)
        self.relay.start()
        self.timers = SlaTimers(self, self.settings.timer_interval_s)
        self.timers.start()
        self.consumer = Consumer(
            self.bus,
            ConsumerSpec(
                stream=alarms,
                durable="cases",
                filter_subject=alarm_subject(grid),
                message_type=alarms_pb2.AlarmRaised,
                concurrency=self.settings.consumer_concurrency,
                ack_wait_s=self.settings.consumer_ack_wait_s,
            ),
            AlarmConsumer(self),
        )
        self.cleared = Consumer(
            self.bus,
            ConsumerSpec(
                stream=alarms,
                durable="cases-cleared",
                filter_subject=subject(grid, "alarms", "cleared"),
                message_type=alarms_pb2.AlarmCleared,
                concurrency=1,
            ),
            ClearedConsumer(self),
        )
        await self.consumer.start()
        await self.cleared.start()
        self.port = await self.grpc.start()

    async def stop(self) -> None:
        """Stops serving, lets alarms in hand finish (acked or nak'ed), stops timers, flushes, drains."""
        await self.grpc.stop(self.settings.shutdown_grace_s)
        await self.consumer.stop()
        await self.cleared.stop()
        await self.timers.stop()
        await self.relay.stop()
        await self.bus.close()
        await self.engine.dispose()

    def changed(self) -> None:
        """Wakes WatchCases streams of this replica: something was committed."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for_changes(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass


async def build(settings: CasesSettings) -> App:
    """The runtime of `python -m microbrain_cases`."""
    return App(settings)
