"""Roll-ups and the queries over them, on generated event histories with known answers (SQLite or PostgreSQL)."""

from datetime import timedelta

import pytest
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain_analytics import rollup
from microbrain_analytics.app import MIGRATIONS
from microbrain_analytics.models import Base
from microbrain_analytics.queries import Queries
from microbrain_kit import errors
from microbrain_kit.db import create_engine, migrate, session_factory
from microbrain_kit.testing import migration_drift

from .conftest import DS, GRID, SHANGHAI, Sg, St, alarm, case_change, local

ROOM = "gengduyuan-refuse-1"
LIFT = "gengduyuan-22"


@pytest.fixture
async def sessions(database):
    engine = create_engine(database.url, schema=database.schema)
    await migrate(engine, MIGRATIONS, version_table="analytics_alembic_version")
    yield session_factory(engine)
    await engine.dispose()


async def count(sessions, events) -> int:
    async with sessions() as session:
        n = await rollup.count_events(session, rollup.Fold(GRID, SHANGHAI), events)
        await session.commit()
    return n


def history() -> list:
    """Two weeks 2026-11-01..14 of alarms, with counts a test can work out by hand:
    day d (1..14): d litter alarms at the garbage room at 21:xx local, 1 more at 06:30 on even days,
    and 2 e-bike alarms at the lift on days 8..14 only. A 23:30 alarm on the 14th is local day 14 (UTC 15:30)."""
    out = []
    for d in range(1, 15):
        for i in range(d):
            out.append(alarm(f"l-{d}-{i}", "litter_off_hours", ROOM, local(2026, 11, d, 21, i % 60)))
        if d % 2 == 0:
            out.append(alarm(f"m-{d}", "litter_off_hours", ROOM, local(2026, 11, d, 6, 30)))
        if d >= 8:
            out.extend(alarm(f"e-{d}-{i}", "ebike_in_elevator", LIFT, local(2026, 11, d, 8, 10 * i)) for i in range(2))
    out.append(alarm("late", "litter_off_hours", ROOM, local(2026, 11, 14, 23, 30)))
    return [("alarms", f"alarms:{a.meta.event_id}", a) for a in out]


async def test_trend_counts_each_day_by_type_with_the_change_against_the_week_before(sessions, places):
    assert await count(sessions, history()) == 105 + 7 + 14 + 1
    q = Queries(GRID, SHANGHAI, places)
    async with sessions() as session:
        t = await q.alarm_trend(session, pb.GetAlarmTrendRequest(start_date="2026-11-08", end_date="2026-11-14"))
    assert t.days == [f"2026-11-{d:02d}" for d in range(8, 15)]
    assert (t.previous_start_date, t.previous_end_date) == ("2026-11-01", "2026-11-07")
    by_type = {s.type: s for s in t.series}
    litter = by_type["litter_off_hours"]
    assert list(litter.counts) == [8 + 1, 9, 10 + 1, 11, 12 + 1, 13, 14 + 1 + 1]
    assert litter.total == 9 + 9 + 11 + 11 + 13 + 13 + 16 == 82
    assert litter.previous_total == 28 + 3  # 1+..+7 plus days 2, 4, 6
    assert litter.change == pytest.approx((82 - 31) / 31)
    ebike = by_type["ebike_in_elevator"]
    assert (list(ebike.counts), ebike.previous_total, ebike.change) == ([2] * 7, 0, 0.0)
    assert [s.type for s in t.series] == ["litter_off_hours", "ebike_in_elevator"]  # largest first
    assert list(t.totals) == [a + b for a, b in zip(litter.counts, ebike.counts, strict=True)]
    assert (t.total, t.previous_total) == (96, 31)
    assert (litter.label, ebike.label) == ("非投放时段垃圾", "电动车进电梯")


async def test_redelivered_events_count_once(sessions, places):
    events = history()
    await count(sessions, events)
    assert await count(sessions, events[:40]) == 0  # a redelivered batch
    assert await count(sessions, events[:3] + events[:3]) == 0
    async with sessions() as session:
        t = await Queries(GRID, SHANGHAI, places).alarm_trend(
            session, pb.GetAlarmTrendRequest(start_date="2026-11-01", end_date="2026-11-14")
        )
    assert t.total == 127


async def test_trend_by_place_and_filters(sessions, places):
    await count(sessions, history())
    q = Queries(GRID, SHANGHAI, places)
    async with sessions() as session:
        t = await q.alarm_trend(
            session,
            pb.GetAlarmTrendRequest(
                start_date="2026-11-13", end_date="2026-11-14", group_by=pb.GROUP_BY_PLACE, place_ids=[LIFT]
            ),
        )
        assert [(s.place_id, s.type, list(s.counts), s.label) for s in t.series] == [
            (LIFT, "", [2, 2], "耕读园小区 22 号")
        ]
        with pytest.raises(errors.InvalidArgument, match="end_date 2026-11-01 is before start_date"):
            await q.alarm_trend(session, pb.GetAlarmTrendRequest(start_date="2026-11-02", end_date="2026-11-01"))
        with pytest.raises(errors.InvalidArgument, match="not a date"):
            await q.alarm_trend(session, pb.GetAlarmTrendRequest(start_date="11/02", end_date="2026-11-03"))


async def test_dumping_profile_counts_hours_and_suggests_the_evening_window(sessions, places):
    await count(sessions, history())
    async with sessions() as session:
        (room,) = await Queries(GRID, SHANGHAI, places).dumping_profile(
            session, pb.GetDumpingProfileRequest(start_date="2026-11-01", end_date="2026-11-14")
        )
    assert (room.place_id, room.name) == (ROOM, "耕读园小区 垃圾厢房 1")
    expected = [0] * 24
    expected[21], expected[6], expected[23] = 105, 7, 1
    assert list(room.hour_counts) == expected and room.total == 113
    assert [(w.start_hour, w.end_hour) for w in room.current_windows] == [(7, 9), (18, 20)]
    s = room.suggestion
    assert (s.extra_window.start_hour, s.extra_window.end_hour, s.covered, s.reaches_target) == (21, 22, 105, True)
    assert s.covered_share == pytest.approx(105 / 113)
    assert "21:00-22:00" in s.summary


def sla_history() -> list:
    """Five lift cases. Targets: discover 1 s, resolve 300 s. Cases 1-3 resolve in 120, 240, 290 s (met); 4 in
    600 s (breached at 300 s, reached later); 5 is still open (its resolve deadline breached, not reached)."""
    t0 = local(2026, 11, 10, 9)
    out = []
    for n, resolve_s in enumerate([120, 240, 290, 600, None], start=1):
        occurred = t0 + timedelta(hours=n)
        opened = occurred + timedelta(milliseconds=400)
        disc = (Sg.STAGE_DISCOVER, timedelta(seconds=1), DS.STATUS_MET, opened)
        pending = (Sg.STAGE_RESOLVE, timedelta(seconds=300), DS.STATUS_PENDING, None)
        cid = f"c-{n}"
        out.append(case_change(cid, 1, "opened", St.CASE_STATE_OPENED, opened, occurred, [disc, pending], "lift"))
        if resolve_s is None or resolve_s > 300:
            breach_at = occurred + timedelta(seconds=300)
            late = (Sg.STAGE_RESOLVE, timedelta(seconds=300), DS.STATUS_BREACHED, breach_at)
            out.append(
                case_change(cid, 2, "sla_breached", St.CASE_STATE_OPENED, breach_at, occurred, [disc, late], "lift")
            )
        if resolve_s is not None:
            at = occurred + timedelta(seconds=resolve_s)
            status = DS.STATUS_MET if resolve_s <= 300 else DS.STATUS_BREACHED
            done = (Sg.STAGE_RESOLVE, timedelta(seconds=300), status, at)
            out.append(case_change(cid, 3, "resolved", St.CASE_STATE_RESOLVED, at, occurred, [disc, done], "lift"))
    return [("cases", f"cases:{e.meta.event_id}", e) for e in out]


async def test_sla_compliance_shares_and_percentiles(sessions, places):
    await count(sessions, sla_history())
    async with sessions() as session:
        rows = await Queries(GRID, SHANGHAI, places).sla_compliance(
            session, pb.GetSlaComplianceRequest(start_date="2026-11-10", end_date="2026-11-10")
        )
    by_stage = {r.stage: r for r in rows}
    discover, resolve = by_stage[Sg.STAGE_DISCOVER], by_stage[Sg.STAGE_RESOLVE]
    assert (discover.count, discover.within_target, discover.share) == (5, 5, 1.0)
    assert discover.p50_s == pytest.approx(0.4, rel=0.05) and discover.target_s == 1.0
    assert (resolve.count, resolve.within_target) == (4, 3)  # case 5 never reached it
    assert resolve.share == 0.75 and resolve.mean_s == pytest.approx((120 + 240 + 290 + 600) / 4)
    assert resolve.p50_s == pytest.approx(240, rel=0.05)
    assert resolve.p95_s == pytest.approx(600, rel=0.05)
    assert resolve.target_s == 300


async def test_kpis_count_open_cases_closures_time_to_resolve_and_alarms_today(sessions, places):
    now = local(2026, 11, 14, 23, 59)
    events = history() + sla_history()
    occurred = local(2026, 11, 12, 10)
    closed_at = occurred + timedelta(days=1)
    events.append(
        ("cases", "cases:c-9:4", case_change("c-9", 4, "closed", St.CASE_STATE_CLOSED, closed_at, occurred, []))
    )
    await count(sessions, events)
    async with sessions() as session:
        k = await Queries(GRID, SHANGHAI, places).kpis(session, now=now)
    assert k.open_cases == 1  # c-5
    assert (k.closed_last_7_days, k.closed_within_7_days_share) == (1, 1.0)
    assert k.mean_time_to_resolve_s == pytest.approx((120 + 240 + 290 + 600) / 4)
    assert (k.alarms_today, k.alarms_yesterday) == (14 + 2 + 1 + 1, 13 + 2)


async def test_migrations_match_the_models_and_can_run_twice(database):
    assert await migration_drift(database, Base.metadata, MIGRATIONS, "analytics_alembic_version") == []
