"""Alarms on NATS become cases: opened once per alarm id, repeats attach to the open case."""

import asyncio

from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import events_pb2
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2


async def _cases(stub, **kw):
    return list((await stub.ListCases(pb.ListCasesRequest(**kw))).cases)


async def test_an_alarm_opens_a_case_with_its_facts_and_deadlines(app, stub, raise_alarm, nc, h, settings):
    evidence = common_pb2.EvidenceRef(key="ab" * 32, content_type="image/jpeg", size_bytes=2048)
    a = await raise_alarm(evidence=[evidence], video_url="rtsp://cam-gdy22-lift-a/live")
    [case] = await h.eventually(lambda: _cases(stub))
    assert (case.case_type, case.state, case.place_id) == ("ebike_in_elevator", res.CASE_STATE_OPENED, "gengduyuan-22")
    assert list(case.alarm_ids) == [a.meta.event_id] and case.occurrences == 1
    assert case.occurred_at == a.meta.occurred_at and case.video_url == "rtsp://cam-gdy22-lift-a/live"
    assert [e.key for e in case.evidence] == [evidence.key]
    stages = {d.stage: d for d in case.deadlines}
    assert stages[res.STAGE_DISCOVER].status == res.Deadline.STATUS_MET  # opened within 1 s of the fact
    resolve = stages[res.STAGE_RESOLVE]
    assert resolve.status == res.Deadline.STATUS_PENDING
    assert resolve.due_at.seconds - a.meta.occurred_at.seconds == 300  # the lift scenario: 5 minutes
    opened = await h.eventually(lambda: h.subject_messages(nc, app.stream, f"mb.{settings.grid_id}.cases.case_opened"))
    event = events_pb2.CaseChanged.FromString(opened[0].data)
    assert event.case.case_id == case.case_id and event.change.action == "opened"


async def test_the_same_alarm_twice_opens_one_case(app, stub, raise_alarm, nc, h, settings):
    a = await raise_alarm(alarm_id="alarm-1")
    [case] = await h.eventually(lambda: _cases(stub))
    # A producer that resends after the JetStream duplicate window, or publishes it under another msg id.
    await nc.jetstream().publish(
        f"mb.{settings.grid_id}.alarms.raised", a.SerializeToString(), headers={"Nats-Msg-Id": "different-msg-id"}
    )
    await h.eventually(lambda: _consumed(app, 2))
    [again] = await _cases(stub)
    assert again.case_id == case.case_id and again.occurrences == 1 and list(again.alarm_ids) == ["alarm-1"]


async def _consumed(app, count: int) -> bool:
    info = await app.bus.js.consumer_info(f"mb-{app.settings.grid_id}-alarms", "cases")
    return info.delivered.stream_seq >= count and info.num_ack_pending == 0


async def test_a_repeat_at_the_same_place_attaches_to_the_open_case(app, stub, raise_alarm, h):
    await raise_alarm(alarm_id="first")
    [case] = await h.eventually(lambda: _cases(stub))
    snap = common_pb2.EvidenceRef(key="cd" * 32, content_type="image/jpeg")
    await raise_alarm(alarm_id="second", evidence=[snap])
    await raise_alarm("litter_off_hours", alarm_id="other-type", place_id="gengduyuan-refuse-1")

    async def two_cases():
        cases = await _cases(stub)
        return cases if len(cases) == 2 and any(c.occurrences == 2 for c in cases) else None

    cases = await h.eventually(two_cases)
    repeated = next(c for c in cases if c.case_id == case.case_id)
    assert repeated.occurrences == 2 and sorted(repeated.alarm_ids) == ["first", "second"]
    assert repeated.evidence[-1].key == snap.key
    timeline = (await stub.GetTimeline(pb.GetTimelineRequest(case_id=case.case_id))).changes
    assert [c.action for c in timeline] == ["opened", "repeated"]


async def test_after_the_case_is_resolved_a_new_alarm_opens_a_new_case(app, stub, raise_alarm, h):
    await raise_alarm(alarm_id="before")
    [case] = await h.eventually(lambda: _cases(stub))
    await stub.TransitionCase(
        pb.TransitionCaseRequest(case_id=case.case_id, to_state=res.CASE_STATE_RESOLVED, actor="unit-01")
    )
    await raise_alarm(alarm_id="after")
    cases = await h.eventually(lambda: _two(stub))
    assert len({c.case_id for c in cases}) == 2


async def _two(stub):
    cases = await _cases(stub)
    return cases if len(cases) == 2 else None


async def test_the_case_continues_the_alarms_trace(app, stub, nc, h, settings):
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    a = h.alarm(grid=settings.grid_id)
    await nc.jetstream().publish(
        f"mb.{settings.grid_id}.alarms.raised",
        a.SerializeToString(),
        headers={"Nats-Msg-Id": a.meta.event_id, "traceparent": f"00-{trace_id}-b7ad6b7169203331-01"},
    )
    [msg] = await h.eventually(lambda: h.subject_messages(nc, app.stream, f"mb.{settings.grid_id}.cases.case_opened"))
    assert msg.headers["traceparent"].split("-")[1] == trace_id  # device → alarm → case: one trace
    assert events_pb2.CaseChanged.FromString(msg.data).meta.trace.traceparent.split("-")[1] == trace_id


async def test_repeats_arriving_together_each_count(app, stub, raise_alarm, h):
    await raise_alarm(alarm_id="first")
    [case] = await h.eventually(lambda: _cases(stub))
    await asyncio.gather(*(raise_alarm(alarm_id=f"burst-{i}") for i in range(10)))

    async def all_counted():
        [now] = await _cases(stub)
        return now if now.occurrences == 11 else None

    now = await h.eventually(all_counted)
    assert now is not None, (await _cases(stub))[0].occurrences
    assert now.case_id == case.case_id and len(now.alarm_ids) == 11
