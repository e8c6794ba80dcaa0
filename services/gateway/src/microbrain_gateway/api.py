"""The HTTP API v1 (services/gateway/API.md): each route checks role and grid, then calls the grid's gRPC service
and renders its reply with MessageToDict."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated

import grpc
from fastapi import APIRouter, Depends, Query, Request, Response
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from google.protobuf.message import Message
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import analytics_service_pb2 as an_pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as an_grpc
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.common.v1 import common_pb2
from microbrain.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as dispatch_grpc
from microbrain.ingest.v1 import ingest_service_pb2 as ingest_pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as ingest_grpc
from microbrain.registry.v1 import registry_service_pb2 as reg_pb
from microbrain.registry.v1 import registry_service_pb2_grpc as reg_grpc
from microbrain.registry.v1 import resources_pb2 as reg_res
from microbrain.vision.v1 import vision_service_pb2 as vision_pb
from microbrain.vision.v1 import vision_service_pb2_grpc as vision_grpc
from microbrain_kit import telemetry
from microbrain_kit.alarms import alarm_subject
from microbrain_kit.bus import stream_name
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from pydantic import BaseModel, Field
from sqlalchemy import select

from microbrain_gateway import auth
from microbrain_gateway.auth import ApiError, User, check_grid, current_user, require
from microbrain_gateway.config import Grid
from microbrain_gateway.models import AuditRow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")
Caller = Annotated[User, Depends(current_user)]
RPC_TIMEOUT_S = 10.0
GRIDS_KEY = "x-mb-grids"  # cases' GetEvidence serves only cases of these grids

HTTP_OF = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
}


def to_dict(message: Message) -> dict:
    """A protobuf message as the API renders it (snake_case, enum names)."""
    return MessageToDict(message, preserving_proto_field_name=True)


class Clients:
    """One gRPC channel per target, open for the gateway's life; stubs per grid."""

    def __init__(self, grids: dict[str, Grid], registry_target: str) -> None:
        self.grids, self.registry_target = grids, registry_target
        self._channels: dict[str, grpc.aio.Channel] = {}

    def _channel(self, target: str) -> grpc.aio.Channel:
        if target not in self._channels:
            self._channels[target] = grpc.aio.insecure_channel(target)
        return self._channels[target]

    def cases(self, grid: str) -> cases_grpc.CaseServiceStub:
        return cases_grpc.CaseServiceStub(self._channel(self.grids[grid].cases_target))

    def dispatch(self, grid: str) -> dispatch_grpc.DispatchServiceStub:
        return dispatch_grpc.DispatchServiceStub(self._channel(self.grids[grid].dispatch_target))

    def analytics(self, grid: str) -> an_grpc.AnalyticsServiceStub:
        return an_grpc.AnalyticsServiceStub(self._channel(self.grids[grid].analytics_target))

    def ingest(self, grid: str) -> ingest_grpc.IngestServiceStub:
        return ingest_grpc.IngestServiceStub(self._channel(self.grids[grid].ingest_target))

    def vision(self, grid: str) -> vision_grpc.VisionServiceStub:
        return vision_grpc.VisionServiceStub(self._channel(self.grids[grid].vision_target))

    def registry(self) -> reg_grpc.RegistryServiceStub:
        return reg_grpc.RegistryServiceStub(self._channel(self.registry_target))

    async def close(self) -> None:
        await asyncio.gather(*(ch.close() for ch in self._channels.values()), return_exceptions=True)
        self._channels.clear()


async def rpc(method, request: Message, *, metadata: list[tuple[str, str]] | None = None):
    """Calls a unary gRPC method with the trace context; a gRPC error becomes the API's ApiError."""
    try:
        return await method(request, metadata=telemetry.grpc_metadata() + (metadata or []), timeout=RPC_TIMEOUT_S)
    except grpc.aio.AioRpcError as exc:
        code = exc.code()
        status = HTTP_OF.get(code, 500)
        message = exc.details() or code.name
        if status == 500:
            log.error("gRPC %s failed: %s %s", getattr(method, "_method", method), code.name, message)
        raise ApiError(status, code.name, message) from None


def clients(request: Request) -> Clients:
    return request.app.state.clients


def grid_for(request: Request, user: User, grid: str, permission: str = "read") -> str:
    """The grid of a route once the user may use it: 403 (role or grid), 404 (a grid this gateway does not front)."""
    require(user, permission)
    check_grid(user, grid)
    if grid not in clients(request).grids:
        raise ApiError(404, "NOT_FOUND", f"grid {grid} is not one this gateway fronts")
    return grid


async def case_in_grid(request: Request, grid: str, case_id: str) -> case_res.Case:
    """The case when it belongs to grid; 404 otherwise (a case of another grid is never shown)."""
    reply = await rpc(clients(request).cases(grid).GetCase, cases_pb.GetCaseRequest(case_id=case_id))
    if reply.case.grid_id != grid:
        raise ApiError(404, "NOT_FOUND", f"case {case_id} not found in grid {grid}")
    return reply.case


def enum_value(enum, name: str, what: str) -> int:
    try:
        return enum.Value(name)
    except ValueError:
        raise ApiError(400, "INVALID_ARGUMENT", f"unknown {what} {name!r}") from None


# -- auth --------------------------------------------------------------------------------------------------------


class LoginBody(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


@router.post("/auth/login", tags=["auth"])
async def login(body: LoginBody, request: Request) -> dict:
    """Exchanges a username and password for a bearer token (401 on a bad pair, 429 when rate limited)."""
    limiter = request.app.state.limiter
    ip = request.client.host if request.client else "-"
    wait = limiter.retry_after(body.username, ip)
    if wait:
        raise ApiError(
            429, "RESOURCE_EXHAUSTED", f"too many failed logins: retry in {wait} s", {"Retry-After": str(wait)}
        )
    authn: auth.Authenticator = request.app.state.auth
    user = await authn.login(body.username, body.password)
    if user is None:
        limiter.failed(body.username, ip)
        log.info("login failed", extra={"username": body.username, "client_ip": ip})
        raise auth.unauthenticated("wrong username or password")
    limiter.succeeded(body.username)
    return {
        "access_token": authn.issue(user),
        "token_type": "bearer",
        "expires_in": authn.ttl_s,
        "user": user.public(),
    }


@router.get("/me", tags=["auth"])
async def me(user: Caller) -> dict:
    """The calling user."""
    return user.public()


@router.get("/grids", tags=["grids"])
async def grids(user: Caller, request: Request) -> dict:
    """The grids the user may see."""
    known = clients(request).grids.values()
    return {"grids": [{"grid_id": g.grid_id, "name": g.name} for g in known if user.sees(g.grid_id)]}


@router.get("/audit", tags=["auth"])
async def audit(
    user: Caller,
    request: Request,
    username: str = "",
    before_id: int = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    """The audit log of mutating calls, newest first (auditor, town admin)."""
    require(user, "audit")
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if username:
        query = query.where(AuditRow.username == username)
    if before_id:
        query = query.where(AuditRow.id < before_id)
    async with request.app.state.sessions() as session:
        rows = (await session.scalars(query)).all()
    return {
        "entries": [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "username": r.username,
                "method": r.method,
                "path": r.path,
                "status": r.status,
                "detail": r.detail,
            }
            for r in rows
        ]
    }


# -- cases -------------------------------------------------------------------------------------------------------


@router.get("/grids/{grid}/cases", tags=["cases"])
async def list_cases(
    grid: str,
    user: Caller,
    request: Request,
    state: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    type: Annotated[list[str], Query()] = [],  # noqa: B006
    page_token: str = "",
    page_size: Annotated[int, Query(ge=0, le=500)] = 0,
) -> dict:
    """The grid's cases, newest first, filtered by state and type."""
    grid_for(request, user, grid)
    req = cases_pb.ListCasesRequest(
        page=common_pb2.PageRequest(page_size=page_size, page_token=page_token),
        case_types=type,
        states=[enum_value(case_res.CaseState, s, "state") for s in state],
    )
    reply = await rpc(clients(request).cases(grid).ListCases, req)
    return {
        "cases": [to_dict(c) for c in reply.cases if c.grid_id == grid],
        "next_page_token": reply.page.next_page_token,
    }


@router.get("/grids/{grid}/cases/{case_id}", tags=["cases"])
async def get_case(grid: str, case_id: str, user: Caller, request: Request) -> dict:
    """A case with its timeline and its dispatch (assignments, linkages)."""
    grid_for(request, user, grid)
    case = await case_in_grid(request, grid, case_id)
    timeline, dispatch = await asyncio.gather(
        rpc(clients(request).cases(grid).GetTimeline, cases_pb.GetTimelineRequest(case_id=case_id)),
        rpc(clients(request).dispatch(grid).GetCaseDispatch, dispatch_pb.GetCaseDispatchRequest(case_id=case_id)),
    )
    return {"case": to_dict(case), "timeline": [to_dict(c) for c in timeline.changes], "dispatch": to_dict(dispatch)}


async def _writable_case(request: Request, user: User, grid: str, case_id: str) -> case_res.Case:
    """The case when the user may change it: write permission, or a field unit the case is assigned to."""
    grid_for(request, user, grid)
    if not user.may("write") and user.role != "field_unit":
        raise auth.forbidden(f"role {user.role} is read-only")
    case = await case_in_grid(request, grid, case_id)
    if not user.may("write") and case.assignee != user.username:
        raise auth.forbidden(f"case {case_id} is not assigned to {user.username}")
    return case


class TransitionBody(BaseModel):
    to_state: str
    assignee: str = ""
    reason: str = Field(default="", max_length=2000)


@router.post("/grids/{grid}/cases/{case_id}/transition", tags=["cases"])
async def transition(grid: str, case_id: str, body: TransitionBody, user: Caller, request: Request) -> dict:
    """Moves a case to another state; the actor is the calling user."""
    await _writable_case(request, user, grid, case_id)
    req = cases_pb.TransitionCaseRequest(
        case_id=case_id,
        to_state=enum_value(case_res.CaseState, body.to_state, "state"),
        actor=user.username,
        reason=body.reason,
        assignee=body.assignee,
    )
    reply = await rpc(clients(request).cases(grid).TransitionCase, req)
    return {"case": to_dict(reply.case)}


class NoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/grids/{grid}/cases/{case_id}/notes", tags=["cases"])
async def add_note(grid: str, case_id: str, body: NoteBody, user: Caller, request: Request) -> dict:
    """Adds a note to a case's timeline."""
    await _writable_case(request, user, grid, case_id)
    req = cases_pb.AddNoteRequest(case_id=case_id, actor=user.username, text=body.text)
    reply = await rpc(clients(request).cases(grid).AddNote, req)
    return {"change": to_dict(reply.change)}


@router.get("/grids/{grid}/evidence/{key:path}", tags=["cases"], response_class=Response)
async def evidence(grid: str, key: str, user: Caller, request: Request, case_id: str) -> Response:
    """A case's piece of evidence (the bytes, with their content type); ?case_id= names the case."""
    grid_for(request, user, grid)
    reply = await rpc(
        clients(request).cases(grid).GetEvidence,
        cases_pb.GetEvidenceRequest(case_id=case_id, key=key),
        metadata=[(GRIDS_KEY, grid)],
    )
    return Response(
        content=reply.data,
        media_type=reply.evidence.content_type or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=3600"},
    )


# -- dispatch and devices ----------------------------------------------------------------------------------------


@router.get("/grids/{grid}/units", tags=["dispatch"])
async def units(grid: str, user: Caller, request: Request) -> dict:
    """The grid's field units with their status and last position."""
    grid_for(request, user, grid)
    reply = await rpc(clients(request).dispatch(grid).ListUnits, dispatch_pb.ListUnitsRequest())
    return {"units": [to_dict(u) for u in reply.units if u.grid_id in ("", grid)]}


class CallBody(BaseModel):
    case_id: str
    unit_ids: list[str] = []
    radius_m: float = 0


@router.post("/grids/{grid}/calls", tags=["dispatch"])
async def start_call(grid: str, body: CallBody, user: Caller, request: Request) -> dict:
    """Rings units (or those within radius_m of the case) for a case; the caller is the calling user."""
    grid_for(request, user, grid, "write")
    await case_in_grid(request, grid, body.case_id)
    req = dispatch_pb.StartCallRequest(
        case_id=body.case_id, caller=f"desk:{user.username}", unit_ids=body.unit_ids, radius_m=body.radius_m
    )
    return to_dict(await rpc(clients(request).dispatch(grid).StartCall, req))


@router.get("/grids/{grid}/devices", tags=["devices"])
async def devices(grid: str, user: Caller, request: Request, page_token: str = "") -> dict:
    """The grid's devices with their online state."""
    grid_for(request, user, grid, "devices")
    req = ingest_pb.ListDevicesRequest(page=common_pb2.PageRequest(page_size=1000, page_token=page_token))
    reply = await rpc(clients(request).ingest(grid).ListDevices, req)
    return {
        "devices": [to_dict(d) for d in reply.devices if d.grid_id == grid],
        "next_page_token": reply.page.next_page_token,
    }


@router.get("/grids/{grid}/alarms", tags=["cases"])
async def alarms(
    grid: str,
    user: Caller,
    request: Request,
    hours: Annotated[float, Query(gt=0, le=168)] = 24,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """The grid's alarms of the last `hours` (from its alarm stream), newest first: what the live feed shows after a
    page load, before new ones arrive on the event stream."""
    grid_for(request, user, grid)
    js = request.app.state.bus.js
    since = datetime.now(UTC) - timedelta(hours=hours)
    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since)
    try:
        info = await js.stream_info(stream_name(grid, "alarms"))
    except NotFoundError:
        return {"alarms": []}
    found: list[alarms_pb2.AlarmRaised] = []
    if info.state.messages:
        sub = await js.subscribe(alarm_subject(grid), stream=info.config.name, ordered_consumer=True, config=config)
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=0.5)
                except TimeoutError:
                    break  # nothing newer than what came
                found.append(alarms_pb2.AlarmRaised.FromString(msg.data))
                if msg.metadata.sequence.stream >= info.state.last_seq:
                    break
        finally:
            await sub.unsubscribe()
    return {"alarms": [to_dict(a) for a in reversed(found[-limit:])]}


@router.get("/grids/{grid}/cameras", tags=["devices"])
async def cameras(grid: str, user: Caller, request: Request) -> dict:
    """The cameras vision watches in the grid: their place, scenario, regions and schedules (vision's config)."""
    grid_for(request, user, grid, "devices")
    reply = await rpc(clients(request).vision(grid).ListCameras, vision_pb.ListCamerasRequest())
    return {"cameras": [to_dict(c) for c in reply.cameras]}


# -- analytics ---------------------------------------------------------------------------------------------------


@router.get("/grids/{grid}/analytics/kpis", tags=["analytics"])
async def kpis(grid: str, user: Caller, request: Request) -> dict:
    """The grid's KPI tiles."""
    grid_for(request, user, grid, "analytics")
    reply = await rpc(clients(request).analytics(grid).GetKpis, an_pb.GetKpisRequest())
    return {"kpis": to_dict(reply.kpis)}


def _trend_request(start_date: str, end_date: str, group_by: str, language: str) -> an_pb.GetAlarmTrendRequest:
    return an_pb.GetAlarmTrendRequest(
        start_date=start_date,
        end_date=end_date,
        group_by=enum_value(an_pb.GroupBy, group_by, "group_by") if group_by else 0,
        language=language,
    )


@router.get("/grids/{grid}/analytics/trend", tags=["analytics"])
async def trend(
    grid: str,
    user: Caller,
    request: Request,
    start_date: str = "",
    end_date: str = "",
    group_by: str = "GROUP_BY_TYPE",
    language: str = "",
) -> dict:
    """Alarms per day, one series per group."""
    grid_for(request, user, grid, "analytics")
    req = _trend_request(start_date, end_date, group_by, language)
    reply = await rpc(clients(request).analytics(grid).GetAlarmTrend, req)
    return {"trend": to_dict(reply.trend)}


@router.get("/grids/{grid}/analytics/profile", tags=["analytics"])
async def profile(grid: str, user: Caller, request: Request, start_date: str = "", end_date: str = "") -> dict:
    """Out-of-hours dumping by hour of day, per garbage room."""
    grid_for(request, user, grid, "analytics")
    req = an_pb.GetDumpingProfileRequest(start_date=start_date, end_date=end_date)
    reply = await rpc(clients(request).analytics(grid).GetDumpingProfile, req)
    return {"rooms": [to_dict(r) for r in reply.rooms]}


@router.get("/grids/{grid}/analytics/crowd", tags=["analytics"])
async def crowd(grid: str, user: Caller, request: Request) -> dict:
    """Live occupancy per crowd zone."""
    grid_for(request, user, grid, "analytics")
    reply = await rpc(clients(request).analytics(grid).GetCrowdOccupancy, an_pb.GetCrowdOccupancyRequest())
    return {"zones": [to_dict(z) for z in reply.zones]}


@router.get("/grids/{grid}/analytics/sla", tags=["analytics"])
async def sla(grid: str, user: Caller, request: Request, start_date: str = "", end_date: str = "") -> dict:
    """SLA compliance per case type and stage."""
    grid_for(request, user, grid, "analytics")
    req = an_pb.GetSlaComplianceRequest(start_date=start_date, end_date=end_date)
    reply = await rpc(clients(request).analytics(grid).GetSlaCompliance, req)
    return {"rows": [to_dict(r) for r in reply.rows]}


CHARTS = {"trend": an_pb.CHART_TREND, "profile": an_pb.CHART_PROFILE}
FORMATS = {"svg": an_pb.FORMAT_SVG, "png": an_pb.FORMAT_PNG}


@router.get("/grids/{grid}/charts/{name}", tags=["analytics"], response_class=Response)
async def chart(
    grid: str,
    name: str,
    user: Caller,
    request: Request,
    start_date: str = "",
    end_date: str = "",
    language: str = "",
    group_by: str = "",
) -> Response:
    """A chart image: trend.svg, trend.png, profile.svg or profile.png."""
    grid_for(request, user, grid, "analytics")
    kind, _, fmt = name.partition(".")
    if kind not in CHARTS or fmt not in FORMATS:
        raise ApiError(404, "NOT_FOUND", f"no chart {name!r}: trend or profile, .svg or .png")
    req = an_pb.RenderChartRequest(chart=CHARTS[kind], format=FORMATS[fmt], language=language)
    if kind == "trend":
        req.trend.CopyFrom(_trend_request(start_date, end_date, group_by, language))
    else:
        profile = an_pb.GetDumpingProfileRequest(start_date=start_date, end_date=end_date, language=language)
        req.profile.CopyFrom(profile)
    reply = await rpc(clients(request).analytics(grid).RenderChart, req)
    return Response(content=reply.data, media_type=reply.content_type, headers={"Cache-Control": "private, max-age=60"})


# -- registry (town-wide) ----------------------------------------------------------------------------------------


@router.get("/registry/projects/progress", tags=["registry"])
async def project_progress(user: Caller, request: Request, as_of: str = "", year: int = 0) -> dict:
    """Each livelihood project's progress against its target."""
    require(user, "registry")
    req = reg_pb.GetProjectProgressRequest(as_of=as_of, year=year)
    reply = await rpc(clients(request).registry().GetProjectProgress, req)
    return {"projects": [to_dict(p) for p in reply.projects]}


@router.get("/registry/circle", tags=["registry"])
async def service_circle(user: Caller, request: Request, at: str = "", radius_m: float = 0) -> dict:
    """The 5-minute service circle: buildings covered by an open station, and the gaps."""
    require(user, "registry")
    req = reg_pb.GetServiceCircleRequest(radius_m=radius_m)
    if at:
        try:
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "INVALID_ARGUMENT", f"at={at!r} is not an RFC 3339 time") from None
        req.at.FromDatetime(when if when.tzinfo else when.replace(tzinfo=UTC))
    return to_dict(await rpc(clients(request).registry().GetServiceCircle, req))


LISTS = {
    "projects": ("ListProjects", reg_pb.ListProjectsRequest, "projects"),
    "stations": ("ListStations", reg_pb.ListStationsRequest, "stations"),
    "partners": ("ListPartners", reg_pb.ListPartnersRequest, "partners"),
    "buildings": ("ListBuildings", reg_pb.ListBuildingsRequest, "buildings"),
    "firms": ("ListFirms", reg_pb.ListFirmsRequest, "firms"),
    "targets": ("ListTargets", reg_pb.ListTargetsRequest, "targets"),
}


@router.get("/registry/{kind}", tags=["registry"])
async def registry_list(
    kind: str,
    user: Caller,
    request: Request,
    query: str = "",
    page_token: str = "",
    page_size: Annotated[int, Query(ge=0, le=1000)] = 0,
    year: int = 0,
) -> dict:
    """One registry's records (projects, stations, partners, buildings, firms, targets), searched by query."""
    require(user, "registry")
    if kind not in LISTS:
        raise ApiError(404, "NOT_FOUND", f"no registry {kind!r}: one of {', '.join(LISTS)}")
    method, request_type, _ = LISTS[kind]
    req = request_type(page=common_pb2.PageRequest(page_size=page_size, page_token=page_token), query=query)
    if year and kind in ("projects", "targets"):
        req.year = year
    reply = await rpc(getattr(clients(request).registry(), method), req)
    out = to_dict(reply)
    out.setdefault(LISTS[kind][2], [])
    return out


# Registry writes: kind in the path → (record message, its field in requests, id field, rpc suffix).
RECORDS = {
    "projects": (reg_res.LivelihoodProject, "project", "project_id", "Project", reg_res.KIND_PROJECT),
    "stations": (reg_res.ServiceStation, "station", "station_id", "Station", reg_res.KIND_STATION),
    "partners": (reg_res.PartnerUnit, "partner", "partner_id", "Partner", reg_res.KIND_PARTNER),
    "buildings": (reg_res.Building, "building", "building_id", "Building", reg_res.KIND_BUILDING),
    "firms": (reg_res.Firm, "firm", "firm_id", "Firm", reg_res.KIND_FIRM),
    "targets": (reg_res.TownTarget, "target", "target_id", "Target", reg_res.KIND_TARGET),
}
KINDS = {name: spec[4] for name, spec in RECORDS.items()} | {"progress": reg_res.KIND_PROGRESS}
SHEETS = {"csv": reg_pb.FORMAT_CSV, "xlsx": reg_pb.FORMAT_XLSX}


def _record_spec(kind: str):
    if kind not in RECORDS:
        raise ApiError(404, "NOT_FOUND", f"no registry {kind!r}: one of {', '.join(RECORDS)}")
    return RECORDS[kind]


def _parse_record(message_type, body: dict):
    try:
        return ParseDict(body, message_type())
    except ParseError as exc:
        raise ApiError(400, "INVALID_ARGUMENT", f"not a {message_type.DESCRIPTOR.name}: {exc}") from None


@router.post("/registry/{kind}", tags=["registry"], status_code=201)
async def registry_create(kind: str, body: dict, user: Caller, request: Request) -> dict:
    """Creates a record (the JSON of the kind's message, as GET returns it); the user is its actor."""
    require(user, "registry_write")
    message_type, field, _, suffix, _ = _record_spec(kind)
    stub = clients(request).registry()
    req = getattr(reg_pb, f"Create{suffix}Request")(**{field: _parse_record(message_type, body)}, actor=user.username)
    return to_dict(await rpc(getattr(stub, f"Create{suffix}"), req))


@router.put("/registry/{kind}/{record_id}", tags=["registry"])
async def registry_update(kind: str, record_id: str, body: dict, user: Caller, request: Request) -> dict:
    """Replaces a record; `meta.version` must be the version it was read at (409 when it changed since)."""
    require(user, "registry_write")
    message_type, field, id_field, suffix, _ = _record_spec(kind)
    record = _parse_record(message_type, body)
    if getattr(record, id_field) not in ("", record_id):
        raise ApiError(400, "INVALID_ARGUMENT", f"{id_field} in the body is not {record_id!r}")
    setattr(record, id_field, record_id)
    req = getattr(reg_pb, f"Update{suffix}Request")(**{field: record}, actor=user.username)
    return to_dict(await rpc(getattr(clients(request).registry(), f"Update{suffix}"), req))


@router.delete("/registry/{kind}/{record_id}", tags=["registry"])
async def registry_delete(
    kind: str, record_id: str, version: Annotated[int, Query(ge=1)], user: Caller, request: Request
) -> dict:
    """Deletes a record read at `version`."""
    require(user, "registry_write")
    _, _, id_field, suffix, _ = _record_spec(kind)
    req = getattr(reg_pb, f"Delete{suffix}Request")(**{id_field: record_id}, version=version, actor=user.username)
    await rpc(getattr(clients(request).registry(), f"Delete{suffix}"), req)
    return {"deleted": record_id}


@router.post("/registry/{kind}/import", tags=["registry"])
async def registry_import(
    kind: str, request: Request, user: Caller, format: str = "csv", dry_run: bool = False
) -> dict:
    """A spreadsheet of one kind (the raw CSV or XLSX file as the body): created / updated / unchanged and every bad
    row (row as the spreadsheet shows it, column, message)."""
    require(user, "registry_write")
    if kind not in KINDS or format not in SHEETS:
        raise ApiError(404, "NOT_FOUND", f"import {kind!r} as {format!r}: kinds {', '.join(KINDS)}; formats csv, xlsx")
    req = reg_pb.ImportRecordsRequest(
        kind=KINDS[kind], format=SHEETS[format], content=await request.body(), actor=user.username, dry_run=dry_run
    )
    return to_dict(await rpc(clients(request).registry().ImportRecords, req))


@router.get("/registry/{kind}/export", tags=["registry"])
async def registry_export(kind: str, user: Caller, request: Request, format: str = "csv") -> Response:
    """Every record of one kind as a CSV or XLSX download."""
    require(user, "registry")
    if kind not in KINDS or format not in SHEETS:
        raise ApiError(404, "NOT_FOUND", f"export {kind!r} as {format!r}: kinds {', '.join(KINDS)}; formats csv, xlsx")
    reply = await rpc(
        clients(request).registry().ExportRecords, reg_pb.ExportRecordsRequest(kind=KINDS[kind], format=SHEETS[format])
    )
    return Response(
        reply.content,
        media_type=reply.content_type,
        headers={"Content-Disposition": f'attachment; filename="{reply.filename}"'},
    )
