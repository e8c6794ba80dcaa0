"""Ingest running in-process on a real nats-server and a real database, called through real channels."""

import asyncio
import uuid
from datetime import UTC, datetime

import grpc
import pytest
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import App
from microbrain_kit.testing import stream_messages


def event(type_: str = "car_state", *, event_id: str | None = None, **body) -> res.DeviceEvent:
    """A device event happening now; body like elevator=res.ElevatorStatus(...)."""
    ev = res.DeviceEvent(event_id=event_id or str(uuid.uuid4()), type=type_, **body)
    ev.occurred_at.FromDatetime(datetime.now(UTC))
    return ev


def lift_event(floor: int = 3, **kw) -> res.DeviceEvent:
    return event("car_state", elevator=res.ElevatorStatus(state=res.ElevatorStatus.STATE_RUNNING, floor=floor), **kw)


class DeviceStream:
    """A device's side of StreamEvents: send requests, read acks and commands."""

    def __init__(self, stub: pb_grpc.IngestServiceStub, device_id: str, secret: str) -> None:
        self.call = stub.StreamEvents(metadata=[("x-mb-device-id", device_id), ("x-mb-device-secret", secret)])
        self.seq = 0

    async def send(self, **message) -> int:
        self.seq += 1
        await self.call.write(pb.StreamEventsRequest(seq=self.seq, **message))
        return self.seq

    async def recv(self, timeout: float = 10) -> pb.StreamEventsResponse:
        return await asyncio.wait_for(self.call.read(), timeout)

    async def acks(self, count: int) -> list[pb.Ack]:
        """Reads responses until count acks have come (commands in between are skipped)."""
        out: list[pb.Ack] = []
        while len(out) < count:
            out += (await self.recv()).acks
        return out

    async def ack_for(self, **message) -> pb.Ack:
        """Sends one message and returns the ack answering it."""
        seq = await self.send(**message)
        while True:
            for ack in (await self.recv()).acks:
                if ack.seq == seq:
                    return ack


@pytest.fixture
def settings(nats_url, database) -> IngestSettings:
    return IngestSettings(
        grid_id=f"t-{uuid.uuid4().hex[:8]}",
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
        presence_interval_s=0.2,
        heartbeat_misses=2,
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
        yield pb_grpc.IngestServiceStub(channel)


@pytest.fixture
def register(stub):
    async def _register(device_id="lift-gdy22-a", kind=res.DEVICE_KIND_ELEVATOR_CONTROLLER, **kw):
        reply = await stub.RegisterDevice(pb.RegisterDeviceRequest(device_id=device_id, kind=kind, **kw))
        return reply.device, reply.secret

    return _register


@pytest.fixture
def open_stream(stub):
    streams = []

    def _open(device_id: str, secret: str) -> DeviceStream:
        stream = DeviceStream(stub, device_id, secret)
        streams.append(stream)
        return stream

    yield _open
    for s in streams:
        s.call.cancel()


async def wait_for_messages(js, stream: str, subject: str, count: int, timeout: float = 10) -> list:
    """Polls until the subject has at least count messages."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msgs = await stream_messages(js, stream, subject)
        if len(msgs) >= count or asyncio.get_running_loop().time() > deadline:
            return msgs
        await asyncio.sleep(0.1)


@pytest.fixture
def h():
    """Helpers for building events and reading the stream (conftest modules cannot be imported)."""

    class Helpers:
        event = staticmethod(event)
        lift_event = staticmethod(lift_event)
        stream_messages = staticmethod(stream_messages)
        wait_for_messages = staticmethod(wait_for_messages)

    return Helpers
