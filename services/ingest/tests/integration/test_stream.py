"""StreamEvents: events acked only once durable in JetStream, resends stored once, bad input refused."""

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import resources_pb2 as res


async def test_event_is_in_jetstream_when_acked_with_trace_and_msg_id(app, register, open_stream, js, h, settings):
    _, secret = await register(place_id="gengduyuan-22")
    stream = open_stream("lift-gdy22-a", secret)
    ev = h.lift_event(floor=7)
    ack = await stream.ack_for(event=ev)
    assert ack.code == 0 and ack.event_id == ev.event_id and not ack.duplicate and ack.stream_sequence > 0
    msg = await js.get_msg(app.stream, ack.stream_sequence)
    assert msg.subject == f"mb.{settings.grid_id}.ingest.device_event"
    assert msg.headers["Nats-Msg-Id"] == ev.event_id
    assert msg.headers["traceparent"].startswith("00-")
    recorded = events_pb2.DeviceEventRecorded.FromString(msg.data)
    assert recorded.event == ev
    assert recorded.device.device_id == "lift-gdy22-a" and recorded.place_id == "gengduyuan-22"
    assert recorded.transport == res.TRANSPORT_GRPC
    assert recorded.meta.event_id == ev.event_id and recorded.meta.grid_id == settings.grid_id


async def test_resent_event_after_reconnect_is_stored_once(app, register, open_stream, js, h, settings):
    _, secret = await register()
    ev = h.lift_event()
    first = await open_stream("lift-gdy22-a", secret).ack_for(event=ev)
    again = await open_stream("lift-gdy22-a", secret).ack_for(event=ev)  # a new stream, as after a reconnect
    assert again.code == 0 and again.duplicate and again.stream_sequence == first.stream_sequence
    subject = f"mb.{settings.grid_id}.ingest.device_event"
    assert len(await h.stream_messages(js, app.stream, subject)) == 1


async def test_many_pipelined_events_each_get_their_ack(app, register, open_stream, js, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    seqs = {await stream.send(event=h.lift_event(floor=i % 18)) for i in range(300)}
    acks = await stream.acks(300)
    assert all(a.code == 0 for a in acks), [a.message for a in acks if a.code]
    assert {a.seq for a in acks} == seqs
    assert len(await h.stream_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.device_event")) == 300


async def test_device_alarm_is_published_beside_the_event(app, register, open_stream, js, h, settings):
    _, secret = await register(location=common_pb2.GeoPoint(lat=31.1872, lon=121.3951))
    alarm = res.DeviceAlarmInfo(code="trapped_passenger", severity=common_pb2.SEVERITY_CRITICAL, message="困人")
    ev = h.lift_event(alarm=alarm)
    assert (await open_stream("lift-gdy22-a", secret).ack_for(event=ev)).code == 0
    [msg] = await h.stream_messages(js, app.alarm_stream, f"mb.{settings.grid_id}.alarms.raised")
    raised = alarms_pb2.AlarmRaised.FromString(msg.data)
    assert (raised.type, raised.severity, raised.description) == ("device_fault", alarm.severity, "困人")
    assert raised.attributes["code"] == "trapped_passenger"
    assert raised.attributes["source_event_id"] == ev.event_id and raised.source == "ingest"
    assert raised.location.lat == pytest.approx(31.1872)
    assert msg.headers["Nats-Msg-Id"] == f"{ev.event_id}:alarm"


def _future(h):
    ev = h.lift_event()
    ev.occurred_at.FromDatetime(datetime.now(UTC) + timedelta(hours=2))
    return ev


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda h: h.lift_event(event_id="has spaces"), grpc.StatusCode.INVALID_ARGUMENT, "event_id"),
        (
            lambda h: h.event("Car State", elevator=res.ElevatorStatus()),
            grpc.StatusCode.INVALID_ARGUMENT,
            "type",
        ),
        (_future, grpc.StatusCode.INVALID_ARGUMENT, "in the future"),
        (
            lambda h: h.event("probe_count", wifi=res.WifiProbeCount(zone_id="x")),
            grpc.StatusCode.INVALID_ARGUMENT,
            "cannot send a 'wifi' body",
        ),
        (
            lambda h: h.lift_event(grid_id="longbai"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "registered in grid",
        ),
        (lambda h: h.event("blob", raw=b"x" * 70_000), grpc.StatusCode.RESOURCE_EXHAUSTED, "limit is 65536"),
        (
            lambda h: h.lift_event(alarm=res.DeviceAlarmInfo(code="fault")),
            grpc.StatusCode.INVALID_ARGUMENT,
            "alarm.severity",
        ),
        (
            lambda h: res.DeviceEvent(event_id="e-1", type="car_state"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "occurred_at is required",
        ),
    ],
)
async def test_bad_event_is_refused_in_its_ack_and_the_stream_goes_on(
    app, register, open_stream, js, h, make, code, words
):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    refused = await stream.ack_for(event=make(h))
    assert refused.code == code.value[0]
    assert words in refused.message
    assert refused.stream_sequence == 0
    good = await stream.ack_for(event=h.lift_event())
    assert good.code == 0
    assert len(await h.stream_messages(js, app.stream, f"mb.{app.settings.grid_id}.ingest.device_event")) == 1


async def test_message_beyond_the_grpc_limit_ends_the_stream_with_resource_exhausted(register, open_stream, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stream.ack_for(event=h.event("blob", raw=b"x" * (5 * 1024 * 1024)))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("device_id", "secret", "code"),
    [
        ("lift-gdy22-a", "wrong", grpc.StatusCode.UNAUTHENTICATED),
        ("lift-gdy22-a", "", grpc.StatusCode.UNAUTHENTICATED),
        ("ghost-device", "whatever", grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_stream_without_valid_credentials_is_refused(register, open_stream, h, device_id, secret, code):
    await register()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await open_stream(device_id, secret).ack_for(event=h.lift_event())
    assert err.value.code() == code


async def test_events_are_not_acked_while_jetstream_is_unreachable(app, register, open_stream, h):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    app.events.publish_timeout_s = 0.5
    await app.bus.js.delete_stream(app.stream)  # storage gone: nothing may be acked as stored
    try:
        ack = await stream.ack_for(event=h.lift_event())
    finally:
        await app.bus.ensure_stream(app.stream, [f"mb.{app.settings.grid_id}.ingest.*"])
    assert ack.code == grpc.StatusCode.UNAVAILABLE.value[0]
    assert "resend with the same event_id" in ack.message
    assert (await stream.ack_for(event=h.lift_event())).code == 0


async def test_a_newer_stream_replaces_the_older_one(register, open_stream, h):
    _, secret = await register()
    old = open_stream("lift-gdy22-a", secret)
    assert (await old.ack_for(event=h.lift_event())).code == 0
    new = open_stream("lift-gdy22-a", secret)
    assert (await new.ack_for(event=h.lift_event())).code == 0
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await asyncio.wait_for(old.recv(), 5)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_the_devices_trace_continues_through_ingest_onto_the_bus(app, stub, register, js, h):
    _, secret = await register()
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    call = stub.StreamEvents(
        metadata=[
            ("x-mb-device-id", "lift-gdy22-a"),
            ("x-mb-device-secret", secret),
            ("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01"),
        ]
    )
    await call.write(pb.StreamEventsRequest(seq=1, event=h.lift_event()))
    [ack] = (await call.read()).acks
    call.cancel()
    msg = await js.get_msg(app.stream, ack.stream_sequence)
    assert msg.headers["traceparent"].split("-")[1] == trace_id
    assert events_pb2.DeviceEventRecorded.FromString(msg.data).meta.trace.traceparent.split("-")[1] == trace_id


async def test_each_device_alarm_opens_a_trace_of_its_own(app, register, open_stream, js, h, spans, settings):
    _, secret = await register()
    stream = open_stream("lift-gdy22-a", secret)
    alarm = res.DeviceAlarmInfo(code="door_fault", severity=common_pb2.SEVERITY_MAJOR)
    first, second = h.lift_event(alarm=alarm), h.lift_event(alarm=alarm)
    assert (await stream.ack_for(event=first)).code == 0
    assert (await stream.ack_for(event=second)).code == 0
    alarms = await h.stream_messages(js, app.alarm_stream, f"mb.{settings.grid_id}.alarms.raised")
    traces = [alarms_pb2.AlarmRaised.FromString(m.data).meta.trace.traceparent.split("-")[1] for m in alarms]
    assert len(set(traces)) == 2  # two incidents, two traces
    finished = {format(s.context.trace_id, "032x"): s for s in spans.get_finished_spans() if s.name == "device alarm"}
    assert set(traces) <= set(finished)
    assert all(finished[t].links for t in traces)  # each linked to the device's connection
