"""The questions analytics answers, each read from the roll-ups (never from raw events)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import resources_pb2 as res
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain_kit import errors
from microbrain_kit.times import timestamp, utcnow
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_analytics.models import CaseRow, Daily, Hourly, SlaBucket, SlaTarget
from microbrain_analytics.places import Places, Window
from microbrain_analytics.rollup import bucket_middle

St = case_res.CaseState
OPEN_STATES = (
    St.CASE_STATE_OPENED,
    St.CASE_STATE_REOPENED,
    St.CASE_STATE_ASSIGNED,
    St.CASE_STATE_ACKNOWLEDGED,
    St.CASE_STATE_ON_SITE,
)
LITTER = "litter_off_hours"
MAX_DAYS = 3660
TYPE_NAMES = {
    "zh-CN": {
        "ebike_in_elevator": "电动车进电梯",
        "litter_off_hours": "非投放时段垃圾",
        "crowd_over_threshold": "大客流",
        "device_offline": "设备离线",
        "device_fault": "设备故障",
        "manual_report": "人工上报",
        "external_report": "外部平台",
    },
    "en": {
        "ebike_in_elevator": "e-bike in lift",
        "litter_off_hours": "out-of-hours litter",
        "crowd_over_threshold": "crowd over threshold",
        "device_offline": "device offline",
        "device_fault": "device fault",
        "manual_report": "manual report",
        "external_report": "external platform",
    },
}


def language(text: str) -> str:
    text = text or "zh-CN"
    if text not in TYPE_NAMES:
        raise errors.InvalidArgument(f"language {text!r} is not supported: use zh-CN or en")
    return text


@dataclass(frozen=True)
class Range:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Range":
        return Range(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def each(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidArgument(f"{field} {text!r} is not a date like 2026-11-26") from None


def day_range(start: str, end: str, *, today: date, default_days: int) -> Range:
    """The request's range of days, checked; both empty means the default_days up to today."""
    if not start and not end:
        return Range(today - timedelta(days=default_days - 1), today)
    if not start or not end:
        raise errors.InvalidArgument("give both start_date and end_date, or neither")
    r = Range(_date(start, "start_date"), _date(end, "end_date"))
    if r.end < r.start:
        raise errors.InvalidArgument(f"end_date {end} is before start_date {start}")
    if r.days > MAX_DAYS:
        raise errors.InvalidArgument(f"the range is {r.days} days; at most {MAX_DAYS} are allowed")
    return r


def change(now: int, before: int) -> float:
    return (now - before) / before if before else 0.0


class Queries:
    """The queries of one grid."""

    def __init__(self, grid_id: str, tz: ZoneInfo, places: Places) -> None:
        self.grid_id, self.tz, self.places = grid_id, tz, places

    def today(self, now: datetime | None = None) -> date:
        return (now or utcnow()).astimezone(self.tz).date()

    def label(self, type_: str, place_id: str, lang: str) -> str:
        parts = []
        if place_id:
            parts.append(self.places.name(place_id))
        if type_:
            parts.append(TYPE_NAMES[lang].get(type_, type_))
        return " · ".join(parts) or ("全部" if lang == "zh-CN" else "all")

    async def alarm_trend(self, session: AsyncSession, req: pb.GetAlarmTrendRequest) -> res.AlarmTrend:
        lang = language(req.language)
        r = day_range(req.start_date, req.end_date, today=self.today(), default_days=30)
        prev = r.previous()
        by = req.group_by or pb.GROUP_BY_TYPE
        keys = {
            pb.GROUP_BY_TYPE: (Daily.type,),
            pb.GROUP_BY_PLACE: (Daily.place_id,),
            pb.GROUP_BY_TYPE_AND_PLACE: (Daily.type, Daily.place_id),
        }.get(by)
        if keys is None:
            raise errors.InvalidArgument(f"group_by {by} is not one of GROUP_BY_TYPE, _PLACE, _TYPE_AND_PLACE")
        where = [Daily.grid_id == self.grid_id, Daily.metric == "alarm", Daily.day.between(prev.start, r.end)]
        if req.types:
            where.append(Daily.type.in_(list(req.types)))
        if req.place_ids:
            where.append(Daily.place_id.in_(list(req.place_ids)))
        rows = (
            await session.execute(
                select(Daily.day, *keys, func.sum(Daily.count)).where(*where).group_by(Daily.day, *keys)
            )
        ).all()
        days = r.each()
        index = {d: i for i, d in enumerate(days)}
        series: dict[tuple[str, str], res.TrendSeries] = {}
        for row in rows:
            day, count = row[0], int(row[-1])
            group = tuple(row[1:-1])
            type_ = group[0] if by != pb.GROUP_BY_PLACE else ""
            place = group[-1] if by != pb.GROUP_BY_TYPE else ""
            s = series.get((type_, place))
            if s is None:
                s = series[(type_, place)] = res.TrendSeries(
                    type=type_, place_id=place, label=self.label(type_, place, lang), counts=[0] * len(days)
                )
            if day in index:
                s.counts[index[day]] += count
                s.total += count
            else:
                s.previous_total += count
        out = res.AlarmTrend(
            days=[d.isoformat() for d in days],
            previous_start_date=prev.start.isoformat(),
            previous_end_date=prev.end.isoformat(),
        )
        totals = [0] * len(days)
        for s in sorted(series.values(), key=lambda s: (-s.total, s.label)):
            s.change = change(s.total, s.previous_total)
            out.series.append(s)
            totals = [a + b for a, b in zip(totals, s.counts, strict=True)]
            out.total += s.total
            out.previous_total += s.previous_total
        out.totals.extend(totals)
        out.change = change(out.total, out.previous_total)
        return out

    async def dumping_profile(
        self, session: AsyncSession, req: pb.GetDumpingProfileRequest
    ) -> list[res.DumpingProfile]:
        lang = language(req.language)
        r = day_range(req.start_date, req.end_date, today=self.today(), default_days=90)
        share = req.cover_share or 0.8
        if not 0 < share <= 1:
            raise errors.InvalidArgument(f"cover_share {share:g} must be above 0 and at most 1")
        max_hours = req.max_extra_hours or 3
        if not 1 <= max_hours <= 23:
            raise errors.InvalidArgument(f"max_extra_hours {max_hours} must be from 1 to 23")
        rooms = {p.place_id: p for p in self.places.garbage_rooms()}
        for place_id in req.place_ids:
            if place_id not in rooms:
                raise errors.NotFound(f"{place_id!r} is not a garbage room of grid {self.grid_id}")
        wanted = [rooms[p] for p in req.place_ids] if req.place_ids else list(rooms.values())
        counts: dict[str, list[int]] = {p.place_id: [0] * 24 for p in wanted}
        if wanted:
            start = datetime.combine(r.start, datetime.min.time())
            end = datetime.combine(r.end + timedelta(days=1), datetime.min.time())
            rows = await session.execute(
                select(Hourly.place_id, Hourly.hour_of_day, func.sum(Hourly.count))
                .where(
                    Hourly.grid_id == self.grid_id,
                    Hourly.metric == "alarm",
                    Hourly.type == LITTER,
                    Hourly.place_id.in_(list(counts)),
                    Hourly.hour >= start,
                    Hourly.hour < end,
                )
                .group_by(Hourly.place_id, Hourly.hour_of_day)
            )
            for place_id, hour, n in rows:
                counts[place_id][hour] += int(n)
        out = []
        for room in wanted:
            hours = counts[room.place_id]
            out.append(
                res.DumpingProfile(
                    place_id=room.place_id,
                    name=room.name,
                    current_windows=[res.HourWindow(start_hour=w.start, end_hour=w.end) for w in room.windows],
                    hour_counts=hours,
                    total=sum(hours),
                    start_date=r.start.isoformat(),
                    end_date=r.end.isoformat(),
                    suggestion=suggest_window(hours, list(room.windows), share, max_hours, lang),
                )
            )
        return out

    async def sla_compliance(self, session: AsyncSession, req: pb.GetSlaComplianceRequest) -> list[res.SlaCompliance]:
        r = day_range(req.start_date, req.end_date, today=self.today(), default_days=30)
        where = [SlaBucket.grid_id == self.grid_id, SlaBucket.day.between(r.start, r.end)]
        if req.case_types:
            where.append(SlaBucket.case_type.in_(list(req.case_types)))
        if req.stages:
            where.append(SlaBucket.stage.in_(list(req.stages)))
        rows = await session.execute(
            select(
                SlaBucket.case_type,
                SlaBucket.stage,
                SlaBucket.bucket,
                func.sum(SlaBucket.count),
                func.sum(SlaBucket.within),
                func.sum(SlaBucket.sum_s),
            )
            .where(*where)
            .group_by(SlaBucket.case_type, SlaBucket.stage, SlaBucket.bucket)
        )
        groups: dict[tuple[str, int], list[tuple[int, int, int, float]]] = defaultdict(list)
        for case_type, stage, bucket, n, within, seconds in rows:
            groups[(case_type, stage)].append((bucket, int(n), int(within), float(seconds)))
        targets = {
            (t.case_type, t.stage): t.target_s
            for t in (await session.scalars(select(SlaTarget).where(SlaTarget.grid_id == self.grid_id))).all()
        }
        out = []
        for (case_type, stage), buckets in sorted(groups.items()):
            buckets.sort()
            count = sum(b[1] for b in buckets)
            within = sum(b[2] for b in buckets)
            out.append(
                res.SlaCompliance(
                    case_type=case_type,
                    stage=stage,
                    count=count,
                    within_target=within,
                    share=within / count if count else 0.0,
                    p50_s=_percentile(buckets, count, 0.50),
                    p90_s=_percentile(buckets, count, 0.90),
                    p95_s=_percentile(buckets, count, 0.95),
                    mean_s=sum(b[3] for b in buckets) / count if count else 0.0,
                    target_s=targets.get((case_type, stage), 0.0),
                )
            )
        return out

    async def kpis(self, session: AsyncSession, now: datetime | None = None) -> res.Kpis:
        now = now or utcnow()
        grid = CaseRow.grid_id == self.grid_id
        open_cases = await session.scalar(select(func.count()).where(grid, CaseRow.state.in_(OPEN_STATES)))
        closed = and_(grid, CaseRow.state == St.CASE_STATE_CLOSED, CaseRow.closed_at >= now - timedelta(days=7))
        closed_n = await session.scalar(select(func.count()).where(closed))
        closed_in_7 = await session.scalar(select(func.count()).where(closed, CaseRow.close_s <= 7 * 86400))
        mttr = await session.scalar(
            select(func.avg(CaseRow.resolve_s)).where(grid, CaseRow.resolved_at >= now - timedelta(days=30))
        )
        today = self.today(now)
        alarms = dict(
            (
                await session.execute(
                    select(Daily.day, func.sum(Daily.count))
                    .where(
                        Daily.grid_id == self.grid_id,
                        Daily.metric == "alarm",
                        Daily.day.between(today - timedelta(days=1), today),
                    )
                    .group_by(Daily.day)
                )
            ).all()
        )
        return res.Kpis(
            grid_id=self.grid_id,
            open_cases=open_cases or 0,
            closed_last_7_days=closed_n or 0,
            closed_within_7_days_share=(closed_in_7 or 0) / closed_n if closed_n else 0.0,
            mean_time_to_resolve_s=float(mttr or 0.0),
            alarms_today=int(alarms.get(today, 0)),
            alarms_yesterday=int(alarms.get(today - timedelta(days=1), 0)),
            as_of=timestamp(now.astimezone(UTC)),
        )


def _percentile(buckets: list[tuple[int, int, int, float]], count: int, q: float) -> float:
    """The q-quantile from histogram buckets (sorted by bucket), as the bucket's geometric middle."""
    if not count:
        return 0.0
    rank, seen = q * count, 0
    for bucket, n, _, _ in buckets:
        seen += n
        if seen >= rank:
            return bucket_middle(bucket)
    return bucket_middle(buckets[-1][0])


def merge_windows(windows: list[Window]) -> list[Window]:
    """Windows with overlapping or touching ones joined: 18-20 and 20-22 → 18-22."""
    hours = sorted({h for w in windows for h in w.hours()})
    if len(hours) == 24:
        return [Window(0, 0)]
    runs: list[list[int]] = []
    for h in hours:
        if runs and runs[-1][-1] == h - 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 23:  # a run through midnight
        runs[0] = runs.pop() + runs[0]
    return sorted((Window(run[0], (run[-1] + 1) % 24) for run in runs), key=lambda w: w.start)


def suggest_window(
    hour_counts: list[int], current: list[Window], cover_share: float, max_hours: int, lang: str = "zh-CN"
) -> res.WindowSuggestion:
    """The shortest run of hours (at most max_hours, may cross midnight) holding at least cover_share of the
    alarms; among runs as short, the one holding most, then one that extends a current window, then the
    earliest. When no run that short is enough, the best run of max_hours (reaches_target false)."""
    total = sum(hour_counts)
    out = res.WindowSuggestion(cover_share=cover_share, max_extra_hours=max_hours)
    if total == 0:
        out.summary = (
            "没有非投放时段投放，无需调整投放时段" if lang == "zh-CN" else "no out-of-hours dumping: keep the windows"
        )
        out.suggested_windows.extend(res.HourWindow(start_hour=w.start, end_hour=w.end) for w in current)
        return out
    edges = {w.start for w in current} | {w.end for w in current}
    best: tuple | None = None
    for length in range(1, max_hours + 1):
        for start in range(24):
            covered = sum(hour_counts[(start + i) % 24] for i in range(length))
            touches = start in edges or (start + length) % 24 in edges
            key = (covered, touches, -start)
            if best is None or key > best[0]:
                best = (key, start, length)
        if best[0][0] >= cover_share * total - 1e-9:
            break
    (covered, _, _), start, length = best
    extra = Window(start, (start + length) % 24)
    merged = merge_windows([*current, extra])
    out.extra_window.CopyFrom(res.HourWindow(start_hour=extra.start, end_hour=extra.end))
    out.suggested_windows.extend(res.HourWindow(start_hour=w.start, end_hour=w.end) for w in merged)
    out.covered = covered
    out.covered_share = covered / total
    out.reaches_target = covered >= cover_share * total - 1e-9
    pct = f"{out.covered_share:.0%} ({covered}/{total})"
    now_text = "、".join(str(w) for w in current) or "无"
    if lang == "zh-CN":
        out.summary = (
            f"建议增设 {extra} 投放时段（现行 {now_text}），可覆盖 {pct} 的非投放时段投放"
            if out.reaches_target
            else f"{max_hours} 小时内的时段最多覆盖 {pct}，未达 {cover_share:.0%}：建议增设 {extra} 并加强巡查"
        )
    else:
        now_text = ", ".join(str(w) for w in current) or "none"
        out.summary = (
            f"add a disposal window {extra} (now {now_text}): it would have covered {pct} of out-of-hours dumping"
            if out.reaches_target
            else f"no window of {max_hours} h covers {cover_share:.0%}; {extra} covers {pct}: add it and patrol"
        )
    return out
