"""The seed's lift scenario across real ingest, cases and dispatch: an e-bike alarm opens a case, the lift is
stopped, the nearest able unit is rung, an unanswered ring moves on, and the lift resumes only once the case is
resolved AND the car is clear. Also: two dispatch replicas never both take a case."""

import asyncio
import uuid
from datetime import UTC, datetime

import grpc
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.common.v1 import common_pb2
from microbrain.dispatch.v1 import dispatch_service_pb2 as pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import ingest_service_pb2 as ingest_pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as ingest_grpc
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain.vision.v1 import events_pb2 as vision_events
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App as CasesApp
from microbrain_dispatch.app import App as DispatchApp
from microbrain_dispatch.config import DispatchSettings
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import App as IngestApp
from microbrain_kit.bus import Bus
from microbrain_kit.testing import eventually, free_port

UNITS_CSV = """unit_id,members,skills,radio_device_id
unit-01,网格员 A,property;persuasion,radio-unit-01
unit-02,网格员 B,persuasion,radio-unit-02
unit-03,城管队员 C,enforcement,radio-unit-03
unit-09,nobody,,radio-unit-09
"""
GRID = "jinhui-shanghong"
LIFT_AT = (31.1872, 121.3951)  # 耕读园 22 号


@pytest.fixture
async def stack(nats_url, database):
    """ingest, cases and dispatch of one grid on one nats-server and one database (each its own tables)."""
    grid = f"{GRID}-{uuid.uuid4().hex[:6]}"
    common = dict(
        grid_id=grid,
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
    )
    ingest = IngestApp(IngestSettings(**common))
    cases = CasesApp(CasesSettings(**common, timer_interval_s=0.2))
    await ingest.start()
    await cases.start()
    bus = await Bus.connect(nats_url, name="test-vision")
    await bus.ensure_stream(f"mb-{grid}-vision", [f"mb.{grid}.vision.*"])  # as vision declares it

    def dispatch_app() -> DispatchApp:
        return DispatchApp(
            DispatchSettings(
                **common,
                ingest_target=f"127.0.0.1:{ingest.port}",
                cases_target=f"127.0.0.1:{cases.port}",
                ack_timeout_s=1.5,
                timer_interval_s=0.2,
            )
        )

    started: list[DispatchApp] = []

    async def start_dispatch() -> DispatchApp:
        app = dispatch_app()
        await app.start()
        started.append(app)
        if len(started) == 1:  # the seed's field units of this grid, as an ops team's spreadsheet
            async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
                reply = await pb_grpc.DispatchServiceStub(channel).ImportUnits(pb.ImportUnitsRequest(csv=UNITS_CSV))
            assert (reply.imported, list(reply.errors)) == (3, ["row 5: skills is empty (e.g. property;persuasion)"])
        return app

    class Stack:
        pass

    s = Stack()
    s.grid, s.ingest, s.cases, s.bus, s.start_dispatch = grid, ingest, cases, bus, start_dispatch
    s.nats_url = nats_url
    yield s
    for app in started:
        await app.stop()
    await bus.close()
    await cases.stop()
    await ingest.stop()


async def _lift_controller(stack, commands: list[str]):
    """Registers the lift controller of building 22 and answers its commands over a live stream."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.ingest.port}") as channel:
        stub = ingest_grpc.IngestServiceStub(channel)
        reply = await stub.RegisterDevice(
            ingest_pb.RegisterDeviceRequest(
                device_id="lift-gdy22-a", kind=ingest_res.DEVICE_KIND_ELEVATOR_CONTROLLER, place_id="gengduyuan-22"
            )
        )
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{stack.ingest.port}")
    call = ingest_grpc.IngestServiceStub(channel).StreamEvents(
        metadata=[("x-mb-device-id", "lift-gdy22-a"), ("x-mb-device-secret", reply.secret)]
    )
    await call.write(ingest_pb.StreamEventsRequest(seq=1, heartbeat=ingest_res.Heartbeat()))

    async def answer():
        seq = 1
        while (msg := await call.read()) is not grpc.aio.EOF:
            if msg.HasField("command"):
                commands.append(msg.command.name)
                seq += 1
                await call.write(
                    ingest_pb.StreamEventsRequest(
                        seq=seq,
                        command_ack=ingest_res.CommandAck(
                            command_id=msg.command.command_id,
                            outcome=ingest_res.CommandAck.OUTCOME_DONE,
                            message=f"{msg.command.name} done",
                        ),
                    )
                )

    return asyncio.create_task(answer()), channel


async def _radios_report(stack) -> dict[str, str]:
    """The three field units' radios send a GPS fix each: unit-03 and unit-02 are at building 22, unit-01 far."""
    secrets = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.ingest.port}") as channel:
        stub = ingest_grpc.IngestServiceStub(channel)
        for unit, (lat, lon) in {
            "unit-01": (31.1960, 121.4100),
            "unit-02": (31.1875, 121.3950),
            "unit-03": (31.1871, 121.3952),
        }.items():
            radio = await stub.RegisterDevice(
                ingest_pb.RegisterDeviceRequest(device_id=f"radio-{unit}", kind=ingest_res.DEVICE_KIND_FIELD_UNIT_RADIO)
            )
            call = stub.StreamEvents(
                metadata=[("x-mb-device-id", f"radio-{unit}"), ("x-mb-device-secret", radio.secret)]
            )
            fix = ingest_res.DeviceEvent(
                event_id=str(uuid.uuid4()),
                type="gps_fix",
                gps=ingest_res.GpsFix(position=common_pb2.GeoPoint(lat=lat, lon=lon)),
            )
            fix.occurred_at.FromDatetime(datetime.now(UTC))
            await call.write(ingest_pb.StreamEventsRequest(seq=1, event=fix))
            assert (await call.read()).acks[0].code == 0
            call.cancel()
            secrets[f"radio-{unit}"] = radio.secret
    return secrets


async def _raise_ebike(stack) -> str:
    alarm_id = str(uuid.uuid4())
    meta = common_pb2.EventMeta(event_id=alarm_id, grid_id=stack.grid, producer="vision")
    meta.occurred_at.FromDatetime(datetime.now(UTC))
    alarm = alarms_pb2.AlarmRaised(
        meta=meta,
        type="ebike_in_elevator",
        severity=common_pb2.SEVERITY_CRITICAL,
        source="vision",
        place_id="gengduyuan-22",
        location=common_pb2.GeoPoint(lat=LIFT_AT[0], lon=LIFT_AT[1]),
    )
    await stack.bus.js.publish(
        f"mb.{stack.grid}.alarms.raised", alarm.SerializeToString(), headers={"Nats-Msg-Id": alarm_id}
    )
    return alarm_id


async def test_the_lift_scenario_end_to_end_with_the_interlock(stack):
    commands: list[str] = []
    answering, lift_channel = await _lift_controller(stack, commands)
    dispatch = await stack.start_dispatch()
    await _radios_report(stack)
    cases = cases_grpc.CaseServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{stack.cases.port}"))
    disp = pb_grpc.DispatchServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{dispatch.port}"))

    async def positioned():
        units = (await disp.ListUnits(pb.ListUnitsRequest())).units
        return units if sum(u.HasField("position") for u in units) == 3 else None

    assert await eventually(positioned)
    alarm_id = await _raise_ebike(stack)

    async def case_assigned():
        found = (await cases.ListCases(cases_pb.ListCasesRequest())).cases
        return found[0] if found and found[0].state == case_res.CASE_STATE_ASSIGNED else None

    case = await eventually(case_assigned)
    assert commands == ["STOP"]  # the lift stopped itself before anyone arrived
    first = await disp.GetCaseDispatch(pb.GetCaseDispatchRequest(case_id=case.case_id))
    assert [(x.command, x.status) for x in first.linkages] == [("STOP", "acked")]
    # unit-03 is nearest but has only enforcement; unit-02 (persuasion) is next nearest; unit-01 is far
    assert (
        first.assignments[0].unit_id == "unit-02"
        and "nearest available with skill persuasion" in first.assignments[0].reason
    )

    async def moved_on():  # unit-02 never answers: after the ack timeout the next able unit is rung
        d = await disp.GetCaseDispatch(pb.GetCaseDispatchRequest(case_id=case.case_id))
        return d if len(d.assignments) >= 2 else None

    second = (await eventually(moved_on)).assignments
    assert [(a.unit_id, a.status) for a in second[:2]] == [("unit-02", "timed_out"), ("unit-01", "offered")]
    await disp.AcknowledgeAssignment(
        pb.AcknowledgeAssignmentRequest(assignment_id=second[1].assignment_id, unit_id="unit-01")
    )
    now = (await cases.GetCase(cases_pb.GetCaseRequest(case_id=case.case_id))).case
    assert (now.state, now.assignee) == (case_res.CASE_STATE_ACKNOWLEDGED, "unit-01")

    await cases.TransitionCase(
        cases_pb.TransitionCaseRequest(case_id=case.case_id, to_state=case_res.CASE_STATE_ON_SITE, actor="unit-01")
    )
    await cases.TransitionCase(
        cases_pb.TransitionCaseRequest(case_id=case.case_id, to_state=case_res.CASE_STATE_RESOLVED, actor="unit-01")
    )
    await asyncio.sleep(1.0)
    assert commands == ["STOP"]  # resolved, but the camera has not seen the car clear: the lift stays stopped
    cleared = vision_events.ScenarioCleared(
        camera_id="cam-gdy22-lift-a",
        alarm_id=alarm_id,
        type="ebike_in_elevator",
        meta=common_pb2.EventMeta(event_id=f"{alarm_id}:cleared", grid_id=stack.grid),
    )
    await stack.bus.js.publish(
        f"mb.{stack.grid}.vision.scenario_cleared",
        cleared.SerializeToString(),
        headers={"Nats-Msg-Id": f"{alarm_id}:cleared"},
    )

    async def resumed():
        return commands if commands == ["STOP", "RESUME"] else None

    assert await eventually(resumed)

    async def notes():  # dispatch notes RESUME on the case right after the lift acks it
        timeline = (await cases.GetTimeline(cases_pb.GetTimelineRequest(case_id=case.case_id))).changes
        found = [c.note for c in timeline if c.action == "note"]
        return found if any("RESUME" in n for n in found) else None

    found = await eventually(notes)
    assert any("STOP" in n and "acked" in n for n in found) and any("RESUME" in n for n in found)
    answering.cancel()
    await lift_channel.close()


async def test_two_dispatch_processes_never_both_take_a_case(stack, service_process, database):
    commands: list[str] = []
    answering, lift_channel = await _lift_controller(stack, commands)
    ports = [free_port(), free_port()]
    env = {
        "MB_GRID_ID": stack.grid,
        "MB_NATS_URL": stack.nats_url,
        "MB_DATABASE_URL": database.url,
        "MB_DATABASE_SCHEMA": database.schema or "",
        "MB_METRICS_PORT": "0",
        "MB_ACK_TIMEOUT_S": "60",
        "MB_INGEST_TARGET": f"127.0.0.1:{stack.ingest.port}",
        "MB_CASES_TARGET": f"127.0.0.1:{stack.cases.port}",
    }
    for port in ports:  # two OS processes on one database and one NATS
        await service_process("microbrain_dispatch", port, MB_GRPC_PORT=str(port), **env)
    stubs = [pb_grpc.DispatchServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{port}")) for port in ports]
    assert (await stubs[0].ImportUnits(pb.ImportUnitsRequest(csv=UNITS_CSV))).imported == 3
    await _radios_report(stack)
    cases = cases_grpc.CaseServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{stack.cases.port}"))
    for _ in range(3):  # the same place while its case is open: one case, two repeats
        await _raise_ebike(stack)
        await asyncio.sleep(0.3)

    async def assigned():
        found = (await cases.ListCases(cases_pb.ListCasesRequest())).cases
        return found if found and all(c.state == case_res.CASE_STATE_ASSIGNED for c in found) else None

    [case] = await eventually(assigned, timeout=20)
    await asyncio.sleep(0.5)
    for stub in stubs:  # both processes read the same record: one offer, one STOP
        d = await stub.GetCaseDispatch(pb.GetCaseDispatchRequest(case_id=case.case_id))
        assert [a.step for a in d.assignments] == [0] and [x.command for x in d.linkages] == ["STOP"]
    assert commands == ["STOP"]
    answering.cancel()
    await lift_channel.close()


async def test_one_click_call_rings_the_unit_on_its_stream_and_is_recorded_on_the_case(stack):
    commands: list[str] = []
    answering, lift_channel = await _lift_controller(stack, commands)
    dispatch = await stack.start_dispatch()
    await _radios_report(stack)
    cases = cases_grpc.CaseServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{stack.cases.port}"))
    disp = pb_grpc.DispatchServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{dispatch.port}"))
    watch = disp.WatchAssignments(pb.WatchAssignmentsRequest(unit_id="unit-03"))
    today = datetime.now(UTC).date().isoformat()
    rota = f"role,person,starts_at,ends_at\ndesk,王值班,{today}T00:00+00:00,{today}T23:59:59+00:00\n"
    assert (await disp.ImportRota(pb.ImportRotaRequest(csv=rota))).imported == 1
    desk = disp.WatchDesk(pb.WatchDeskRequest())
    await asyncio.sleep(0.2)  # the desk's subscription is in place
    await _raise_ebike(stack)
    alert = await asyncio.wait_for(desk.read(), 10)
    assert (alert.kind, alert.case_type, alert.desk) == ("case", "ebike_in_elevator", "王值班")
    assert alert.message.endswith("unit-02 rung")
    desk.cancel()

    async def taken():
        found = (await cases.ListCases(cases_pb.ListCasesRequest())).cases
        return found[0] if found and found[0].state == case_res.CASE_STATE_ASSIGNED else None

    case = await eventually(taken)
    started = await disp.StartCall(
        pb.StartCallRequest(case_id=case.case_id, caller="desk:李栋梁", unit_ids=["unit-03"])
    )
    assert started.call.state == "ringing"
    ringing = await asyncio.wait_for(watch.read(), 10)
    assert ringing.call.call_id == started.call.call_id and ringing.call.state == "ringing"
    await disp.AnswerCall(pb.AnswerCallRequest(call_id=started.call.call_id, unit_id="unit-03"))
    ended = await disp.EndCall(pb.EndCallRequest(call_id=started.call.call_id, by="unit-03"))
    assert (ended.call.state, ended.call.answered_by, ended.call.ended_by) == ("ended", "unit-03", "unit-03")
    assert ended.call.talk_seconds >= 0 and ended.call.media_url == ""  # no media gateway configured here
    timeline = (await cases.GetTimeline(cases_pb.GetTimelineRequest(case_id=case.case_id))).changes
    assert [c.note for c in timeline if "一键呼叫" in c.note][-1].startswith("一键呼叫 desk:李栋梁 → unit-03: ended")
    watch.cancel()
    answering.cancel()
    await lift_channel.close()


async def test_offers_also_reach_the_units_radio_through_ingest(stack):
    commands: list[str] = []
    answering, lift_channel = await _lift_controller(stack, commands)
    await stack.start_dispatch()
    secrets = await _radios_report(stack)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{stack.ingest.port}")
    radio = ingest_grpc.IngestServiceStub(channel).StreamEvents(
        metadata=[("x-mb-device-id", "radio-unit-02"), ("x-mb-device-secret", secrets["radio-unit-02"])]
    )
    await radio.write(ingest_pb.StreamEventsRequest(seq=1, heartbeat=ingest_res.Heartbeat()))
    await radio.read()
    await _raise_ebike(stack)

    async def assign_command():
        while True:
            msg = await radio.read()
            if msg.HasField("command"):
                return msg.command

    command = await asyncio.wait_for(assign_command(), 20)
    assert command.name == "ASSIGN" and command.args["case_id"].startswith("c-")
    radio.cancel()
    await channel.close()
    answering.cancel()
    await lift_channel.close()


async def test_a_second_ebike_pushed_in_keeps_the_lift_stopped_until_it_too_is_gone(stack):
    commands: list[str] = []
    answering, lift_channel = await _lift_controller(stack, commands)
    await stack.start_dispatch()
    await _radios_report(stack)
    cases = cases_grpc.CaseServiceStub(grpc.aio.insecure_channel(f"127.0.0.1:{stack.cases.port}"))

    async def clear(alarm_id: str) -> None:
        event = vision_events.ScenarioCleared(
            camera_id="cam-gdy22-lift-a",
            alarm_id=alarm_id,
            type="ebike_in_elevator",
            meta=common_pb2.EventMeta(event_id=f"{alarm_id}:cleared", grid_id=stack.grid),
        )
        await stack.bus.js.publish(
            f"mb.{stack.grid}.vision.scenario_cleared",
            event.SerializeToString(),
            headers={"Nats-Msg-Id": f"{alarm_id}:cleared"},
        )

    first = await _raise_ebike(stack)

    async def assigned():
        found = (await cases.ListCases(cases_pb.ListCasesRequest())).cases
        return found[0] if found and found[0].state == case_res.CASE_STATE_ASSIGNED else None

    case = await eventually(assigned)
    await clear(first)  # the first e-bike left the car ...
    second = await _raise_ebike(stack)  # ... and another was pushed in: a repeat of the same open case

    async def repeated():
        now = (await cases.GetCase(cases_pb.GetCaseRequest(case_id=case.case_id))).case
        return now if now.occurrences == 2 else None

    assert await eventually(repeated)
    await asyncio.sleep(0.5)  # dispatch has taken in the repeat
    await cases.TransitionCase(
        cases_pb.TransitionCaseRequest(case_id=case.case_id, to_state=case_res.CASE_STATE_RESOLVED, actor="unit-02")
    )
    await asyncio.sleep(1.0)
    assert commands == ["STOP"]  # resolved, but the second e-bike is still in the car
    await clear(second)

    async def resumed():
        return commands if commands == ["STOP", "RESUME"] else None

    assert await eventually(resumed)
    answering.cancel()
    await lift_channel.close()
