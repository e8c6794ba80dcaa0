"""Choosing who goes: nearest by travel distance, skills, busy units, and the CSV import's row errors."""

from datetime import UTC, datetime, timedelta

import pytest
from microbrain.dispatch.v1 import resources_pb2 as res
from microbrain_dispatch import domain
from microbrain_dispatch.models import Base, DispatchCase, Unit
from microbrain_kit import errors
from microbrain_kit.db import create_engine, session_factory

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
SITE = (31.1872, 121.3951)


@pytest.fixture
async def session(database):
    engine = create_engine(database.url, schema=database.schema)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with session_factory(engine)() as s:
        yield s
    await engine.dispose()


def _unit(unit_id, skills, at=None, status=res.UNIT_STATUS_AVAILABLE, grid_id="g"):
    lat, lon = at or (None, None)
    return Unit(
        unit_id=unit_id,
        grid_id=grid_id,
        members=[],
        skills=skills,
        radio_device_id=f"radio-{unit_id}",
        status=status,
        lat=lat,
        lon=lon,
        case_id="",
    )


def _case(case_type="litter_off_hours"):
    return DispatchCase(
        case_id="c-1",
        case_type=case_type,
        place_id="p",
        lat=SITE[0],
        lon=SITE[1],
        alarm_ids=[],
        resolved=0,
        cleared=0,
        resumed=0,
        opened_at=NOW,
    )


def test_distance_is_great_circle_metres():
    assert domain.distance_m(31.1872, 121.3951, 31.1872, 121.3951) == 0
    assert domain.distance_m(31.0, 121.0, 31.01, 121.0) == pytest.approx(1112, rel=0.01)


async def test_the_nearest_available_unit_with_the_skill_is_chosen_and_says_why(session):
    session.add_all(
        [
            _unit("near-wrong-skill", ["enforcement"], (31.1873, 121.3951)),
            _unit("near-busy", ["property"], (31.1872, 121.3952), status=res.UNIT_STATUS_BUSY),
            _unit("mid", ["property"], (31.1890, 121.3951)),
            _unit("far", ["property", "persuasion"], (31.2000, 121.4100)),
            _unit("next-grid", ["property"], (31.1872, 121.3951), grid_id="other"),  # nearest, but not ours
        ]
    )
    await session.flush()
    choice = await domain.choose_unit(session=session, case=_case(), grid_id="g", exclude=set(), travel_factor=1.3)
    assert choice.unit.unit_id == "mid"
    assert choice.reason == "nearest available with skill property: 260 m (travel ×1.3)"
    again = await domain.choose_unit(session=session, case=_case(), grid_id="g", exclude={"mid"}, travel_factor=1.3)
    assert again.unit.unit_id == "far"
    none = await domain.choose_unit(
        session=session, case=_case(), grid_id="g", exclude={"mid", "far"}, travel_factor=1.3
    )
    assert none.unit is None and "no available unit with property" in none.reason


async def test_an_offer_not_acknowledged_in_time_times_out_once_and_frees_the_unit(session):
    unit = _unit("u1", ["property"], SITE)
    case = _case()
    session.add_all([unit, case])
    await session.flush()
    choice = await domain.choose_unit(session=session, case=case, grid_id="g", exclude=set(), travel_factor=1.0)
    offer = await domain.offer(
        session=session, case=case, choice=choice, step=0, now=NOW, ack_timeout=timedelta(seconds=60)
    )
    await session.flush()
    assert unit.status == res.UNIT_STATUS_BUSY
    assert await domain.time_out_due(session=session, now=NOW + timedelta(seconds=59)) == []
    [late] = await domain.time_out_due(session=session, now=NOW + timedelta(seconds=61))
    assert late.assignment_id == offer.assignment_id
    assert await domain.time_out_due(session=session, now=NOW + timedelta(seconds=62)) == []
    await session.refresh(unit)
    assert unit.status == res.UNIT_STATUS_AVAILABLE
    with pytest.raises(errors.FailedPrecondition, match="moved on"):
        await domain.acknowledge(session=session, assignment_id=offer.assignment_id, unit_id="u1")


async def test_csv_import_keeps_good_rows_and_names_bad_ones(session):
    text = "unit_id,members,skills\nu1,A;B,property\n,C,property\nu3,D,\n"
    imported, problems = await domain.import_units(session=session, text=text, grid_id="g")
    assert imported == 1
    assert problems == ["row 3: unit_id is empty", "row 4: skills is empty (e.g. property;persuasion)"]
    with pytest.raises(errors.InvalidArgument, match="skills"):
        await domain.import_units(session=session, text="unit_id,members\nu1,A\n", grid_id="g")
