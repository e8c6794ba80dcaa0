"""Dispatch benchmark: with N field units moving about, the time from a case opened to its assignment pushed
to the unit and to its lift's STOP acked at the controller, at a steady stream of e-bike-in-lift alarms;
cases dispatched per second against a raw JetStream round trip of the same alarms."""

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.common.v1 import common_pb2
from microbrain.dispatch.v1 import dispatch_service_pb2 as dpb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as dpb_grpc
from microbrain.ingest.v1 import ingest_service_pb2 as ipb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as ipb_grpc
from microbrain.ingest.v1 import resources_pb2 as ires
from microbrain_kit.alarms import alarm_subject, ensure_alarm_stream
from microbrain_kit.bus import Bus, stream_name

GRID = "bench-dispatch"
ALARM_TYPE = "ebike_in_elevator"
RAW_STREAM, RAW_SUBJECT = "bench-raw-dispatch-alarms", "bench.raw.dispatch.alarms.raised"
CENTRE = (31.2304, 121.4737)
BOX = (0.018, 0.021)  # degrees of lat/lon: about 2 km × 2 km around CENTRE
FIX_EVERY_S = 2.0
STREAMS_PER_CHANNEL = 50
POLICIES_YAML = f"{ALARM_TYPE}: {{assign: 1h, acknowledge: 1h, arrive: 1h, resolve: 2h}}\n"


@dataclass(frozen=True)
class Params:
    units: int
    rate: float
    duration_s: float
    warmup: int

    @property
    def cases(self) -> int:
        return max(1, round(self.rate * self.duration_s))


@dataclass
class Seen:
    """What the bench saw, all on the wall clock (the services run on the same machine)."""

    sent: dict[str, float] = field(default_factory=dict)  # place -> alarm published
    opened: dict[str, tuple[str, float]] = field(default_factory=dict)  # place -> (case id, case.opened_at)
    opened_twice: list[str] = field(default_factory=list)
    pushed: dict[str, list[tuple[float, dpb.WatchAssignmentsResponse]]] = field(default_factory=dict)  # case id
    stops: dict[str, list[float]] = field(default_factory=dict)  # place -> STOPs acked by its lift
    other_commands: list[str] = field(default_factory=list)
    fix_errors: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"bench/dispatch: {message}", file=sys.stderr, flush=True)


def random_point(rng: random.Random) -> tuple[float, float]:
    return (CENTRE[0] + rng.uniform(-0.5, 0.5) * BOX[0], CENTRE[1] + rng.uniform(-0.5, 0.5) * BOX[1])


def alarm(grid: str, place: str, at: tuple[float, float]) -> alarms_pb2.AlarmRaised:
    alarm_id = str(uuid.uuid4())
    return alarms_pb2.AlarmRaised(
        meta=common_pb2.EventMeta(event_id=alarm_id, grid_id=grid, producer="vision"),
        type=ALARM_TYPE,
        severity=common_pb2.SEVERITY_CRITICAL,
        source="vision",
        place_id=place,
        location=common_pb2.GeoPoint(lat=at[0], lon=at[1]),
        device=common_pb2.DeviceRef(grid_id=grid, device_id=f"cam-{place}"),
        title=f"电动车进入电梯 · {place}",
    )


async def send_paced(js, subject: str, batch: list[alarms_pb2.AlarmRaised], rate: float, sent: dict) -> None:
    """Publishes the alarms at the rate (falling behind sends at once); sent[place] = wall-clock send time."""
    futures, start = [], time.perf_counter()
    for i, message in enumerate(batch):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        message.meta.occurred_at.GetCurrentTime()
        sent[message.place_id] = time.time()
        headers = {"Nats-Msg-Id": message.meta.event_id}
        futures.append(await js.publish_async(subject, message.SerializeToString(), headers=headers))
    await asyncio.gather(*futures)


async def wait_until(check, what: str, timeout_s: float) -> None:
    """Polls check() until true; fails after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise BenchError(f"{what} within {timeout_s:g}s")
        await asyncio.sleep(0.02)


async def baseline(nats_url: str, p: Params) -> float:
    """The same number of alarms at the same rate through a separate stream and back to an ordered consumer:
    alarms / (first send -> last arrival)."""
    bus = await Bus.connect(nats_url, name="bench-dispatch-baseline")
    try:
        await bus.ensure_stream(RAW_STREAM, [RAW_SUBJECT], duplicate_window_s=3600)
        back: dict[str, float] = {}

        async def arrived(msg) -> None:
            back.setdefault(alarms_pb2.AlarmRaised.FromString(msg.data).place_id, time.time())

        sub = await bus.js.subscribe(RAW_SUBJECT, stream=RAW_STREAM, ordered_consumer=True, cb=arrived)
        rng = random.Random(1)
        try:
            sent: dict[str, float] = {}
            batch = [alarm(GRID, f"raw-{i}", random_point(rng)) for i in range(p.cases)]
            await send_paced(bus.js, RAW_SUBJECT, batch, p.rate, sent)
            await wait_until(lambda: len(back) >= len(sent), "baseline: not every alarm came back", 30)
        finally:
            await sub.unsubscribe()
    finally:
        await bus.close()
    per_s = len(sent) / (max(back.values()) - min(sent.values()))
    log(f"baseline: {len(sent)} alarms at {p.rate:g}/s -> {per_s:.2f}/s back")
    return per_s


@contextlib.asynccontextmanager
async def database(tmp: Path) -> AsyncIterator[tuple[dict[str, str], str, str]]:
    """({service: url}, schema, kind): one PostgreSQL schema for all three services, else a SQLite file each."""
    services = ("ingest", "cases", "dispatch")
    async with postgres_schema("bench_dispatch") as pg:
        if pg is None:
            yield {name: f"sqlite+aiosqlite:///{tmp / f'{name}.db'}" for name in services}, "", "sqlite"
        else:
            yield dict.fromkeys(services, pg[0]), pg[1], "postgresql"


class Channels:
    """A few gRPC channels to one service, STREAMS_PER_CHANNEL long-lived streams each."""

    def __init__(self, target: str, count: int) -> None:
        self.all = [grpc.aio.insecure_channel(target) for _ in range(max(1, -(-count // STREAMS_PER_CHANNEL)))]

    def __getitem__(self, i: int) -> grpc.aio.Channel:
        return self.all[(i // STREAMS_PER_CHANNEL) % len(self.all)]

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.all))


async def open_device(ingest: ipb_grpc.IngestServiceStub, channel, device_id: str, kind, place: str = ""):
    """Registers a device and opens its event stream (a heartbeat, acked: ingest knows it is connected)."""
    reply = await ingest.RegisterDevice(ipb.RegisterDeviceRequest(device_id=device_id, kind=kind, place_id=place))
    call = ipb_grpc.IngestServiceStub(channel).StreamEvents(
        metadata=[("x-mb-device-id", device_id), ("x-mb-device-secret", reply.secret)]
    )
    await call.write(ipb.StreamEventsRequest(seq=1, heartbeat=ires.Heartbeat()))
    first = await call.read()
    if first is grpc.aio.EOF or not first.acks or first.acks[0].code != 0:
        raise BenchError(f"{device_id}: its first heartbeat was not acked: {first}")
    return call


async def lift(call, place: str, seen: Seen) -> None:
    """A lift controller: answers each command OUTCOME_DONE at once and records when it acked a STOP."""
    seq = 1
    while (msg := await call.read()) is not grpc.aio.EOF:
        if not msg.HasField("command"):
            continue
        seq += 1
        ack = ires.CommandAck(command_id=msg.command.command_id, outcome=ires.CommandAck.OUTCOME_DONE, message="done")
        await call.write(ipb.StreamEventsRequest(seq=seq, command_ack=ack))
        if msg.command.name == "STOP":
            seen.stops.setdefault(place, []).append(time.time())  # acked at the device
        else:
            seen.other_commands.append(f"{msg.command.name} at {place}")


async def radio(call, unit: str, at: tuple[float, float], rng: random.Random, seen: Seen, ready: asyncio.Event):
    """A unit's radio: a GPS fix now, then one every FIX_EVERY_S as the unit walks (about 1.4 m/s), each acked."""
    lat, lon, seq = *at, 1
    first = True
    while True:
        seq += 1
        fix = ires.DeviceEvent(
            event_id=str(uuid.uuid4()),
            type="gps_fix",
            gps=ires.GpsFix(position=common_pb2.GeoPoint(lat=lat, lon=lon)),
        )
        fix.occurred_at.FromDatetime(datetime.now(UTC))
        await call.write(ipb.StreamEventsRequest(seq=seq, event=fix))
        reply = await call.read()
        while reply is not grpc.aio.EOF and reply.HasField("command") and not reply.acks:
            reply = await call.read()  # dispatch also sends offers to radios (ASSIGN); the app feed is what is timed
        if reply is grpc.aio.EOF or not reply.acks or reply.acks[0].code != 0:
            seen.fix_errors.append(f"{unit}: {reply}")
        if first:
            ready.set()
            first = False
        await asyncio.sleep(FIX_EVERY_S * rng.uniform(0.9, 1.1))
        step = 2.8 / 111_000  # about 2.8 m in degrees
        lat = min(CENTRE[0] + BOX[0] / 2, max(CENTRE[0] - BOX[0] / 2, lat + rng.uniform(-step, step)))
        lon = min(CENTRE[1] + BOX[1] / 2, max(CENTRE[1] - BOX[1] / 2, lon + rng.uniform(-step, step)))


async def watch(channel, unit: str, seen: Seen) -> None:
    """A unit's app: its WatchAssignments feed; records when each offer arrives, by case."""
    async for reply in dpb_grpc.DispatchServiceStub(channel).WatchAssignments(
        dpb.WatchAssignmentsRequest(unit_id=unit)
    ):
        seen.pushed.setdefault(reply.assignment.case_id, []).append((time.time(), reply))


def units_csv(n: int) -> str:
    skills = ("persuasion", "property", "property;persuasion", "persuasion")
    rows = [f"unit-{i:03d},网格员 {i},{skills[i % len(skills)]},radio-unit-{i:03d}" for i in range(n)]
    return "unit_id,members,skills,radio_device_id\n" + "\n".join(rows) + "\n"


def service_env(name: str, grid: str, nats_url: str, db: dict[str, str], schema: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "MB_GRID_ID": grid,
        "MB_NATS_URL": nats_url,
        "MB_DATABASE_URL": db[name],
        "MB_DATABASE_SCHEMA": schema,
        "MB_GRPC_HOST": "127.0.0.1",
        "MB_GRPC_PORT": str(port),
        "MB_METRICS_PORT": "0",
        "MB_LOG_LEVEL": "WARNING",
    }


async def run(tmp: Path, nats_url: str, p: Params) -> tuple[Seen, list[str], str]:
    """ingest, cases and dispatch on one database; units, lifts, then the alarms; returns what was seen, the
    measured places and the database kind."""
    grid, rng = GRID, random.Random(7)
    ports = {name: free_port() for name in ("ingest", "cases", "dispatch")}
    targets = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    policies = tmp / "policies.yaml"
    policies.write_text(POLICIES_YAML)
    seen, tasks = Seen(), []
    async with contextlib.AsyncExitStack() as stack:
        db, schema, db_kind = await stack.enter_async_context(database(tmp))
        envs = {name: service_env(name, grid, nats_url, db, schema, ports[name]) for name in ports}
        envs["cases"]["MB_SLA_POLICIES"] = str(policies)
        envs["dispatch"] |= {
            "MB_INGEST_TARGET": targets["ingest"],
            "MB_CASES_TARGET": targets["cases"],
            "MB_ACK_TIMEOUT_S": "60",
        }
        procs = {}
        for name in ("ingest", "cases"):
            argv = [sys.executable, "-m", f"microbrain_{name}"]
            procs[name] = await stack.enter_async_context(process(argv, grace_s=20, env=envs[name], stdout=sys.stderr))
        for name in ("ingest", "cases"):
            await wait_serving(targets[name], procs[name], name, timeout_s=60)
        bus = await Bus.connect(nats_url, name="bench-dispatch")
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(f"mb-{grid}-vision", [f"mb.{grid}.vision.*"])  # as vision declares it
        await ensure_alarm_stream(bus, grid)
        argv = [sys.executable, "-m", "microbrain_dispatch"]
        procs["dispatch"] = await stack.enter_async_context(
            process(argv, grace_s=20, env=envs["dispatch"], stdout=sys.stderr)
        )
        await wait_serving(targets["dispatch"], procs["dispatch"], "dispatch", timeout_s=60)
        log(f"ingest, cases, dispatch serving ({db_kind})")

        ingest_channels = Channels(targets["ingest"], p.units + p.warmup + p.cases)
        dispatch_channels = Channels(targets["dispatch"], p.units)
        stack.push_async_callback(ingest_channels.close)
        stack.push_async_callback(dispatch_channels.close)

        def cancel_tasks() -> None:
            for task in tasks:
                task.cancel()

        stack.callback(cancel_tasks)
        ingest = ipb_grpc.IngestServiceStub(ingest_channels[0])
        dispatch = dpb_grpc.DispatchServiceStub(dispatch_channels[0])

        reply = await dispatch.ImportUnits(dpb.ImportUnitsRequest(csv=units_csv(p.units)))
        if reply.imported != p.units or reply.errors:
            raise BenchError(f"ImportUnits: {reply.imported} of {p.units} imported, errors {list(reply.errors)}")
        units = [f"unit-{i:03d}" for i in range(p.units)]
        tasks += [asyncio.create_task(watch(dispatch_channels[i], u, seen)) for i, u in enumerate(units)]

        calls = await asyncio.gather(
            *(
                open_device(ingest, ingest_channels[i], f"radio-{u}", ires.DEVICE_KIND_FIELD_UNIT_RADIO)
                for i, u in enumerate(units)
            )
        )
        readies = [asyncio.Event() for _ in units]
        tasks += [
            asyncio.create_task(radio(call, u, random_point(rng), random.Random(i), seen, readies[i]))
            for i, (call, u) in enumerate(zip(calls, units, strict=True))
        ]
        places = [f"bench-place-{i}" for i in range(p.warmup + p.cases)]
        lifts = await asyncio.gather(
            *(
                open_device(
                    ingest, ingest_channels[p.units + i], f"bench-lift-{i}", ires.DEVICE_KIND_ELEVATOR_CONTROLLER, place
                )
                for i, place in enumerate(places)
            )
        )
        tasks += [asyncio.create_task(lift(call, place, seen)) for call, place in zip(lifts, places, strict=True)]
        async with asyncio.timeout(60):
            await asyncio.gather(*(r.wait() for r in readies))

        async def positioned() -> bool:
            listed = (await dispatch.ListUnits(dpb.ListUnitsRequest())).units
            return sum(u.HasField("position") for u in listed) == p.units

        deadline = time.monotonic() + 60
        while not await positioned():
            if time.monotonic() > deadline:
                raise BenchError(f"not all {p.units} units had a position in dispatch within 60s")
            await asyncio.sleep(0.2)
        log(f"{p.units} units positioned and moving, {len(places)} lifts connected")

        async def case_opened(msg) -> None:
            case = case_events.CaseChanged.FromString(msg.data).case
            if case.place_id in seen.opened:
                seen.opened_twice.append(case.place_id)
            else:
                seen.opened[case.place_id] = (case.case_id, case.opened_at.ToNanoseconds() / 1e9)

        sub = await bus.js.subscribe(
            f"mb.{grid}.cases.case_opened", stream=stream_name(grid, "cases"), ordered_consumer=True, cb=case_opened
        )
        stack.push_async_callback(sub.unsubscribe)
        batch = [alarm(grid, place, random_point(rng)) for place in places]
        subject = alarm_subject(grid)

        def done(group: list[str]) -> bool:
            return all(pl in seen.opened and seen.opened[pl][0] in seen.pushed and pl in seen.stops for pl in group)

        if p.warmup:
            await send_paced(bus.js, subject, batch[: p.warmup], p.rate, seen.sent)
            await wait_until(lambda: done(places[: p.warmup]), "warm-up: not every case was dispatched", 60)
            log(f"warm-up: {p.warmup} cases dispatched")
        measured = places[p.warmup :]
        await send_paced(bus.js, subject, batch[p.warmup :], p.rate, seen.sent)
        await wait_until(lambda: done(measured), "not every case got its assignment and its STOP", 60)
        await asyncio.sleep(0.5)  # room for a second offer or STOP to show up
        await check(seen, dispatch, places)
    return seen, measured, db_kind


async def check(seen: Seen, dispatch: dpb_grpc.DispatchServiceStub, places: list[str]) -> None:
    """Every alarm opened one case; each case got exactly one assignment (step 0, pushed once) and exactly one
    STOP, acked, at its own lift."""
    problems = []
    if seen.opened_twice:
        problems.append(f"{len(seen.opened_twice)} places opened a second case, e.g. {seen.opened_twice[0]}")
    if seen.other_commands:
        problems.append(f"unexpected lift commands: {seen.other_commands[:3]}")
    if seen.fix_errors:
        problems.append(f"{len(seen.fix_errors)} GPS fixes not acked, e.g. {seen.fix_errors[0]}")
    case_ids = {seen.opened[pl][0] for pl in places}
    if stray := set(seen.pushed) - case_ids:
        problems.append(f"{len(stray)} offers for cases the bench did not open")
    for place in places:
        case_id = seen.opened[place][0]
        pushes = seen.pushed.get(case_id, [])
        if len(pushes) != 1 or pushes[0][1].assignment.step != 0:
            problems.append(f"case {case_id} ({place}): {len(pushes)} offers pushed, expected one at step 0")
        if len(seen.stops.get(place, [])) != 1:
            problems.append(f"{place}: {len(seen.stops.get(place, []))} STOPs at its lift, expected one")
        d = await dispatch.GetCaseDispatch(dpb.GetCaseDispatchRequest(case_id=case_id))
        if [(a.step, a.status) for a in d.assignments] != [(0, "offered")]:
            problems.append(f"case {case_id}: assignments {[(a.step, a.status) for a in d.assignments]}")
        if [(x.command, x.status) for x in d.linkages] != [("STOP", "acked")]:
            problems.append(f"case {case_id}: linkages {[(x.command, x.status) for x in d.linkages]}")
    units = [pushes[0][1].assignment.unit_id for pushes in seen.pushed.values()]
    if len(set(units)) != len(units):
        problems.append("a unit was offered two cases at once")
    if problems:
        raise BenchError(f"{len(problems)} problems: " + "; ".join(problems[:5]))
    log(f"checked: {len(places)} cases, one offer (step 0) and one STOP acked each")


async def bench(p: Params) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="mb-bench-dispatch-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with nats_server(tmp) as nats_url:
            log(f"nats-server on {nats_url}; baseline: raw JetStream publish -> ordered consumer")
            base = await baseline(nats_url, p)
            log("system under test: ingest + cases + dispatch")
            seen, measured, db_kind = await run(tmp, nats_url, p)
    opened = [seen.opened[pl] for pl in measured]
    to_offer = sorted(seen.pushed[cid][0][0] - at for cid, at in opened)
    to_stop = sorted(seen.stops[pl][0] - seen.opened[pl][1] for pl in measured)
    ends = [max(seen.pushed[seen.opened[pl][0]][0][0], seen.stops[pl][0]) for pl in measured]
    per_s = len(measured) / (max(ends) - min(seen.sent[pl] for pl in measured))
    log(
        f"{len(measured)} cases -> {per_s:.2f}/s dispatched; opened->offer p50 {percentile_ms(to_offer, 50)} ms "
        f"p99 {percentile_ms(to_offer, 99)} ms; opened->STOP p50 {percentile_ms(to_stop, 50)} ms "
        f"p99 {percentile_ms(to_stop, 99)} ms"
    )
    params = {
        "units": p.units,
        "rate": p.rate,
        "duration_s": p.duration_s,
        "cases": len(measured),
        "warmup_cases": p.warmup,
        "database": db_kind,
        "fix_every_s": FIX_EVERY_S,
        "ack_timeout_s": 60,
    }
    lines = [
        {
            "bench": "dispatch",
            "metric": "cases_dispatched_per_s",
            "value": round(per_s, 2),
            "unit": "1/s",
            "baseline_metric": "raw_jetstream_roundtrip_per_s",
            "baseline": round(base, 2),
            "ratio": round(per_s / base, 2),
            "params": params,
        }
    ]
    for name, values in (("opened_to_assignment_pushed", to_offer), ("opened_to_stop_acked", to_stop)):
        lines += [
            {
                "bench": "dispatch",
                "metric": f"{name}_p{q}_ms",
                "value": percentile_ms(values, q),
                "unit": "ms",
                "params": params,
            }
            for q in (50, 99)
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds: 50 units, 3 s of cases")
    parser.add_argument("--units", type=int, help="field units (default 200; quick 50)")
    parser.add_argument("--rate", type=float, default=5, help="cases (alarms) per second (default 5)")
    parser.add_argument("--duration", type=float, help="seconds of alarms (default 10; quick 3)")
    parser.add_argument("--warmup", type=int, help="unmeasured cases first (default 5; quick 2)")
    args = parser.parse_args()
    p = Params(
        units=args.units or (50 if args.quick else 200),
        rate=args.rate,
        duration_s=args.duration or (3 if args.quick else 10),
        warmup=args.warmup if args.warmup is not None else (2 if args.quick else 5),
    )
    if p.units < p.warmup + p.cases:
        parser.error(f"{p.units} units for {p.warmup + p.cases} cases: nobody acknowledges, so each needs its own unit")
    run_and_print(bench(p), log)


if __name__ == "__main__":
    main()
