"""Analytics benchmark: a year of alarms for a grid (about a million) loaded into the roll-ups, then the
trend and profile queries' p50/p95 over the whole year, and the live consumer's events/s folding alarms from
the stream against a raw JetStream consumer fetching and acking the same messages."""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
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
from microbrain.analytics.v1 import analytics_service_pb2 as pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as pb_grpc
from microbrain.common.v1 import common_pb2
from microbrain_cli.history import generate_history
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_kit.alarms import alarm_subject, ensure_alarm_stream
from microbrain_kit.bus import Bus

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "deploy" / "scenarios" / "hongqiao.yaml"
GRID = "jinhui-shanghong"  # the scenario's grid: its garbage room is what the profile reads
RAW_STREAM, RAW_SUBJECT = "bench-raw-analytics", "bench.raw.alarms.raised"


def log(message: str) -> None:
    print(f"[analytics] {message}", file=sys.stderr, flush=True)


async def load_year(stub, scale: float, days: int) -> tuple[int, float]:
    """Imports `days` days of generated history up to now through ImportAlarms; (alarms, seconds)."""
    grid = grid_scenario(load_scenario(SCENARIO), GRID)
    end = datetime.now(UTC)
    sent = 0

    async def batches():
        nonlocal sent
        batch = pb.ImportAlarmsRequest()
        for alarm in generate_history(grid, end=end, days=days, scale=scale):
            batch.alarms.append(alarm)
            if len(batch.alarms) == 1000:
                sent += 1000
                yield batch
                batch = pb.ImportAlarmsRequest()
                if sent % 100_000 == 0:
                    log(f"  {sent:,} alarms imported")
        if batch.alarms:
            sent += len(batch.alarms)
            yield batch

    t0 = time.perf_counter()
    reply = await stub.ImportAlarms(batches(), timeout=3600)
    seconds = time.perf_counter() - t0
    if reply.imported != sent or reply.skipped:
        raise BenchError(f"imported {reply.imported} and skipped {reply.skipped} of {sent} alarms")
    return sent, seconds


async def timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        out.append(time.perf_counter() - t0)
    return sorted(out)


def live_alarms(prefix: str, count: int) -> list[alarms_pb2.AlarmRaised]:
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        a = alarms_pb2.AlarmRaised(type="litter_off_hours", place_id="gengduyuan-refuse-1", source="bench")
        a.meta.CopyFrom(common_pb2.EventMeta(event_id=f"{prefix}-{i}", grid_id=GRID, producer="bench"))
        a.meta.occurred_at.FromDatetime(now - timedelta(seconds=i % 3600))
        out.append(a)
    return out


async def publish_all(js, subject: str, alarms: list[alarms_pb2.AlarmRaised]) -> None:
    pending = []
    for a in alarms:
        pending.append(await js.publish_async(subject, a.SerializeToString(), headers={"Nats-Msg-Id": a.meta.event_id}))
        if len(pending) >= 2000:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)


async def raw_consume_per_s(bus: Bus, count: int, batch: int) -> float:
    """Baseline: the same alarms published to a stream, then a durable pull consumer fetching them in batches of
    `batch`, decoding and acking each, as analytics' consumer does minus the database; events/s of that."""
    await bus.ensure_stream(RAW_STREAM, [RAW_SUBJECT])
    await publish_all(bus.js, RAW_SUBJECT, live_alarms("raw", count))
    sub = await bus.js.pull_subscribe(RAW_SUBJECT, durable="raw", stream=RAW_STREAM)
    done = 0
    t0 = time.perf_counter()
    while done < count:
        msgs = await sub.fetch(batch, timeout=5)
        for msg in msgs:
            alarms_pb2.AlarmRaised.FromString(msg.data)
        await asyncio.gather(*(msg.ack() for msg in msgs))
        done += len(msgs)
    return count / (time.perf_counter() - t0)


async def consumer_per_s(stub, bus: Bus, count: int) -> float:
    """Alarms published to the grid's alarm stream while analytics runs; events/s from the first publish until
    today's count in the roll-ups holds them all (the consumer's fold, committed)."""
    before = (await stub.GetKpis(pb.GetKpisRequest())).kpis
    base = before.alarms_today + before.alarms_yesterday
    alarms = live_alarms("live", count)
    t0 = time.perf_counter()
    await publish_all(bus.js, alarm_subject(GRID), alarms)
    deadline = t0 + 600
    while True:
        k = (await stub.GetKpis(pb.GetKpisRequest())).kpis
        if k.alarms_today + k.alarms_yesterday - base >= count:
            return count / (time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            raise BenchError(f"the consumer counted {k.alarms_today - base} of {count} alarms within 600 s")
        await asyncio.sleep(0.05)


async def bench(scale: float, days: int, queries: int, live: int, batch: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="mb-bench-analytics-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with nats_server(tmp) as nats_url, postgres_schema("bench_analytics") as pg:
            db_kind = "postgresql" if pg else "sqlite"
            url, schema = pg or (f"sqlite+aiosqlite:///{tmp / 'analytics.db'}", "")
            port = free_port()
            env = {
                **os.environ,
                "MB_GRID_ID": GRID,
                "MB_DATABASE_URL": url,
                "MB_DATABASE_SCHEMA": schema,
                "MB_NATS_URL": nats_url,
                "MB_GRPC_PORT": str(port),
                "MB_METRICS_PORT": "0",
                "MB_PLACES": str(SCENARIO),
                "MB_CONSUMER_BATCH": str(batch),
                "MB_KPI_INTERVAL_S": "0",
                "MB_LOG_LEVEL": "WARNING",
            }
            bus = await Bus.connect(nats_url, name="bench-analytics")
            await ensure_alarm_stream(bus, GRID)
            argv = [sys.executable, "-m", "microbrain_analytics"]
            async with process(argv, grace_s=20, env=env, stdout=sys.stderr) as proc:
                target = f"127.0.0.1:{port}"
                await wait_serving(target, proc, "analytics", timeout_s=60)
                async with grpc.aio.insecure_channel(target) as channel:
                    stub = pb_grpc.AnalyticsServiceStub(channel)
                    log(f"loading {days} days of alarms (scale {scale:g}) through ImportAlarms, {db_kind}")
                    loaded, load_s = await load_year(stub, scale, days)
                    log(f"{loaded:,} alarms in {load_s:.1f} s; queries ×{queries}")
                    today = datetime.now(UTC).date()
                    # days + 1 local days: the history's first hours fall on the local day before
                    year = dict(start_date=(today - timedelta(days=days)).isoformat(), end_date=today.isoformat())
                    trend = await stub.GetAlarmTrend(pb.GetAlarmTrendRequest(**year))
                    if trend.trend.total != loaded:
                        raise BenchError(f"the year's trend counts {trend.trend.total} alarms, {loaded} were loaded")
                    lat = {
                        "trend_year": await timed(lambda: stub.GetAlarmTrend(pb.GetAlarmTrendRequest(**year)), queries),
                        "trend_year_by_type_and_place": await timed(
                            lambda: stub.GetAlarmTrend(
                                pb.GetAlarmTrendRequest(**year, group_by=pb.GROUP_BY_TYPE_AND_PLACE)
                            ),
                            queries,
                        ),
                        "profile_year": await timed(
                            lambda: stub.GetDumpingProfile(pb.GetDumpingProfileRequest(**year)), queries
                        ),
                        "kpis": await timed(lambda: stub.GetKpis(pb.GetKpisRequest()), queries),
                    }
                    log(f"live consumer: {live:,} alarms on the stream")
                    rate = await consumer_per_s(stub, bus, live)
                    raw = await raw_consume_per_s(bus, live, batch)
            await bus.close()
    params = {"alarms": loaded, "days": days, "database": db_kind, "queries": queries, "batch": batch}
    lines = [
        {
            "bench": "analytics",
            "metric": "import_alarms_per_s",
            "value": round(loaded / load_s),
            "unit": "1/s",
            "params": params,
        },
        {
            "bench": "analytics",
            "metric": "consumer_events_per_s",
            "value": round(rate),
            "unit": "1/s",
            "baseline_metric": "raw_jetstream_fetch_ack_per_s",
            "baseline": round(raw),
            "ratio": round(rate / raw, 2),
            "params": {**params, "live_alarms": live},
        },
    ]
    for name, values in lat.items():
        for q in (50, 95):
            lines.append(
                {
                    "bench": "analytics",
                    "metric": f"{name}_p{q}_ms",
                    "value": percentile_ms(values, q),
                    "unit": "ms",
                    **({"goal": 50} if name == "trend_year" and q == 95 else {}),
                    "params": params,
                }
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a year at 1/20 of the rate (~50k alarms), fewer queries")
    parser.add_argument(
        "--scale", type=float, help="history rate multiplier (default 350 ≈ a million a year; quick 15)"
    )
    parser.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    parser.add_argument("--queries", type=int, help="calls per query (default 200; quick 30)")
    parser.add_argument("--live", type=int, help="alarms through the live consumer (default 50000; quick 5000)")
    parser.add_argument("--batch", type=int, default=256, help="consumer batch (MB_CONSUMER_BATCH, default 256)")
    args = parser.parse_args()
    run_and_print(
        bench(
            scale=args.scale or (15 if args.quick else 350),
            days=args.days,
            queries=args.queries or (30 if args.quick else 200),
            live=args.live or (5000 if args.quick else 50_000),
            batch=args.batch,
        ),
        log,
    )


if __name__ == "__main__":
    main()
