"""What `microbrain analytics` prints and how it reads its arguments; calls go to a stand-in analytics server."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as pb_grpc
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain.cases.v1 import resources_pb2 as cases_res
from microbrain_cli import analytics
from microbrain_cli.__main__ import build_parser, check_args, main
from microbrain_cli.analytics import (
    change_text,
    chart_format,
    crowd_table,
    duration,
    in_window,
    kpi_tiles,
    parse_stage,
    profile_view,
    rpc_failure,
    sla_table,
    sparkline,
    trend_table,
)
from microbrain_cli.scenario import grid_scenario, load_scenario
from rich.console import Console

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8), "CST")


def _text(renderable, width: int = 200) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def _ts(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


def _trend(days: int) -> res.AlarmTrend:
    names = [f"2026-11-{d:02d}" if d <= 30 else f"2026-12-{d - 30:02d}" for d in range(1, days + 1)]
    litter = [6 + (d % 3) for d in range(days)]
    ebike = [2 if d % 2 else 1 for d in range(days)]
    return res.AlarmTrend(
        days=names,
        series=[
            res.TrendSeries(
                type="litter_off_hours",
                label="耕读园小区 垃圾厢房 1 · litter_off_hours",
                counts=litter,
                total=sum(litter),
                previous_total=100,
                change=(sum(litter) - 100) / 100,
            ),
            res.TrendSeries(type="ebike_in_elevator", counts=ebike, total=sum(ebike), previous_total=0, change=0),
        ],
        totals=[a + b for a, b in zip(litter, ebike, strict=True)],
        total=sum(litter) + sum(ebike),
        previous_total=100,
        change=(sum(litter) + sum(ebike) - 100) / 100,
        previous_start_date="2026-10-25",
        previous_end_date="2026-10-31",
    )


# --- formatting ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "previous", "change", "text"),
    [(120, 100, 0.2, "+20%"), (50, 100, -0.5, "-50%"), (100, 100, 0.0, "0%"), (5, 0, 0.0, "new"), (0, 0, 0.0, "-")],
)
def test_change_against_the_previous_period(total, previous, change, text):
    assert change_text(total, previous, change) == text


def test_sparkline_scales_to_the_highest_day():
    assert sparkline([0, 4, 8]) == "▁▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


def test_durations_show_tenths_under_ten_seconds():
    assert duration(0.42) == "0.4s"
    assert duration(252) == "4m12s"
    assert duration(3 * 3600) == "3h"


def test_a_short_trend_has_a_column_per_day():
    text = _text(trend_table(_trend(7)))

    assert "alarms per day, 2026-11-01 to 2026-11-07 (7 days); previous: 2026-10-25 to 2026-10-31" in text
    header = next(line for line in text.splitlines() if "series" in line)
    assert all(f"11-0{d}" in header for d in range(1, 8))
    litter = next(line for line in text.splitlines() if "垃圾厢房 1" in line)
    # 6+7+8+6+7+8+6 = 48 against 100 before.
    assert "48" in litter and "100" in litter and "-52%" in litter
    ebike = next(line for line in text.splitlines() if "ebike_in_elevator" in line)
    assert "new" in ebike  # nothing the week before
    total = next(line for line in text.splitlines() if line.strip("│ ").startswith("all"))
    assert "58" in total and "-42%" in total


def test_a_long_trend_shows_the_last_fourteen_days_as_a_sparkline():
    trend = _trend(30)
    text = _text(trend_table(trend))

    header = next(line for line in text.splitlines() if "series" in line)
    assert "last 14 days (11-17…)" in header
    assert "11-01" not in header
    litter = next(line for line in text.splitlines() if "垃圾厢房 1" in line)
    assert sparkline(list(trend.series[0].counts)[-14:]) in litter


def _room(**kw) -> res.DumpingProfile:
    counts = [0] * 24
    counts[6], counts[21], counts[22], counts[13] = 6, 20, 21, 3
    room = res.DumpingProfile(
        place_id="gengduyuan-refuse-1",
        name="耕读园小区 垃圾厢房 1",
        current_windows=[res.HourWindow(start_hour=7, end_hour=9), res.HourWindow(start_hour=18, end_hour=20)],
        hour_counts=counts,
        total=50,
        start_date="2026-08-29",
        end_date="2026-11-26",
        suggestion=res.WindowSuggestion(
            extra_window=res.HourWindow(start_hour=21, end_hour=23),
            suggested_windows=[
                res.HourWindow(start_hour=7, end_hour=9),
                res.HourWindow(start_hour=18, end_hour=20),
                res.HourWindow(start_hour=21, end_hour=23),
            ],
            covered=41,
            covered_share=0.82,
            reaches_target=True,
            cover_share=0.8,
            max_extra_hours=3,
            summary="在 21:00-23:00 增设投放时段，可覆盖 82% (41/50) 的非投放时段投放",
        ),
    )
    for key, value in kw.items():
        setattr(room, key, value)
    return room


def test_a_profile_shows_the_hours_as_bars_with_the_windows_marked():
    text = _text(profile_view(_room()), width=120)
    lines = text.splitlines()

    assert "耕读园小区 垃圾厢房 1 (gengduyuan-refuse-1) · 2026-08-29 to 2026-11-26 · 50 out-of-hours" in text
    row = {line.split("│")[1].strip(): line for line in lines if line.count("│") >= 4 and ":00" in line}
    assert len(row) == 24
    assert "█" * 40 in row["22:00"]  # the busiest hour gets the full bar
    assert "█" * 38 in row["21:00"] and "█" * 39 not in row["21:00"]
    assert "suggested" in row["21:00"] and "suggested" in row["22:00"] and "suggested" not in row["23:00"]
    assert "disposal window" in row["07:00"] and "disposal window" in row["19:00"]
    assert "disposal window" not in row["06:00"]
    assert "disposal windows: 07:00-09:00, 18:00-20:00" in text
    assert "suggested: 07:00-09:00, 18:00-20:00, 21:00-23:00 (extra 21:00-23:00: 41 alarms, 82%)" in text
    assert "在 21:00-23:00 增设投放时段，可覆盖 82% (41/50) 的非投放时段投放" in text


def test_a_profile_that_falls_short_says_so_and_one_without_alarms_suggests_nothing():
    short = _room()
    short.suggestion.reaches_target = False
    short.suggestion.covered_share = 0.6
    assert "60%, short of the 80% asked for" in _text(profile_view(short), width=160)

    empty = _room(total=0)
    del empty.hour_counts[:]
    empty.suggestion.Clear()
    text = _text(profile_view(empty), width=120)
    assert "suggested:" not in text
    assert "0 out-of-hours litter alarms" in text


def test_windows_may_run_past_midnight():
    late = [res.HourWindow(start_hour=22, end_hour=1)]

    assert in_window(23, late) and in_window(0, late)
    assert not in_window(1, late) and not in_window(21, late)


def test_crowd_table_shows_the_fusion_and_the_level():
    zones = [
        res.ZoneOccupancy(
            zone_id="aegean-atrium",
            place_id="aegean-mall",
            name="爱琴海购物公园 atrium",
            estimate=860,
            camera_count=300,
            camera_coverage=0.4,
            wifi_distinct_devices=650,
            phone_share=0.7,
            wifi_estimate=928.6,
            wifi_window_s=300,
            sources="camera+wifi",
            warning=800,
            critical=1200,
            level=res.CROWD_LEVEL_WARNING,
            level_since=_ts(NOW - timedelta(minutes=4)),
            alarm_id="crowd-1",
            updated_at=_ts(NOW - timedelta(seconds=5)),
        ),
        res.ZoneOccupancy(zone_id="seoul-main-street", warning=1500, critical=2200, level=res.CROWD_LEVEL_NORMAL),
    ]

    text = _text(crowd_table(zones, now=NOW, tz=SHANGHAI))

    assert "wifi: phones in 300s → people" in " ".join(text.split())
    lines = text.splitlines()
    atrium = next(line for line in lines if "爱琴海购物公园" in line)
    for part in ("860 (108%)", "300, 40%", "650 → 929 (÷70%)", "camera+wifi", "warning", "800 / 1,200"):
        assert part in atrium
    assert "19:56:00 (4m ago)" in atrium and "5s ago" in atrium
    assert "aegean-atrium" in lines[lines.index(atrium) + 1]
    seoul = next(line for line in lines if "seoul-main-street" in line)
    assert "none fresh" in seoul and "normal" in seoul and "1,500 / 2,200" in seoul


def test_sla_table_shows_share_and_percentiles():
    rows = [
        res.SlaCompliance(
            case_type="ebike_in_elevator",
            stage=cases_res.STAGE_RESOLVE,
            count=40,
            within_target=36,
            share=0.9,
            p50_s=150,
            p90_s=280,
            p95_s=330,
            mean_s=170,
            target_s=300,
        ),
        res.SlaCompliance(
            case_type="litter_off_hours", stage=cases_res.STAGE_DISCOVER, count=10, within_target=10, share=1.0,
            p50_s=0.42, p90_s=0.8, p95_s=0.9, mean_s=0.5, target_s=1,
        ),
    ]  # fmt: skip

    text = _text(sla_table(rows, title="SLA compliance, 2026-11-01 to 2026-11-26"))

    ebike = next(line for line in text.splitlines() if "ebike_in_elevator" in line)
    for part in ("resolve", "40", "36", "90.0%", "2m30s", "4m40s", "5m30s", "2m50s", "5m"):
        assert part in ebike
    litter = next(line for line in text.splitlines() if "litter_off_hours" in line)
    assert "discover" in litter and "100.0%" in litter and "0.4s" in litter and "1.0s" in litter


def test_kpi_tiles():
    kpis = res.Kpis(
        grid_id="jinhui-shanghong",
        open_cases=7,
        closed_last_7_days=120,
        closed_within_7_days_share=0.975,
        mean_time_to_resolve_s=1500,
        alarms_today=31,
        alarms_yesterday=44,
        as_of=_ts(NOW),
    )

    text = _text(kpi_tiles(kpis, tz=SHANGHAI), width=140)

    assert "KPIs of grid jinhui-shanghong · as of 2026-11-26 20:00:00 CST" in text
    for part in ("open cases", "7", "closed, last 7 days", "120", "98% closed within 7 days", "25m", "31"):
        assert part in text
    assert "yesterday 44" in text


@pytest.mark.parametrize(
    ("code", "part"),
    [
        (grpc.StatusCode.UNAVAILABLE, "is `microbrain up` (`make run`) running?"),
        (grpc.StatusCode.INVALID_ARGUMENT, "answered INVALID_ARGUMENT: start_date 'x' is not a date"),
        (grpc.StatusCode.UNIMPLEMENTED, "is that the analytics port?"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "did not answer within"),
    ],
)
def test_failures_say_what_happened(code, part):
    assert part in rpc_failure("127.0.0.1:50055", code, "start_date 'x' is not a date")


# --- arguments ----------------------------------------------------------------------------------------------


def _args(*argv: str):
    parser = build_parser()
    args = parser.parse_args(["analytics", *argv])
    check_args(parser, args)
    return args


def test_trend_arguments_become_the_request():
    args = _args("trend", "--from", "2026-11-01", "--to", "2026-11-26", "--type", "a", "--type", "b", "--by", "place")

    assert (args.start, args.end, args.types, args.places, args.by) == (
        "2026-11-01",
        "2026-11-26",
        ["a", "b"],
        [],
        "place",
    )
    request = analytics.trend_request(start=args.start, end=args.end, types=args.types, by=args.by)
    assert request.group_by == pb.GROUP_BY_PLACE and list(request.types) == ["a", "b"]
    assert analytics.trend_request(by="type-place").group_by == pb.GROUP_BY_TYPE_AND_PLACE


def test_the_target_comes_from_the_option_the_environment_or_the_default(monkeypatch):
    assert _args("kpis").target == "127.0.0.1:50055"
    assert _args("kpis", "--target", "h:1").target == "h:1"
    monkeypatch.setenv("MB_ANALYTICS_TARGET", "elsewhere:5")
    assert _args("crowd", "--zone", "z").target == "elsewhere:5"


def test_profile_sla_and_chart_arguments():
    profile = _args("profile", "--place", "p1", "--share", "0.9", "--max-hours", "2")
    assert (profile.places, profile.share, profile.max_hours) == (["p1"], 0.9, 2)
    sla = _args("sla", "--stage", "resolve", "--stage", "STAGE_DISCOVER", "--type", "litter_off_hours")
    assert sla.stages == [cases_res.STAGE_RESOLVE, cases_res.STAGE_DISCOVER]
    chart = _args("chart", "profile", "--out", "room.PNG", "--lang", "en", "--share", "0.7")
    assert (chart.chart, chart.format, chart.lang) == ("profile", "png", "en")
    assert _args("chart", "trend", "--out", "t.svg").format == "svg"
    assert _args("chart", "trend", "--out", "t.img", "--format", "png").format == "png"
    history = _args("import-history", "--days", "30", "--scale", "2.5")
    assert (history.days, history.scale, history.grid, history.seed) == (30, 2.5, "jinhui-shanghong", 7)


def test_chart_request_carries_its_query():
    trend = analytics.trend_request(start="2026-11-01", end="2026-11-26", places=["p"])
    request = analytics.chart_request("trend", fmt="png", language="en", width=800, trend=trend)

    assert (request.chart, request.format, request.language, request.width) == (
        pb.CHART_TREND,
        pb.FORMAT_PNG,
        "en",
        800,
    )
    assert request.trend == trend and not request.HasField("profile")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trend", "--from", "2026-11-31", "--to", "2026-12-01"], "'2026-11-31' is not a date YYYY-MM-DD"),
        (["trend", "--from", "26/11/2026", "--to", "2026-12-01"], "is not a date YYYY-MM-DD"),
        (["trend", "--from", "2026-11-01"], "give both --from and --to"),
        (["sla", "--from", "2026-11-26", "--to", "2026-11-01"], "--from 2026-11-26 is after --to 2026-11-01"),
        (["trend", "--by", "day"], "invalid choice: 'day'"),
        (["profile", "--share", "1.5"], "is not a share greater than 0 and at most 1"),
        (["profile", "--max-hours", "0"], "is not a number of hours from 1 to 23"),
        (["sla", "--stage", "done"], "unknown SLA stage 'done'; one of discover, assign"),
        (["chart", "trend", "--out", "t.gif"], "cannot tell the format from 't.gif'"),
        (["chart", "trend"], "the following arguments are required: --out"),
        (["chart", "pie", "--out", "t.svg"], "invalid choice: 'pie'"),
        (["chart", "trend", "--out", "t.svg", "--share", "0.5"], "--share and --max-hours are for the profile chart"),
        (["chart", "profile", "--out", "t.svg", "--by", "place"], "--type and --by are for the trend chart"),
        (["import-history", "--days", "0"], "must be 1 or more"),
        (["import-history", "--scale", "-1"], "must be greater than 0"),
    ],
)
def test_bad_arguments_are_a_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["analytics", *argv])

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("usage: microbrain analytics")


def test_stage_names():
    assert parse_stage("on-site".replace("on-site", "arrive")) == cases_res.STAGE_ARRIVE
    with pytest.raises(ValueError, match="unknown SLA stage"):
        parse_stage("finish")


def test_chart_format_from_the_suffix_or_as_given():
    assert chart_format(Path("a.svg")) == "svg"
    assert chart_format(Path("a.txt"), "png") == "png"
    with pytest.raises(ValueError, match=r"name it \.svg or \.png"):
        chart_format(Path("chart"))


# --- calls, against a stand-in server -----------------------------------------------------------------------


class FakeAnalytics(pb_grpc.AnalyticsServiceServicer):
    def __init__(self) -> None:
        self.imported: list = []
        self.requests: list = []
        self.seen_ids: set[str] = set()

    async def GetAlarmTrend(self, request, context):
        self.requests.append(request)
        if request.start_date == "1999-01-01":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no data before 2000")
        return pb.GetAlarmTrendResponse(trend=_trend(7))

    async def GetKpis(self, request, context):
        return pb.GetKpisResponse(kpis=res.Kpis(grid_id="g", open_cases=3))

    async def RenderChart(self, request, context):
        self.requests.append(request)
        return pb.RenderChartResponse(content_type="image/svg+xml", data=b"<svg/>")

    async def ImportAlarms(self, request_iterator, context):
        imported = skipped = 0
        async for request in request_iterator:
            self.imported.append(len(request.alarms))
            for alarm in request.alarms:
                if alarm.meta.event_id in self.seen_ids:
                    skipped += 1
                else:
                    self.seen_ids.add(alarm.meta.event_id)
                    imported += 1
        return pb.ImportAlarmsResponse(imported=imported, skipped=skipped)

    async def Rebuild(self, request, context):
        for stream, total in (("mb-g-alarms", 4), ("mb-g-cases", 2)):
            for done in range(1, total + 1):
                yield pb.RebuildResponse(stream=stream, done=done, total=total, counted=done // 2)


@pytest.fixture
async def fake() -> Iterator[tuple[FakeAnalytics, str]]:
    server = grpc.aio.server()
    servicer = FakeAnalytics()
    pb_grpc.add_AnalyticsServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer, f"127.0.0.1:{port}"
    await server.stop(None)


def _console() -> Console:
    return Console(record=True, width=160, color_system=None)


async def test_trend_prints_the_table_and_an_error_exits_1(fake):
    _, target = fake
    console = _console()

    assert await analytics.show_trend(target, console=console, request=analytics.trend_request()) == 0
    assert "alarms per day" in console.export_text()
    bad = analytics.trend_request(start="1999-01-01", end="1999-01-02")
    assert await analytics.show_trend(target, console=console, request=bad) == 1
    assert "answered INVALID_ARGUMENT: no data before 2000" in console.export_text()
    assert await analytics.show_sla(target, console=console, request=analytics.sla_request()) == 1
    assert "UNIMPLEMENTED" in console.export_text()


async def test_nothing_listening_is_exit_1_with_the_hint():
    console = _console()

    assert await analytics.show_kpis("127.0.0.1:1", console=console) == 1
    assert "is `microbrain up` (`make run`) running?" in console.export_text()


async def test_chart_is_written_to_the_file(fake, tmp_path):
    servicer, target = fake
    console = _console()
    out = tmp_path / "trend.svg"

    request = analytics.chart_request("trend", fmt="svg", trend=analytics.trend_request())
    assert await analytics.save_chart(target, console=console, request=request, out=out) == 0
    assert out.read_bytes() == b"<svg/>"
    assert servicer.requests[-1] == request
    assert f"wrote {out} (6 bytes, image/svg+xml)" in console.export_text().replace("\n", "")


async def test_rebuild_shows_progress_then_a_summary(fake):
    _, target = fake
    console = _console()

    assert await analytics.rebuild(target, console=console) == 0
    text = console.export_text()
    assert "mb-g-alarms" in text and "mb-g-cases" in text
    assert "rebuilt the roll-ups from 2 streams: 6 messages replayed, 3 counted" in text


async def test_import_history_sends_batches_of_500_and_a_second_run_skips_them(fake):
    servicer, target = fake
    grid = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")
    end = datetime(2026, 11, 26, 16, tzinfo=UTC)
    console = _console()

    rc = await analytics.import_history_command(target, grid, console=console, days=60, scale=3, end=end)

    assert rc == 0
    total = sum(servicer.imported)
    assert total > 1000
    assert servicer.imported[:-1] == [500] * (len(servicer.imported) - 1)
    text = console.export_text()
    assert f"imported {total:,} alarms, skipped 0 already there" in text
    assert "2026-09-28 00:00 to 2026-11-26 23:59 Shanghai time" in text

    again = await analytics.import_history(target, grid, days=61, end=end + timedelta(days=1), scale=3)
    assert again.skipped > 0.9 * total  # the days imported before (e-bikes may differ a little)
    assert 0 < again.imported < 0.2 * total


async def test_the_runner_imports_60_days_of_history_and_only_warns_when_it_cannot(fake, tmp_path, caplog):
    from microbrain_cli.runner import HISTORY_DAYS, Runner
    from microbrain_cli.services import SERVICES, with_env_ports

    servicer, target = fake
    grid = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong")
    runner = Runner(grid_id=grid.grid_id, state_dir=tmp_path, scenario_path=SCENARIO, simulator=False)
    runner.configured = with_env_ports(SERVICES, {"MB_ANALYTICS_GRPC_PORT": target.rsplit(":", 1)[1]})
    caplog.set_level("INFO", logger="microbrain_cli.runner")

    await runner._import_history(grid)
    await runner._import_history(grid)

    assert HISTORY_DAYS == 60
    imported = len(servicer.seen_ids)
    assert 400 < imported < 800  # ~10 a day
    lines = [r.getMessage() for r in caplog.records]
    assert f"alarm history of the last 60 days: {imported} alarms imported into analytics, 0 already there" in lines
    assert f"alarm history of the last 60 days: 0 alarms imported into analytics, {imported} already there" in lines

    runner.configured = with_env_ports(SERVICES, {"MB_ANALYTICS_GRPC_PORT": "1"})
    await runner._import_history(grid)  # nothing there: a warning, not an exception
    warning = caplog.records[-1]
    assert warning.levelname == "WARNING"
    assert "could not import alarm history into analytics at 127.0.0.1:1: UNAVAILABLE" in warning.getMessage()
