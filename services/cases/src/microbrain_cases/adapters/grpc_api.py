"""CaseService over gRPC: translates requests to use cases and back."""

import base64
import logging
from datetime import UTC, datetime

import grpc
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain.cases.v1 import resources_pb2 as res
from microbrain_kit import errors

from microbrain_cases.domain import service
from microbrain_cases.domain.models import Case

log = logging.getLogger(__name__)
MAX_PAGE = 500
GRIDS_KEY = "x-mb-grids"


def _offset(token: str) -> int:
    try:
        return int(base64.b64decode(token, altchars=b"-_", validate=True).decode()) if token else 0
    except ValueError:
        raise errors.InvalidArgument("page_token is not one this server issued") from None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def now() -> datetime:
    return datetime.now(UTC)


class CaseServicer(pb_grpc.CaseServiceServicer):
    """The gRPC face of cases."""

    def __init__(self, app) -> None:  # app: microbrain_cases.wiring.App
        self.app = app

    async def _case(self, session, case: Case) -> res.Case:
        return await service.snapshot(session, case)

    async def OpenCase(self, request: pb.OpenCaseRequest, context) -> pb.OpenCaseResponse:
        if not request.request_id:
            raise errors.InvalidArgument("request_id is required, so that a retried call opens one case")
        if not request.case_type:
            raise errors.InvalidArgument("case_type is required, for example manual_report")
        when = request.occurred_at.ToDatetime(tzinfo=UTC) if request.HasField("occurred_at") else now()
        if when > now():
            raise errors.InvalidArgument("occurred_at is in the future")
        opening = service.Opening(
            grid_id=self.app.settings.grid_id,
            source_id=f"request:{request.request_id}",
            case_type=request.case_type,
            severity=request.severity,
            occurred_at=when,
            actor=request.actor or "unknown",
            place_id=request.place_id,
            lat=request.location.lat if request.HasField("location") else None,
            lon=request.location.lon if request.HasField("location") else None,
            title=request.title,
            description=request.description,
            evidence=tuple(request.evidence),
        )
        async with self.app.sessions() as session:
            case, _ = await service.open_case(session=session, opening=opening, policies=self.app.policies, now=now())
            await session.commit()
            reply = pb.OpenCaseResponse(case=await self._case(session, case))
        self.app.changed()
        return reply

    async def GetCase(self, request: pb.GetCaseRequest, context) -> pb.GetCaseResponse:
        async with self.app.sessions() as session:
            case = await service.get_case(session=session, case_id=request.case_id)
            return pb.GetCaseResponse(case=await self._case(session, case))

    async def ListCases(self, request: pb.ListCasesRequest, context) -> pb.ListCasesResponse:
        if request.page.page_size < 0:
            raise errors.InvalidArgument("page_size must not be negative")
        size, offset = min(request.page.page_size or 50, MAX_PAGE), _offset(request.page.page_token)
        opened = request.opened
        async with self.app.sessions() as session:
            cases = await service.list_cases(
                session=session,
                grid_id=self.app.settings.grid_id,
                case_types=list(request.case_types),
                states=list(request.states),
                place_id=request.place_id,
                opened_from=opened.start.ToDatetime(tzinfo=UTC) if opened.HasField("start") else None,
                opened_to=opened.end.ToDatetime(tzinfo=UTC) if opened.HasField("end") else None,
                by_deadline=request.order == pb.CASE_ORDER_DEADLINE,
                offset=offset,
                limit=size + 1,
            )
            reply = pb.ListCasesResponse(cases=[await self._case(session, c) for c in cases[:size]])
        if len(cases) > size:
            reply.page.next_page_token = _token(offset + size)
        return reply

    async def TransitionCase(self, request: pb.TransitionCaseRequest, context) -> pb.TransitionCaseResponse:
        async with self.app.sessions() as session:
            case = await service.transition(
                session=session,
                case_id=request.case_id,
                to_state=request.to_state,
                actor=request.actor,
                now=now(),
                policies=self.app.policies,
                reason=request.reason,
                assignee=request.assignee,
            )
            await session.commit()
            reply = pb.TransitionCaseResponse(case=await self._case(session, case))
        self.app.changed()
        return reply

    async def AddNote(self, request: pb.AddNoteRequest, context) -> pb.AddNoteResponse:
        async with self.app.sessions() as session:
            change = await service.add_note(
                session=session, case_id=request.case_id, actor=request.actor, text=request.text, now=now()
            )
            await session.commit()
        self.app.changed()
        return pb.AddNoteResponse(change=change)

    async def AddEvidence(self, request: pb.AddEvidenceRequest, context) -> pb.AddEvidenceResponse:
        which = request.WhichOneof("evidence")
        if which is None:
            raise errors.InvalidArgument("set ref (already stored) or upload (bytes to store)")
        async with self.app.sessions() as session:
            await service.get_case(session=session, case_id=request.case_id)
        if which == "upload":
            up = request.upload
            ref = await self.app.evidence.put(
                self.app.settings.grid_id,
                up.data,
                content_type=up.content_type,
                captured_at=up.captured_at.ToDatetime(tzinfo=UTC) if up.HasField("captured_at") else None,
            )
        else:
            ref = request.ref
        async with self.app.sessions() as session:
            await service.add_evidence(
                session=session, case_id=request.case_id, actor=request.actor, ref=ref, now=now()
            )
            await session.commit()
        self.app.changed()
        return pb.AddEvidenceResponse(evidence=ref)

    async def GetTimeline(self, request: pb.GetTimelineRequest, context) -> pb.GetTimelineResponse:
        async with self.app.sessions() as session:
            return pb.GetTimelineResponse(changes=await service.timeline(session=session, case_id=request.case_id))

    async def GetEvidence(self, request: pb.GetEvidenceRequest, context) -> pb.GetEvidenceResponse:
        async with self.app.sessions() as session:
            case, _ = await service.evidence_of(session=session, case_id=request.case_id, key=request.key)
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        grids = {g.strip() for g in metadata.get(GRIDS_KEY, self.app.settings.grid_id).split(",") if g.strip()}
        if "*" not in grids and case.grid_id not in grids:
            raise errors.PermissionDenied(
                f"case {case.case_id} belongs to grid {case.grid_id}; your grids are {', '.join(sorted(grids))}"
            )
        ref, data = await self.app.evidence.get(case.grid_id, request.key)
        return pb.GetEvidenceResponse(evidence=ref, data=data)

    async def WatchCases(self, request: pb.WatchCasesRequest, context: grpc.aio.ServicerContext):
        cursor = request.after_cursor
        if cursor < 0:
            raise errors.InvalidArgument("after_cursor must not be negative")
        while True:
            async with self.app.sessions() as session:
                rows = await service.changes_after(session=session, cursor=cursor)
            for row in rows:
                cursor = row.cursor
                yield pb.WatchCasesResponse(change=service.read_change(row), case=res.Case.FromString(row.snapshot))
            if not rows:
                await self.app.wait_for_changes(timeout=1.0)  # changes here wake it at once; other replicas' in 1 s
