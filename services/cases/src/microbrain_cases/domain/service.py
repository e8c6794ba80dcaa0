"""Cases use cases: open from alarms (idempotent, repeats attach), the lifecycle, SLA deadlines and
escalation, notes, evidence and the timeline. Every change appends a history row (with the case as it
is after it) and queues its event in the outbox, in the caller's transaction."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import events_pb2
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from microbrain_kit import errors, telemetry
from microbrain_kit.bus import subject
from microbrain_kit.db import add_to_outbox
from microbrain_kit.times import as_utc, timestamp
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_cases.domain.models import Case, CaseAlarm, CaseChangeRow, CaseEvidence, Deadline, outbox
from microbrain_cases.domain.policies import TIMED_STAGES, Policies
from microbrain_cases.metrics import ALARMS, BREACHES, STAGE_SECONDS, observe_on_commit

DOMAIN = "cases"
St = res.CaseState
Sg = res.Stage
DS = res.Deadline.Status
OPEN_STATES = {
    St.CASE_STATE_OPENED,
    St.CASE_STATE_REOPENED,
    St.CASE_STATE_ASSIGNED,
    St.CASE_STATE_ACKNOWLEDGED,
    St.CASE_STATE_ON_SITE,
}
ALLOWED = {
    St.CASE_STATE_OPENED: {St.CASE_STATE_ASSIGNED, St.CASE_STATE_RESOLVED, St.CASE_STATE_CANCELLED},
    St.CASE_STATE_REOPENED: {St.CASE_STATE_ASSIGNED, St.CASE_STATE_RESOLVED, St.CASE_STATE_CANCELLED},
    St.CASE_STATE_ASSIGNED: {
        St.CASE_STATE_ASSIGNED,
        St.CASE_STATE_ACKNOWLEDGED,
        St.CASE_STATE_RESOLVED,
        St.CASE_STATE_CANCELLED,
    },
    St.CASE_STATE_ACKNOWLEDGED: {
        St.CASE_STATE_ASSIGNED,
        St.CASE_STATE_ON_SITE,
        St.CASE_STATE_RESOLVED,
        St.CASE_STATE_CANCELLED,
    },
    St.CASE_STATE_ON_SITE: {St.CASE_STATE_ASSIGNED, St.CASE_STATE_RESOLVED, St.CASE_STATE_CANCELLED},
    St.CASE_STATE_RESOLVED: {St.CASE_STATE_CLOSED, St.CASE_STATE_REOPENED},
    St.CASE_STATE_CLOSED: {St.CASE_STATE_REOPENED},
    St.CASE_STATE_CANCELLED: {St.CASE_STATE_REOPENED},
}
# The SLA stages a case has reached once it is in a state.
REACHES = {
    St.CASE_STATE_ASSIGNED: (Sg.STAGE_ASSIGN,),
    St.CASE_STATE_ACKNOWLEDGED: (Sg.STAGE_ASSIGN, Sg.STAGE_ACKNOWLEDGE),
    St.CASE_STATE_ON_SITE: (Sg.STAGE_ASSIGN, Sg.STAGE_ACKNOWLEDGE, Sg.STAGE_ARRIVE),
    St.CASE_STATE_RESOLVED: (Sg.STAGE_ASSIGN, Sg.STAGE_ACKNOWLEDGE, Sg.STAGE_ARRIVE, Sg.STAGE_RESOLVE),
    St.CASE_STATE_CLOSED: TIMED_STAGES,
}
ACTIONS = {
    St.CASE_STATE_ASSIGNED: "assigned",
    St.CASE_STATE_ACKNOWLEDGED: "acknowledged",
    St.CASE_STATE_ON_SITE: "on_site",
    St.CASE_STATE_RESOLVED: "resolved",
    St.CASE_STATE_CLOSED: "closed",
    St.CASE_STATE_CANCELLED: "cancelled",
    St.CASE_STATE_REOPENED: "reopened",
}


def state_name(state: int) -> str:
    """CASE_STATE_ON_SITE -> ON_SITE."""
    return St.Name(state).removeprefix("CASE_STATE_")


def stage_name(stage: int) -> str:
    return Sg.Name(stage).removeprefix("STAGE_").lower()


def _meta(grid_id: str, event_id: str, at: datetime) -> common_pb2.EventMeta:
    carrier = telemetry.inject()
    return common_pb2.EventMeta(
        event_id=event_id,
        grid_id=grid_id,
        occurred_at=timestamp(at),
        recorded_at=timestamp(datetime.now(UTC)),
        producer=DOMAIN,
        trace=common_pb2.TraceContext(
            traceparent=carrier.get("traceparent", ""), tracestate=carrier.get("tracestate", "")
        ),
    )


async def snapshot(session: AsyncSession, case: Case) -> res.Case:
    """The API view of a case, with its alarms, evidence and deadlines."""
    out = res.Case(
        case_id=case.case_id,
        grid_id=case.grid_id,
        case_type=case.case_type,
        severity=case.severity,
        state=case.state,
        escalation_level=case.escalation_level,
        escalated_to=case.escalated_to,
        place_id=case.place_id,
        title=case.title,
        description=case.description,
        occurred_at=timestamp(case.occurred_at),
        opened_at=timestamp(case.opened_at),
        updated_at=timestamp(case.updated_at),
        occurrences=case.occurrences,
        last_occurred_at=timestamp(case.last_occurred_at),
        video_url=case.video_url,
        assignee=case.assignee,
        reason=case.reason,
    )
    if case.lat is not None:
        out.location.lat, out.location.lon = case.lat, case.lon
    if case.device_id:
        out.device.grid_id, out.device.device_id = case.grid_id, case.device_id
    alarms = await session.scalars(
        select(CaseAlarm.alarm_id)
        .where(CaseAlarm.case_id == case.case_id)
        .order_by(CaseAlarm.received_at, CaseAlarm.alarm_id)
    )
    out.alarm_ids.extend(alarms.all())
    for ev in (
        await session.scalars(
            select(CaseEvidence).where(CaseEvidence.case_id == case.case_id).order_by(CaseEvidence.id)
        )
    ).all():
        out.evidence.append(evidence_ref(ev))
    for d in (
        await session.scalars(select(Deadline).where(Deadline.case_id == case.case_id).order_by(Deadline.stage))
    ).all():
        out.deadlines.append(
            res.Deadline(
                stage=d.stage,
                due_at=timestamp(d.due_at),
                status=d.status,
                done_at=timestamp(d.reached_at or d.breached_at),
            )
        )
    return out


def evidence_ref(ev: CaseEvidence) -> common_pb2.EvidenceRef:
    return common_pb2.EvidenceRef(
        key=ev.key,
        content_type=ev.content_type,
        size_bytes=ev.size_bytes,
        sha256=ev.sha256,
        captured_at=timestamp(ev.captured_at),
        video_url=ev.video_url,
    )


async def record(
    session: AsyncSession, case: Case, *, actor: str, action: str, at: datetime, publish: bool = True, **fields
) -> tuple[res.CaseChange, res.Case]:
    """Appends a history row for a change (with the case after it) and queues its CaseChanged event."""
    case.updated_at = at
    await session.flush()
    change = res.CaseChange(case_id=case.case_id, at=timestamp(at), actor=actor, action=action, **fields)
    after = await snapshot(session, case)
    # Stored without its cursor (the row's key, known only after the insert): read_change() puts it back.
    row = CaseChangeRow(
        case_id=case.case_id,
        at=at,
        actor=actor,
        action=action,
        change=change.SerializeToString(),
        snapshot=after.SerializeToString(),
    )
    session.add(row)
    await session.flush()
    change.cursor = row.cursor
    if publish:
        event_id = f"{case.case_id}:{row.cursor}"
        await add_to_outbox(
            session,
            outbox,
            subject(case.grid_id, DOMAIN, f"case_{action}"),
            events_pb2.CaseChanged(meta=_meta(case.grid_id, event_id, at), change=change, case=after),
            event_id,
        )
    return change, after


# ---------------------------------------------------------------- opening


@dataclass(frozen=True)
class Opening:
    """What a new case is made of (from an alarm, or a person's report)."""

    grid_id: str
    source_id: str  # the alarm id, or "request:<id>" for manual reports: what makes opening idempotent
    case_type: str
    severity: int
    occurred_at: datetime
    actor: str
    place_id: str = ""
    lat: float | None = None
    lon: float | None = None
    device_id: str = ""
    title: str = ""
    description: str = ""
    video_url: str = ""
    evidence: tuple[common_pb2.EvidenceRef, ...] = ()

    @property
    def open_key(self) -> str:
        """One open case per problem: grid, type and place (or device); the grid, as grids may share a database."""
        return f"{self.grid_id}|{self.case_type}|{self.place_id or self.device_id or self.source_id}"


def opening_from_alarm(alarm: alarms_pb2.AlarmRaised) -> Opening:
    """The case an alarm asks for."""
    if not alarm.meta.event_id or not alarm.type:
        raise errors.InvalidArgument("an alarm needs meta.event_id and type")
    return Opening(
        grid_id=alarm.meta.grid_id,
        source_id=alarm.meta.event_id,
        case_type=alarm.type,
        severity=alarm.severity,
        occurred_at=alarm.meta.occurred_at.ToDatetime(tzinfo=UTC),
        actor=alarm.source or "alarm",
        place_id=alarm.place_id,
        lat=alarm.location.lat if alarm.HasField("location") else None,
        lon=alarm.location.lon if alarm.HasField("location") else None,
        device_id=alarm.device.device_id,
        title=alarm.title,
        description=alarm.description,
        video_url=alarm.video_url,
        evidence=tuple(alarm.evidence),
    )


async def open_case(*, session: AsyncSession, opening: Opening, policies: Policies, now: datetime) -> tuple[Case, str]:
    """Opens a case, or attaches to the open case of the same problem; idempotent on opening.source_id.

    Returns the case and what happened: "opened", "repeated" or "known" (this source was seen before).
    """
    known = await session.get(CaseAlarm, opening.source_id)
    if known is not None:
        ALARMS.labels(opening.grid_id, "known").inc()
        return await get_case(session=session, case_id=known.case_id), "known"
    # Locked (PostgreSQL) and counted in SQL, so repeats arriving together each count.
    open_case_row = await session.scalar(select(Case).where(Case.open_key == opening.open_key).with_for_update())
    if open_case_row is not None:  # the same problem at the same place, still open: a repeat
        case = open_case_row
        session.add(CaseAlarm(alarm_id=opening.source_id, case_id=case.case_id, received_at=now))
        await session.execute(
            update(Case)
            .where(Case.case_id == case.case_id)
            .values(
                occurrences=Case.occurrences + 1,
                last_occurred_at=sql_case(
                    (Case.last_occurred_at < opening.occurred_at, opening.occurred_at), else_=Case.last_occurred_at
                ),
            )
            .execution_options(synchronize_session=False)
        )
        await session.refresh(case, ["occurrences", "last_occurred_at"])
        latest = await _attach_evidence(session, case, opening.evidence)
        await record(
            session,
            case,
            actor=opening.actor,
            action="repeated",
            at=now,
            evidence=latest,
            reason=f"occurrence {case.occurrences}",
        )
        observe_on_commit(session, ALARMS, (opening.grid_id, "repeated"))
        return case, "repeated"
    case = Case(
        case_id=f"c-{now:%Y%m%d}-{uuid.uuid4().hex[:8]}",
        grid_id=opening.grid_id,
        case_type=opening.case_type,
        severity=opening.severity,
        state=St.CASE_STATE_OPENED,
        escalation_level=0,
        escalated_to="",
        place_id=opening.place_id,
        lat=opening.lat,
        lon=opening.lon,
        device_id=opening.device_id,
        title=opening.title or opening.case_type,
        description=opening.description,
        occurred_at=opening.occurred_at,
        opened_at=now,
        updated_at=now,
        occurrences=1,
        last_occurred_at=opening.occurred_at,
        video_url=opening.video_url,
        assignee="",
        reason="",
        open_key=opening.open_key,
    )
    session.add(case)
    session.add(CaseAlarm(alarm_id=opening.source_id, case_id=case.case_id, received_at=now))
    await _attach_evidence(session, case, opening.evidence)
    policy = policies.for_type(case.case_type)
    discovered = now - opening.occurred_at
    session.add(
        Deadline(
            case_id=case.case_id,
            stage=Sg.STAGE_DISCOVER,
            due_at=opening.occurred_at + policy.deadlines[Sg.STAGE_DISCOVER],
            status=DS.STATUS_MET if discovered <= policy.deadlines[Sg.STAGE_DISCOVER] else DS.STATUS_BREACHED,
            reached_at=now,
        )
    )
    observe_on_commit(
        session, STAGE_SECONDS, (case.grid_id, case.case_type, "discover"), max(discovered.total_seconds(), 0.0)
    )
    _schedule(session, case, policy, start=opening.occurred_at)
    await record(session, case, actor=opening.actor, action="opened", at=now, to_state=St.CASE_STATE_OPENED)
    observe_on_commit(session, ALARMS, (opening.grid_id, "opened"))
    return case, "opened"


def _schedule(session: AsyncSession, case: Case, policy, *, start: datetime) -> None:
    for stage in TIMED_STAGES:
        session.add(
            Deadline(
                case_id=case.case_id, stage=stage, due_at=start + policy.deadlines[stage], status=DS.STATUS_PENDING
            )
        )


async def _attach_evidence(
    session: AsyncSession, case: Case, refs: tuple[common_pb2.EvidenceRef, ...] | list
) -> common_pb2.EvidenceRef | None:
    latest = None
    for ref in refs:
        session.add(
            CaseEvidence(
                case_id=case.case_id,
                key=ref.key,
                content_type=ref.content_type,
                size_bytes=ref.size_bytes,
                sha256=ref.sha256,
                captured_at=ref.captured_at.ToDatetime(tzinfo=UTC) if ref.HasField("captured_at") else None,
                video_url=ref.video_url,
            )
        )
        latest = ref
    return latest


# ---------------------------------------------------------------- reading


async def get_case(*, session: AsyncSession, case_id: str, for_update: bool = False) -> Case:
    """A case, or NotFound."""
    query = select(Case).where(Case.case_id == case_id)
    case = await session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise errors.NotFound(f"case {case_id!r} does not exist")
    return case


async def list_cases(
    *,
    session: AsyncSession,
    grid_id: str,
    case_types: list[str],
    states: list[int],
    place_id: str,
    opened_from: datetime | None,
    opened_to: datetime | None,
    by_deadline: bool,
    offset: int,
    limit: int,
) -> list[Case]:
    """Cases of a grid, filtered, newest first or nearest pending deadline first."""
    query = select(Case).where(Case.grid_id == grid_id)
    if case_types:
        query = query.where(Case.case_type.in_(case_types))
    if states:
        query = query.where(Case.state.in_(states))
    if place_id:
        query = query.where(Case.place_id == place_id)
    if opened_from:
        query = query.where(Case.opened_at >= opened_from)
    if opened_to:
        query = query.where(Case.opened_at < opened_to)
    if by_deadline:
        nearest = (
            select(Deadline.case_id, func.min(Deadline.due_at).label("due"))
            .where(Deadline.status == DS.STATUS_PENDING)
            .group_by(Deadline.case_id)
            .subquery()
        )
        query = query.join(nearest, nearest.c.case_id == Case.case_id).order_by(nearest.c.due, Case.case_id)
    else:
        query = query.order_by(Case.opened_at.desc(), Case.case_id)
    return list((await session.scalars(query.offset(offset).limit(limit))).all())


async def timeline(*, session: AsyncSession, case_id: str) -> list[res.CaseChange]:
    """A case's changes, oldest first."""
    await get_case(session=session, case_id=case_id)
    rows = await session.scalars(
        select(CaseChangeRow).where(CaseChangeRow.case_id == case_id).order_by(CaseChangeRow.cursor)
    )
    return [read_change(r) for r in rows.all()]


def read_change(row: CaseChangeRow) -> res.CaseChange:
    """The CaseChange a history row holds, with its cursor."""
    change = res.CaseChange.FromString(row.change)
    change.cursor = row.cursor
    return change


async def changes_after(*, session: AsyncSession, cursor: int, limit: int = 200) -> list[CaseChangeRow]:
    """History rows after a cursor, in order (WatchCases)."""
    rows = await session.scalars(
        select(CaseChangeRow).where(CaseChangeRow.cursor > cursor).order_by(CaseChangeRow.cursor).limit(limit)
    )
    return list(rows.all())


# ---------------------------------------------------------------- changing


async def transition(
    *,
    session: AsyncSession,
    case_id: str,
    to_state: int,
    actor: str,
    now: datetime,
    policies: Policies,
    reason: str = "",
    assignee: str = "",
) -> Case:
    """Moves a case to a state, if its life allows; FailedPrecondition names what is allowed."""
    if not actor:
        raise errors.InvalidArgument("actor is required: who is doing this")
    if to_state not in ACTIONS:
        raise errors.InvalidArgument(f"to_state must be one of {', '.join(state_name(s) for s in ACTIONS)}")
    case = await get_case(session=session, case_id=case_id, for_update=True)
    allowed = ALLOWED.get(case.state, set())
    if to_state not in allowed:
        nexts = ", ".join(sorted(state_name(s) for s in allowed)) or "none"
        raise errors.FailedPrecondition(
            f"case {case_id} is {state_name(case.state)}; it cannot become {state_name(to_state)} "
            f"(allowed next: {nexts})"
        )
    if to_state == St.CASE_STATE_ASSIGNED and not assignee:
        raise errors.InvalidArgument("assignee is required to assign a case")
    if to_state in (St.CASE_STATE_CANCELLED, St.CASE_STATE_REOPENED) and not reason:
        raise errors.InvalidArgument(f"a reason is required to {ACTIONS[to_state].removesuffix('ed')} a case")
    from_state = case.state
    case.state = to_state
    if assignee:
        case.assignee = assignee
    if reason:
        case.reason = reason
    if to_state in OPEN_STATES:
        case.open_key = (
            case.open_key or f"{case.grid_id}|{case.case_type}|{case.place_id or case.device_id or case.case_id}"
        )
    else:
        case.open_key = None
    deadlines = {d.stage: d for d in (await session.scalars(select(Deadline).where(Deadline.case_id == case_id))).all()}
    for stage in REACHES.get(to_state, ()):
        d = deadlines.get(stage)
        if d is not None and d.reached_at is None and d.status != DS.STATUS_VOID:
            d.reached_at = now
            if d.status == DS.STATUS_PENDING:
                d.status = DS.STATUS_MET
            seconds = (now - as_utc(case.occurred_at)).total_seconds()
            observe_on_commit(session, STAGE_SECONDS, (case.grid_id, case.case_type, stage_name(stage)), seconds)
    if to_state == St.CASE_STATE_CANCELLED:
        for d in deadlines.values():
            if d.status == DS.STATUS_PENDING:
                d.status = DS.STATUS_VOID
    if to_state == St.CASE_STATE_REOPENED:  # a fresh set of deadlines, counted from now
        policy = policies.for_type(case.case_type)
        for stage in TIMED_STAGES:
            d = deadlines[stage]
            d.due_at, d.status, d.reached_at, d.breached_at = (
                now + policy.deadlines[stage],
                DS.STATUS_PENDING,
                None,
                None,
            )
    await record(
        session,
        case,
        actor=actor,
        action=ACTIONS[to_state],
        at=now,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )
    return case


async def add_note(*, session: AsyncSession, case_id: str, actor: str, text: str, now: datetime) -> res.CaseChange:
    """Adds a note to the timeline."""
    if not actor or not text.strip():
        raise errors.InvalidArgument("a note needs an actor and some text")
    if len(text) > 4000:
        raise errors.InvalidArgument(f"a note holds at most 4000 characters, got {len(text)}")
    case = await get_case(session=session, case_id=case_id, for_update=True)
    change, _ = await record(session, case, actor=actor, action="note", at=now, note=text)
    return change


async def add_evidence(
    *, session: AsyncSession, case_id: str, actor: str, ref: common_pb2.EvidenceRef, now: datetime
) -> res.CaseChange:
    """Attaches a piece of evidence already in the evidence store."""
    if not ref.key:
        raise errors.InvalidArgument("evidence needs its key in the evidence store")
    case = await get_case(session=session, case_id=case_id, for_update=True)
    await _attach_evidence(session, case, [ref])
    change, _ = await record(session, case, actor=actor or "unknown", action="evidence", at=now, evidence=ref)
    return change


async def evidence_of(*, session: AsyncSession, case_id: str, key: str) -> tuple[Case, CaseEvidence]:
    """A case's piece of evidence, or NotFound."""
    case = await get_case(session=session, case_id=case_id)
    ev = await session.scalar(select(CaseEvidence).where(CaseEvidence.case_id == case_id, CaseEvidence.key == key))
    if ev is None:
        raise errors.NotFound(f"case {case_id} has no evidence {key!r}")
    return case, ev


# ---------------------------------------------------------------- SLA timers


async def fire_due_deadlines(
    *, session: AsyncSession, now: datetime, policies: Policies, limit: int = 100
) -> list[tuple[str, int]]:
    """Breaches every pending deadline that is due: marks it, escalates its case one level, records it and
    queues SlaBreached. Each deadline fires once, whichever replica gets to it first."""
    due = (
        await session.scalars(
            select(Deadline)
            .where(Deadline.status == DS.STATUS_PENDING, Deadline.due_at <= now)
            .order_by(Deadline.due_at)
            .limit(limit)
        )
    ).all()
    fired = []
    for d in due:
        claimed = await session.execute(
            update(Deadline)
            .where(Deadline.case_id == d.case_id, Deadline.stage == d.stage, Deadline.status == DS.STATUS_PENDING)
            .values(status=DS.STATUS_BREACHED, breached_at=now)
            .execution_options(synchronize_session="fetch")
        )
        if claimed.rowcount != 1:
            continue  # another replica fired it
        case = await get_case(session=session, case_id=d.case_id, for_update=True)
        chain = policies.for_type(case.case_type).escalation
        if case.escalation_level < len(chain):
            case.escalation_level += 1
            case.escalated_to = chain[case.escalation_level - 1]
        change, after = await record(
            session,
            case,
            actor="sla",
            action="sla_breached",
            at=now,
            publish=False,
            stage=d.stage,
            escalation_level=case.escalation_level,
            reason=f"{stage_name(d.stage)} deadline {as_utc(d.due_at).isoformat(timespec='seconds')} passed; "
            f"escalated to {case.escalated_to or 'nobody further'}",
        )
        event_id = f"{case.case_id}:{change.cursor}"
        breach = events_pb2.SlaBreached(
            meta=_meta(case.grid_id, event_id, now),
            case=after,
            stage=d.stage,
            deadline=next(x for x in after.deadlines if x.stage == d.stage),
            escalation_level=case.escalation_level,
            escalated_to=case.escalated_to,
        )
        await add_to_outbox(session, outbox, subject(case.grid_id, DOMAIN, "sla_breached"), breach, event_id)
        observe_on_commit(session, BREACHES, (case.grid_id, case.case_type, stage_name(d.stage)))
        fired.append((case.case_id, d.stage))
    return fired
