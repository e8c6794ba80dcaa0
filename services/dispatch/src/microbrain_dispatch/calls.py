"""One-click calls (一键呼叫) and the duty rota (轮值).

The signalling is real: a call rings units over their WatchAssignments streams, records who answered, when,
and how long, and ends from either side. The voice itself goes through a MediaGateway — a SIP or PoC-radio
gateway a deployment plugs in; without one (NoMedia) calls carry no audio and say so by an empty media_url.
"""

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Protocol

from microbrain.dispatch.v1 import resources_pb2 as res
from microbrain_kit import errors
from microbrain_kit.times import as_utc, timestamp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_dispatch.domain import distance_m
from microbrain_dispatch.models import Call, DispatchCase, Shift, Unit

ROLES = ("desk", "grid_leader")


class MediaGateway(Protocol):
    """Where the voice of a call goes (a SIP trunk, a PoC radio server)."""

    async def open(self, call_id: str, unit_ids: list[str]) -> str: ...

    async def close(self, call_id: str) -> None: ...


class NoMedia:
    """No voice path configured: signalling only."""

    async def open(self, call_id: str, unit_ids: list[str]) -> str:
        return ""

    async def close(self, call_id: str) -> None:
        return None


def call_proto(c: Call) -> res.Call:
    out = res.Call(
        call_id=c.call_id,
        case_id=c.case_id,
        caller=c.caller,
        unit_ids=c.unit_ids,
        state=c.state,
        started_at=timestamp(c.started_at),
        answered_by=c.answered_by,
        answered_at=timestamp(c.answered_at),
        ended_at=timestamp(c.ended_at),
        ended_by=c.ended_by,
        media_url=c.media_url,
    )
    if c.answered_at and c.ended_at:
        out.talk_seconds = (as_utc(c.ended_at) - as_utc(c.answered_at)).total_seconds()
    return out


async def start_call(
    *, session: AsyncSession, case_id: str, caller: str, unit_ids: list[str], radius_m: float, now: datetime
) -> Call:
    """A ringing call to the named units, or to the available units within radius_m of the case."""
    if not caller:
        raise errors.InvalidArgument("caller is required, for example desk:李栋梁")
    case = await session.get(DispatchCase, case_id)
    if case is None:
        raise errors.NotFound(f"case {case_id} is not one dispatch has taken")
    if unit_ids:
        known = set((await session.scalars(select(Unit.unit_id).where(Unit.unit_id.in_(unit_ids)))).all())
        if missing := sorted(set(unit_ids) - known):
            raise errors.NotFound(f"no such units: {', '.join(missing)}")
    else:
        if radius_m <= 0 or case.lat is None:
            raise errors.InvalidArgument("name unit_ids, or give radius_m > 0 for a case with a position")
        units = (await session.scalars(select(Unit).where(Unit.status == res.UNIT_STATUS_AVAILABLE))).all()
        unit_ids = sorted(
            u.unit_id for u in units if u.lat is not None and distance_m(case.lat, case.lon, u.lat, u.lon) <= radius_m
        )
        if not unit_ids:
            raise errors.FailedPrecondition(f"no available unit within {radius_m:g} m of case {case_id}")
    call = Call(
        call_id=str(uuid.uuid4()),
        case_id=case_id,
        caller=caller,
        unit_ids=list(unit_ids),
        state="ringing",
        started_at=now,
        answered_by="",
        ended_by="",
        media_url="",
    )
    session.add(call)
    return call


async def answer_call(*, session: AsyncSession, call_id: str, unit_id: str, now: datetime) -> Call:
    """The first rung unit to answer connects the call."""
    call = await session.get(Call, call_id)
    if call is None or unit_id not in call.unit_ids:
        raise errors.NotFound(f"call {call_id} does not ring unit {unit_id}")
    claimed = await session.execute(
        update(Call)
        .where(Call.call_id == call_id, Call.state == "ringing")
        .values(state="connected", answered_by=unit_id, answered_at=now)
    )
    await session.refresh(call)
    if claimed.rowcount != 1:
        detail = f"answered by {call.answered_by}" if call.answered_by else call.state
        raise errors.FailedPrecondition(f"call {call_id} is already {detail}")
    return call


async def end_call(*, session: AsyncSession, call_id: str, by: str, now: datetime) -> Call:
    """Hangs up (the caller or a rung unit); ending twice is FailedPrecondition."""
    call = await session.get(Call, call_id)
    if call is None:
        raise errors.NotFound(f"no call {call_id}")
    if by != call.caller and by not in call.unit_ids:
        raise errors.PermissionDenied(f"{by} is not on call {call_id}")
    claimed = await session.execute(
        update(Call)
        .where(Call.call_id == call_id, Call.state != "ended")
        .values(state="ended", ended_at=now, ended_by=by)
    )
    await session.refresh(call)
    if claimed.rowcount != 1:
        raise errors.FailedPrecondition(f"call {call_id} already ended")
    return call


async def import_rota(*, session: AsyncSession, text: str) -> tuple[int, list[str]]:
    """Replaces the rota from CSV (role,person,starts_at,ends_at); bad rows are reported, good ones kept."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"role", "person", "starts_at", "ends_at"} - set(reader.fieldnames or [])
    if missing:
        raise errors.InvalidArgument(f"the header needs the columns {', '.join(sorted(missing))}")
    shifts, problems = [], []
    for number, row in enumerate(reader, start=2):
        role, person = (row["role"] or "").strip(), (row["person"] or "").strip()
        if role not in ROLES:
            problems.append(f"row {number}: role must be desk or grid_leader, not {role!r}")
            continue
        if not person:
            problems.append(f"row {number}: person is empty")
            continue
        try:
            starts, ends = (datetime.fromisoformat(row[k].strip()) for k in ("starts_at", "ends_at"))
        except ValueError:
            problems.append(f"row {number}: times must be ISO 8601 with a zone, e.g. 2026-11-26T08:00+08:00")
            continue
        if starts.tzinfo is None or ends.tzinfo is None or ends <= starts:
            problems.append(f"row {number}: times need a zone and the shift must end after it starts")
            continue
        # Stored in UTC: SQLite keeps a datetime's wall time and drops its zone.
        shifts.append(Shift(role=role, person=person, starts_at=starts.astimezone(UTC), ends_at=ends.astimezone(UTC)))
    await session.execute(delete(Shift))
    session.add_all(shifts)
    return len(shifts), problems


async def on_duty(*, session: AsyncSession, role: str, now: datetime) -> Shift | None:
    """The shift of a role covering now (the latest-starting one if shifts overlap)."""
    return await session.scalar(
        select(Shift)
        .where(Shift.role == role, Shift.starts_at <= now, Shift.ends_at > now)
        .order_by(Shift.starts_at.desc())
        .limit(1)
    )


def shift_proto(s: Shift | None) -> res.Shift | None:
    if s is None:
        return None
    return res.Shift(role=s.role, person=s.person, starts_at=timestamp(s.starts_at), ends_at=timestamp(s.ends_at))
