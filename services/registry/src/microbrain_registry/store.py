"""Registry use cases on the database: records created, read, listed, updated and deleted with their versions
checked, their references checked and a RecordChanged event in the outbox of the same transaction; progress,
the service circle, follow-ups, and imports.

Every write runs in a `Write` (a session plus the changes it made, counted in metrics after the commit). An update
or delete is a conditional statement (`… WHERE id = :id AND version = :read`), so of two changes made from the same
version exactly one lands, whichever replica they reach; the other is refused with Conflict (ABORTED)."""

import base64
import binascii
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import events_pb2 as events
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_kit import errors, telemetry
from microbrain_kit.bus import subject
from microbrain_kit.db import add_to_outbox
from microbrain_kit.times import timestamp, utcnow
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_registry import domain
from microbrain_registry.domain import Conflict, InvalidField
from microbrain_registry.models import Building, Firm, Partner, Progress, Project, RecordRow, Station, Target, outbox

DOMAIN = "registry"
DEFAULT_PAGE, MAX_PAGE = 100, 1000


@dataclass(frozen=True)
class Spec:
    """One kind of versioned record: its table, message, id field, rules and the columns copied out of it."""

    kind: int
    name: str  # "project": the event id's first part and what messages call it
    plural: str  # "projects": the rpc's request and reply field of lists
    oneof: str  # its field in res.Record and in the rpc's requests and replies
    model: type
    message: type[Message]
    id_field: str
    validate: Callable[[Message], None]
    columns: Callable[[Message], dict]
    search: Callable[[Message], str]
    outputs: tuple[str, ...] = ()  # output-only fields: never stored, computed on read


def _joined(values) -> str:
    """A list as one text column, each item between line breaks ("offers X" = contains "\\nX\\n")."""
    return "".join(f"\n{v}" for v in values) + "\n" if values else ""


def _text(*parts) -> str:
    return "\n".join(p for p in parts if p).lower()


def _building_columns(b: res.Building) -> dict:
    latest = domain.latest_tax(b)
    return {
        "kind": b.kind,
        "lat": b.location.lat,
        "lon": b.location.lon,
        "latest_tax_year": latest.year if latest else 0,
        "latest_tax_yuan": latest.amount_yuan if latest else 0.0,
    }


PROJECT = Spec(
    res.KIND_PROJECT,
    "project",
    "projects",
    "project",
    Project,
    res.LivelihoodProject,
    "project_id",
    domain.validate_project,
    lambda p: {"category": p.category, "year": p.year, "status": p.status},
    lambda p: _text(p.name, p.category, p.owner, p.description),
)
STATION = Spec(
    res.KIND_STATION,
    "station",
    "stations",
    "station",
    Station,
    res.ServiceStation,
    "station_id",
    domain.validate_station,
    lambda s: {
        "building_id": s.building_id,
        "lat": s.location.lat,
        "lon": s.location.lon,
        "services": _joined(s.services),
        "partner_ids": _joined(s.partner_ids),
    },
    lambda s: _text(s.name, s.address, s.brand, *s.services),
)
PARTNER = Spec(
    res.KIND_PARTNER,
    "partner",
    "partners",
    "partner",
    Partner,
    res.PartnerUnit,
    "partner_id",
    domain.validate_partner,
    lambda p: {"type": p.type},
    lambda p: _text(p.name, p.type, p.contact_person, *p.joint_projects),
)
BUILDING = Spec(
    res.KIND_BUILDING,
    "building",
    "buildings",
    "building",
    Building,
    res.Building,
    "building_id",
    domain.validate_building,
    _building_columns,
    lambda b: _text(b.name, b.address),
    ("tax_band", "billion_yuan_building"),
)
FIRM = Spec(
    res.KIND_FIRM,
    "firm",
    "firms",
    "firm",
    Firm,
    res.Firm,
    "firm_id",
    domain.validate_firm,
    lambda f: {"building_id": f.building_id, "industry": f.industry, "signed_date": f.signed_date},
    lambda f: _text(f.name, f.industry, f.contact_person),
)
TARGET = Spec(
    res.KIND_TARGET,
    "target",
    "targets",
    "target",
    Target,
    res.TownTarget,
    "target_id",
    domain.validate_target,
    lambda t: {"year": t.year},
    lambda t: _text(t.name, t.unit, t.note),
    ("met", "share"),
)
SPECS = {s.kind: s for s in (PROJECT, STATION, PARTNER, BUILDING, FIRM, TARGET)}
KIND_NAMES = {**{s.kind: s.name for s in SPECS.values()}, res.KIND_PROGRESS: "progress"}


@dataclass
class Write:
    """One write transaction and the changes it made: (kind name, action) per record."""

    session: AsyncSession
    changes: list[tuple[str, str]] = field(default_factory=list)


# Where a field of a record is in a spreadsheet row (tabular's columns), for the import's RowError.column.
_COLUMNS = {
    "location": "lat",
    "location.lat": "lat",
    "location.lon": "lon",
    "target.value": "target",
    "target.stretch": "stretch",
}


def column_of(field_path: str) -> str:
    """The spreadsheet column of a field: "location.lat" is in lat, "milestones[2].due_date" in milestones."""
    return _COLUMNS.get(field_path) or field_path.split("[", 1)[0]


def require_actor(actor: str) -> None:
    """Every change says who made it."""
    if not actor.strip():
        raise InvalidField("actor", "actor is empty: say who makes the change (a person's id)")


def encode_token(last_id: str) -> str:
    """An opaque page token: the last id of the page."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The id a page token continues after; InvalidArgument for a token this server did not give."""
    try:
        last = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        domain.check_id("page_token", last)
    except (binascii.Error, UnicodeDecodeError, ValueError, InvalidField):
        raise InvalidField("page.page_token", f"page_token {token!r} is not one this server gave") from None
    return last


def page_size(page: common_pb2.PageRequest) -> int:
    """The page size asked for: 100 when 0, at most 1000."""
    if page.page_size < 0:
        raise InvalidField("page.page_size", f"page_size {page.page_size} is negative")
    return min(page.page_size or DEFAULT_PAGE, MAX_PAGE)


class Store:
    """The registry's use cases for one grid."""

    def __init__(self, grid_id: str, tz: ZoneInfo, circle_radius_m: float) -> None:
        self.grid, self.tz, self.circle_radius_m = grid_id, tz, circle_radius_m

    def today(self) -> date:
        """Today in the town's time zone."""
        return datetime.now(self.tz).date()

    # ------------------------------------------------------------ reading

    def stored(self, spec: Spec, msg: Message) -> Message:
        """A copy of what is kept of a record: no meta, no output-only fields (nor a counted target's actual)."""
        out = spec.message()
        out.CopyFrom(msg)
        out.ClearField("meta")
        for name in spec.outputs:
            out.ClearField(name)
        if spec is TARGET and domain.is_billion_target(out.target_id):
            out.ClearField("actual")
            out.ClearField("actual_as_of")
        if spec is STATION:  # days as a spreadsheet writes them, so an export imports back unchanged
            for h in out.opening_hours:
                h.weekdays[:] = sorted(set(h.weekdays))
        return out

    @staticmethod
    def _from_row(spec: Spec, row: RecordRow) -> Message:
        msg = spec.message.FromString(row.data)
        meta = msg.meta
        meta.version = row.version
        meta.created_at.CopyFrom(timestamp(row.created_at))
        meta.created_by = row.created_by
        meta.updated_at.CopyFrom(timestamp(row.updated_at))
        meta.updated_by = row.updated_by
        return msg

    async def present(self, session: AsyncSession, spec: Spec, msgs: list[Message]) -> list[Message]:
        """Fills the output-only fields: a building's tax band, a target's met and share (and the registry's own
        count of 亿元楼 for billion_yuan_buildings targets)."""
        if spec is BUILDING:
            for b in msgs:
                domain.with_building_outputs(b)
        elif spec is TARGET:
            counts: dict[int, int] = {}
            for t in msgs:
                if domain.is_billion_target(t.target_id):
                    if t.year not in counts:
                        counts[t.year] = await self.billion_yuan_buildings(session, t.year)
                    t.actual, t.actual_as_of = counts[t.year], self.today().isoformat()
                domain.with_target_outputs(t)
        return msgs

    async def billion_yuan_buildings(self, session: AsyncSession, year: int) -> int:
        """How many buildings paid 1 亿元 or more in `year` (a town has hundreds of buildings: read them all)."""
        rows = await session.scalars(select(Building.data))
        return sum(domain.is_billion_yuan(res.Building.FromString(data), year) for data in rows)

    async def _row(self, session: AsyncSession, spec: Spec, record_id: str, *, lock: bool = False):
        stmt = select(spec.model).where(spec.model.id == record_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await session.scalars(stmt)).one_or_none()

    async def get(self, session: AsyncSession, spec: Spec, record_id: str) -> Message:
        """A record; NotFound naming its id."""
        row = await self._row(session, spec, record_id)
        if row is None:
            raise errors.NotFound(f"{spec.name} {record_id!r} is not in the registry")
        return (await self.present(session, spec, [self._from_row(spec, row)]))[0]

    async def page(
        self, session: AsyncSession, spec: Spec, where: list, query: str, page: common_pb2.PageRequest
    ) -> tuple[list[Message], str, int]:
        """One page of the records matching `where` and `query` (text in the name and other text fields,
        any case), ordered by id: the records, the next page's token ("" after the last) and how many match."""
        size = page_size(page)
        model = spec.model
        conds = list(where)
        if query.strip():
            conds.append(model.search.contains(query.strip().lower(), autoescape=True))
        total = await session.scalar(select(func.count()).select_from(model).where(*conds))
        stmt = select(model).where(*conds)
        if page.page_token:
            stmt = stmt.where(model.id > decode_token(page.page_token))
        rows = (await session.scalars(stmt.order_by(model.id).limit(size + 1))).all()
        token = encode_token(rows[size - 1].id) if len(rows) > size else ""
        msgs = await self.present(session, spec, [self._from_row(spec, r) for r in rows[:size]])
        return msgs, token, total or 0

    async def every(self, session: AsyncSession, kind: int) -> list[res.Record]:
        """Every record of a kind, ordered by id (progress: by project, date, then as recorded)."""
        if kind == res.KIND_PROGRESS:
            rows = await session.scalars(select(Progress).order_by(Progress.project_id, Progress.date, Progress.seq))
            return [res.Record(progress=res.ProgressEntry.FromString(r.data)) for r in rows]
        spec = SPECS[kind]
        rows = (await session.scalars(select(spec.model).order_by(spec.model.id))).all()
        msgs = await self.present(session, spec, [self._from_row(spec, r) for r in rows])
        return [res.Record(**{spec.oneof: m}) for m in msgs]

    # ------------------------------------------------------------ references

    async def _must_exist(
        self, session: AsyncSession, model, field_name: str, ids: list[str], *, indexed: bool = False
    ) -> None:
        """Raises InvalidField for the first id that is not in the table; the rows found stay share-locked
        (PostgreSQL) until the transaction ends, so they cannot be deleted under the record that names them."""
        if not ids:
            return
        found = set(await session.scalars(select(model.id).where(model.id.in_(ids)).with_for_update(read=True)))
        for i, ref in enumerate(ids):
            if ref not in found:
                name = f"{field_name}[{i}]" if indexed else field_name
                raise InvalidField(field_name, f"{name} {ref!r} is not in the registry")

    async def check_references(self, session: AsyncSession, spec: Spec, msg: Message) -> None:
        """A station's building and partners, and a firm's building, must be in the registry."""
        if spec is STATION:
            if msg.building_id:
                await self._must_exist(session, Building, "building_id", [msg.building_id])
            await self._must_exist(session, Partner, "partner_ids", list(msg.partner_ids), indexed=True)
        elif spec is FIRM and msg.building_id:
            await self._must_exist(session, Building, "building_id", [msg.building_id])

    async def _referrers(self, session: AsyncSession, spec: Spec, record_id: str) -> str:
        """What still names a building or a partner ("firms f-1, f-2 and stations s-1"), "" when nothing."""
        found = []
        if spec is BUILDING:
            for what, model in (("firms", Firm), ("stations", Station)):
                ids = list(await session.scalars(select(model.id).where(model.building_id == record_id).limit(11)))
                if ids:
                    found.append(f"{what} {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}")
        elif spec is PARTNER:
            cond = Station.partner_ids.contains(f"\n{record_id}\n", autoescape=True)
            ids = list(await session.scalars(select(Station.id).where(cond).limit(11)))
            if ids:
                found.append(f"stations {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}")
        return " and ".join(found)

    # ------------------------------------------------------------ events

    def _event(
        self, kind: int, record_id: str, action: str, version: int, actor: str, record: res.Record
    ) -> events.RecordChanged:
        now = utcnow()
        meta = common_pb2.EventMeta(
            # The change's time too: an id deleted and created again starts at version 1 again.
            event_id=f"{KIND_NAMES[kind]}:{record_id}:{version}:{int(now.timestamp() * 1000)}",
            grid_id=self.grid,
            occurred_at=timestamp(now),
            recorded_at=timestamp(now),
            producer=DOMAIN,
        )
        carrier = telemetry.inject({})
        if "traceparent" in carrier:
            meta.trace.traceparent = carrier["traceparent"]
            meta.trace.tracestate = carrier.get("tracestate", "")
        return events.RecordChanged(
            meta=meta, kind=kind, record_id=record_id, action=action, version=version, actor=actor, record=record
        )

    async def _emit(
        self, w: Write, kind: int, record_id: str, action: str, version: int, actor: str, record: res.Record
    ) -> None:
        event = self._event(kind, record_id, action, version, actor, record)
        await add_to_outbox(w.session, outbox, subject(self.grid, DOMAIN, "record_changed"), event, event.meta.event_id)
        w.changes.append((KIND_NAMES[kind], action))

    async def _emit_record(self, w: Write, spec: Spec, action: str, msg: Message, actor: str) -> None:
        version = msg.meta.version + (1 if action == "deleted" else 0)
        record_id = getattr(msg, spec.id_field)
        await self._emit(w, spec.kind, record_id, action, version, actor, res.Record(**{spec.oneof: msg}))

    # ------------------------------------------------------------ writing

    def _values(self, spec: Spec, msg: Message) -> dict:
        return {"name": msg.name, "search": spec.search(msg), "data": msg.SerializeToString(), **spec.columns(msg)}

    async def _insert(self, w: Write, spec: Spec, msg: Message, actor: str) -> Message:
        now = utcnow()
        record_id = getattr(msg, spec.id_field)
        try:
            await w.session.execute(
                insert(spec.model).values(
                    id=record_id,
                    version=1,
                    created_at=now,
                    created_by=actor,
                    updated_at=now,
                    updated_by=actor,
                    **self._values(spec, msg),
                )
            )
        except IntegrityError:
            raise errors.AlreadyExists(f"{spec.name} {record_id!r} is already in the registry") from None
        return await self._written(w, spec, record_id, "created", actor)

    async def _written(self, w: Write, spec: Spec, record_id: str, action: str, actor: str) -> Message:
        """The record as now stored, presented, with its event queued."""
        row = await self._row(w.session, spec, record_id)
        (msg,) = await self.present(w.session, spec, [self._from_row(spec, row)])
        await self._emit_record(w, spec, action, msg, actor)
        return msg

    async def _conditional_update(self, w: Write, spec: Spec, msg: Message, version: int, actor: str) -> Message:
        record_id = getattr(msg, spec.id_field)
        done = await w.session.execute(
            update(spec.model)
            .where(spec.model.id == record_id, spec.model.version == version)
            .values(version=version + 1, updated_at=utcnow(), updated_by=actor, **self._values(spec, msg))
        )
        if done.rowcount != 1:
            await self._refuse(w.session, spec, record_id, version)
        return await self._written(w, spec, record_id, "updated", actor)

    async def _refuse(self, session: AsyncSession, spec: Spec, record_id: str, version: int):
        """Raises NotFound or Conflict for a change that matched no row at `version`."""
        current = await session.scalar(select(spec.model.version).where(spec.model.id == record_id))
        if current is None:
            raise errors.NotFound(f"{spec.name} {record_id!r} is not in the registry")
        raise Conflict(
            f"{spec.name} {record_id} is at version {current}, you sent version {version}: "
            "reload it and apply your change again"
        )

    async def create(self, w: Write, spec: Spec, msg: Message, actor: str) -> Message:
        """Adds a record at version 1 (AlreadyExists when its id is taken)."""
        require_actor(actor)
        msg = self.stored(spec, msg)
        spec.validate(msg)
        await self.check_references(w.session, spec, msg)
        return await self._insert(w, spec, msg, actor)

    async def update(self, w: Write, spec: Spec, msg: Message, actor: str) -> Message:
        """Replaces a record read at msg.meta.version (Conflict when it has changed since)."""
        require_actor(actor)
        version = msg.meta.version
        if version <= 0:
            raise InvalidField("meta.version", "meta.version is missing: send the version you read the record at")
        msg = self.stored(spec, msg)
        spec.validate(msg)
        await self.check_references(w.session, spec, msg)
        return await self._conditional_update(w, spec, msg, version, actor)

    async def delete(self, w: Write, spec: Spec, record_id: str, version: int, actor: str) -> None:
        """Deletes a record read at `version`; a building or partner something still names is refused, and a
        project's progress entries go with it."""
        require_actor(actor)
        if version <= 0:
            raise InvalidField("version", "version is missing: send the version you read the record at")
        row = await self._row(w.session, spec, record_id, lock=True)
        if row is None:
            raise errors.NotFound(f"{spec.name} {record_id!r} is not in the registry")
        if row.version != version:
            await self._refuse(w.session, spec, record_id, version)
        referrers = await self._referrers(w.session, spec, record_id)
        if referrers:
            raise errors.FailedPrecondition(
                f"{spec.name} {record_id} is still named by {referrers}: change or delete them first"
            )
        (before,) = await self.present(w.session, spec, [self._from_row(spec, row)])
        done = await w.session.execute(
            delete(spec.model).where(spec.model.id == record_id, spec.model.version == version)
        )
        if done.rowcount != 1:
            await self._refuse(w.session, spec, record_id, version)
        if spec is PROJECT:
            entries = (await w.session.scalars(select(Progress).where(Progress.project_id == record_id))).all()
            await w.session.execute(delete(Progress).where(Progress.project_id == record_id))
            for e in entries:
                record = res.Record(progress=res.ProgressEntry.FromString(e.data))
                await self._emit(w, res.KIND_PROGRESS, e.entry_id, "deleted", 2, actor, record)
        await self._emit_record(w, spec, "deleted", before, actor)

    # ------------------------------------------------------------ progress

    async def add_progress(self, w: Write, entry: res.ProgressEntry, actor: str) -> res.ProgressEntry:
        """Records a progress entry of a project (the server sets entry_id and recorded_*)."""
        require_actor(actor)
        e = res.ProgressEntry()
        e.CopyFrom(entry)
        domain.validate_progress(e)
        await self._must_exist(w.session, Project, "project_id", [e.project_id])
        now = utcnow()
        e.entry_id = f"pe-{uuid.uuid4().hex[:10]}"
        e.recorded_by = actor
        e.recorded_at.CopyFrom(timestamp(now))
        await w.session.execute(
            insert(Progress).values(
                entry_id=e.entry_id,
                project_id=e.project_id,
                date=e.date,
                kind=e.kind,
                value=e.value,
                note=e.note,
                recorded_at=now,
                recorded_by=actor,
                data=e.SerializeToString(),
            )
        )
        await self._emit(w, res.KIND_PROGRESS, e.entry_id, "created", 1, actor, res.Record(progress=e))
        return e

    async def list_progress(self, session: AsyncSession, project_id: str) -> list[res.ProgressEntry]:
        """A project's entries in date order (ties as recorded); NotFound for an unknown project."""
        await self.get(session, PROJECT, project_id)
        return await self._entries(session, [project_id])

    async def _entries(self, session: AsyncSession, project_ids: list[str]) -> list[res.ProgressEntry]:
        rows = await session.scalars(
            select(Progress).where(Progress.project_id.in_(project_ids)).order_by(Progress.date, Progress.seq)
        )
        return [res.ProgressEntry.FromString(r.data) for r in rows]

    async def project_progress(
        self, session: AsyncSession, project_ids: list[str], as_of: str, year: int
    ) -> list[res.ProjectProgress]:
        """Projects (the ones named, or all of `year` when set, or all) against their targets on as_of."""
        day = domain.parse_date("as_of", as_of) if as_of else self.today()
        if project_ids:
            projects = [await self.get(session, PROJECT, pid) for pid in project_ids]
        else:
            stmt = select(Project).order_by(Project.id)
            if year:
                stmt = stmt.where(Project.year == year)
            projects = [self._from_row(PROJECT, r) for r in await session.scalars(stmt)]
        by_project: dict[str, list[res.ProgressEntry]] = {p.project_id: [] for p in projects}
        for e in await self._entries(session, list(by_project)):
            by_project[e.project_id].append(e)
        return [domain.progress_as_of(p, by_project[p.project_id], day) for p in projects]

    # ------------------------------------------------------------ the circle and follow-ups

    async def service_circle(
        self, session: AsyncSession, at: datetime, radius_m: float, kinds: list[int]
    ) -> pb.GetServiceCircleResponse:
        """The 5-minute service circle at `at` (see domain.service_circle)."""
        if not math.isfinite(radius_m) or radius_m < 0:
            raise InvalidField("radius_m", f"radius_m {radius_m:g} is negative (0 for {self.circle_radius_m:g} m)")
        radius = radius_m or self.circle_radius_m
        for k in kinds:
            domain.check_enum("kinds", k, res.BuildingKind)
        kinds = kinds or list(domain.RESIDENTIAL)
        stations = [self._from_row(STATION, r) for r in await session.scalars(select(Station).order_by(Station.id))]
        rows = await session.scalars(select(Building).where(Building.kind.in_(kinds)).order_by(Building.id))
        buildings = await self.present(session, BUILDING, [self._from_row(BUILDING, r) for r in rows])
        covered, gaps, open_ids = domain.service_circle(stations, buildings, at.astimezone(self.tz), radius, kinds)
        return pb.GetServiceCircleResponse(
            at=timestamp(at), radius_m=radius, covered=covered, gaps=gaps, open_station_ids=open_ids
        )

    async def add_follow_up(
        self, w: Write, firm_id: str, follow_up: res.FollowUp, version: int, actor: str
    ) -> res.Firm:
        """Appends a follow-up visit to a firm read at `version` (`by` is the actor when empty)."""
        require_actor(actor)
        if version <= 0:
            raise InvalidField("version", "version is missing: send the version you read the firm at")
        fu = res.FollowUp()
        fu.CopyFrom(follow_up)
        fu.by = fu.by or actor
        domain.validate_follow_up("follow_up", fu)
        firm = self.stored(FIRM, await self.get(w.session, FIRM, firm_id))
        firm.follow_ups.append(fu)
        return await self._conditional_update(w, FIRM, firm, version, actor)

    # ------------------------------------------------------------ import

    async def import_records(
        self, w: Write, kind: int, rows: list[tuple[int, res.Record]], actor: str
    ) -> tuple[pb.ImportRecordsResponse, list[pb.RowError]]:
        """Creates or updates a record per row, in file order; a bad row becomes a RowError and is skipped.

        A row whose id exists updates it (no version check: the file is what the ops team holds true), unless
        it equals what is stored; progress rows always add an entry, except exact repeats of one already there
        (same project, date, kind, value and note).
        """
        out = pb.ImportRecordsResponse()
        bad: list[pb.RowError] = []
        spec = SPECS.get(kind)
        want = spec.oneof if spec else "progress"
        for row, record in rows:
            held = record.WhichOneof("record")
            if held != want:
                bad.append(pb.RowError(row=row, message=f"the row holds a {held}, not a {want}"))
                continue
            msg = getattr(record, held)
            try:
                if spec is None:
                    outcome = await self._import_progress(w, msg, actor)
                else:
                    outcome = await self._import_record(w, spec, msg, actor)
            except InvalidField as exc:
                bad.append(pb.RowError(row=row, column=column_of(exc.field), message=exc.message))
                continue
            except (errors.InvalidArgument, errors.FailedPrecondition) as exc:
                bad.append(pb.RowError(row=row, message=exc.message))
                continue
            setattr(out, outcome, getattr(out, outcome) + 1)
        return out, bad

    async def _import_record(self, w: Write, spec: Spec, msg: Message, actor: str) -> str:
        msg = self.stored(spec, msg)
        spec.validate(msg)
        await self.check_references(w.session, spec, msg)
        row = await self._row(w.session, spec, getattr(msg, spec.id_field), lock=True)
        if row is None:
            await self._insert(w, spec, msg, actor)
            return "created"
        if spec.message.FromString(row.data) == msg:
            return "unchanged"
        await self._conditional_update(w, spec, msg, row.version, actor)
        return "updated"

    async def _import_progress(self, w: Write, entry: res.ProgressEntry, actor: str) -> str:
        domain.validate_progress(entry)
        await self._must_exist(w.session, Project, "project_id", [entry.project_id])
        same = await w.session.scalar(
            select(Progress.seq)
            .where(
                Progress.project_id == entry.project_id,
                Progress.date == entry.date,
                Progress.kind == entry.kind,
                Progress.value == entry.value,
                Progress.note == entry.note,
            )
            .limit(1)
        )
        if same is not None:
            return "unchanged"
        e = res.ProgressEntry()
        e.CopyFrom(entry)
        for name in ("entry_id", "recorded_by", "recorded_at"):
            e.ClearField(name)
        await self.add_progress(w, e, actor)
        return "created"
