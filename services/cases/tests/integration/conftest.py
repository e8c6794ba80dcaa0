"""Cases running in-process on a real nats-server and a real database, called through real channels."""

import uuid
from datetime import UTC, datetime

import grpc
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain.common.v1 import common_pb2
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App
from microbrain_kit.testing import eventually, stream_messages


def alarm(type_="ebike_in_elevator", *, grid, alarm_id=None, place_id="gengduyuan-22", occurred_at=None, **kw):
    """An AlarmRaised as a producer would publish it."""
    meta = common_pb2.EventMeta(event_id=alarm_id or str(uuid.uuid4()), grid_id=grid, producer="vision")
    meta.occurred_at.FromDatetime(occurred_at or datetime.now(UTC))
    return alarms_pb2.AlarmRaised(
        meta=meta,
        type=type_,
        severity=common_pb2.SEVERITY_CRITICAL,
        source="vision",
        place_id=place_id,
        location=common_pb2.GeoPoint(lat=31.1872, lon=121.3951),
        device=common_pb2.DeviceRef(grid_id=grid, device_id="cam-gdy22-lift-a"),
        title="电动车进入电梯",
        **kw,
    )


@pytest.fixture
def settings(nats_url, database, tmp_path) -> CasesSettings:
    return CasesSettings(
        grid_id=f"t-{uuid.uuid4().hex[:8]}",
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        timer_interval_s=0.1,
    )


@pytest.fixture
async def app(settings):
    app = App(settings)
    await app.start()
    yield app
    await app.stop()


@pytest.fixture
async def stub(app):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        yield pb_grpc.CaseServiceStub(channel)


@pytest.fixture
def raise_alarm(nc, settings):
    """Publishes an alarm on the grid's alarm stream, as ingest or vision do."""

    async def _raise(type_="ebike_in_elevator", **kw) -> alarms_pb2.AlarmRaised:
        a = alarm(type_, grid=settings.grid_id, **kw)
        await nc.jetstream().publish(
            f"mb.{settings.grid_id}.alarms.raised", a.SerializeToString(), headers={"Nats-Msg-Id": a.meta.event_id}
        )
        return a

    return _raise


@pytest.fixture
def h():
    """Helpers (conftest modules cannot be imported)."""

    class Helpers:
        alarm = staticmethod(alarm)
        eventually = staticmethod(eventually)

        @staticmethod
        async def subject_messages(nc, stream: str, subject: str) -> list:
            return await stream_messages(nc.jetstream(), stream, subject)

    return Helpers
