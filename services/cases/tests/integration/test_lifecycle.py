"""The life of a case through the API: transitions, refusals that say what is allowed, notes, evidence,
the timeline, watching with a resumable cursor, and evidence access by grid."""

import asyncio

import grpc
import pytest
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2

S = res


async def _open(stub, request_id="call-1", place_id="gengduyuan-refuse-1", **kw):
    return (
        await stub.OpenCase(
            pb.OpenCaseRequest(
                request_id=request_id,
                case_type="manual_report",
                actor="duty-desk",
                place_id=place_id,
                title="垃圾袋堆在垃圾厢房外",
                **kw,
            )
        )
    ).case


async def _move(stub, case_id, state, **kw):
    return (
        await stub.TransitionCase(pb.TransitionCaseRequest(case_id=case_id, to_state=state, actor="李栋梁", **kw))
    ).case


async def test_the_whole_loop_from_open_to_closed_is_on_the_timeline(stub):
    case = await _open(stub)
    case = await _move(stub, case.case_id, S.CASE_STATE_ASSIGNED, assignee="unit-01")
    assert case.assignee == "unit-01"
    for state in (S.CASE_STATE_ACKNOWLEDGED, S.CASE_STATE_ON_SITE, S.CASE_STATE_RESOLVED, S.CASE_STATE_CLOSED):
        case = await _move(stub, case.case_id, state)
    assert case.state == S.CASE_STATE_CLOSED
    assert all(d.status == res.Deadline.STATUS_MET for d in case.deadlines)
    timeline = (await stub.GetTimeline(pb.GetTimelineRequest(case_id=case.case_id))).changes
    assert [c.action for c in timeline] == ["opened", "assigned", "acknowledged", "on_site", "resolved", "closed"]
    assert all(c.actor for c in timeline) and timeline[1].actor == "李栋梁"
    assert [c.cursor for c in timeline] == sorted(c.cursor for c in timeline)


async def test_open_case_is_idempotent_on_request_id(stub):
    first = await _open(stub, request_id="call-7")
    again = await _open(stub, request_id="call-7")
    assert again.case_id == first.case_id
    assert len((await stub.ListCases(pb.ListCasesRequest())).cases) == 1


@pytest.mark.parametrize(
    ("path", "target", "words"),
    [
        ((), S.CASE_STATE_CLOSED, "is OPENED; it cannot become CLOSED (allowed next: ASSIGNED, CANCELLED, RESOLVED)"),
        (
            (S.CASE_STATE_RESOLVED,),
            S.CASE_STATE_ON_SITE,
            "is RESOLVED; it cannot become ON_SITE (allowed next: CLOSED, REOPENED)",
        ),
    ],
)
async def test_invalid_transitions_name_the_state_and_what_is_allowed(stub, path, target, words):
    case = await _open(stub)
    for state in path:
        await _move(stub, case.case_id, state)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _move(stub, case.case_id, target)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert words in err.value.details()


@pytest.mark.parametrize(
    ("state", "kw", "words"),
    [
        (S.CASE_STATE_ASSIGNED, {}, "assignee is required"),
        (S.CASE_STATE_CANCELLED, {}, "a reason is required"),
    ],
)
async def test_transitions_that_need_more_say_so(stub, state, kw, words):
    case = await _open(stub)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _move(stub, case.case_id, state, **kw)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and words in err.value.details()


async def test_cancel_voids_deadlines_and_reopen_restarts_them(stub):
    case = await _open(stub)
    case = await _move(stub, case.case_id, S.CASE_STATE_CANCELLED, reason="false alarm: a delivery cart")
    assert case.reason == "false alarm: a delivery cart"
    timed = [d for d in case.deadlines if d.stage != res.STAGE_DISCOVER]
    assert {d.status for d in timed} == {res.Deadline.STATUS_VOID}
    case = await _move(stub, case.case_id, S.CASE_STATE_REOPENED, reason="it was litter after all")
    timed = [d for d in case.deadlines if d.stage != res.STAGE_DISCOVER]
    assert {d.status for d in timed} == {res.Deadline.STATUS_PENDING}
    assert min(d.due_at.seconds for d in timed) >= case.updated_at.seconds


async def test_unknown_case_is_not_found(stub):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetCase(pb.GetCaseRequest(case_id="c-nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_list_filters_sorts_and_pages(stub):
    for i in range(5):
        await _open(stub, request_id=f"r-{i}", place_id=f"place-{i}")
    first = await _open(stub, request_id="lift", place_id="gengduyuan-22")
    await _move(stub, first.case_id, S.CASE_STATE_CANCELLED, reason="test")
    page = await stub.ListCases(
        pb.ListCasesRequest(page=common_pb2.PageRequest(page_size=2), states=[S.CASE_STATE_OPENED])
    )
    seen = [c.case_id for c in page.cases]
    while page.page.next_page_token:
        page = await stub.ListCases(
            pb.ListCasesRequest(
                page=common_pb2.PageRequest(page_size=2, page_token=page.page.next_page_token),
                states=[S.CASE_STATE_OPENED],
            )
        )
        seen += [c.case_id for c in page.cases]
    assert len(seen) == len(set(seen)) == 5 and first.case_id not in seen
    by_deadline = (await stub.ListCases(pb.ListCasesRequest(order=pb.CASE_ORDER_DEADLINE))).cases
    nearest = [
        min(d.due_at.ToDatetime() for d in c.deadlines if d.status == res.Deadline.STATUS_PENDING) for c in by_deadline
    ]
    assert nearest == sorted(nearest) and len(by_deadline) == 5  # the cancelled one has nothing pending


async def test_notes_and_uploaded_evidence_and_access_by_grid(app, stub):
    case = await _open(stub)
    await stub.AddNote(pb.AddNoteRequest(case_id=case.case_id, actor="unit-01", text="物业已通知"))
    jpeg = b"\xff\xd8\xff\xe0" + b"snapshot" * 100
    ref = (
        await stub.AddEvidence(
            pb.AddEvidenceRequest(
                case_id=case.case_id, actor="unit-01", upload=pb.EvidenceUpload(data=jpeg, content_type="image/jpeg")
            )
        )
    ).evidence
    got = await stub.GetEvidence(pb.GetEvidenceRequest(case_id=case.case_id, key=ref.key))
    assert got.data == jpeg and got.evidence.content_type == "image/jpeg"
    town = await stub.GetEvidence(
        pb.GetEvidenceRequest(case_id=case.case_id, key=ref.key), metadata=[("x-mb-grids", "*")]
    )
    assert town.data == jpeg
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetEvidence(
            pb.GetEvidenceRequest(case_id=case.case_id, key=ref.key), metadata=[("x-mb-grids", "longbai")]
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    timeline = (await stub.GetTimeline(pb.GetTimelineRequest(case_id=case.case_id))).changes
    assert [c.action for c in timeline] == ["opened", "note", "evidence"]
    assert timeline[1].note == "物业已通知" and timeline[2].evidence.key == ref.key


async def test_watch_resumes_after_the_last_cursor_seen(stub):
    case = await _open(stub)
    call = stub.WatchCases(pb.WatchCasesRequest(after_cursor=0))
    opened = await asyncio.wait_for(call.read(), 10)
    assert opened.change.action == "opened" and opened.case.case_id == case.case_id
    await _move(stub, case.case_id, S.CASE_STATE_ASSIGNED, assignee="unit-02")
    assigned = await asyncio.wait_for(call.read(), 10)
    assert assigned.change.action == "assigned" and assigned.case.assignee == "unit-02"
    call.cancel()  # the dashboard disconnects; meanwhile the case moves on
    await _move(stub, case.case_id, S.CASE_STATE_ACKNOWLEDGED)
    resumed = stub.WatchCases(pb.WatchCasesRequest(after_cursor=assigned.change.cursor))
    missed = await asyncio.wait_for(resumed.read(), 10)
    assert missed.change.action == "acknowledged" and missed.change.cursor > assigned.change.cursor
    resumed.cancel()
