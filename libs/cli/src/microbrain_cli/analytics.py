"""`microbrain analytics`: the grid's alarm trends, dumping profile, crowds, SLA compliance and KPIs, as the
analytics service tells them; charts to files; a rebuild of the roll-ups; an import of made-up history."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as pb_grpc
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain.cases.v1 import resources_pb2 as cases_res
from rich.columns import Columns
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from microbrain_cli.calls import ServiceCalls
from microbrain_cli.cases import span, stage_name
from microbrain_cli.history import SHANGHAI, generate_history, history_end
from microbrain_cli.scenario import GridScenario
from microbrain_cli.services import SERVICES, find

DEFAULT_TARGET = f"127.0.0.1:{find(SERVICES, 'analytics').grpc_port}"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AnalyticsService"].full_name
# What --by takes.
GROUP_BY = {"type": pb.GROUP_BY_TYPE, "place": pb.GROUP_BY_PLACE, "type-place": pb.GROUP_BY_TYPE_AND_PLACE}
CHARTS = {"trend": pb.CHART_TREND, "profile": pb.CHART_PROFILE}
FORMATS = {"svg": pb.FORMAT_SVG, "png": pb.FORMAT_PNG}
LANGUAGES = ("zh-CN", "en")
# Alarms per ImportAlarmsRequest (the service takes up to 1000).
IMPORT_BATCH = 500
# A trend of up to this many days shows a column per day; a longer one the last this many days as a sparkline.
DAY_COLUMNS = 14
_RPC_TIMEOUT_S = 30.0
CALLS = ServiceCalls(
    "analytics", "MB_ANALYTICS_TARGET", SERVICE_NAME, DEFAULT_TARGET, pb_grpc.AnalyticsServiceStub, _RPC_TIMEOUT_S
)
rpc_failure = CALLS.failure  # what the commands (and their tests) call
_SPARKS = "▁▂▃▄▅▆▇█"
_BAR_WIDTH = 40
_LEVEL_STYLE = {res.CROWD_LEVEL_WARNING: "bold yellow", res.CROWD_LEVEL_CRITICAL: "bold red"}

# --- requests (no I/O) ------------------------------------------------------------------------------------


def trend_request(
    *, start: str = "", end: str = "", types: Sequence[str] = (), places: Sequence[str] = (), by: str = "type"
) -> pb.GetAlarmTrendRequest:
    """The GetAlarmTrend request for a range of days (both empty: the service's last 30 days)."""
    return pb.GetAlarmTrendRequest(
        start_date=start, end_date=end, types=types, place_ids=places, group_by=GROUP_BY[by or "type"]
    )


def profile_request(
    *, start: str = "", end: str = "", places: Sequence[str] = (), share: float = 0.0, max_hours: int = 0
) -> pb.GetDumpingProfileRequest:
    """The GetDumpingProfile request; 0 for share or max_hours leaves the service's default (0.8, 3 hours)."""
    return pb.GetDumpingProfileRequest(
        start_date=start, end_date=end, place_ids=places, cover_share=share, max_extra_hours=max_hours
    )


def sla_request(
    *, start: str = "", end: str = "", types: Sequence[str] = (), stages: Sequence[int] = ()
) -> pb.GetSlaComplianceRequest:
    """The GetSlaCompliance request."""
    return pb.GetSlaComplianceRequest(start_date=start, end_date=end, case_types=types, stages=stages)


def chart_format(out: Path, explicit: str | None = None) -> str:
    """The image format: as asked, or from the file's suffix (.svg, .png); ValueError when neither says."""
    if explicit:
        if explicit not in FORMATS:
            raise ValueError(f"unknown format {explicit!r}; one of {', '.join(FORMATS)}")
        return explicit
    suffix = out.suffix.lower().removeprefix(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format from {out.name!r}: name it .svg or .png, or give --format")
    return suffix


def chart_request(
    chart: str,
    *,
    fmt: str,
    language: str = "zh-CN",
    width: int = 0,
    height: int = 0,
    trend: pb.GetAlarmTrendRequest | None = None,
    profile: pb.GetDumpingProfileRequest | None = None,
) -> pb.RenderChartRequest:
    """The RenderChart request for "trend" or "profile" with the query that feeds it."""
    request = pb.RenderChartRequest(
        chart=CHARTS[chart], format=FORMATS[fmt], language=language, width=width, height=height
    )
    if trend is not None:
        request.trend.CopyFrom(trend)
    if profile is not None:
        request.profile.CopyFrom(profile)
    return request


_STAGES = {stage_name(v).replace(" ", "_"): v for v in cases_res.Stage.values() if v != cases_res.STAGE_UNSPECIFIED}


def parse_stage(text: str) -> int:
    """An SLA stage as typed on the command line ("resolve", "RESOLVE", "STAGE_RESOLVE")."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_").removeprefix("stage_")
    if key not in _STAGES:
        raise ValueError(f"unknown SLA stage {text!r}; one of {', '.join(_STAGES)}")
    return _STAGES[key]


# --- formatting (no I/O) ----------------------------------------------------------------------------------


def change_text(total: int, previous: int, change: float) -> str:
    """The change against the previous period: "+12%", "-40%", "0%"; "new" when there was nothing before."""
    if previous == 0:
        return "new" if total else "-"
    return f"{change * 100:+.0f}%" if round(change * 100) else "0%"


def _styled_change(total: int, previous: int, change: float) -> str:
    text = change_text(total, previous, change)
    # More alarms is bad news.
    if text == "new" or text.startswith("+"):
        return f"[red]{text}[/]"
    if text.startswith("-") and text != "-":
        return f"[green]{text}[/]"
    return text


def sparkline(counts: Sequence[int]) -> str:
    """Counts as a row of block characters, the highest a full block: "▁▃█▂"."""
    top = max(counts, default=0)
    if top <= 0:
        return _SPARKS[0] * len(counts)
    return "".join(_SPARKS[round(c / top * (len(_SPARKS) - 1))] for c in counts)


def series_name(series: res.TrendSeries) -> str:
    """A series' legend label, or its place and type when the service sent no label."""
    return series.label or " · ".join(p for p in (series.place_id, series.type) if p) or "-"


def duration(seconds: float) -> str:
    """A duration: to a tenth of a second under 10 s (the 1-second stage), else as a countdown shows it."""
    if seconds < 10:
        return f"{max(seconds, 0):.1f}s"
    return span(seconds)


def trend_table(trend: res.AlarmTrend, *, day_columns: int = DAY_COLUMNS) -> Table:
    """One row per series (total, previous total, change) and a row for all; per-day columns for a short range,
    a sparkline of the last `day_columns` days for a longer one."""
    days = list(trend.days)
    per_day = 0 < len(days) <= day_columns
    title = "alarms per day"
    if days:
        title += f", {days[0]} to {days[-1]} ({len(days)} day{'s' if len(days) != 1 else ''})"
    if trend.previous_start_date:
        title += f"; previous: {trend.previous_start_date} to {trend.previous_end_date}"
    table = Table(title=title, title_justify="left")
    table.add_column("series", overflow="fold")
    for column in ("total", "previous", "change"):
        table.add_column(column, justify="right")
    if per_day:
        for day in days:
            table.add_column(day[5:], justify="right")  # "11-26"
    elif days:
        table.add_column(f"last {min(day_columns, len(days))} days ({days[-day_columns:][0][5:]}…)")

    def row(name: str, counts: Sequence[int], total: int, previous: int, change: float, style: str = "") -> None:
        cells = [name, f"{total:,}", f"{previous:,}", _styled_change(total, previous, change)]
        if per_day:
            cells += [f"{c:,}" if c else "[dim]0[/]" for c in counts]
        elif days:
            cells.append(sparkline(list(counts)[-day_columns:]))
        table.add_row(*cells, style=style)

    for series in trend.series:
        row(escape(series_name(series)), series.counts, series.total, series.previous_total, series.change)
    table.add_section()
    row("all", trend.totals, trend.total, trend.previous_total, trend.change, style="bold")
    return table


def window_text(window: res.HourWindow) -> str:
    """An hour window as a sign says it: "18:00-20:00"."""
    return f"{window.start_hour:02d}:00-{window.end_hour:02d}:00"


def in_window(hour: int, windows: Iterable[res.HourWindow]) -> bool:
    """Whether the hour of the day [hour, hour+1) lies in one of the windows (a window may run past midnight)."""
    for w in windows:
        if w.start_hour <= w.end_hour:
            if w.start_hour <= hour < w.end_hour:
                return True
        elif hour >= w.start_hour or hour < w.end_hour:
            return True
    return False


def profile_table(room: res.DumpingProfile) -> Table:
    """One garbage room's out-of-hours litter alarms by hour of day as bars, the hours of the disposal windows in
    force and of the extra window suggested marked."""
    suggestion = room.suggestion
    extra = [suggestion.extra_window] if suggestion.HasField("extra_window") else []
    table = Table()
    table.add_column("hour")
    table.add_column("alarms", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("")
    counts = list(room.hour_counts) + [0] * (24 - len(room.hour_counts))
    top = max(counts, default=0)
    for hour, count in enumerate(counts[:24]):
        bar = "█" * round(count / top * _BAR_WIDTH) if top else ""
        if count and not bar:
            bar = "▏"
        if in_window(hour, room.current_windows):
            note, style = "disposal window", "dim"
        elif in_window(hour, extra):
            note, style = "suggested", "green"
        else:
            note, style = "", "red" if top and count == top else ""
        table.add_row(
            f"{hour:02d}:00", f"{count:,}" if count else "[dim]0[/]", f"[{style}]{bar}[/]" if style else bar, note
        )
    return table


def profile_view(room: res.DumpingProfile) -> RenderableType:
    """One garbage room: a heading, the hour-of-day bars, the windows in force and suggested, and the summary."""
    suggestion = room.suggestion
    heading = f"{room.name or room.place_id} ({room.place_id})"
    if room.start_date:
        heading += f" · {room.start_date} to {room.end_date}"
    heading += f" · {room.total:,} out-of-hours litter alarm{'s' if room.total != 1 else ''}"
    lines = [f"disposal windows: {', '.join(window_text(w) for w in room.current_windows) or 'none'}"]
    if suggestion.HasField("extra_window"):
        lines.append(
            f"suggested: {', '.join(window_text(w) for w in suggestion.suggested_windows)} "
            f"(extra {window_text(suggestion.extra_window)}: {suggestion.covered:,} alarms, "
            f"{suggestion.covered_share:.0%}"
            + ("" if suggestion.reaches_target else f", short of the {suggestion.cover_share:.0%} asked for")
            + ")"
        )
    if suggestion.summary:
        lines.append(suggestion.summary)
    return Group(Text(heading, style="bold"), profile_table(room), Text("\n".join(lines)))


def level_name(level: int) -> str:
    """CROWD_LEVEL_WARNING -> "warning"; "-" when unset."""
    if level == res.CROWD_LEVEL_UNSPECIFIED:
        return "-"
    try:
        return res.CrowdLevel.Name(level).removeprefix("CROWD_LEVEL_").lower()
    except ValueError:
        return f"level {level}"


def local_time(ts: Timestamp, tz: tzinfo | None = None) -> datetime:
    """A timestamp in the given zone (this machine's when None)."""
    return ts.ToDatetime(tzinfo=UTC).astimezone(tz)


def _ago(ts: Timestamp, now: datetime, tz: tzinfo | None) -> str:
    when = ts.ToDatetime(tzinfo=UTC)
    return f"{local_time(ts, tz):%H:%M:%S} ({span((now - when).total_seconds())} ago)"


def crowd_table(zones: Sequence[res.ZoneOccupancy], *, now: datetime, tz: tzinfo | None = None) -> Table:
    """One row per crowd zone: the fused estimate, what the cameras and the Wi-Fi probes say, level, thresholds."""
    zone_name = now.astimezone(tz).strftime("%Z") or "local"
    window = max((z.wifi_window_s for z in zones), default=0)
    table = Table(title=f"crowd zones ({zone_name})", title_justify="left")
    table.add_column("zone", overflow="fold")
    table.add_column("estimate", justify="right")
    table.add_column("cameras: people, sees", justify="right")
    table.add_column(f"wifi: phones{f' in {window}s' if window else ''} → people", justify="right")
    table.add_column("sources")
    table.add_column("level")
    table.add_column("warning / critical", justify="right")
    table.add_column("level since", overflow="fold")
    table.add_column("updated", overflow="fold")
    for z in zones:
        estimate = f"{z.estimate:,.0f}"
        if z.warning > 0:
            estimate += f" ({z.estimate / z.warning:.0%})"
        level = level_name(z.level)
        style = _LEVEL_STYLE.get(z.level)
        table.add_row(
            f"{escape(z.name)}\n[dim]{escape(z.zone_id)}[/]" if z.name else escape(z.zone_id),
            estimate,
            f"{z.camera_count:,.0f}, {z.camera_coverage:.0%}",
            f"{z.wifi_distinct_devices:,} → {z.wifi_estimate:,.0f}"
            + (f" (÷{z.phone_share:.0%})" if z.phone_share else ""),
            z.sources or "[dim]none fresh[/]",
            f"[{style}]{level}[/]" if style else level,
            f"{z.warning:,.0f} / {z.critical:,.0f}",
            _ago(z.level_since, now, tz) if z.HasField("level_since") else "",
            f"{span((now - z.updated_at.ToDatetime(tzinfo=UTC)).total_seconds())} ago"
            if z.HasField("updated_at")
            else "",
        )
    return table


def _share_style(share: float) -> str:
    if share >= 0.95:
        return "green"
    return "yellow" if share >= 0.8 else "red"


def sla_table(rows: Sequence[res.SlaCompliance], *, title: str = "SLA compliance") -> Table:
    """One row per case type and stage: cases, how many within target, the share, percentiles, target."""
    table = Table(title=title, title_justify="left")
    table.add_column("type", overflow="fold")
    table.add_column("stage")
    for column in ("cases", "within target", "share", "p50", "p90", "p95", "mean", "target"):
        table.add_column(column, justify="right")
    for r in rows:
        share = f"{r.share:.1%}" if r.count else "-"
        table.add_row(
            escape(r.case_type),
            stage_name(r.stage),
            f"{r.count:,}",
            f"{r.within_target:,}",
            f"[{_share_style(r.share)}]{share}[/]" if r.count else share,
            duration(r.p50_s),
            duration(r.p90_s),
            duration(r.p95_s),
            duration(r.mean_s),
            duration(r.target_s) if r.target_s else "-",
        )
    return table


def kpi_tiles(kpis: res.Kpis, *, tz: tzinfo | None = None) -> RenderableType:
    """The town screen's tiles: open cases, closed in 7 days, mean time to resolve, alarms today."""
    today, yesterday = kpis.alarms_today, kpis.alarms_yesterday

    def tile(title: str, value: str, note: str) -> Panel:
        body = Text.assemble((value, "bold"), "\n", (note, "dim"))
        return Panel(body, title=title, title_align="left", width=30, height=4)

    tiles = [
        tile("open cases", f"{kpis.open_cases:,}", "not yet resolved or closed"),
        tile(
            "closed, last 7 days",
            f"{kpis.closed_last_7_days:,}",
            f"{kpis.closed_within_7_days_share:.0%} closed within 7 days" if kpis.closed_last_7_days else "none",
        ),
        tile(
            "mean time to resolve",
            duration(kpis.mean_time_to_resolve_s) if kpis.mean_time_to_resolve_s else "-",
            "cases resolved in 30 days",
        ),
        tile("alarms today", f"{today:,}", f"yesterday {yesterday:,}"),
    ]
    heading = f"KPIs of grid {kpis.grid_id}" if kpis.grid_id else "KPIs"
    if kpis.HasField("as_of"):
        when = local_time(kpis.as_of, tz)
        heading += f" · as of {when:%Y-%m-%d %H:%M:%S} {when.strftime('%Z') or ''}".rstrip()
    return Group(Text(heading, style="bold"), Columns(tiles))


def _range_text(start: str, end: str, default: str) -> str:
    return f"{start} to {end}" if start or end else default


# --- the commands -----------------------------------------------------------------------------------------


async def show_trend(target: str, *, console: Console, request: pb.GetAlarmTrendRequest) -> int:
    """Prints the daily alarm counts; returns the exit code."""
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetAlarmTrend(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    if not reply.trend.series:
        where = _range_text(request.start_date, request.end_date, "the last 30 days")
        console.print(f"no alarms in {where} (previous period: {reply.trend.previous_total:,})", highlight=False)
        return 0
    console.print(trend_table(reply.trend))
    return 0


async def show_profile(target: str, *, console: Console, request: pb.GetDumpingProfileRequest) -> int:
    """Prints each garbage room's dumping by hour of day with the suggested window; returns the exit code."""
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetDumpingProfile(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    if not reply.rooms:
        console.print(
            "no garbage rooms: analytics knows the rooms with disposal windows from its places file (MB_PLACES)",
            highlight=False,
        )
        return 0
    for room in reply.rooms:
        console.print(profile_view(room))
    return 0


async def show_crowd(
    target: str, *, console: Console, zones: Sequence[str] = (), now: datetime | None = None, tz: tzinfo | None = None
) -> int:
    """Prints the live occupancy of the crowd zones; returns the exit code."""
    request = pb.GetCrowdOccupancyRequest(zone_ids=zones)
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetCrowdOccupancy(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    if not reply.zones:
        console.print("no crowd zones" + (f" called {', '.join(zones)}" if zones else ""), highlight=False)
        return 0
    console.print(crowd_table(reply.zones, now=now or datetime.now(UTC), tz=tz))
    return 0


async def show_sla(target: str, *, console: Console, request: pb.GetSlaComplianceRequest) -> int:
    """Prints SLA compliance per case type and stage; returns the exit code."""
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetSlaCompliance(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    where = _range_text(request.start_date, request.end_date, "the last 30 days")
    if not reply.rows:
        console.print(f"no case reached an SLA stage in {where}", highlight=False)
        return 0
    console.print(sla_table(reply.rows, title=f"SLA compliance, {where}"))
    return 0


async def show_kpis(target: str, *, console: Console, tz: tzinfo | None = None) -> int:
    """Prints the KPI tiles; returns the exit code."""
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetKpis(pb.GetKpisRequest(), timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    console.print(kpi_tiles(reply.kpis, tz=tz))
    return 0


async def save_chart(target: str, *, console: Console, request: pb.RenderChartRequest, out: Path) -> int:
    """Renders a chart and writes it to out; returns the exit code."""
    reply, rc = await CALLS.unary(target, console, lambda s: s.RenderChart(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    try:
        await asyncio.to_thread(out.write_bytes, reply.data)
    except OSError as e:
        console.print(f"[bold red]microbrain analytics:[/] cannot write {escape(str(out))}: {e}", highlight=False)
        return 1
    console.print(f"wrote {out} ({len(reply.data):,} bytes, {reply.content_type or 'unknown type'})", highlight=False)
    return 0


async def rebuild(target: str, *, console: Console) -> int:
    """Replays the grid's streams into fresh roll-ups with a progress bar per stream; returns the exit code."""
    started = time.monotonic()
    latest: dict[str, pb.RebuildResponse] = {}
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counted]:,} counted"),
        TimeElapsedColumn(),
        console=console,
    )
    tasks = {}
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.AnalyticsServiceStub(channel)
        with progress:
            try:
                async for reply in stub.Rebuild(pb.RebuildRequest()):
                    if reply.stream not in tasks:
                        tasks[reply.stream] = progress.add_task(reply.stream, total=reply.total or None, counted=0)
                    progress.update(
                        tasks[reply.stream],
                        completed=reply.done,
                        total=max(reply.total, reply.done) or None,
                        counted=reply.counted,
                    )
                    latest[reply.stream] = reply
            except grpc.aio.AioRpcError as e:
                progress.stop()
                return CALLS.fail(console, target, e)
    replayed = sum(r.done for r in latest.values())
    counted = sum(r.counted for r in latest.values())
    console.print(
        f"rebuilt the roll-ups from {len(latest)} stream{'s' if len(latest) != 1 else ''}: {replayed:,} messages "
        f"replayed, {counted:,} counted, in {time.monotonic() - started:.1f}s",
        highlight=False,
    )
    return 0


async def _batches(
    alarms: Iterable[alarms_pb2.AlarmRaised],
    batch_size: int,
    on_batch: Callable[[Sequence[alarms_pb2.AlarmRaised]], None] | None,
) -> AsyncIterator[pb.ImportAlarmsRequest]:
    batch: list[alarms_pb2.AlarmRaised] = []
    for alarm in alarms:
        batch.append(alarm)
        if len(batch) >= batch_size:
            yield pb.ImportAlarmsRequest(alarms=batch)
            if on_batch is not None:
                on_batch(batch)
            batch = []
    if batch:
        yield pb.ImportAlarmsRequest(alarms=batch)
        if on_batch is not None:
            on_batch(batch)


async def send_alarms(
    stub: pb_grpc.AnalyticsServiceStub,
    alarms: Iterable[alarms_pb2.AlarmRaised],
    *,
    batch_size: int = IMPORT_BATCH,
    on_batch: Callable[[Sequence[alarms_pb2.AlarmRaised]], None] | None = None,
    timeout: float | None = None,
) -> pb.ImportAlarmsResponse:
    """Streams alarms to ImportAlarms in batches; on_batch sees each batch once sent. Raises AioRpcError."""
    return await stub.ImportAlarms(_batches(alarms, batch_size, on_batch), timeout=timeout)


async def import_history(
    target: str,
    grid: GridScenario,
    *,
    days: int,
    end: datetime | None = None,
    scale: float = 1.0,
    seed: int = 7,
    on_batch: Callable[[Sequence[alarms_pb2.AlarmRaised]], None] | None = None,
    timeout: float | None = None,
) -> pb.ImportAlarmsResponse:
    """Imports the made-up history of the `days` days before end (default: the start of today in Shanghai) into
    analytics at target. The alarm ids are the same on every run, so alarms imported before are skipped."""
    alarms = generate_history(grid, end=end or history_end(), days=days, seed=seed, scale=scale)
    async with grpc.aio.insecure_channel(target) as channel:
        return await send_alarms(pb_grpc.AnalyticsServiceStub(channel), alarms, on_batch=on_batch, timeout=timeout)


async def import_history_command(
    target: str,
    grid: GridScenario,
    *,
    console: Console,
    days: int,
    scale: float = 1.0,
    seed: int = 7,
    end: datetime | None = None,
) -> int:
    """`import-history`: the import with a progress bar over the days, then imported / skipped; the exit code."""
    end = end or history_end()
    start_s = end.timestamp() - days * 86_400
    sent = 0
    progress = Progress(
        TextColumn("importing {task.fields[grid]}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[sent]:,} alarms, up to {task.fields[day]} ·"),
        TimeElapsedColumn(),
        console=console,
    )
    task = progress.add_task("import", total=days * 86_400, sent=0, grid=grid.grid_id, day="")

    def advance(batch: Sequence[alarms_pb2.AlarmRaised]) -> None:
        nonlocal sent
        sent += len(batch)
        at = batch[-1].meta.occurred_at.seconds
        progress.update(task, completed=at - start_s, sent=sent, day=f"{datetime.fromtimestamp(at, SHANGHAI):%Y-%m-%d}")

    started = time.monotonic()
    with progress:
        try:
            reply = await import_history(target, grid, days=days, end=end, scale=scale, seed=seed, on_batch=advance)
        except grpc.aio.AioRpcError as e:
            progress.stop()
            return CALLS.fail(console, target, e)
        progress.update(task, completed=days * 86_400)
    first = datetime.fromtimestamp(start_s, SHANGHAI)
    last = datetime.fromtimestamp(end.timestamp() - 1, SHANGHAI)
    console.print(
        f"history of grid {grid.grid_id}, {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} Shanghai time: "
        f"imported {reply.imported:,} alarms, skipped {reply.skipped:,} already there "
        f"({sent:,} sent to {target} in {time.monotonic() - started:.1f}s)",
        highlight=False,
    )
    return 0
