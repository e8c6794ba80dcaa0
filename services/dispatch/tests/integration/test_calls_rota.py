"""One-click calls (ringing, first answer wins, hang-up with a record) and the duty rota."""

from datetime import UTC, datetime, timedelta

import pytest
from microbrain.dispatch.v1 import resources_pb2 as res
from microbrain_dispatch import calls
from microbrain_dispatch.models import Base, DispatchCase, Unit
from microbrain_kit import errors
from microbrain_kit.db import create_engine, session_factory

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)


@pytest.fixture
async def session(database):
    engine = create_engine(database.url, schema=database.schema)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    async with session_factory(engine)() as s:
        s.add(
            DispatchCase(
                case_id="c-1",
                case_type="ebike_in_elevator",
                place_id="gengduyuan-22",
                lat=31.1872,
                lon=121.3951,
                alarm_ids=[],
                resolved=0,
                cleared=0,
                resumed=0,
                opened_at=NOW,
            )
        )
        for unit_id, lat in (("near-1", 31.1873), ("near-2", 31.1874), ("far", 31.2000)):
            s.add(
                Unit(
                    unit_id=unit_id,
                    grid_id="g",
                    members=[],
                    skills=["property"],
                    radio_device_id=f"r-{unit_id}",
                    status=res.UNIT_STATUS_AVAILABLE,
                    lat=lat,
                    lon=121.3951,
                    case_id="",
                )
            )
        await s.flush()
        yield s
    await engine.dispose()


async def test_a_talk_group_call_rings_nearby_units_and_the_first_answer_connects(session):
    call = await calls.start_call(
        session=session, case_id="c-1", caller="desk:李栋梁", unit_ids=[], radius_m=500, now=NOW
    )
    assert call.unit_ids == ["near-1", "near-2"] and call.state == "ringing"  # "far" is 1.4 km away
    answered = await calls.answer_call(
        session=session, call_id=call.call_id, unit_id="near-2", now=NOW + timedelta(seconds=4)
    )
    assert (answered.state, answered.answered_by) == ("connected", "near-2")
    with pytest.raises(errors.FailedPrecondition, match="already answered by near-2"):
        await calls.answer_call(session=session, call_id=call.call_id, unit_id="near-1", now=NOW)
    ended = await calls.end_call(
        session=session, call_id=call.call_id, by="desk:李栋梁", now=NOW + timedelta(seconds=64)
    )
    record = calls.call_proto(ended)
    assert (record.state, record.ended_by, record.talk_seconds) == ("ended", "desk:李栋梁", 60.0)
    with pytest.raises(errors.FailedPrecondition, match="already ended"):
        await calls.end_call(session=session, call_id=call.call_id, by="near-2", now=NOW)


async def test_calls_refuse_what_cannot_be_rung(session):
    with pytest.raises(errors.NotFound, match="no such units: ghost"):
        await calls.start_call(session=session, case_id="c-1", caller="desk", unit_ids=["ghost"], radius_m=0, now=NOW)
    with pytest.raises(errors.FailedPrecondition, match="no available unit within 5 m"):
        await calls.start_call(session=session, case_id="c-1", caller="desk", unit_ids=[], radius_m=5, now=NOW)
    call = await calls.start_call(session=session, case_id="c-1", caller="desk", unit_ids=["far"], radius_m=0, now=NOW)
    with pytest.raises(errors.PermissionDenied):
        await calls.end_call(session=session, call_id=call.call_id, by="near-1", now=NOW)


async def test_the_rota_says_who_is_on_duty_and_reports_bad_rows(session):
    text = (
        "role,person,starts_at,ends_at\n"
        "desk,王值班,2026-11-27T00:00+08:00,2026-11-27T08:00+08:00\n"
        "grid_leader,李栋梁,2026-11-26T08:00+08:00,2026-11-27T08:00+08:00\n"
        "chef,x,2026-11-26T08:00+08:00,2026-11-27T08:00+08:00\n"
        "desk,y,yesterday,today\n"
    )
    imported, problems = await calls.import_rota(session=session, text=text)
    assert imported == 2 and [p.split(":")[0] for p in problems] == ["row 4", "row 5"]
    desk = await calls.on_duty(session=session, role="desk", now=NOW)  # 04:00 in Shanghai
    leader = await calls.on_duty(session=session, role="grid_leader", now=NOW)
    assert (desk.person, leader.person) == ("王值班", "李栋梁")
    assert await calls.on_duty(session=session, role="desk", now=NOW + timedelta(hours=8)) is None  # a gap
