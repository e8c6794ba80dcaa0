"""Folding events into roll-ups: what each event counts for, and the idempotent upserts that store it.

Every event adds to (metric, type, place, local hour) and (…, local day) counts; the counting is
idempotent per event (its id goes into analytics_seen in the same transaction, and an id already there
counts nothing). Cases also feed the SLA histograms (a stage reached, in seconds from the fact) and the
per-case projection the KPIs read.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.ingest.v1 import events_pb2 as ingest_events
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain.vision.v1 import events_pb2 as vision_events
from microbrain_kit.times import utcnow
from sqlalchemy import case as sql_case
from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_analytics.models import CaseRow, Daily, Hourly, Seen, SlaBucket, SlaTarget

St = case_res.CaseState
DS = case_res.Deadline.Status

# The streams analytics folds, and the event types it reads from each (by the subject's last token).
_TYPES: dict[str, Callable[[str], type[Message] | None]] = {
    "alarms": {"raised": alarms_pb2.AlarmRaised, "cleared": alarms_pb2.AlarmCleared}.get,
    "cases": lambda e: case_events.SlaBreached if e == "sla_breached" else case_events.CaseChanged,
    "vision": {"crowd_observed": vision_events.CrowdObserved, "scenario_cleared": vision_events.ScenarioCleared}.get,
    "ingest": {
        "device_event": ingest_events.DeviceEventRecorded,
        "device_online": ingest_events.DeviceWentOnline,
        "device_offline": ingest_events.DeviceWentOffline,
        "command_issued": ingest_events.CommandIssued,
        "command_acked": ingest_events.CommandAcked,
        "command_timed_out": ingest_events.CommandTimedOut,
    }.get,
}
DOMAINS = tuple(_TYPES)  # what the live consumers fold
# ImportAlarms keeps what it imports on analytics' own stream, so a rebuild replays it too.
IMPORTED = "alarm_imported"
_TYPES["analytics"] = {IMPORTED: alarms_pb2.AlarmRaised}.get
REPLAYED = (*DOMAINS, "analytics")
# Changes that reach SLA stages (the others — notes, evidence, breaches — reach none).
_REACHING = {"opened", "assigned", "acknowledged", "on_site", "resolved", "closed"}
# SLA histogram: bucket i holds seconds in (B^(i-1), B^i]; its geometric middle is within 4.5% of any value
# in it, so percentiles read from the histogram are within 5% of the exact ones.
B = 2 ** (1 / 8)
_MIN_BUCKET, _MAX_BUCKET = -80, 200  # 1 ms .. about 38 days


def types_for(domain: str) -> Callable[[str], type[Message] | None]:
    """The decoder map of a stream domain, for ConsumerSpec.types."""
    return _TYPES[domain]


def event_key(domain: str, event: Message, seq: int) -> str:
    """What makes an event count once: an alarm by its id wherever it came from (the alarm stream, an import),
    anything else by its stream domain and id (or stream sequence, for an event without one)."""
    if isinstance(event, alarms_pb2.AlarmRaised):
        return f"alarms:{event.meta.event_id}"
    return f"{domain}:{event.meta.event_id or seq}"


def bucket_of(seconds: float) -> int:
    if seconds <= B**_MIN_BUCKET:
        return _MIN_BUCKET
    return max(_MIN_BUCKET, min(_MAX_BUCKET, math.ceil(math.log(seconds, B) - 1e-9)))


def bucket_middle(bucket: int) -> float:
    """The geometric middle of a bucket, in seconds."""
    return B ** (bucket - 0.5)


def _dt(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


@dataclass
class CaseState:
    case_id: str
    case_type: str
    place_id: str
    state: int
    cursor: int
    occurred_at: datetime
    resolved_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass
class Fold:
    """What a batch of events adds to the roll-ups, before it is written."""

    grid_id: str
    tz: ZoneInfo
    # (metric, type, place, local hour) → [count, max]
    counts: dict[tuple[str, str, str, datetime], list] = field(default_factory=dict)
    # (case type, stage, local day, bucket) → [count, within target, sum of seconds]
    sla: dict[tuple[str, int, date, int], list] = field(default_factory=dict)
    targets: dict[tuple[str, int], float] = field(default_factory=dict)
    cases: dict[str, CaseState] = field(default_factory=dict)

    def local_hour(self, at: datetime) -> datetime:
        return at.astimezone(self.tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)

    def count(self, metric: str, type_: str, place_id: str, at: datetime, value: float | None = None) -> None:
        cell = self.counts.setdefault((metric, type_, place_id, self.local_hour(at)), [0, None])
        cell[0] += 1
        if value is not None:
            cell[1] = value if cell[1] is None else max(cell[1], value)

    def add(self, domain: str, event: Message) -> None:
        """Folds one event of a stream domain in."""
        at = _dt(event.meta.occurred_at) if event.meta.HasField("occurred_at") else utcnow()
        match event:
            case alarms_pb2.AlarmRaised():
                self.count("alarm", event.type, event.place_id, at)
            case alarms_pb2.AlarmCleared():
                self.count("alarm_cleared", event.type, event.place_id, at)
            case case_events.CaseChanged():
                self._case(event)
            case case_events.SlaBreached():
                self.count("sla_breached", event.case.case_type, event.case.place_id, at)
            case vision_events.CrowdObserved():
                for zone, people in event.counts.items():
                    self.count("crowd_camera", zone, event.place_id, at, people)
            case vision_events.ScenarioCleared():
                self.count("scenario_cleared", event.type, event.place_id, at)
            case ingest_events.DeviceEventRecorded():
                self.count("device_event", event.event.type, event.place_id, at)
                if event.event.HasField("wifi"):
                    wifi = event.event.wifi
                    devices = len(set(wifi.device_hashes)) or wifi.unique_devices
                    self.count("wifi_devices", wifi.zone_id, event.place_id, at, devices)
            case ingest_events.DeviceWentOnline() | ingest_events.DeviceWentOffline():
                metric = "device_online" if isinstance(event, ingest_events.DeviceWentOnline) else "device_offline"
                self.count(metric, ingest_res.DeviceKind.Name(event.kind).lower()[12:], "", at)
            case ingest_events.CommandIssued() | ingest_events.CommandAcked() | ingest_events.CommandTimedOut():
                metric = {
                    ingest_events.CommandIssued: "command_issued",
                    ingest_events.CommandAcked: "command_acked",
                    ingest_events.CommandTimedOut: "command_timed_out",
                }[type(event)]
                self.count(metric, event.command.name, "", at)

    def _case(self, event: case_events.CaseChanged) -> None:
        change, c = event.change, event.case
        at = _dt(change.at)
        self.count(f"case_{change.action}", c.case_type, c.place_id, at)
        occurred = _dt(c.occurred_at)
        if change.action in _REACHING:
            for d in c.deadlines:
                if d.status in (DS.STATUS_MET, DS.STATUS_BREACHED) and d.done_at == change.at:
                    seconds = max(0.0, (at - occurred).total_seconds())
                    target = (_dt(d.due_at) - occurred).total_seconds()
                    day = at.astimezone(self.tz).date()
                    cell = self.sla.setdefault((c.case_type, d.stage, day, bucket_of(seconds)), [0, 0, 0.0])
                    cell[0] += 1
                    cell[1] += d.status == DS.STATUS_MET
                    cell[2] += seconds
                    self.targets[(c.case_type, d.stage)] = target
        row = self.cases.get(c.case_id)
        if row is None:
            row = self.cases[c.case_id] = CaseState(c.case_id, c.case_type, c.place_id, c.state, -1, occurred)
        if change.cursor > row.cursor:
            row.state, row.cursor = c.state, change.cursor
        if change.action == "resolved":
            row.resolved_at = at
        elif change.action == "closed":
            row.closed_at = at


def _insert(session: AsyncSession, table):
    return (postgresql if session.bind.dialect.name == "postgresql" else sqlite).insert(table)


async def claim(session: AsyncSession, event_ids: Iterable[str]) -> set[str]:
    """Records event ids as counted; returns those that were not counted before."""
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    now = utcnow()
    # One statement compiled once (cached) and sent as executemany: the driver batches the rows.
    stmt = _insert(session, Seen.__table__).on_conflict_do_nothing(index_elements=["event_id"]).returning(Seen.event_id)
    result = await session.execute(stmt, [{"event_id": i, "seen_at": now} for i in ids])
    return set(result.scalars())


async def write(session: AsyncSession, fold: Fold) -> None:
    """Adds a fold to the roll-ups (in the caller's transaction)."""
    pg = session.bind.dialect.name == "postgresql"

    def greatest(col, new):
        pair = (func.coalesce(col, new), func.coalesce(new, col))
        return func.greatest(*pair) if pg else func.max(*pair)

    grid = fold.grid_id
    daily: dict[tuple[str, str, str, date], list] = {}
    hourly_rows = []
    for (metric, type_, place, hour), (count, peak) in fold.counts.items():
        hourly_rows.append(
            dict(
                grid_id=grid,
                metric=metric,
                type=type_,
                place_id=place,
                hour=hour,
                hour_of_day=hour.hour,
                count=count,
                max=peak,
            )
        )
        cell = daily.setdefault((metric, type_, place, hour.date()), [0, None])
        cell[0] += count
        if peak is not None:
            cell[1] = peak if cell[1] is None else max(cell[1], peak)
    daily_rows = [
        dict(grid_id=grid, metric=m, type=t, place_id=p, day=d, count=c, max=x)
        for (m, t, p, d), (c, x) in daily.items()
    ]
    for table, rows, key in (
        (Hourly.__table__, hourly_rows, ["grid_id", "metric", "type", "place_id", "hour"]),
        (Daily.__table__, daily_rows, ["grid_id", "metric", "type", "place_id", "day"]),
    ):
        if rows:
            stmt = _insert(session, table)
            stmt = stmt.on_conflict_do_update(
                index_elements=key,
                set_={"count": table.c.count + stmt.excluded.count, "max": greatest(table.c.max, stmt.excluded.max)},
            )
            await session.execute(stmt, rows)
    if fold.sla:
        t = SlaBucket.__table__
        stmt = _insert(session, t)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["grid_id", "case_type", "stage", "day", "bucket"],
                set_={
                    "count": t.c.count + stmt.excluded.count,
                    "within": t.c.within + stmt.excluded.within,
                    "sum_s": t.c.sum_s + stmt.excluded.sum_s,
                },
            ),
            [
                dict(grid_id=grid, case_type=ct, stage=sg, day=d, bucket=b, count=n, within=w, sum_s=s)
                for (ct, sg, d, b), (n, w, s) in fold.sla.items()
            ],
        )
    if fold.targets:
        t = SlaTarget.__table__
        stmt = _insert(session, t)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["grid_id", "case_type", "stage"], set_={"target_s": stmt.excluded.target_s}
            ),
            [dict(grid_id=grid, case_type=ct, stage=sg, target_s=s) for (ct, sg), s in fold.targets.items()],
        )
    if fold.cases:
        t = CaseRow.__table__
        rows = [
            dict(
                case_id=r.case_id,
                grid_id=grid,
                case_type=r.case_type,
                place_id=r.place_id,
                state=r.state,
                cursor=r.cursor,
                occurred_at=r.occurred_at,
                resolved_at=r.resolved_at,
                closed_at=r.closed_at,
                resolve_s=(r.resolved_at - r.occurred_at).total_seconds() if r.resolved_at else None,
                close_s=(r.closed_at - r.occurred_at).total_seconds() if r.closed_at else None,
            )
            for r in fold.cases.values()
        ]
        stmt = _insert(session, t)
        ex = stmt.excluded
        newer = ex.cursor > t.c.cursor
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["case_id"],
                set_={
                    "state": sql_case((newer, ex.state), else_=t.c.state),
                    "cursor": sql_case((newer, ex.cursor), else_=t.c.cursor),
                    "resolved_at": func.coalesce(ex.resolved_at, t.c.resolved_at),
                    "resolve_s": func.coalesce(ex.resolve_s, t.c.resolve_s),
                    "closed_at": func.coalesce(ex.closed_at, t.c.closed_at),
                    "close_s": func.coalesce(ex.close_s, t.c.close_s),
                },
            ),
            rows,
        )


async def count_events(session: AsyncSession, fold: Fold, events: Iterable[tuple[str, str, Message]]) -> int:
    """Folds (domain, event key, event) triples not counted before and writes them; returns how many counted.
    The caller commits."""
    events = list(events)
    new = await claim(session, (key for _, key, _ in events))
    counted = 0
    for domain, key, event in events:
        if key in new:
            new.discard(key)  # the same event twice in one batch counts once
            fold.add(domain, event)
            counted += 1
    await write(session, fold)
    return counted


async def prune_seen(session: AsyncSession, older_than: timedelta) -> int:
    result = await session.execute(delete(Seen).where(Seen.seen_at < utcnow() - older_than))
    return result.rowcount or 0


async def forget_all(session: AsyncSession, grid_id: str) -> None:
    """Empties the roll-ups (before a rebuild). Crowd levels stay: they are live state, not history."""
    for model in (Hourly, Daily, SlaBucket, SlaTarget, CaseRow):
        await session.execute(delete(model).where(model.grid_id == grid_id))
    await session.execute(delete(Seen))
