"""The simulator against an in-process fake IngestService, through real gRPC channels."""

import secrets
import stat
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_cli.devices import timestamp
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_cli.simulator import SecretStore, Simulator

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
LIFT = "lift-gdy22-a"
State = res.ElevatorStatus.State
Outcome = res.CommandAck.Outcome


class FakeIngest(pb_grpc.IngestServiceServicer):
    """Just enough of ingest: registry with secrets, acks, scripted failures and commands."""

    def __init__(self) -> None:
        self.registered: dict[str, pb.RegisterDeviceRequest] = {}
        self.secrets: dict[str, str] = {}
        self.rotations: dict[str, int] = defaultdict(int)
        self.streams: dict[str, int] = defaultdict(int)
        self.refused_streams: dict[str, int] = defaultdict(int)
        self.events: dict[str, list[res.DeviceEvent]] = defaultdict(list)
        self.command_acks: dict[str, list[res.CommandAck]] = defaultdict(list)
        # Device id -> after how many events its first stream breaks (that event is never acked).
        self.break_first_stream_after: dict[str, int] = {}
        # Device id -> {events received on a stream: command to send then}.
        self.commands: dict[str, dict[int, res.Command]] = {}

    async def RegisterDevice(self, request, context):
        if request.device_id in self.registered:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, f"{request.device_id} exists")
        self.registered[request.device_id] = request
        self.secrets[request.device_id] = secrets.token_hex(8)
        device = res.Device(device_id=request.device_id, grid_id=request.grid_id, kind=request.kind)
        return pb.RegisterDeviceResponse(device=device, secret=self.secrets[request.device_id])

    async def UpdateDevice(self, request, context):
        if request.device_id not in self.registered:
            await context.abort(grpc.StatusCode.NOT_FOUND, request.device_id)
        assert request.rotate_secret
        self.rotations[request.device_id] += 1
        self.secrets[request.device_id] = secrets.token_hex(8)
        return pb.UpdateDeviceResponse(
            device=res.Device(device_id=request.device_id), secret=self.secrets[request.device_id]
        )

    async def StreamEvents(self, request_iterator, context):
        md = dict(context.invocation_metadata())
        device_id = md.get("x-mb-device-id", "")
        if device_id not in self.secrets:
            await context.abort(grpc.StatusCode.NOT_FOUND, device_id)
        if md.get("x-mb-device-secret") != self.secrets[device_id]:
            self.refused_streams[device_id] += 1
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "bad secret")
        self.streams[device_id] += 1
        first_stream = self.streams[device_id] == 1
        received = 0
        async for request in request_iterator:
            what = request.WhichOneof("message")
            if what == "event":
                self.events[device_id].append(request.event)
                received += 1
                if first_stream and received == self.break_first_stream_after.get(device_id):
                    await context.abort(grpc.StatusCode.UNAVAILABLE, "ingest restarting")
                yield pb.StreamEventsResponse(ack=pb.Ack(seq=request.seq, event_id=request.event.event_id))
                command = self.commands.get(device_id, {}).get(received)
                if command is not None:
                    yield pb.StreamEventsResponse(command=command)
            else:
                if what == "command_ack":
                    self.command_acks[device_id].append(request.command_ack)
                yield pb.StreamEventsResponse(ack=pb.Ack(seq=request.seq))


@pytest.fixture
async def ingest():
    fake = FakeIngest()
    server = grpc.aio.server()
    pb_grpc.add_IngestServiceServicer_to_server(fake, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield fake, f"127.0.0.1:{port}"
    await server.stop(None)


@pytest.fixture(scope="module")
def grid():
    return grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")


def _simulator(grid, target: str, state_dir: Path) -> Simulator:
    # 20x faster: the lift speaks every 0.15 s, cameras every 1.5 s.
    return Simulator(grid=grid, target=target, state_dir=state_dir, rate_scale=20)


async def test_registers_every_device_and_keeps_secrets_private(ingest, grid, tmp_path):
    fake, target = ingest

    stats = await _simulator(grid, target, tmp_path).run(duration_s=2.5)

    assert set(fake.registered) == {d.device_id for d in grid.devices}
    lift = fake.registered[LIFT]
    assert (lift.kind, lift.place_id, lift.grid_id) == (
        res.DEVICE_KIND_ELEVATOR_CONTROLLER,
        "gengduyuan-22",
        "jinhui-shanghong",
    )
    assert lift.heartbeat_interval.seconds == 10
    path = tmp_path / "simulator-secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretStore(path).get("jinhui-shanghong", LIFT) == fake.secrets[LIFT]
    # Every kind streamed its own event type, stamped now, with the grid set.
    types = {d: {e.type for e in evs} for d, evs in fake.events.items()}
    assert types[LIFT] == {"car_state"}
    assert types["cam-gdy22-lift-a"] == {"camera_status"}
    assert types["wifi-aegean-1"] == {"probe_count"}
    assert types["radio-unit-01"] == {"gps_fix"}
    some = fake.events[LIFT][0]
    assert some.grid_id == "jinhui-shanghong"
    assert abs(some.occurred_at.ToDatetime(tzinfo=UTC) - datetime.now(UTC)) < timedelta(seconds=10)
    assert stats.acked == sum(len(evs) for evs in fake.events.values())
    assert stats.refused == 0


async def test_already_registered_devices_get_a_fresh_secret_and_stale_ones_are_replaced(ingest, grid, tmp_path):
    fake, target = ingest
    first, second = tmp_path / "first", tmp_path / "second"
    await _simulator(grid, target, first).run(duration_s=1.0)

    # A second simulator without the secrets file: ALREADY_EXISTS, so it rotates.
    await _simulator(grid, target, second).run(duration_s=1.5)

    assert fake.rotations[LIFT] == 1
    assert fake.streams[LIFT] >= 2
    assert SecretStore(second / "simulator-secrets.json").get("jinhui-shanghong", LIFT) == fake.secrets[LIFT]

    # The first one's stored secret is now stale: it is refused once, then replaced.
    events_before = len(fake.events[LIFT])
    await _simulator(grid, target, first).run(duration_s=1.5)

    assert fake.refused_streams[LIFT] == 1
    assert fake.rotations[LIFT] == 2
    assert len(fake.events[LIFT]) > events_before


async def test_unacked_events_are_resent_with_the_same_ids_after_a_broken_stream(ingest, grid, tmp_path):
    fake, target = ingest
    fake.break_first_stream_after[LIFT] = 3

    stats = await _simulator(grid, target, tmp_path).run(duration_s=3.0)

    ids = [e.event_id for e in fake.events[LIFT]]
    lost = ids[2]  # the third event broke the first stream without an ack
    assert ids.count(lost) == 2
    assert fake.streams[LIFT] >= 2
    assert stats.resent >= 1
    # Nothing else was sent twice.
    assert len(ids) == len(set(ids)) + 1


async def test_lift_answers_stop_and_resume_and_others_reject_commands(ingest, grid, tmp_path):
    fake, target = ingest
    past = timestamp(datetime.now(UTC) - timedelta(minutes=1))
    fake.commands[LIFT] = {
        2: res.Command(command_id="cmd-stop", name="STOP", args={"reason": "ebike_in_elevator"}),
        4: res.Command(command_id="cmd-late", name="RESUME", deadline=past),
        6: res.Command(command_id="cmd-dance", name="DANCE"),
        8: res.Command(command_id="cmd-resume", name="RESUME"),
    }
    fake.commands["radio-unit-01"] = {1: res.Command(command_id="cmd-call", name="STOP")}

    stats = await _simulator(grid, target, tmp_path).run(duration_s=3.0)

    acks = {a.command_id: a for a in fake.command_acks[LIFT]}
    assert set(acks) == {"cmd-stop", "cmd-dance", "cmd-resume"}  # the late one is ignored
    assert acks["cmd-stop"].outcome == Outcome.OUTCOME_DONE
    assert acks["cmd-stop"].message.startswith("car stopped at floor ")
    assert acks["cmd-dance"].outcome == Outcome.OUTCOME_REJECTED
    assert (acks["cmd-resume"].outcome, acks["cmd-resume"].message) == (Outcome.OUTCOME_DONE, "car resumed")
    # Between STOP and RESUME the car reports STOPPED at the floor it stopped at; afterwards it moves again.
    stopped_at = acks["cmd-stop"].acked_at.ToDatetime(tzinfo=UTC)
    resumed_at = acks["cmd-resume"].acked_at.ToDatetime(tzinfo=UTC)
    floor = int(acks["cmd-stop"].message.rsplit(" ", 1)[1])
    during = [e.elevator for e in fake.events[LIFT] if stopped_at <= e.occurred_at.ToDatetime(tzinfo=UTC) < resumed_at]
    after = [e.elevator for e in fake.events[LIFT] if e.occurred_at.ToDatetime(tzinfo=UTC) >= resumed_at]
    assert len(during) >= 5
    assert {(s.state, s.floor) for s in during} == {(State.STATE_STOPPED, floor)}
    assert len(after) >= 3
    assert State.STATE_STOPPED not in {s.state for s in after}
    assert [a.outcome for a in fake.command_acks["radio-unit-01"]] == [Outcome.OUTCOME_REJECTED]
    assert stats.commands == 4
