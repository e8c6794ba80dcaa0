"""Dispatch use cases: units and positions, taking a case once, choosing the nearest able unit, offers that
time out and move along the chain, and the lift interlock."""

import csv
import io
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from microbrain.dispatch.v1 import resources_pb2 as res
from microbrain_kit import errors
from microbrain_kit.times import as_utc
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_dispatch.models import Assignment, DispatchCase, Linkage, Unit

U = res.UnitStatus
# Which skills a case needs (any one of them); configured here once, per case type.
SKILLS = {
    "ebike_in_elevator": {"persuasion", "property"},
    "litter_off_hours": {"property"},
    "crowd_over_threshold": {"enforcement", "persuasion"},
    "device_fault": {"property"},
    "device_offline": {"property"},
}
# Machine actions (联动) per case type: on opening, a command to the place's devices of a kind.
LINKAGES = {"ebike_in_elevator": {"kind": "elevator_controller", "open": "STOP", "release": "RESUME"}}
GRID_LEADER = "grid_leader"


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


# ---------------------------------------------------------------- units


def read_units_file(path: str) -> list[dict]:
    """The field_units entries of a scenario YAML (id, grid, members, skills)."""
    return (yaml.safe_load(Path(path).read_text()) or {}).get("field_units", [])


async def load_units(*, session: AsyncSession, entries: list[dict], grid_id: str) -> int:
    """Adds the grid's field units that are missing."""
    added = 0
    for entry in entries:
        if entry.get("grid") != grid_id or await session.get(Unit, entry["id"]) is not None:
            continue
        session.add(
            Unit(
                unit_id=entry["id"],
                grid_id=grid_id,
                members=list(entry.get("members", [])),
                skills=list(entry.get("skills", [])),
                radio_device_id=f"radio-{entry['id']}",
                status=U.UNIT_STATUS_AVAILABLE,
                case_id="",
            )
        )
        added += 1
    return added


async def import_units(*, session: AsyncSession, text: str, grid_id: str) -> tuple[int, list[str]]:
    """Units from CSV (unit_id,members,skills,radio_device_id; lists separated by ';'); bad rows reported."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"unit_id", "skills"} - set(reader.fieldnames or [])
    if missing:
        raise errors.InvalidArgument(f"the header needs the columns {', '.join(sorted(missing))}")
    imported, problems = 0, []
    for number, row in enumerate(reader, start=2):
        unit_id, skills = (
            (row.get("unit_id") or "").strip(),
            [s.strip() for s in (row.get("skills") or "").split(";") if s.strip()],
        )
        if not unit_id:
            problems.append(f"row {number}: unit_id is empty")
            continue
        if not skills:
            problems.append(f"row {number}: skills is empty (e.g. property;persuasion)")
            continue
        unit = await session.get(Unit, unit_id) or Unit(
            unit_id=unit_id, grid_id=grid_id, status=U.UNIT_STATUS_AVAILABLE, case_id=""
        )
        unit.members = [m.strip() for m in (row.get("members") or "").split(";") if m.strip()]
        unit.skills = skills
        unit.radio_device_id = (row.get("radio_device_id") or f"radio-{unit_id}").strip()
        session.add(unit)
        imported += 1
    return imported, problems


async def update_position(*, session: AsyncSession, radio_device_id: str, lat: float, lon: float, at: datetime) -> bool:
    """Records a radio's GPS fix on its unit; False when no unit carries that radio."""
    unit = await session.scalar(select(Unit).where(Unit.radio_device_id == radio_device_id))
    if unit is None:
        return False
    if unit.position_at is None or as_utc(unit.position_at) <= at:
        unit.lat, unit.lon, unit.position_at = lat, lon, at
    return True


# ---------------------------------------------------------------- cases


async def take_case(
    *,
    session: AsyncSession,
    case_id: str,
    case_type: str,
    place_id: str,
    lat: float | None,
    lon: float | None,
    alarm_ids: list[str],
    now: datetime,
) -> DispatchCase | None:
    """Claims a case for dispatch; None when another replica (or an earlier delivery) already has it."""
    if await session.get(DispatchCase, case_id) is not None:
        return None
    taken = DispatchCase(
        cleared_ids=[],
        case_id=case_id,
        case_type=case_type,
        place_id=place_id,
        lat=lat,
        lon=lon,
        alarm_ids=list(alarm_ids),
        resolved=0,
        cleared=0,
        resumed=0,
        opened_at=now,
    )
    session.add(taken)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return None
    return taken


@dataclass(frozen=True)
class Choice:
    unit: Unit | None  # None: nobody able is free; the grid leader gets it
    reason: str


async def choose_unit(
    *, session: AsyncSession, case: DispatchCase, grid_id: str, exclude: set[str], travel_factor: float
) -> Choice:
    """The nearest available unit with a skill the case needs, by travel distance; the reason is recorded."""
    needed = SKILLS.get(case.case_type, set())
    # Only this grid's units: grids may share a database.
    available = select(Unit).where(Unit.grid_id == grid_id, Unit.status == U.UNIT_STATUS_AVAILABLE)
    units = (await session.scalars(available)).all()
    able = [u for u in units if u.unit_id not in exclude and (not needed or needed & set(u.skills))]
    if not able:
        return Choice(None, f"no available unit with {' or '.join(sorted(needed)) or 'any skill'}")
    if case.lat is None:
        best = sorted(able, key=lambda u: u.unit_id)[0]
        return Choice(best, f"available with {' or '.join(sorted(needed))}; the case has no position")
    located = [(distance_m(case.lat, case.lon, u.lat, u.lon) * travel_factor, u) for u in able if u.lat is not None]
    if not located:
        best = sorted(able, key=lambda u: u.unit_id)[0]
        return Choice(best, "available with the skill; no unit has reported a position yet")
    metres, best = min(located, key=lambda x: (x[0], x[1].unit_id))
    skill = sorted(needed & set(best.skills))[0] if needed else "any"
    return Choice(best, f"nearest available with skill {skill}: {metres:.0f} m (travel ×{travel_factor:g})")


async def offer(
    *,
    session: AsyncSession,
    case: DispatchCase,
    choice: Choice,
    step: int,
    now: datetime,
    ack_timeout: timedelta,
    leader: str = "",
) -> Assignment:
    """Offers the case to the chosen unit (or the grid leader on duty) with a durable ack deadline."""
    unit_id = choice.unit.unit_id if choice.unit else (leader or GRID_LEADER)
    if choice.unit is not None:
        choice.unit.status, choice.unit.case_id = U.UNIT_STATUS_BUSY, case.case_id
    assignment = Assignment(
        assignment_id=str(uuid.uuid4()),
        case_id=case.case_id,
        unit_id=unit_id,
        reason=choice.reason,
        offered_at=now,
        ack_due_at=now + ack_timeout,
        status="offered" if choice.unit else "escalated",
        step=step,
    )
    session.add(assignment)
    return assignment


async def acknowledge(*, session: AsyncSession, assignment_id: str, unit_id: str) -> Assignment:
    """The unit takes its assignment; too late (it moved on) is FailedPrecondition."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None or assignment.unit_id != unit_id:
        raise errors.NotFound(f"no assignment {assignment_id} for unit {unit_id}")
    claimed = await session.execute(
        update(Assignment)
        .where(Assignment.assignment_id == assignment_id, Assignment.status == "offered")
        .values(status="acknowledged")
    )
    if claimed.rowcount != 1:
        raise errors.FailedPrecondition(f"assignment {assignment_id} is {assignment.status}: it has moved on")
    unit = await session.get(Unit, unit_id)
    unit.status = U.UNIT_STATUS_EN_ROUTE
    await session.refresh(assignment)
    return assignment


async def time_out_due(*, session: AsyncSession, now: datetime) -> list[Assignment]:
    """Offers past their ack deadline become timed_out (once, whichever replica); their units are free again."""
    due = (
        await session.scalars(
            select(Assignment).where(Assignment.status == "offered", Assignment.ack_due_at <= now).limit(100)
        )
    ).all()
    out = []
    for a in due:
        claimed = await session.execute(
            update(Assignment)
            .where(Assignment.assignment_id == a.assignment_id, Assignment.status == "offered")
            .values(status="timed_out")
        )
        if claimed.rowcount == 1:
            unit = await session.get(Unit, a.unit_id)
            if unit is not None and unit.case_id == a.case_id:
                unit.status, unit.case_id = U.UNIT_STATUS_AVAILABLE, ""
            out.append(a)
    return out


async def tried_units(*, session: AsyncSession, case_id: str) -> set[str]:
    return set((await session.scalars(select(Assignment.unit_id).where(Assignment.case_id == case_id))).all())


async def release_units(*, session: AsyncSession, case_id: str) -> None:
    """The case is over for its units: they are available again."""
    await session.execute(
        update(Unit).where(Unit.case_id == case_id).values(status=U.UNIT_STATUS_AVAILABLE, case_id="")
    )


async def may_resume(*, session: AsyncSession, case_id: str) -> bool:
    """The lift interlock: True once, when the case is resolved AND the car is clear AND the lift was stopped."""
    stopped = await session.scalar(
        select(Linkage).where(Linkage.case_id == case_id, Linkage.command == "STOP", Linkage.status == "acked")
    )
    if stopped is None:
        return False
    claimed = await session.execute(
        update(DispatchCase)
        .where(
            DispatchCase.case_id == case_id,
            DispatchCase.resolved == 1,
            DispatchCase.cleared == 1,
            DispatchCase.resumed == 0,
        )
        .values(resumed=1)
    )
    return claimed.rowcount == 1


async def arrived(*, session: AsyncSession, radio_device_id: str, radius_m: float) -> tuple[str, str] | None:
    """(unit, case) when an en-route unit's last position is within radius_m of its case; it is then on site."""
    unit = await session.scalar(select(Unit).where(Unit.radio_device_id == radio_device_id))
    if unit is None or unit.status != U.UNIT_STATUS_EN_ROUTE or not unit.case_id or unit.lat is None:
        return None
    case = await session.get(DispatchCase, unit.case_id)
    if case is None or case.lat is None or distance_m(case.lat, case.lon, unit.lat, unit.lon) > radius_m:
        return None
    unit.status = U.UNIT_STATUS_ON_SITE
    return unit.unit_id, case.case_id


async def seen_again(*, session: AsyncSession, case_id: str, alarm_ids: list[str]) -> bool:
    """A repeat of the case's problem (another e-bike pushed in): the car is not clear until this alarm clears too."""
    case = await session.get(DispatchCase, case_id)
    if case is None:
        return False
    case.alarm_ids = sorted(set(case.alarm_ids or []) | set(alarm_ids))
    case.cleared = int(set(case.alarm_ids) <= set(case.cleared_ids or []))
    return True


async def cleared(*, session: AsyncSession, alarm_id: str) -> list[str]:
    """Vision saw the scene of an alarm clear; returns the cases (still awaiting RESUME) whose car is now clear."""
    waiting = (await session.scalars(select(DispatchCase).where(DispatchCase.resumed == 0))).all()
    now_clear = []
    for case in waiting:
        if alarm_id not in (case.alarm_ids or []):
            continue
        case.cleared_ids = sorted(set(case.cleared_ids or []) | {alarm_id})
        case.cleared = int(set(case.alarm_ids) <= set(case.cleared_ids))
        if case.cleared:
            now_clear.append(case.case_id)
    return now_clear
