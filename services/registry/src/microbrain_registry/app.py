"""Registry's runtime: the gRPC API over the store, and the outbox relay that publishes RecordChanged events on
mb.<grid>.registry.record_changed (stream mb-<grid>-registry)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import registry_service_pb2_grpc as pb_grpc
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_kit import errors
from microbrain_kit.bus import Bus, stream_name
from microbrain_kit.db import OutboxRelay, create_engine, migrate, session_factory
from microbrain_kit.server import GrpcServer, Registration
from microbrain_kit.times import utcnow

from microbrain_registry import domain, tabular
from microbrain_registry.config import RegistrySettings
from microbrain_registry.metrics import CHANGES
from microbrain_registry.models import Building, Firm, Partner, Project, Station, Target, outbox
from microbrain_registry.store import (
    BUILDING,
    FIRM,
    PARTNER,
    PROJECT,
    STATION,
    TARGET,
    Spec,
    Store,
    Write,
    require_actor,
)

log = logging.getLogger(__name__)
DOMAIN = "registry"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RegistryService"].full_name
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # an imported or exported spreadsheet travels in one message


class App:
    """Everything one registry replica runs."""

    def __init__(self, settings: RegistrySettings, tz: ZoneInfo) -> None:
        self.settings, self.tz = settings, tz
        self.grid = settings.grid_id
        self.engine = create_engine(settings.database_url, schema=settings.database_schema or None)
        self.sessions = session_factory(self.engine)
        self.store = Store(self.grid, tz, settings.circle_radius_m)
        self.grpc = GrpcServer(
            service=DOMAIN,
            host=settings.grpc_host,
            port=settings.grpc_port,
            registrations=[Registration(pb_grpc.add_RegistryServiceServicer_to_server, Servicer(self), SERVICE_NAME)],
            max_message_bytes=MAX_MESSAGE_BYTES,
        )

    async def start(self) -> None:
        await migrate(self.engine, MIGRATIONS, version_table="registry_alembic_version")
        self.bus = await Bus.connect(self.settings.nats_url, name=f"registry-{self.grid}")
        await self.bus.ensure_stream(stream_name(self.grid, DOMAIN), [f"mb.{self.grid}.{DOMAIN}.*"])
        self.relay = OutboxRelay(self.sessions, outbox, self.bus)
        self.relay.start()
        self.port = await self.grpc.start()

    async def stop(self) -> None:
        await self.grpc.stop(self.settings.shutdown_grace_s)
        await self.relay.stop()
        await self.bus.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def write(self, *, dry_run: bool = False) -> AsyncIterator[Write]:
        """A write transaction: committed (and its events handed to the relay) when the block ends, or rolled
        back when it raises — or always, for a dry run."""
        async with self.sessions() as session:
            w = Write(session)
            yield w
            if dry_run:
                await session.rollback()
                return
            await session.commit()
        for kind, action in w.changes:
            CHANGES.labels(kind, action).inc()
        if w.changes:
            self.relay.notify()


# ---------------------------------------------------------------- list filters per kind


def _project_filters(r: pb.ListProjectsRequest) -> list:
    out = []
    if r.category:
        out.append(Project.category == r.category)
    if r.status:
        domain.check_enum("status", r.status, res.ProjectStatus)
        out.append(Project.status == r.status)
    if r.year:
        out.append(Project.year == r.year)
    return out


def _station_filters(r: pb.ListStationsRequest) -> list:
    out = []
    if r.building_id:
        out.append(Station.building_id == r.building_id)
    if r.service:
        out.append(Station.services.contains(f"\n{r.service}\n", autoescape=True))
    return out


def _partner_filters(r: pb.ListPartnersRequest) -> list:
    return [Partner.type == r.type] if r.type else []


def _building_filters(r: pb.ListBuildingsRequest) -> list:
    out = []
    if r.kind:
        domain.check_enum("kind", r.kind, res.BuildingKind)
        out.append(Building.kind == r.kind)
    if r.billion_yuan_only:
        out.append(Building.latest_tax_yuan >= domain.YI)
    return out


def _firm_filters(r: pb.ListFirmsRequest) -> list:
    out = []
    if r.building_id:
        out.append(Firm.building_id == r.building_id)
    if r.newly_signed_only:
        out.append(Firm.signed_date != "")
    return out


def _target_filters(r: pb.ListTargetsRequest) -> list:
    return [Target.year == r.year] if r.year else []


# ---------------------------------------------------------------- the five rpcs of every kind
# Each kind's requests and replies differ only in names: CreateProjectRequest.project, GetProjectRequest.project_id,
# ListProjectsResponse.projects, …; these build the servicer's methods from the kind's Spec.


def _title(spec: Spec) -> tuple[str, str]:
    return spec.name.capitalize(), spec.plural.capitalize()


def _create(spec: Spec):
    reply = getattr(pb, f"Create{_title(spec)[0]}Response")

    async def create(self: "Servicer", request, context):
        async with self.app.write() as w:
            msg = await self.app.store.create(w, spec, getattr(request, spec.oneof), request.actor)
        return reply(**{spec.oneof: msg})

    return create


def _get(spec: Spec):
    reply = getattr(pb, f"Get{_title(spec)[0]}Response")

    async def get(self: "Servicer", request, context):
        async with self.app.sessions() as session:
            msg = await self.app.store.get(session, spec, getattr(request, spec.id_field))
        return reply(**{spec.oneof: msg})

    return get


def _list(spec: Spec, filters):
    reply = getattr(pb, f"List{_title(spec)[1]}Response")

    async def list_(self: "Servicer", request, context):
        where = filters(request)
        async with self.app.sessions() as session:
            msgs, token, total = await self.app.store.page(session, spec, where, request.query, request.page)
        out = reply(**{spec.plural: msgs}, total_size=total)
        out.page.next_page_token = token
        return out

    return list_


def _update(spec: Spec):
    reply = getattr(pb, f"Update{_title(spec)[0]}Response")

    async def update_(self: "Servicer", request, context):
        async with self.app.write() as w:
            msg = await self.app.store.update(w, spec, getattr(request, spec.oneof), request.actor)
        return reply(**{spec.oneof: msg})

    return update_


def _delete(spec: Spec):
    reply = getattr(pb, f"Delete{_title(spec)[0]}Response")

    async def delete_(self: "Servicer", request, context):
        async with self.app.write() as w:
            await self.app.store.delete(w, spec, getattr(request, spec.id_field), request.version, request.actor)
        return reply()

    return delete_


class Servicer(pb_grpc.RegistryServiceServicer):
    """The gRPC face of the registry."""

    def __init__(self, app: App) -> None:
        self.app = app

    CreateProject = _create(PROJECT)
    GetProject = _get(PROJECT)
    ListProjects = _list(PROJECT, _project_filters)
    UpdateProject = _update(PROJECT)
    DeleteProject = _delete(PROJECT)

    CreateStation = _create(STATION)
    GetStation = _get(STATION)
    ListStations = _list(STATION, _station_filters)
    UpdateStation = _update(STATION)
    DeleteStation = _delete(STATION)

    CreatePartner = _create(PARTNER)
    GetPartner = _get(PARTNER)
    ListPartners = _list(PARTNER, _partner_filters)
    UpdatePartner = _update(PARTNER)
    DeletePartner = _delete(PARTNER)

    CreateBuilding = _create(BUILDING)
    GetBuilding = _get(BUILDING)
    ListBuildings = _list(BUILDING, _building_filters)
    UpdateBuilding = _update(BUILDING)
    DeleteBuilding = _delete(BUILDING)

    CreateFirm = _create(FIRM)
    GetFirm = _get(FIRM)
    ListFirms = _list(FIRM, _firm_filters)
    UpdateFirm = _update(FIRM)
    DeleteFirm = _delete(FIRM)

    CreateTarget = _create(TARGET)
    GetTarget = _get(TARGET)
    ListTargets = _list(TARGET, _target_filters)
    UpdateTarget = _update(TARGET)
    DeleteTarget = _delete(TARGET)

    async def AddProgress(self, request, context) -> pb.AddProgressResponse:
        async with self.app.write() as w:
            entry = await self.app.store.add_progress(w, request.entry, request.actor)
        return pb.AddProgressResponse(entry=entry)

    async def ListProgress(self, request, context) -> pb.ListProgressResponse:
        async with self.app.sessions() as session:
            return pb.ListProgressResponse(entries=await self.app.store.list_progress(session, request.project_id))

    async def GetProjectProgress(self, request, context) -> pb.GetProjectProgressResponse:
        async with self.app.sessions() as session:
            projects = await self.app.store.project_progress(
                session, list(request.project_ids), request.as_of, request.year
            )
        return pb.GetProjectProgressResponse(projects=projects)

    async def GetServiceCircle(self, request, context) -> pb.GetServiceCircleResponse:
        at = request.at.ToDatetime(tzinfo=UTC) if request.HasField("at") else utcnow()
        async with self.app.sessions() as session:
            return await self.app.store.service_circle(session, at, request.radius_m, list(request.kinds))

    async def AddFollowUp(self, request, context) -> pb.AddFollowUpResponse:
        async with self.app.write() as w:
            firm = await self.app.store.add_follow_up(
                w, request.firm_id, request.follow_up, request.version, request.actor
            )
        return pb.AddFollowUpResponse(firm=firm)

    async def ImportRecords(self, request, context) -> pb.ImportRecordsResponse:
        kind, fmt = _kind_and_format(request.kind, request.format)
        if not request.dry_run:
            require_actor(request.actor)
        try:
            rows, parse_errors = await asyncio.to_thread(tabular.parse, kind, fmt, request.content)
        except ValueError as exc:
            raise errors.InvalidArgument(str(exc)) from None
        async with self.app.write(dry_run=request.dry_run) as w:
            out, bad = await self.app.store.import_records(w, kind, rows, request.actor)
        out.rows = len(rows) + len({e.row for e in parse_errors})
        out.errors.extend(sorted([*parse_errors, *bad], key=lambda e: e.row))
        log.info(
            "import of %s%s: %d rows, %d created, %d updated, %d unchanged, %d errors",
            res.Kind.Name(kind),
            " (dry run)" if request.dry_run else "",
            out.rows,
            out.created,
            out.updated,
            out.unchanged,
            len(out.errors),
        )
        return out

    async def ExportRecords(self, request, context) -> pb.ExportRecordsResponse:
        kind, fmt = _kind_and_format(request.kind, request.format)
        async with self.app.sessions() as session:
            records = await self.app.store.every(session, kind)
        content = await asyncio.to_thread(tabular.render, kind, fmt, records)
        return pb.ExportRecordsResponse(
            content=content,
            content_type=tabular.CONTENT_TYPES[fmt],
            filename=tabular.filename(kind, fmt, self.app.store.today()),
        )


def _kind_and_format(kind: int, fmt: int) -> tuple[int, int]:
    domain.check_enum("kind", kind, res.Kind)
    domain.check_enum("format", fmt, pb.Format)
    return kind, fmt


async def build(settings: RegistrySettings) -> App:
    """The runtime of `python -m microbrain_registry`; a bad MB_TIME_ZONE or MB_CIRCLE_RADIUS_M stops it at start."""
    try:
        tz = ZoneInfo(settings.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(
            f"MB_TIME_ZONE={settings.time_zone!r} is not a time zone (for example Asia/Shanghai)"
        ) from None
    if not settings.circle_radius_m > 0:
        raise SystemExit(f"MB_CIRCLE_RADIUS_M={settings.circle_radius_m} must be more than 0 metres")
    return App(settings, tz)
