"""SLA deadlines are durable timers: they fire once, in any replica, across restarts, and escalate."""

import asyncio

import grpc
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain.cases.v1 import events_pb2
from microbrain.cases.v1 import resources_pb2 as res
from microbrain_cases.wiring import App

POLICIES = """
manual_report:
  assign: 1s
  acknowledge: 2s
  arrive: 1h
  resolve: 1h
  escalation: [grid_leader, town_centre, enforcement]
"""


def _settings(settings, tmp_path):
    path = tmp_path / "sla.yaml"
    path.write_text(POLICIES)
    return settings.model_copy(update={"sla_policies": str(path)})


async def _open(app: App, request_id: str = "call-1") -> res.Case:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        reply = await pb_grpc.CaseServiceStub(channel).OpenCase(
            pb.OpenCaseRequest(request_id=request_id, case_type="manual_report", actor="duty-desk", place_id="p-1")
        )
    return reply.case


async def _breaches(nc, h, app) -> list[events_pb2.SlaBreached]:
    msgs = await h.subject_messages(nc, app.stream, f"mb.{app.settings.grid_id}.cases.sla_breached")
    return [events_pb2.SlaBreached.FromString(m.data) for m in msgs]


async def test_breaches_escalate_along_the_chain_once_each(settings, tmp_path, nc, h):
    app = App(_settings(settings, tmp_path))
    await app.start()
    try:
        case = await _open(app)

        async def two_breaches():
            found = await _breaches(nc, h, app)
            return found if len(found) >= 2 else None

        breaches = await h.eventually(two_breaches)
        await asyncio.sleep(0.5)  # time for a wrongly repeated firing to show up
        breaches = await _breaches(nc, h, app)
        assert [(b.stage, b.escalation_level, b.escalated_to) for b in breaches] == [
            (res.STAGE_ASSIGN, 1, "grid_leader"),
            (res.STAGE_ACKNOWLEDGE, 2, "town_centre"),
        ]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            stub = pb_grpc.CaseServiceStub(channel)
            now = (await stub.GetCase(pb.GetCaseRequest(case_id=case.case_id))).case
            timeline = (await stub.GetTimeline(pb.GetTimelineRequest(case_id=case.case_id))).changes
        assert (now.escalation_level, now.escalated_to) == (2, "town_centre")
        status = {d.stage: d.status for d in now.deadlines}
        assert status[res.STAGE_ASSIGN] == status[res.STAGE_ACKNOWLEDGE] == res.Deadline.STATUS_BREACHED
        assert status[res.STAGE_RESOLVE] == res.Deadline.STATUS_PENDING
        assert [c.action for c in timeline] == ["opened", "sla_breached", "sla_breached"]
    finally:
        await app.stop()


async def test_deadlines_fire_after_a_restart_and_once_across_replicas(settings, tmp_path, nc, h):
    cfg = _settings(settings, tmp_path)
    first = App(cfg)
    await first.start()
    case = await _open(first)
    await first.stop()  # down before the 1 s assign deadline; nothing in memory survives
    await asyncio.sleep(2.5)  # both deadlines pass while no replica runs
    replicas = [App(cfg), App(cfg)]
    await asyncio.gather(*(r.start() for r in replicas))
    try:

        async def both():
            found = await _breaches(nc, h, replicas[0])
            return found if len(found) >= 2 else None

        await h.eventually(both)
        await asyncio.sleep(0.5)
        breaches = await _breaches(nc, h, replicas[0])
        assert sorted(b.stage for b in breaches) == [res.STAGE_ASSIGN, res.STAGE_ACKNOWLEDGE]
        assert {b.case.case_id for b in breaches} == {case.case_id}
    finally:
        await asyncio.gather(*(r.stop() for r in replicas))


async def test_meeting_a_deadline_stops_its_timer(settings, tmp_path, nc, h):
    app = App(_settings(settings, tmp_path))
    await app.start()
    try:
        case = await _open(app)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            await pb_grpc.CaseServiceStub(channel).TransitionCase(
                pb.TransitionCaseRequest(
                    case_id=case.case_id, to_state=res.CASE_STATE_ASSIGNED, actor="李栋梁", assignee="unit-01"
                )
            )
        await asyncio.sleep(2.5)  # past both deadlines: assign was met, acknowledge was not
        breaches = await _breaches(nc, h, app)
        assert [b.stage for b in breaches] == [res.STAGE_ACKNOWLEDGE]
    finally:
        await app.stop()
