"""The ingest process killed between JetStream storing an event and the device's ack: the device resends
after the restart, and the event is stored exactly once. Also: SIGTERM stops the process cleanly."""

import os
import signal
import subprocess
import sys
import uuid

import grpc
import pytest
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_kit.testing import free_port


@pytest.fixture
def start_ingest(nats_url, database, service_process):
    grid, port = f"t-{uuid.uuid4().hex[:8]}", free_port()

    async def _start(**extra_env) -> tuple[subprocess.Popen, str]:
        proc = await service_process(
            "microbrain_ingest",
            port,
            MB_GRID_ID=grid,
            MB_NATS_URL=nats_url,
            MB_DATABASE_URL=database.url,
            MB_DATABASE_SCHEMA=database.schema or "",
            MB_GRPC_PORT=str(port),
            MB_METRICS_PORT="0",
            **extra_env,
        )
        return proc, f"127.0.0.1:{port}"

    return _start, grid


async def _send_once(target: str, secret: str, event: res.DeviceEvent) -> pb.Ack:
    async with grpc.aio.insecure_channel(target) as channel:
        call = pb_grpc.IngestServiceStub(channel).StreamEvents(
            metadata=[("x-mb-device-id", "lift-gdy22-a"), ("x-mb-device-secret", secret)]
        )
        await call.write(pb.StreamEventsRequest(seq=1, event=event))
        reply = await call.read()
        call.cancel()
        [ack] = reply.acks
        return ack


async def test_crash_after_persist_before_ack_then_resend_is_stored_once(start_ingest, js, h):
    start, grid = start_ingest
    proc, target = await start(MB_FAILPOINTS="ingest.after_persist")
    async with grpc.aio.insecure_channel(target) as channel:
        reply = await pb_grpc.IngestServiceStub(channel).RegisterDevice(
            pb.RegisterDeviceRequest(device_id="lift-gdy22-a", kind=res.DEVICE_KIND_ELEVATOR_CONTROLLER)
        )
    event = h.lift_event()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _send_once(target, reply.secret, event)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # the device saw no ack
    assert proc.wait(timeout=10) == 137
    stream, subject = f"mb-{grid}-ingest", f"mb.{grid}.ingest.device_event"
    assert len(await h.stream_messages(js, stream, subject)) == 1  # stored before the crash

    proc, target = await start()
    ack = await _send_once(target, reply.secret, event)  # the device resends what was never acked
    assert ack.code == 0 and ack.duplicate
    [msg] = await h.stream_messages(js, stream, subject)
    assert msg.headers["Nats-Msg-Id"] == event.event_id

    async with grpc.aio.insecure_channel(target) as channel:  # a device is connected when ingest is stopped
        call = pb_grpc.IngestServiceStub(channel).StreamEvents(
            metadata=[("x-mb-device-id", "lift-gdy22-a"), ("x-mb-device-secret", reply.secret)]
        )
        await call.write(pb.StreamEventsRequest(seq=2, event=h.lift_event()))
        assert (await call.read()).acks[0].code == 0
        proc.send_signal(signal.SIGTERM)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call.read()
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # told to reconnect, not cut off
        assert "shutting down" in err.value.details()
    assert proc.wait(timeout=20) == 0


def test_missing_configuration_stops_the_service_with_the_variable_names():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MB_")}
    done = subprocess.run(
        [sys.executable, "-m", "microbrain_ingest"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "MB_GRID_ID: is required" in done.stderr and "MB_DATABASE_URL: is required" in done.stderr
