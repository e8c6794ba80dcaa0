"""Analytics as a running service on a real nats-server and database: the consumers fold the streams once,
Rebuild replays them to the same numbers, ImportAlarms backfills and refuses bad input, charts come through the
API, and crowd alarms from fused camera + Wi-Fi counts become cases (real cases service) and clear again."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as pb_grpc
from microbrain.analytics.v1 import events_pb2 as events
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2 as ingest_events
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain.vision.v1 import events_pb2 as vision_events
from microbrain_analytics.app import App
from microbrain_analytics.config import AnalyticsSettings
from microbrain_analytics.places import load_places
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App as CasesApp
from microbrain_kit.alarms import ensure_alarm_stream
from microbrain_kit.bus import Bus
from microbrain_kit.testing import eventually, stream_messages
from microbrain_kit.times import utcnow

from .conftest import GRID, SCENARIO, alarm, local, ts

L = res.CrowdLevel


@pytest.fixture
async def grid(nats_url, database):
    """A fresh grid id (its own streams on the shared nats-server) and the settings its services share."""
    grid_id = f"{GRID}-{uuid.uuid4().hex[:6]}"
    common = dict(
        grid_id=grid_id,
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
    )
    return grid_id, common


@pytest.fixture
async def analytics(grid):
    _, common = grid
    # The scenario's places belong to the real grid id: the test grid borrows them.
    app = App(
        AnalyticsSettings(**common, consumer_batch=50, kpi_interval_s=0),
        load_places(str(SCENARIO), GRID),
        ZoneInfo("Asia/Shanghai"),
    )
    await app.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
    yield app, pb_grpc.AnalyticsServiceStub(channel)
    await channel.close()
    await app.stop()


@pytest.fixture
async def bus(nats_url):
    b = await Bus.connect(nats_url, name="test-producer")
    yield b
    await b.close()


async def trend_total(stub, start="2026-11-01", end="2026-11-14") -> int:
    reply = await stub.GetAlarmTrend(pb.GetAlarmTrendRequest(start_date=start, end_date=end))
    return reply.trend.total


async def test_stream_alarms_count_once_and_rebuild_gives_the_same_numbers(analytics, bus):
    app, stub = analytics
    stream = await ensure_alarm_stream(bus, app.grid)
    subject = f"mb.{app.grid}.alarms.raised"
    for d in range(1, 15):
        for i in range(d):
            a = alarm(f"a-{d}-{i}", "litter_off_hours", "gengduyuan-refuse-1", local(2026, 11, d, 21, i), app.grid)
            await bus.publish(subject, a, msg_id=a.meta.event_id)
    # The same alarm published again past JetStream's duplicate window (another Nats-Msg-Id): counted once.
    again = alarm("a-14-0", "litter_off_hours", "gengduyuan-refuse-1", local(2026, 11, 14, 21, 0), app.grid)
    await bus.publish(subject, again, msg_id="a-14-0-resent")
    assert await eventually(lambda: _equals(trend_total(stub), 105), timeout=15)
    assert len(await stream_messages(bus.js, stream)) == 106

    progress = [p async for p in stub.Rebuild(pb.RebuildRequest())]
    alarms = [p for p in progress if p.stream == stream]
    assert alarms[-1].done == alarms[-1].total == 106 and alarms[-1].counted == 105
    assert {p.stream for p in progress} >= {f"mb-{app.grid}-{d}" for d in ("alarms", "cases", "vision", "ingest")}
    assert await trend_total(stub) == 105
    reply = await stub.GetDumpingProfile(pb.GetDumpingProfileRequest(start_date="2026-11-01", end_date="2026-11-14"))
    assert reply.rooms[0].hour_counts[21] == 105


async def _equals(coro, value):
    return (await coro) == value


async def test_import_backfills_skips_what_it_has_and_refuses_bad_alarms(analytics):
    app, stub = analytics

    def batches(ids):
        yield pb.ImportAlarmsRequest(
            alarms=[alarm(i, "ebike_in_elevator", "gengduyuan-22", local(2026, 11, 3, 8), app.grid) for i in ids]
        )

    reply = await stub.ImportAlarms(batches([f"h-{i}" for i in range(30)]))
    assert (reply.imported, reply.skipped) == (30, 0)
    reply = await stub.ImportAlarms(batches([f"h-{i}" for i in range(25, 35)]))
    assert (reply.imported, reply.skipped) == (5, 5)
    assert await trend_total(stub) == 35

    def bad():
        yield pb.ImportAlarmsRequest(alarms=[alarm("ok-1", "t", "p", local(2026, 11, 3, 8), app.grid)])
        yield pb.ImportAlarmsRequest(
            alarms=[alarm("ok-2", "t", "p", local(2026, 11, 3, 8), app.grid), alarms_pb2.AlarmRaised()]
        )

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ImportAlarms(bad())
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "message 2, alarm 1: meta.event_id is empty (1 imported" in err.value.details()
    assert await trend_total(stub) == 36  # the first message stays imported, the bad one adds nothing
    # Imported alarms are kept on analytics' stream: a rebuild replays them to the same count.
    async for _ in stub.Rebuild(pb.RebuildRequest()):
        pass
    assert await trend_total(stub) == 36

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetAlarmTrend(pb.GetAlarmTrendRequest(start_date="2026-11-05", end_date="2026-11-01"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "before start_date" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetDumpingProfile(pb.GetDumpingProfileRequest(place_ids=["aegean-mall"]))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_charts_come_through_the_api(analytics):
    app, stub = analytics
    await stub.ImportAlarms(
        iter(
            [
                pb.ImportAlarmsRequest(
                    alarms=[
                        alarm(
                            f"c-{i}",
                            "litter_off_hours",
                            "gengduyuan-refuse-1",
                            local(2026, 11, 1 + i % 7, 21 + i % 2),
                            app.grid,
                        )
                        for i in range(40)
                    ]
                )
            ]
        )
    )
    svg = await stub.RenderChart(
        pb.RenderChartRequest(
            chart=pb.CHART_TREND, trend=pb.GetAlarmTrendRequest(start_date="2026-11-01", end_date="2026-11-07")
        )
    )
    assert svg.content_type == "image/svg+xml" and svg.data.lstrip().startswith(b"<?xml")
    png = await stub.RenderChart(
        pb.RenderChartRequest(
            chart=pb.CHART_PROFILE,
            format=pb.FORMAT_PNG,
            language="en",
            width=640,
            height=360,
            profile=pb.GetDumpingProfileRequest(start_date="2026-11-01", end_date="2026-11-07"),
        )
    )
    assert png.content_type == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png.data[16:20], "big") == 640 and int.from_bytes(png.data[20:24], "big") == 360
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RenderChart(pb.RenderChartRequest(chart=pb.CHART_TREND, language="fr"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def _level(app: App, level: int) -> bool:
    return app.occupancy(["aegean-atrium"])[0].level == level


def camera(grid: str, n: int, people: float, at) -> vision_events.CrowdObserved:
    return vision_events.CrowdObserved(
        meta=common_pb2.EventMeta(event_id=f"cam-{grid}-{n}", grid_id=grid, occurred_at=ts(at)),
        camera_id="cam-aegean-atrium",
        place_id="aegean-mall",
        counts={"aegean-atrium": people},
    )


def probe(grid: str, n: int, phones: list[str], at) -> ingest_events.DeviceEventRecorded:
    event = ingest_res.DeviceEvent(event_id=f"probe-{grid}-{n}", occurred_at=ts(at), type="probe_count")
    event.wifi.zone_id = "aegean-atrium"
    event.wifi.unique_devices = len(phones)
    event.wifi.device_hashes.extend(phones)
    return ingest_events.DeviceEventRecorded(
        meta=common_pb2.EventMeta(event_id=f"probe-{grid}-{n}", grid_id=grid, occurred_at=ts(at)),
        device=common_pb2.DeviceRef(device_id="wifi-aegean-1"),
        kind=ingest_res.DEVICE_KIND_WIFI_PROBE,
        place_id="aegean-mall",
        event=event,
    )


async def test_a_crowd_over_its_threshold_opens_a_case_escalates_and_clears(grid, bus):
    grid_id, common = grid
    cases = CasesApp(CasesSettings(**common))
    await cases.start()
    for domain in ("vision", "ingest"):  # as vision and ingest declare them
        await bus.ensure_stream(f"mb-{grid_id}-{domain}", [f"mb.{grid_id}.{domain}.*"])
    app = App(
        AnalyticsSettings(**common, kpi_interval_s=0), load_places(str(SCENARIO), GRID), ZoneInfo("Asia/Shanghai")
    )
    await app.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}")
    try:
        now = utcnow()
        vision, ingest = f"mb.{grid_id}.vision.crowd_observed", f"mb.{grid_id}.ingest.device_event"
        t1, t2 = now - timedelta(minutes=10), now - timedelta(minutes=9)
        phones = [f"{i:016x}" for i in range(500)]
        # 10 minutes ago: the camera sees 300 of the 35% of the atrium it covers → 857 people: warning (800).
        await bus.publish(vision, camera(grid_id, 1, 300, t1), msg_id="c1")
        assert await eventually(lambda: _level(app, L.CROWD_LEVEL_WARNING))
        await bus.publish(ingest, probe(grid_id, 1, phones, t1), msg_id="p1")  # 300 + 0.65 × 500/0.7 = 764: holds
        # 9 minutes ago: 800 in view → 800 + 464 = 1264: critical (1200).
        await bus.publish(vision, camera(grid_id, 2, 800, t2), msg_id="c2")
        stub = cases_grpc.CaseServiceStub(channel)

        async def crowd_case():
            reply = await stub.ListCases(cases_pb.ListCasesRequest(case_types=["crowd_over_threshold"]))
            return reply.cases[0] if reply.cases and reply.cases[0].occurrences == 2 else None

        case = await eventually(crowd_case, timeout=15)
        assert case.place_id == "aegean-mall" and len(case.alarm_ids) == 2
        assert case.title.startswith("大客流预警 · ")
        (zone,) = app.occupancy(["aegean-atrium"])
        assert zone.level == L.CROWD_LEVEL_CRITICAL and zone.alarm_id == case.alarm_ids[0]

        # Now: 100 in view and the phones gone quiet for 9 minutes → 100 / 0.35 = 286: back to normal.
        await bus.publish(vision, camera(grid_id, 3, 100, now), msg_id="c3")

        async def cleared():
            msgs = await stream_messages(bus.js, f"mb-{grid_id}-alarms", f"mb.{grid_id}.alarms.cleared")
            return [alarms_pb2.AlarmCleared.FromString(m.data) for m in msgs] if len(msgs) == 2 else None

        gone = await eventually(cleared, timeout=15)
        assert sorted(c.alarm_id for c in gone) == sorted(case.alarm_ids)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as analytics_channel:
            analytics = pb_grpc.AnalyticsServiceStub(analytics_channel)
            zones = (await analytics.GetCrowdOccupancy(pb.GetCrowdOccupancyRequest())).zones
            assert [z.zone_id for z in zones] == ["aegean-atrium", "seoul-main-street"]
            assert zones[0].level == L.CROWD_LEVEL_NORMAL and zones[0].alarm_id == ""
            assert (zones[0].warning, zones[0].critical, zones[0].camera_coverage) == (800, 1200, 0.35)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await analytics.GetCrowdOccupancy(pb.GetCrowdOccupancyRequest(zone_ids=["nowhere"]))
            assert err.value.code() == grpc.StatusCode.NOT_FOUND and "nowhere" in err.value.details()

        async def noted():  # cases notes the clearing on the case, once for the episode; a person resolves it
            timeline = await stub.GetTimeline(cases_pb.GetTimelineRequest(case_id=case.case_id))
            notes = [c.note for c in timeline.changes if c.action == "note"]
            return notes if notes else None

        (note,) = await eventually(noted, timeout=10)
        assert "人数回落至 286" in note
        changes = await stream_messages(
            bus.js, f"mb-{grid_id}-analytics", f"mb.{grid_id}.analytics.crowd_level_changed"
        )
        levels = [events.CrowdLevelChanged.FromString(m.data).to_level for m in changes]
        assert levels == [L.CROWD_LEVEL_WARNING, L.CROWD_LEVEL_CRITICAL, L.CROWD_LEVEL_NORMAL]
    finally:
        await channel.close()
        await app.stop()
        await cases.stop()
