"""Cases benchmark: alarms/s turned into cases end to end (AlarmRaised on NATS -> committed case ->
case_opened event out), at a steady rate and at a 10x burst, against a raw JetStream round trip."""

import argparse
import asyncio
import contextlib
import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BenchError,
    free_port,
    nats_server,
    percentile_ms,
    postgres_schema,
    process,
    run_and_print,
    wait_serving,
)
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import events_pb2
from microbrain.common.v1 import common_pb2
from microbrain_kit.alarms import alarm_subject, ensure_alarm_stream
from microbrain_kit.bus import Bus, stream_name

GRID = "bench-cases"
ALARM_TYPE = "ebike_in_elevator"
RAW_STREAM, RAW_SUBJECT = "bench-raw-alarms", "bench.raw.alarms.raised"
REPEATS = 5
# The SLA stages after "discover" pushed out of the run, so no SLA timer fires while it measures
# (the default lift policy breaches "assign" 30 s after the fact). "discover" (1 s) stays as it is.
POLICIES_YAML = f"{ALARM_TYPE}: {{assign: 1h, acknowledge: 1h, arrive: 1h, resolve: 2h}}\n"


@dataclass(frozen=True)
class Params:
    """What one run measures."""

    rate: float
    duration_s: float
    burst_factor: int
    burst_duration_s: float
    warmup: int

    @property
    def burst_rate(self) -> float:
        return self.rate * self.burst_factor


@dataclass
class Phase:
    """One schedule of alarms and what came back for them."""

    name: str
    rate: float
    duration_s: float
    sent: dict[str, float] = field(default_factory=dict)  # alarm id -> perf_counter at publish
    received: dict[str, float] = field(default_factory=dict)  # alarm id -> perf_counter at arrival
    discovered_s: dict[str, float] = field(default_factory=dict)  # alarm id -> case.opened_at - occurred_at

    @property
    def count(self) -> int:
        return len(self.sent)

    def per_s(self) -> float:
        """Alarms sent / (first send -> last arrival)."""
        return self.count / (max(self.received.values()) - min(self.sent.values()))

    def offered_per_s(self) -> float:
        """The rate the alarms actually went out at (the schedule, if the bench kept up with it)."""
        span = max(self.sent.values()) - min(self.sent.values())
        return (self.count - 1) / span if span > 0 else float(self.count)

    def latencies_s(self) -> list[float]:
        return sorted(self.received[i] - self.sent[i] for i in self.sent)


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"bench/cases: {message}", file=sys.stderr, flush=True)


def alarm(grid: str, place: str) -> alarms_pb2.AlarmRaised:
    """A camera's e-bike-in-lift alarm at a place, with a snapshot; occurred_at is set when it is sent."""
    alarm_id = str(uuid.uuid4())
    return alarms_pb2.AlarmRaised(
        meta=common_pb2.EventMeta(event_id=alarm_id, grid_id=grid, producer="vision"),
        type=ALARM_TYPE,
        severity=common_pb2.SEVERITY_CRITICAL,
        source="vision",
        place_id=place,
        location=common_pb2.GeoPoint(lat=31.2304, lon=121.4737),
        device=common_pb2.DeviceRef(grid_id=grid, device_id=f"cam-{place}"),
        title=f"电动车进入电梯 · {place}",
        evidence=[
            common_pb2.EvidenceRef(
                key=f"snapshots/bench/{alarm_id}.jpg",
                content_type="image/jpeg",
                size_bytes=48_213,
                sha256=hashlib.sha256(alarm_id.encode()).hexdigest(),
            )
        ],
        video_url=f"rtsp://cam-{place}/live",
    )


def alarms(grid: str, prefix: str, count: int) -> list[alarms_pb2.AlarmRaised]:
    """count alarms, each at its own place, so that each opens its own case."""
    return [alarm(grid, f"{prefix}-{i}") for i in range(count)]


class Arrivals:
    """An ordered JetStream consumer on the bench's single connection that times every message by alarm id."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}  # alarm id -> perf_counter at the first arrival
        self.discovered_s: dict[str, float] = {}
        self.case_ids: dict[str, str] = {}  # alarm id -> the case it opened
        self.duplicates: list[str] = []
        self.repeated: list[events_pb2.CaseChanged] = []
        self.others: list[str] = []

    async def alarm_arrived(self, msg) -> None:  # the baseline: the AlarmRaised itself comes back
        now = time.perf_counter()
        self._arrived(alarms_pb2.AlarmRaised.FromString(msg.data).meta.event_id, now)

    async def case_changed(self, msg) -> None:  # the system under test: a case_* event
        now = time.perf_counter()
        event = events_pb2.CaseChanged.FromString(msg.data)
        if msg.subject.endswith(".case_opened"):
            alarm_id = event.case.alarm_ids[0] if event.case.alarm_ids else f"(case {event.case.case_id} w/o alarm)"
            if self._arrived(alarm_id, now):
                case = event.case
                self.case_ids[alarm_id] = case.case_id
                self.discovered_s[alarm_id] = (case.opened_at.ToNanoseconds() - case.occurred_at.ToNanoseconds()) / 1e9
        elif msg.subject.endswith(".case_repeated"):
            self.repeated.append(event)
        else:
            self.others.append(msg.subject)

    def _arrived(self, alarm_id: str, now: float) -> bool:
        if alarm_id in self.at:
            self.duplicates.append(alarm_id)
            return False
        self.at[alarm_id] = now
        return True

    async def wait(self, phase: Phase, timeout_s: float) -> None:
        """Returns once every alarm of the phase has arrived; fails after timeout_s without progress."""
        progress, last = time.monotonic(), -1
        while missing := [i for i in phase.sent if i not in self.at]:
            if len(missing) != last:
                progress, last = time.monotonic(), len(missing)
            elif time.monotonic() - progress > timeout_s:
                raise BenchError(
                    f"{phase.name}: {len(missing)} of {phase.count} alarms never came back "
                    f"(nothing new for {timeout_s:g}s)"
                )
            await asyncio.sleep(0.02)
        phase.received = {i: self.at[i] for i in phase.sent}
        phase.discovered_s = {i: self.discovered_s[i] for i in phase.sent if i in self.discovered_s}


async def send_paced(js, subject: str, batch: list[alarms_pb2.AlarmRaised], phase: Phase) -> None:
    """Publishes the alarms at the phase's rate (falling behind sends at once), occurred_at = send time."""
    futures = []
    start = time.perf_counter()
    for i, message in enumerate(batch):
        delay = start + i / phase.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        message.meta.occurred_at.GetCurrentTime()
        alarm_id = message.meta.event_id
        phase.sent[alarm_id] = time.perf_counter()
        futures.append(await js.publish_async(subject, message.SerializeToString(), headers={"Nats-Msg-Id": alarm_id}))
    acks = await asyncio.gather(*futures)
    if duplicates := sum(bool(ack.duplicate) for ack in acks):
        raise BenchError(f"{phase.name}: JetStream reported {duplicates} duplicates of unique alarm ids")


async def run_phase(js, subject: str, arrivals: Arrivals, phase: Phase, batch: list[alarms_pb2.AlarmRaised]) -> Phase:
    await send_paced(js, subject, batch, phase)
    await arrivals.wait(phase, timeout_s=30)
    log(
        f"{phase.name}: {phase.count} alarms at {phase.offered_per_s():,.0f}/s -> {phase.per_s():,.0f}/s back, "
        f"p50 {percentile_ms(phase.latencies_s(), 50)} ms, p99 {percentile_ms(phase.latencies_s(), 99)} ms"
    )
    return phase


def phases(p: Params) -> tuple[Phase, Phase]:
    return (
        Phase("steady", p.rate, p.duration_s),
        Phase("burst", p.burst_rate, p.burst_duration_s),
    )


def schedule(grid: str, phase: Phase) -> list[alarms_pb2.AlarmRaised]:
    return alarms(grid, f"{phase.name}-place", max(1, round(phase.rate * phase.duration_s)))


@contextlib.asynccontextmanager
async def database(tmp: Path) -> AsyncIterator[tuple[str, str, str]]:
    """(url, schema, kind): a fresh PostgreSQL schema, or a SQLite file if PostgreSQL is out of reach."""
    async with postgres_schema("bench_cases") as pg:
        if pg is None:
            yield f"sqlite+aiosqlite:///{tmp / 'cases.db'}", "", "sqlite"
        else:
            yield pg[0], pg[1], "postgresql"


async def baseline(nats_url: str, p: Params) -> tuple[Phase, Phase]:
    """The same schedules of the same AlarmRaised payloads published to a separate stream and received
    back through an ordered consumer: what the bus alone costs."""
    bus = await Bus.connect(nats_url, name="bench-cases-baseline")
    try:
        await bus.ensure_stream(RAW_STREAM, [RAW_SUBJECT], duplicate_window_s=3600)
        arrivals = Arrivals()
        sub = await bus.js.subscribe(RAW_SUBJECT, stream=RAW_STREAM, ordered_consumer=True, cb=arrivals.alarm_arrived)
        try:
            await run_phase(bus.js, RAW_SUBJECT, arrivals, Phase("baseline warm-up", 1000, 1), alarms(GRID, "w", 50))
            steady, burst = phases(p)
            for phase in (steady, burst):
                phase.name = f"baseline {phase.name}"
                await run_phase(bus.js, RAW_SUBJECT, arrivals, phase, schedule(GRID, phase))
        finally:
            await sub.unsubscribe()
        if arrivals.duplicates:
            raise BenchError(f"baseline: {len(arrivals.duplicates)} alarms came back twice")
    finally:
        await bus.close()
    return steady, burst


async def check_repeats(js, grid: str, arrivals: Arrivals, place: str, case_id: str) -> None:
    """REPEATS more alarms at a place whose case is open attach to it as repeats, one at a time, and open
    nothing new."""
    for n in range(REPEATS):
        message = alarm(grid, place)
        message.meta.occurred_at.GetCurrentTime()
        alarm_id = message.meta.event_id
        await js.publish(alarm_subject(grid), message.SerializeToString(), headers={"Nats-Msg-Id": alarm_id})
        deadline = time.monotonic() + 30
        while len(arrivals.repeated) <= n:
            if time.monotonic() > deadline:
                raise BenchError(f"repeats: no case_repeated event for repeat {n + 1} within 30s")
            await asyncio.sleep(0.01)
        case = arrivals.repeated[n].case
        if case.case_id != case_id or message.meta.event_id not in case.alarm_ids or case.occurrences != n + 2:
            raise BenchError(
                f"repeats: repeat {n + 1} at {place} gave case {case.case_id} with {case.occurrences} occurrences, "
                f"expected case {case_id} with {n + 2}"
            )
        if message.meta.event_id in arrivals.at:
            raise BenchError(f"repeats: repeat {n + 1} at {place} opened a case of its own")


async def cases_run(tmp: Path, nats_url: str, p: Params) -> tuple[Phase, Phase, str]:
    """A fresh cases service on PostgreSQL (or SQLite): warm-up, steady phase, burst, repeats, checks."""
    grpc_port, grid = free_port(), GRID
    policies = tmp / "policies.yaml"
    policies.write_text(POLICIES_YAML)
    async with database(tmp) as (db_url, schema, db_kind):
        env = {
            **os.environ,
            "MB_GRID_ID": grid,
            "MB_NATS_URL": nats_url,
            "MB_DATABASE_URL": db_url,
            "MB_DATABASE_SCHEMA": schema,
            "MB_SLA_POLICIES": str(policies),
            "MB_GRPC_HOST": "127.0.0.1",
            "MB_GRPC_PORT": str(grpc_port),
            "MB_METRICS_PORT": "0",
            "MB_LOG_LEVEL": "WARNING",
        }
        argv = [sys.executable, "-m", "microbrain_cases"]
        async with process(argv, grace_s=20, env=env, stdout=sys.stderr) as cases:
            await wait_serving(f"127.0.0.1:{grpc_port}", cases, "cases", timeout_s=60)
            log(f"cases serving on 127.0.0.1:{grpc_port} ({db_kind})")
            bus = await Bus.connect(nats_url, name="bench-cases")
            try:
                subject = alarm_subject(grid)
                await ensure_alarm_stream(bus, grid)
                cases_stream = stream_name(grid, "cases")
                arrivals = Arrivals()
                sub = await bus.js.subscribe(
                    f"mb.{grid}.cases.*", stream=cases_stream, ordered_consumer=True, cb=arrivals.case_changed
                )
                try:
                    warmup = Phase("cases warm-up", p.rate, p.warmup / p.rate)
                    warmup_alarms = alarms(grid, "warmup-place", p.warmup)
                    await run_phase(bus.js, subject, arrivals, warmup, warmup_alarms)
                    steady, burst = phases(p)
                    for phase in (steady, burst):
                        phase.name = f"cases {phase.name}"
                        await run_phase(bus.js, subject, arrivals, phase, schedule(grid, phase))
                    first = warmup_alarms[0]
                    case_id = arrivals.case_ids[first.meta.event_id]
                    await check_repeats(bus.js, grid, arrivals, first.place_id, case_id)
                    await asyncio.sleep(0.5)  # room for a late duplicate case_opened to show up
                finally:
                    await sub.unsubscribe()
                await check_opened(bus.js, cases_stream, grid, arrivals, [warmup, steady, burst])
            finally:
                await bus.close()
    return steady, burst, db_kind


async def check_opened(js, stream: str, grid: str, arrivals: Arrivals, measured: list[Phase]) -> None:
    """Every alarm sent opened exactly one case: one case_opened event each, in the stream and received."""
    sent = {i for phase in measured for i in phase.sent}
    opened_subject = f"mb.{grid}.cases.case_opened"
    info = await js.stream_info(stream, subjects_filter=opened_subject)
    stored = (info.state.subjects or {}).get(opened_subject, 0)
    problems = []
    if stored != len(sent):
        problems.append(f"stream {stream} holds {stored} case_opened events for {len(sent)} alarms")
    if arrivals.duplicates:
        problems.append(f"{len(arrivals.duplicates)} alarms opened more than one case, e.g. {arrivals.duplicates[0]}")
    if unknown := set(arrivals.at) - sent:
        problems.append(f"{len(unknown)} case_opened events for alarms never sent, e.g. {sorted(unknown)[0]}")
    if len(arrivals.repeated) != REPEATS:
        problems.append(f"{len(arrivals.repeated)} case_repeated events, expected {REPEATS}")
    if problems:
        raise BenchError("; ".join(problems))
    if arrivals.others:
        log(f"(also saw {len(arrivals.others)} other events: {', '.join(sorted(set(arrivals.others)))})")
    log(f"checked: {len(sent)} alarms opened {stored} cases, one each; {REPEATS} repeats attached")


async def bench(p: Params) -> list[dict]:
    """Starts nats-server, measures the baseline, then cases; the JSON lines."""
    with tempfile.TemporaryDirectory(prefix="mb-bench-cases-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with nats_server(tmp) as nats_url:
            log(f"nats-server on {nats_url}; baseline: raw JetStream publish -> ordered consumer")
            raw = await baseline(nats_url, p)
            log("system under test: cases")
            *sut, db_kind = await cases_run(tmp, nats_url, p)
    sample = alarm(GRID, "steady-place-0")
    sample.meta.occurred_at.GetCurrentTime()
    lines = []
    for prefix, phase, base in zip(("", "burst_"), sut, raw, strict=True):
        params = {
            "rate": phase.rate,
            "duration_s": phase.duration_s,
            "alarms": phase.count,
            "offered_per_s": round(phase.offered_per_s()),
            "database": db_kind,
            "alarm_type": ALARM_TYPE,
            "alarm_bytes": sample.ByteSize(),
            "warmup_alarms": p.warmup,
        }
        rate, base_rate = phase.per_s(), base.per_s()
        lines.append(
            {
                "bench": "cases",
                "metric": f"{prefix}cases_opened_per_s",
                "value": round(rate, 1),
                "unit": "1/s",
                "baseline_metric": f"{prefix}raw_jetstream_roundtrip_per_s",
                "baseline": round(base_rate, 1),
                "ratio": round(rate / base_rate, 2),
                "params": params,
            }
        )
        latencies, base_latencies = phase.latencies_s(), base.latencies_s()
        discovered = sorted(phase.discovered_s.values())
        for q in (50, 99):
            value, base_value = percentile_ms(latencies, q), percentile_ms(base_latencies, q)
            lines.append(
                {
                    "bench": "cases",
                    "metric": f"{prefix}fact_to_opened_p{q}_ms",
                    "value": value,
                    "unit": "ms",
                    "baseline_metric": f"{prefix}raw_jetstream_roundtrip_p{q}_ms",
                    "baseline": base_value,
                    "ratio": round(value / base_value, 1) if base_value else None,
                    "params": params,
                }
            )
        lines += [
            {
                "bench": "cases",
                "metric": f"{prefix}fact_to_discovered_p{q}_ms",
                "value": percentile_ms(discovered, q),
                "unit": "ms",
                "params": params,
            }
            for q in (50, 99)
        ]
    return lines


def main() -> None:
    """Parses the arguments, runs the benchmark and prints one JSON object per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds: 3 s steady, 1 s burst")
    parser.add_argument("--rate", type=float, default=50, help="steady alarms per second (default 50)")
    parser.add_argument("--duration", type=float, help="seconds of steady alarms (default 10; quick 3)")
    parser.add_argument("--burst-factor", type=int, default=10, help="burst rate = rate x this (default 10)")
    parser.add_argument("--burst-duration", type=float, help="seconds of burst (default 2; quick 1)")
    parser.add_argument("--warmup", type=int, help="unmeasured alarms sent first (default 50; quick 20)")
    args = parser.parse_args()
    params = Params(
        rate=args.rate,
        duration_s=args.duration or (3 if args.quick else 10),
        burst_factor=args.burst_factor,
        burst_duration_s=args.burst_duration or (1 if args.quick else 2),
        warmup=max(1, args.warmup or (20 if args.quick else 50)),
    )
    run_and_print(bench(params), log)


if __name__ == "__main__":
    main()
