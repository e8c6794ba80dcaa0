"""Commands to devices (STOP / RESUME for the lift) and heartbeats: online, offline, back online."""

import asyncio
from datetime import timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from microbrain.alarms.v1 import alarms_pb2
from microbrain.ingest.v1 import events_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2 as res


def _timeout(seconds: float) -> Duration:
    d = Duration()
    d.FromTimedelta(timedelta(seconds=seconds))
    return d


async def _answer_commands(stream, outcome=res.CommandAck.OUTCOME_DONE):
    """The lift controller's side: answer every command that comes down the stream."""
    while True:
        reply = await stream.call.read()
        if reply is grpc.aio.EOF:
            return
        if reply.HasField("command"):
            await stream.send(
                command_ack=res.CommandAck(
                    command_id=reply.command.command_id,
                    outcome=outcome,
                    message=f"{reply.command.name} done at floor 3",
                )
            )


async def test_stop_reaches_the_lift_over_its_stream_and_returns_its_ack(app, stub, register, open_stream, js, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    assert (await stream.ack_for(heartbeat=res.Heartbeat())).code == 0
    answering = asyncio.create_task(_answer_commands(stream))
    reply = await stub.SendCommand(
        pb.SendCommandRequest(
            device_id="lift-gdy22-a", name="STOP", args={"reason": "ebike_in_elevator"}, timeout=_timeout(5)
        )
    )
    answering.cancel()
    assert reply.ack.outcome == res.CommandAck.OUTCOME_DONE
    assert reply.ack.command_id == reply.command.command_id and reply.command.args["reason"] == "ebike_in_elevator"
    grid = app.settings.grid_id
    [issued] = await h.wait_for_messages(js, app.stream, f"mb.{grid}.ingest.command_issued", 1)
    [acked] = await h.wait_for_messages(js, app.stream, f"mb.{grid}.ingest.command_acked", 1)
    assert events_pb2.CommandIssued.FromString(issued.data).command.name == "STOP"
    acked_event = events_pb2.CommandAcked.FromString(acked.data)
    assert acked_event.ack.message == "STOP done at floor 3" and acked_event.device.device_id == "lift-gdy22-a"


async def test_silent_device_times_out_with_deadline_exceeded(app, stub, register, open_stream, js, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    assert (await stream.ack_for(heartbeat=res.Heartbeat())).code == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SendCommand(pb.SendCommandRequest(device_id="lift-gdy22-a", name="STOP", timeout=_timeout(0.5)))
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "did not ack STOP within 0.5s" in err.value.details()
    assert (await stream.recv()).command.name == "STOP"  # it was delivered, just never answered
    [timed_out] = await h.wait_for_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.command_timed_out", 1)
    assert "did not ack" in events_pb2.CommandTimedOut.FromString(timed_out.data).reason


async def test_command_to_an_offline_device_fails_at_once_with_a_clear_message(app, stub, register, js, h):
    await register()
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SendCommand(pb.SendCommandRequest(device_id="lift-gdy22-a", name="RESUME", timeout=_timeout(30)))
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "offline" in err.value.details() and "not delivered" in err.value.details()
    assert loop.time() - started < 10  # it did not sit out the 30 s
    msgs = await h.wait_for_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.command_timed_out", 1)
    assert len(msgs) == 1


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"device_id": "lift-gdy22-a", "name": "stop now"}, grpc.StatusCode.INVALID_ARGUMENT),
        (
            {"device_id": "lift-gdy22-a", "name": "STOP", "timeout": _timeout(3600)},
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        ({"device_id": "no-such-lift", "name": "STOP"}, grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_bad_commands_are_refused(stub, register, fields, code):
    await register()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SendCommand(pb.SendCommandRequest(**fields))
    assert err.value.code() == code


async def test_silent_device_goes_offline_with_an_alarm_and_comes_back(app, stub, register, open_stream, js, h):
    hb = Duration(seconds=1)
    _, secret = await register(heartbeat_interval=hb)
    grid = app.settings.grid_id
    stream = open_stream("lift-gdy22-a", secret)
    assert (await stream.ack_for(heartbeat=res.Heartbeat())).code == 0
    await h.wait_for_messages(js, app.stream, f"mb.{grid}.ingest.device_online", 1)
    assert (await stub.GetDevice(pb.GetDeviceRequest(device_id="lift-gdy22-a"))).device.online
    # silence: 1 s heartbeat x 2 allowed misses
    [offline] = await h.wait_for_messages(js, app.stream, f"mb.{grid}.ingest.device_offline", 1, timeout=8)
    went = events_pb2.DeviceWentOffline.FromString(offline.data)
    assert went.allowed_silence.seconds == 2 and went.device.device_id == "lift-gdy22-a"
    [alarm] = await h.wait_for_messages(js, app.alarm_stream, f"mb.{grid}.alarms.raised", 1)
    raised = alarms_pb2.AlarmRaised.FromString(alarm.data)
    assert (raised.type, raised.source, raised.device.device_id) == ("device_offline", "ingest", "lift-gdy22-a")
    assert not (await stub.GetDevice(pb.GetDeviceRequest(device_id="lift-gdy22-a"))).device.online
    assert (await stream.ack_for(heartbeat=res.Heartbeat())).code == 0
    online = await h.wait_for_messages(js, app.stream, f"mb.{grid}.ingest.device_online", 2)
    assert len(online) == 2
