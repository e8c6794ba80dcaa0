"""The simulator against the real ingest service, in-process on the session's nats-server and a fresh database."""

import asyncio
import contextlib
import dataclasses
import logging
import stat
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from microbrain.alarms.v1 import alarms_pb2
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_cli.devices import SimDevice
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_cli.simulator import SecretStore, Simulator
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import App

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
LIFT = "lift-gdy22-a"
State = res.ElevatorStatus.State
Outcome = res.CommandAck.Outcome


class Ingest:
    """The real ingest service in this process; restart() is a new App on the same database, NATS, grid and port."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self.app: App | None = None

    async def start(self) -> None:
        self.app = App(self.settings)
        await self.app.start()
        # A restart binds the same port, as a restarted ingest process would, so the simulator finds it again.
        self.settings = self.settings.model_copy(update={"grpc_port": self.app.port})

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.settings.grpc_port}"


@pytest.fixture
def grid():
    # A grid id of its own per test, so each test has its own JetStream stream on the session's nats-server.
    base = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")
    return dataclasses.replace(base, grid_id=f"{base.grid_id}-{uuid.uuid4().hex[:6]}")


@pytest.fixture
async def ingest(grid, nats_url, database):
    service = Ingest(
        IngestSettings(
            grid_id=grid.grid_id,
            database_url=database.url,
            database_schema=database.schema or "",
            nats_url=nats_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
            # A restart cuts the simulator's streams after this, rather than waiting the default 10 s for them.
            shutdown_grace_s=0.5,
        )
    )
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def stub(ingest):
    async with grpc.aio.insecure_channel(ingest.target) as channel:
        yield pb_grpc.IngestServiceStub(channel)


@pytest.fixture
def made(monkeypatch) -> list[res.DeviceEvent]:
    """Every event the simulated devices make during the test, in order."""
    events: list[res.DeviceEvent] = []
    next_event, alarm_event = SimDevice.next_event, SimDevice.alarm_event

    def recording(self: SimDevice, now: datetime | None = None) -> res.DeviceEvent:
        event = next_event(self, now)
        events.append(event)
        return event

    def recording_alarm(self: SimDevice, alarm, now: datetime | None = None) -> res.DeviceEvent:
        event = alarm_event(self, alarm, now)
        events.append(event)
        return event

    monkeypatch.setattr(SimDevice, "next_event", recording)
    monkeypatch.setattr(SimDevice, "alarm_event", recording_alarm)
    return events


def _simulator(grid, target: str, state_dir: Path) -> Simulator:
    # 20x faster: the lift speaks every 0.15 s, cameras every 1.5 s.
    return Simulator(grid=grid, target=target, state_dir=state_dir, rate_scale=20)


async def _stored(js, grid_id: str) -> list[tuple[str, events_pb2.DeviceEventRecorded]]:
    """(Nats-Msg-Id, event) of every device event in the grid's ingest stream, oldest first."""
    stream, subject = f"mb-{grid_id}-ingest", f"mb.{grid_id}.ingest.device_event"
    info = await js.stream_info(stream)
    out = []
    for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        if msg.subject == subject:
            out.append((msg.headers["Nats-Msg-Id"], events_pb2.DeviceEventRecorded.FromString(msg.data)))
    return out


async def _eventually(check: Callable[[], Awaitable[object]], timeout: float = 15.0) -> None:
    """Waits until an async check returns something true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"not within {timeout}s"
        await asyncio.sleep(0.1)


async def _stream_status(stub, device_id: str, secret: str) -> grpc.StatusCode:
    """Opens a device stream with this secret, sends a heartbeat, and returns how the stream ended."""
    call = stub.StreamEvents(metadata=(("x-mb-device-id", device_id), ("x-mb-device-secret", secret)))
    with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):  # refused before we wrote
        await call.write(pb.StreamEventsRequest(seq=1, heartbeat=res.Heartbeat()))
        await call.done_writing()
    acks = []
    with contextlib.suppress(grpc.aio.AioRpcError):
        async for reply in call:
            acks += reply.acks
    code = await call.code()
    if code == grpc.StatusCode.OK:
        assert [(a.seq, a.code) for a in acks] == [(1, 0)]
    return code


async def test_registers_every_device_and_keeps_secrets_private(ingest, stub, js, grid, tmp_path):
    simulator = _simulator(grid, ingest.target, tmp_path)
    stats = await simulator.run(duration_s=2.5)

    devices = {d.device_id: d for d in (await stub.ListDevices(pb.ListDevicesRequest())).devices}
    assert set(devices) == {d.device_id for d in grid.devices}
    lift = devices[LIFT]
    assert (lift.kind, lift.place_id, lift.grid_id) == (
        res.DEVICE_KIND_ELEVATOR_CONTROLLER,
        "gengduyuan-22",
        grid.grid_id,
    )
    assert lift.heartbeat_interval.seconds == 10
    assert lift.labels["source"] == "simulator"
    path = tmp_path / "simulator-secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await _stream_status(stub, LIFT, SecretStore(path).get(grid.grid_id, LIFT)) == grpc.StatusCode.OK
    # Every kind streamed its own event type, stamped now, with the grid set.
    stored = [event for _, event in await _stored(js, grid.grid_id)]
    types: dict[str, set[str]] = {}
    for recorded in stored:
        types.setdefault(recorded.device.device_id, set()).add(recorded.event.type)
    assert types[LIFT] == {"car_state"}
    assert types["cam-gdy22-lift-a"] == {"camera_status"}
    assert types["wifi-aegean-1"] == {"probe_count"}
    assert types["radio-unit-01"] == {"gps_fix"}
    some = next(r.event for r in stored if r.device.device_id == LIFT)
    assert some.grid_id == grid.grid_id
    assert abs(some.occurred_at.ToDatetime(tzinfo=UTC) - datetime.now(UTC)) < timedelta(seconds=10)
    # Every acked event is stored; beyond those, only events still unacked when the run stopped (kept to resend) may
    # be stored too (ingest stored them, their acks were on the way).
    assert stats.acked <= len(stored) <= stats.acked + sum(len(d.pending) for d in simulator.devices)
    assert stats.refused == 0


async def test_already_registered_devices_get_a_fresh_secret_and_stale_ones_are_replaced(
    ingest, stub, js, grid, tmp_path
):
    first, second = tmp_path / "first", tmp_path / "second"

    def secret(state_dir: Path) -> str | None:
        return SecretStore(state_dir / "simulator-secrets.json").get(grid.grid_id, LIFT)

    async def credential_version() -> int:
        return (await stub.GetDevice(pb.GetDeviceRequest(device_id=LIFT))).device.credential_version

    await _simulator(grid, ingest.target, first).run(duration_s=1.0)
    first_secret, registered = secret(first), await credential_version()

    # A second simulator without the secrets file: ALREADY_EXISTS, so it rotates.
    await _simulator(grid, ingest.target, second).run(duration_s=1.5)

    assert await credential_version() == registered + 1
    assert await _stream_status(stub, LIFT, secret(second)) == grpc.StatusCode.OK
    assert await _stream_status(stub, LIFT, first_secret) == grpc.StatusCode.UNAUTHENTICATED

    # The first one's stored secret is now stale: it is refused, then replaced, and the lift streams again.
    lift_events_before = sum(r.device.device_id == LIFT for _, r in await _stored(js, grid.grid_id))
    await _simulator(grid, ingest.target, first).run(duration_s=1.5)

    assert await credential_version() == registered + 2
    assert secret(first) != first_secret
    assert await _stream_status(stub, LIFT, secret(first)) == grpc.StatusCode.OK
    assert await _stream_status(stub, LIFT, secret(second)) == grpc.StatusCode.UNAUTHENTICATED
    assert sum(r.device.device_id == LIFT for _, r in await _stored(js, grid.grid_id)) > lift_events_before


async def test_unacked_events_are_resent_with_the_same_ids_after_a_broken_stream(ingest, js, grid, made, tmp_path):
    sim = _simulator(grid, ingest.target, tmp_path)
    running = asyncio.create_task(sim.run())

    async def lift_streaming():
        return any(r.device.device_id == LIFT for _, r in await _stored(js, grid.grid_id))

    await _eventually(lift_streaming)
    # JetStream stops taking the grid's events for a moment (its subjects point elsewhere): ingest answers
    # each event "not stored, resend", so the devices hold events they sent and never got an ack for ...
    stream = f"mb-{grid.grid_id}-ingest"
    info = await js.stream_info(stream)
    await js.update_stream(dataclasses.replace(info.config, subjects=[f"mb.{grid.grid_id}.paused"]))
    await asyncio.sleep(0.5)
    # ... when ingest restarts and their streams break. The new ingest declares the stream as it should be.
    await ingest.restart()
    before_restart = {e.event_id for e in made}

    async def all_stored():
        return before_restart <= {event_id for event_id, _ in await _stored(js, grid.grid_id)}

    await _eventually(all_stored)
    sim.stop()
    stats = await running

    assert stats.resent >= 1
    assert stats.reconnects >= 1
    stored = await _stored(js, grid.grid_id)
    ids = Counter(event_id for event_id, _ in stored)
    assert ids.most_common(1)[0][1] == 1  # nothing is stored twice
    assert set(ids) <= {e.event_id for e in made}
    assert all(event_id == recorded.event.event_id for event_id, recorded in stored)
    # Each event the simulator was told is stored is in the stream once, and none is in it without an ack.
    assert stats.acked == len(ids)


def _timeout(seconds: float) -> Duration:
    d = Duration()
    d.FromTimedelta(timedelta(seconds=seconds))
    return d


async def test_lift_answers_stop_and_resume_and_others_reject_commands(ingest, stub, js, grid, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="microbrain_cli.simulator")
    sim = _simulator(grid, ingest.target, tmp_path)
    running = asyncio.create_task(sim.run())

    async def streaming():
        devices = {r.device.device_id for _, r in await _stored(js, grid.grid_id)}
        return {LIFT, "radio-unit-01"} <= devices

    await _eventually(streaming)

    async def send(device_id: str, name: str, **kw) -> res.CommandAck:
        request = pb.SendCommandRequest(device_id=device_id, name=name, timeout=_timeout(5), **kw)
        return (await stub.SendCommand(request)).ack

    stop = await send(LIFT, "STOP", args={"reason": "ebike_in_elevator"})
    assert stop.outcome == Outcome.OUTCOME_DONE
    assert stop.message.startswith("car stopped at floor ")
    # A command that is past its deadline when it arrives is ignored: the lift stays stopped.
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await stub.SendCommand(pb.SendCommandRequest(device_id=LIFT, name="RESUME", timeout=Duration(nanos=1000)))
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

    async def late_ignored():
        return any("RESUME past its deadline" in r.getMessage() for r in caplog.records)

    await _eventually(late_ignored, timeout=5)
    dance = await send(LIFT, "DANCE")
    assert dance.outcome == Outcome.OUTCOME_REJECTED
    await asyncio.sleep(1.0)  # the stopped car keeps reporting
    resume = await send(LIFT, "RESUME")
    assert (resume.outcome, resume.message) == (Outcome.OUTCOME_DONE, "car resumed")
    radio = await send("radio-unit-01", "STOP")
    assert (radio.outcome, radio.message) == (Outcome.OUTCOME_REJECTED, "radio-unit-01 takes no commands")
    await asyncio.sleep(1.0)  # the car moves again
    sim.stop()
    stats = await running

    # Between STOP and RESUME the car reports STOPPED at the floor it stopped at; afterwards it moves again.
    stopped_at = stop.acked_at.ToDatetime(tzinfo=UTC)
    resumed_at = resume.acked_at.ToDatetime(tzinfo=UTC)
    floor = int(stop.message.rsplit(" ", 1)[1])
    lift = [r.event for _, r in await _stored(js, grid.grid_id) if r.device.device_id == LIFT]
    during = [e.elevator for e in lift if stopped_at <= e.occurred_at.ToDatetime(tzinfo=UTC) < resumed_at]
    after = [e.elevator for e in lift if e.occurred_at.ToDatetime(tzinfo=UTC) >= resumed_at]
    assert len(during) >= 5
    assert {(s.state, s.floor) for s in during} == {(State.STATE_STOPPED, floor)}
    assert len(after) >= 3
    assert State.STATE_STOPPED not in {s.state for s in after}
    assert stats.commands == 4  # STOP, DANCE, RESUME and the radio's; the late one is not answered


async def test_devices_raise_alarms_on_events_of_their_own_kind_and_ingest_passes_them_on(
    ingest, js, grid, made, tmp_path
):
    # One alarm every 0.1 s on average instead of every 45 s.
    sim = Simulator(grid=grid, target=ingest.target, state_dir=tmp_path, rate_scale=20, alarm_every_s=0.1)
    stats = await sim.run(duration_s=3.0)

    raised = [e for e in made if e.HasField("alarm")]
    assert stats.alarms == len(raised) >= 5
    assert stats.refused == 0  # ingest took every one: a camera's alarm has a camera body, the lift's an elevator one
    stored = {r.event.event_id: r for _, r in await _stored(js, grid.grid_id)}
    stream, subject = f"mb-{grid.grid_id}-alarms", f"mb.{grid.grid_id}.alarms.raised"
    info = await js.stream_info(stream)
    alarms = {}
    for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        msg = await js.get_msg(stream, seq)
        if msg.subject == subject:
            alarm = alarms_pb2.AlarmRaised.FromString(msg.data)
            alarms[alarm.attributes["source_event_id"]] = alarm
    assert {e.event_id for e in raised} <= set(stored) & set(alarms)
    seen = set()
    for event in raised:
        recorded, alarm = stored[event.event_id], alarms[event.event_id]
        device = recorded.device.device_id
        seen.add((device, event.alarm.code, alarm.type))
        assert (alarm.device.device_id, alarm.severity) == (device, event.alarm.severity)
        if device == "cam-gdy22-lift-a":
            assert (recorded.event.type, recorded.event.WhichOneof("body")) == ("camera_status", "camera")
            assert (alarm.type, alarm.severity, alarm.place_id) == (
                "ebike_in_elevator",
                common_pb2.SEVERITY_CRITICAL,
                "gengduyuan-22",
            )
            assert alarm.description == "电动车进入电梯"
        elif device == "cam-gdy-refuse-1":
            assert (alarm.type, alarm.severity) == ("litter_off_hours", common_pb2.SEVERITY_WARNING)
        else:
            assert device == LIFT
            assert (recorded.event.type, recorded.event.WhichOneof("body")) == ("car_state", "elevator")
            # Not a case type of its own: ingest raises it as a device fault, with the lift's code kept.
            assert (alarm.type, alarm.attributes["code"]) == ("device_fault", "door_fault")
    assert ("cam-gdy22-lift-a", "ebike_in_elevator", "ebike_in_elevator") in seen
