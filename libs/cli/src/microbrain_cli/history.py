"""Made-up alarm history for a grid, so the analytics charts have a past to show (no I/O).

The story the seed tells, in Shanghai local time:
- litter_off_hours: about 6 a day at each garbage room, never inside its disposal windows; most between 21:00
  and 23:00 (residents who missed the 18:00-20:00 window bring their bags late in the evening), a smaller group
  between 06:00 and 07:00 (before the morning window opens), the rest spread over the other hours; a bit more
  at weekends. The hour-of-day profile then suggests an extra window at 21:00-23:00.
- ebike_in_elevator: about 2 a day at each residential building with a watched lift, mostly 07:00-09:00 and
  18:00-21:00, falling over the period (the lift-stop system teaches people: about half after 60 days).
- crowd_over_threshold: about 1 on a Friday, Saturday or Sunday evening at each crowd zone (mall, night market).
- device_offline: rarely, about 0.2 a day over the whole grid.

Every day of every stream (type × place) draws from its own random.Random seeded by (seed, grid, stream, day), and
its alarms have ids "hist-<grid>-<yyyymmdd>-<stream>-<n>": a later import of an overlapping range produces the
same alarms with the same ids for the days already imported, which the analytics service then skips.
"""

import bisect
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from statistics import NormalDist

from microbrain.alarms.v1 import alarms_pb2
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import resources_pb2 as ingest_res

from microbrain_cli.scenario import DeviceSpec, GridScenario

# Shanghai has kept UTC+8 without daylight saving since 1991: a fixed offset is exact for any history we make.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
PRODUCER = "history"
_DAY_S = 86_400
_LOCAL_OFFSET_S = 8 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Base rates per day (before `scale`; litter on average over the week), and the e-bike decline:
# 0.3 + 0.7 × 2^(-t/40) is ~0.55 after 60 days.
LITTER_PER_DAY = 6.0
LITTER_WEEKEND_FACTOR = 1.3
EBIKE_PER_DAY = 2.0
EBIKE_FLOOR, EBIKE_HALF_LIFE_DAYS = 0.3, 40.0
# Friday, Saturday, Sunday (date.weekday() 4, 5, 6); other days none.
CROWD_PER_DAY = {4: 0.8, 5: 1.4, 6: 0.8}
OFFLINE_PER_DAY = 0.2

TITLES = {
    "litter_off_hours": "垃圾厢房外乱扔垃圾 (非投放时段)",
    "ebike_in_elevator": "电动车进入电梯",
    "crowd_over_threshold": "人流超过预警阈值",
    "device_offline": "设备离线",
}
SEVERITY = {
    "litter_off_hours": common_pb2.SEVERITY_WARNING,
    "ebike_in_elevator": common_pb2.SEVERITY_CRITICAL,
    "crowd_over_threshold": common_pb2.SEVERITY_WARNING,
    "device_offline": common_pb2.SEVERITY_WARNING,
}

# Hours of the day as (weight, ((start_hour, end_hour), ...)): where in the day a stream's alarms fall.
Mixture = Sequence[tuple[float, Sequence[tuple[float, float]]]]
# Litter: the late-evening peak holds about 85%: a 21:00-23:00 window covers the service's default share of 80%.
LITTER_HOURS: Mixture = ((0.85, ((21, 23),)), (0.10, ((6, 7),)), (0.05, ((0, 24),)))
EBIKE_HOURS: Mixture = ((0.40, ((7, 9),)), (0.45, ((18, 21),)), (0.15, ((6, 23),)))
CROWD_HOURS: Mixture = ((1.0, ((18.5, 22),)),)
OFFLINE_HOURS: Mixture = ((1.0, ((0, 24),)),)


class TimeOfDay:
    """Draws a local second of the day from a mixture of hour ranges, never inside the excluded windows."""

    def __init__(self, mixture: Mixture, exclude: Sequence[tuple[time, time]] = ()) -> None:
        blocked = _seconds_ranges([(_secs(s), _secs(e)) for s, e in exclude])
        # Flattened segments: the cumulative weight at each one's end, its start and its length (seconds).
        self._ends: list[float] = []
        self._segments: list[tuple[float, float, float]] = []  # (start_s, length_s, weight per second)
        total = 0.0
        for weight, hours in mixture:
            allowed = _subtract(_seconds_ranges([(h0 * 3600, h1 * 3600) for h0, h1 in hours]), blocked)
            length = sum(e - s for s, e in allowed)
            if length <= 0 or weight <= 0:
                continue  # wholly inside the windows: its weight goes to the others
            for s, e in allowed:
                density = weight / length
                total += (e - s) * density
                self._ends.append(total)
                self._segments.append((s, e - s, density))
        self.total = total

    def draw_ms(self, u: float) -> int:
        """The local millisecond of the day for a uniform u in [0, 1)."""
        x = u * self.total
        k = min(bisect.bisect_right(self._ends, x), len(self._ends) - 1)
        start, length, density = self._segments[k]
        before = self._ends[k - 1] if k else 0.0
        offset = min(max((x - before) / density, 0.0), length)
        # Floor to the millisecond and stay inside [start, start + length): an end is exclusive.
        return min(int((start + offset) * 1000), math.ceil((start + length) * 1000) - 1)


def _secs(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second


def _seconds_ranges(ranges: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Ranges of seconds within one day, a range across midnight split in two, merged and sorted."""
    pieces: list[tuple[float, float]] = []
    for s, e in ranges:
        s, e = max(0.0, min(s, _DAY_S)), max(0.0, min(e, _DAY_S))
        if s < e:
            pieces.append((s, e))
        elif e < s:  # 22:00-02:00
            pieces += [(s, _DAY_S), (0.0, e)] if e > 0 else [(s, _DAY_S)]
    pieces.sort()
    merged: list[tuple[float, float]] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _subtract(ranges: list[tuple[float, float]], blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in ranges:
        cur = s
        for bs, be in blocked:
            if be <= cur or bs >= e:
                continue
            if bs > cur:
                out.append((cur, bs))
            cur = max(cur, be)
        if cur < e:
            out.append((cur, e))
    return out


def poisson(lam: float, u: float) -> int:
    """A Poisson count with mean lam from one uniform u (inverse CDF; a normal approximation for large lam)."""
    if lam <= 0:
        return 0
    u = min(max(u, 1e-12), 1 - 1e-12)
    if lam >= 30:
        return max(0, round(NormalDist(lam, math.sqrt(lam)).inv_cdf(u)))
    p = math.exp(-lam)
    cdf, k = p, 0
    while u > cdf and k < 200:
        k += 1
        p *= lam / k
        cdf += p
    return k


def ebike_factor(days_since_start: float) -> float:
    """How many e-bikes still come, against the first day: 1 at the start, ~0.55 after 60 days, never under 0.3."""
    return EBIKE_FLOOR + (1 - EBIKE_FLOOR) * 2 ** (-days_since_start / EBIKE_HALF_LIFE_DAYS)


@dataclass
class _Stream:
    """One type at one place (or the grid's offline devices): its alarms, their daily rate and their hours."""

    key: str
    templates: list[alarms_pb2.AlarmRaised]  # one, or one per device (device_offline)
    rate: Callable[[date, int], float]  # (local day, days since the start of the history) -> alarms that day
    hours: TimeOfDay
    warning: int = 0  # crowd zones: the warning threshold


def place_name(spec: DeviceSpec) -> str:
    """The name of a device's place: the device's name without what scenario.py appends to it."""
    suffix = spec.labels.get("note") or spec.labels.get("watches") or spec.labels.get("zone") or spec.device_id
    return spec.name.removesuffix(f" {suffix}")


def _template(
    grid_id: str, alarm_type: str, spec: DeviceSpec, *, title: str, description: str = ""
) -> alarms_pb2.AlarmRaised:
    return alarms_pb2.AlarmRaised(
        meta=common_pb2.EventMeta(grid_id=grid_id, producer=PRODUCER),
        type=alarm_type,
        severity=SEVERITY[alarm_type],
        source=PRODUCER,
        place_id=spec.place_id,
        location=common_pb2.GeoPoint(lat=spec.lat, lon=spec.lon),
        device=common_pb2.DeviceRef(grid_id=grid_id, device_id=spec.device_id),
        title=title,
        description=description,
    )


def _pick(specs: list[DeviceSpec], *preferences: Callable[[DeviceSpec], bool]) -> DeviceSpec:
    for wanted in preferences:
        for spec in specs:
            if wanted(spec):
                return spec
    return specs[0]


def _litter_rate(day: date, _since_start: int) -> float:
    # LITTER_PER_DAY on average over a week, weekend days LITTER_WEEKEND_FACTOR times a weekday.
    weekday = LITTER_PER_DAY * 7 / (5 + 2 * LITTER_WEEKEND_FACTOR)
    return weekday * (LITTER_WEEKEND_FACTOR if day.weekday() >= 5 else 1.0)


def _ebike_rate(_day: date, since_start: int) -> float:
    return EBIKE_PER_DAY * ebike_factor(since_start)


def _crowd_rate(day: date, _since_start: int) -> float:
    return CROWD_PER_DAY.get(day.weekday(), 0.0)


def _offline_rate(_day: date, _since_start: int) -> float:
    return OFFLINE_PER_DAY


def _windows_text(windows: Sequence[tuple[time, time]]) -> str:
    return ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in windows)


def _streams(grid: GridScenario) -> list[_Stream]:
    """The grid's alarm streams, in the order of the places in the scenario."""
    by_place: dict[str, list[DeviceSpec]] = {}
    for spec in grid.devices:
        if spec.place_id and spec.kind != ingest_res.DEVICE_KIND_FIELD_UNIT_RADIO:
            by_place.setdefault(spec.place_id, []).append(spec)

    def scenario_is(name: str) -> Callable[[DeviceSpec], bool]:
        return lambda d: d.kind == ingest_res.DEVICE_KIND_CAMERA and d.labels.get("scenario") == name

    def kind_is(kind: int) -> Callable[[DeviceSpec], bool]:
        return lambda d: d.kind == kind

    streams: list[_Stream] = []
    counters = {"lt": 0, "eb": 0, "cr": 0}

    def key(prefix: str) -> str:
        n = counters[prefix]
        counters[prefix] += 1
        return f"{prefix}{n}"

    for specs in by_place.values():
        name = place_name(specs[0])
        windows = next((d.disposal_windows for d in specs if d.disposal_windows), ())
        if windows or any(scenario_is("litter_off_hours")(d) for d in specs):
            spec = _pick(specs, scenario_is("litter_off_hours"), kind_is(ingest_res.DEVICE_KIND_CAMERA))
            description = f"投放时段 {_windows_text(windows)} 之外" if windows else ""
            title = f"{TITLES['litter_off_hours']} · {name}"
            alarm = _template(grid.grid_id, "litter_off_hours", spec, title=title, description=description)
            streams.append(_Stream(key("lt"), [alarm], _litter_rate, TimeOfDay(LITTER_HOURS, windows)))
        if any(
            scenario_is("ebike_in_elevator")(d) or d.kind == ingest_res.DEVICE_KIND_ELEVATOR_CONTROLLER for d in specs
        ):
            spec = _pick(specs, scenario_is("ebike_in_elevator"), kind_is(ingest_res.DEVICE_KIND_ELEVATOR_CONTROLLER))
            alarm = _template(grid.grid_id, "ebike_in_elevator", spec, title=f"{TITLES['ebike_in_elevator']} · {name}")
            streams.append(_Stream(key("eb"), [alarm], _ebike_rate, TimeOfDay(EBIKE_HOURS)))
        probe = next((d for d in specs if d.zone_id), None)
        if probe is not None or any(scenario_is("crowd")(d) for d in specs):
            spec = _pick(specs, scenario_is("crowd"), kind_is(ingest_res.DEVICE_KIND_CAMERA))
            alarm = _template(
                grid.grid_id, "crowd_over_threshold", spec, title=f"{TITLES['crowd_over_threshold']} · {name}"
            )
            warning = probe.zone_warning if probe is not None else 0
            if probe is not None:
                alarm.attributes["zone_id"] = probe.zone_id
                alarm.attributes["warning"] = str(warning)
            streams.append(_Stream(key("cr"), [alarm], _crowd_rate, TimeOfDay(CROWD_HOURS), warning=warning))
    watched = [spec for specs in by_place.values() for spec in specs]
    if watched:
        offline = [
            _template(
                grid.grid_id,
                "device_offline",
                spec,
                title=f"{TITLES['device_offline']} · {spec.name}",
                description=f"{spec.name} 心跳中断",
            )
            for spec in watched
        ]
        for alarm in offline:
            alarm.attributes["code"] = "device_offline"
        streams.append(_Stream("of", offline, _offline_rate, TimeOfDay(OFFLINE_HOURS)))
    return streams


def _local_midnight_s(day: date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_S - _LOCAL_OFFSET_S


def generate_history(
    grid: GridScenario, *, end: datetime, days: int, seed: int = 7, scale: float = 1.0
) -> Iterator[alarms_pb2.AlarmRaised]:
    """Yields made-up alarms of the `days` days before `end` (exclusive; a naive end is UTC), oldest first.

    The same arguments give the same alarms with the same ids; `scale` multiplies every rate (the benchmark makes
    about a million alarms in a year with scale ~300). The e-bike decline starts at the start of the range.
    """
    if days < 0:
        raise ValueError("days must be 0 or more")
    if scale < 0:
        raise ValueError("scale must be 0 or more")
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    end_ms = round(end.timestamp() * 1000)
    start_ms = end_ms - days * _DAY_S * 1000
    if days == 0 or scale == 0:
        return
    first_day = datetime.fromtimestamp(start_ms / 1000, SHANGHAI).date()
    last_day = datetime.fromtimestamp((end_ms - 1) / 1000, SHANGHAI).date()
    streams = _streams(grid)
    grid_id = grid.grid_id
    day = first_day
    while day <= last_day:
        ymd = f"{day:%Y%m%d}"
        midnight_ms = _local_midnight_s(day) * 1000
        since_start = (day - first_day).days
        events: list[tuple[int, int, int, int]] = []  # (occurred ms, stream, n, variant)
        for index, stream in enumerate(streams):
            rng = random.Random(f"{seed}:{grid_id}:{stream.key}:{ymd}")
            count = poisson(stream.rate(day, since_start) * scale, rng.random())
            variants = len(stream.templates)
            for n in range(count):
                at = midnight_ms + stream.hours.draw_ms(rng.random())
                if stream.warning:
                    variant = int(stream.warning * (1.0 + 0.25 * rng.random()))
                elif variants > 1:
                    variant = int(rng.random() * variants)
                else:
                    variant = 0
                if start_ms <= at < end_ms:
                    events.append((at, index, n, variant))
        events.sort()
        for at, index, n, variant in events:
            stream = streams[index]
            alarm = alarms_pb2.AlarmRaised()
            if stream.warning:
                alarm.CopyFrom(stream.templates[0])
                alarm.description = f"人数约 {variant} 人，超过预警阈值 {stream.warning}"
                alarm.attributes["count"] = str(variant)
            else:
                alarm.CopyFrom(stream.templates[variant])
            meta = alarm.meta
            meta.event_id = f"hist-{grid_id}-{ymd}-{stream.key}-{n:05d}"
            seconds, millis = divmod(at, 1000)
            meta.occurred_at.seconds = seconds
            meta.occurred_at.nanos = millis * 1_000_000
            yield alarm
        day += timedelta(days=1)


def history_end(now: datetime | None = None) -> datetime:
    """Where imported history ends: the start of today in Shanghai (live alarms fill today), in UTC."""
    now = now or datetime.now(UTC)
    local = now.astimezone(SHANGHAI)
    return datetime.combine(local.date(), time(), SHANGHAI).astimezone(UTC)
