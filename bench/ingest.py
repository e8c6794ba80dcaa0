"""Ingest benchmark: durable device events/s through ingest against raw JetStream publish_async."""

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import grpc
import nats
from _common import BenchError, free_port, nats_server, percentile_ms, process, run_and_print, wait_serving
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2, resources_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from nats.js import api

GRID = "bench-grid"
RAW_STREAM, RAW_SUBJECT = "bench-raw", "bench.raw.device_event"
WARMUP_PER_DEVICE = 50
UNLOADED_PER_DEVICE = 20
# Ingest publishes inside the StreamEvents span, so every message it stores carries a trace context.
TRACEPARENT = f"00-{'ab' * 16}-{'cd' * 8}-01"


@dataclass(frozen=True)
class Params:
    """What one run measures."""

    devices: int
    events_per_device: int
    payload_bytes: int
    window: int
    batch: int

    @property
    def warmup(self) -> int:
        """Unmeasured events per device sent first."""
        return min(WARMUP_PER_DEVICE, self.events_per_device)


@dataclass
class DeviceRun:
    """What one device saw on its stream."""

    first_send: float = 0.0
    last_ack: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"bench/ingest: {message}", file=sys.stderr, flush=True)


def device_id(index: int) -> str:
    """The id of the index-th simulated device."""
    return f"bench-dev-{index:04d}"


def device_event(value: float, payload_bytes: int) -> resources_pb2.DeviceEvent:
    """A sensor reading with a fresh id, padded to about payload_bytes encoded."""
    event = resources_pb2.DeviceEvent(
        event_id=str(uuid.uuid4()),
        type="reading",
        reading=resources_pb2.SensorReading(quantity="temperature", value=value, unit="°C"),
        attributes={"pad": ""},
    )
    event.occurred_at.GetCurrentTime()
    event.attributes["pad"] = "x" * max(0, payload_bytes - event.ByteSize())
    return event


def recorded(device: str, event: resources_pb2.DeviceEvent) -> events_pb2.DeviceEventRecorded:
    """The DeviceEventRecorded ingest publishes for this event."""
    message = events_pb2.DeviceEventRecorded(
        meta=common_pb2.EventMeta(
            event_id=event.event_id,
            grid_id=GRID,
            occurred_at=event.occurred_at,
            trace=common_pb2.TraceContext(traceparent=TRACEPARENT),
            producer="ingest",
        ),
        device=common_pb2.DeviceRef(grid_id=GRID, device_id=device),
        kind=resources_pb2.DEVICE_KIND_SENSOR,
        transport=resources_pb2.TRANSPORT_GRPC,
        event=event,
    )
    message.meta.recorded_at.GetCurrentTime()
    return message


async def publish_raw(js, batches: list[list[tuple[str, bytes]]], window_size: int) -> float:
    """Publishes each batch from its own task, window_size PubAcks pending each; returns the seconds taken."""

    async def publisher(batch: list[tuple[str, bytes]]) -> list[api.PubAck]:
        window = asyncio.Semaphore(window_size)
        futures = []
        for msg_id, data in batch:
            await window.acquire()
            future = await js.publish_async(RAW_SUBJECT, data, headers={"Nats-Msg-Id": msg_id})
            future.add_done_callback(lambda _: window.release())
            futures.append(future)
        return await asyncio.gather(*futures)

    started = time.perf_counter()
    acks = await asyncio.gather(*(publisher(batch) for batch in batches))
    elapsed = time.perf_counter() - started
    duplicates = sum(bool(ack.duplicate) for batch in acks for ack in batch)
    if duplicates:
        raise BenchError(f"raw JetStream reported {duplicates} duplicates of unique message ids")
    return elapsed


async def baseline(nats_url: str, p: Params) -> float:
    """Raw JetStream publish_async of the messages ingest would publish, in events/s."""

    def batches(count: int) -> list[list[tuple[str, bytes]]]:
        return [
            [
                (event.event_id, recorded(device_id(d), event).SerializeToString())
                for event in (device_event(float(i % 40), p.payload_bytes) for i in range(count))
            ]
            for d in range(p.devices)
        ]

    warmup, measured = batches(p.warmup), batches(p.events_per_device)
    nc = await nats.connect(nats_url, name="bench-ingest-baseline")
    try:
        js = nc.jetstream()
        await js.add_stream(
            api.StreamConfig(
                name=RAW_STREAM,
                subjects=["bench.raw.>"],
                storage=api.StorageType.FILE,
                duplicate_window=3600,
            )
        )
        await publish_raw(js, warmup, p.window)
        elapsed = await publish_raw(js, measured, p.window)
        stored = (await js.stream_info(RAW_STREAM)).state.messages
        expected = p.devices * (p.warmup + p.events_per_device)
        if stored != expected:
            raise BenchError(f"raw stream {RAW_STREAM} holds {stored} messages, expected {expected}")
    finally:
        await nc.close()
    return p.devices * p.events_per_device / elapsed


async def register(channel: grpc.aio.Channel, devices: int) -> dict[str, str]:
    """Registers the sensors; returns their secrets by device id."""
    stub = pb_grpc.IngestServiceStub(channel)
    replies = await asyncio.gather(
        *(
            stub.RegisterDevice(
                pb.RegisterDeviceRequest(
                    device_id=device_id(d), kind=resources_pb2.DEVICE_KIND_SENSOR, name=f"bench sensor {d}"
                ),
                timeout=30,
            )
            for d in range(devices)
        )
    )
    return {reply.device.device_id: reply.secret for reply in replies}


async def connect(stack: contextlib.AsyncExitStack, target: str, device: str, secret: str) -> grpc.aio.StreamStreamCall:
    """Opens a device's own connection and stream, and waits for the ack of a first heartbeat."""
    options = [("grpc.use_local_subchannel_pool", 1)]
    channel = await stack.enter_async_context(grpc.aio.insecure_channel(target, options=options))
    call = pb_grpc.IngestServiceStub(channel).StreamEvents(
        metadata=(("x-mb-device-id", device), ("x-mb-device-secret", secret))
    )
    hello = pb.StreamEventsRequest(seq=0, heartbeat=resources_pb2.Heartbeat())
    hello.heartbeat.sent_at.GetCurrentTime()
    await call.write(hello)
    response = await call.read()
    if response is grpc.aio.EOF or [ack.seq for ack in response.acks] != [0]:
        raise BenchError(f"{device}: no heartbeat ack ({await call.code()}: {await call.details()})")
    return call


async def pump(
    device: str, call: grpc.aio.StreamStreamCall, requests: list[pb.StreamEventsRequest], window_size: int
) -> DeviceRun:
    """Sends the requests pipelined, window_size unacked events at most, and times each event until its ack."""
    run, window = DeviceRun(), asyncio.Semaphore(window_size)
    sent: dict[int, list] = {}  # seq -> [send time, events not yet acked]
    total = sum(len(r.batch.events) if r.HasField("batch") else 1 for r in requests)

    async def writer() -> None:
        run.first_send = time.perf_counter()
        for request in requests:
            size = len(request.batch.events) if request.HasField("batch") else 1
            for _ in range(size):
                await window.acquire()
            sent[request.seq] = [time.perf_counter(), size]
            await call.write(request)
        await call.done_writing()

    writing = asyncio.create_task(writer())
    try:
        while sent or not writing.done():
            response = await call.read()
            if response is grpc.aio.EOF:
                break
            now = time.perf_counter()
            for ack in response.acks:
                entry = sent[ack.seq]
                run.latencies_s.append(now - entry[0])
                entry[1] -= 1
                if not entry[1]:
                    del sent[ack.seq]
                window.release()
                if ack.code:
                    run.failures.append(f"{device} seq {ack.seq}/{ack.index}: code {ack.code} {ack.message}")
            if response.acks:
                run.last_ack = now
    except grpc.aio.AioRpcError as exc:
        run.failures.append(f"{device}: stream failed with {exc.code().name}: {exc.details()}")
    writing.cancel()
    await asyncio.gather(writing, return_exceptions=True)
    if unacked := total - len(run.latencies_s):
        run.failures.append(f"{device}: {unacked} events never acked")
    if (code := await call.code()) != grpc.StatusCode.OK:
        run.failures.append(f"{device}: stream closed with {code.name}: {await call.details()}")
    return run


def device_requests(count: int, p: Params, batch: int) -> list[pb.StreamEventsRequest]:
    """count events for one device, one per request or batch per request."""
    events = [device_event(float(i % 40), p.payload_bytes) for i in range(count)]
    if batch == 1:
        return [pb.StreamEventsRequest(seq=i + 1, event=event) for i, event in enumerate(events)]
    return [
        pb.StreamEventsRequest(seq=n + 1, batch=pb.EventBatch(events=events[i : i + batch]))
        for n, i in enumerate(range(0, count, batch))
    ]


async def drive(target: str, secrets: dict[str, str], count: int, p: Params, batch: int) -> list[DeviceRun]:
    """Opens every device's stream, then all of them send count events at once."""
    requests = {device: device_requests(count, p, batch) for device in secrets}
    async with contextlib.AsyncExitStack() as stack:
        calls = await asyncio.gather(*(connect(stack, target, device, secret) for device, secret in secrets.items()))
        return await asyncio.gather(
            *(pump(device, call, requests[device], p.window) for device, call in zip(secrets, calls, strict=True))
        )


async def stored_events(nats_url: str, grid: str) -> int:
    """How many device_event messages ingest's stream of the grid holds."""
    subject = f"mb.{grid}.ingest.device_event"
    nc = await nats.connect(nats_url, name="bench-ingest-verify")
    try:
        info = await nc.jetstream().stream_info(f"mb-{grid}-ingest", subjects_filter=subject)
    finally:
        await nc.close()
    return (info.state.subjects or {}).get(subject, 0)


async def durable(tmp: Path, nats_url: str, p: Params, batch: int) -> tuple[float, list[float], list[float]]:
    """Events/s acked by a fresh ingest as durable, every event's send-to-ack latency in seconds under that
    load, and the latencies of devices that send one event at a time (no queueing: what a lift sees)."""
    grpc_port, grid = free_port(), f"{GRID}-b{batch}"
    env = {
        **os.environ,
        "MB_GRID_ID": grid,
        "MB_NATS_URL": nats_url,
        "MB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / f'ingest-{grid}.db'}",
        "MB_GRPC_HOST": "127.0.0.1",
        "MB_GRPC_PORT": str(grpc_port),
        "MB_METRICS_PORT": "0",
        "MB_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "microbrain_ingest"]
    async with process(argv, grace_s=20, env=env, stdout=sys.stderr) as ingest:
        target = f"127.0.0.1:{grpc_port}"
        await wait_serving(target, ingest, "ingest", timeout_s=60)
        async with grpc.aio.insecure_channel(target) as channel:
            secrets = await register(channel, p.devices)
        log(f"ingest serving on {target}; {p.devices} devices registered")
        runs = await drive(target, secrets, p.warmup, p, batch)
        measured = await drive(target, secrets, p.events_per_device, p, batch)
        unloaded = await drive(target, secrets, UNLOADED_PER_DEVICE, replace(p, window=1), 1)
        runs += measured + unloaded
        failures = [failure for run in runs for failure in run.failures]
        if failures:
            for failure in failures[:20]:
                log(failure)
            raise BenchError(f"{len(failures)} failures (first {min(20, len(failures))} above)")
        stored = await stored_events(nats_url, grid)
        expected = p.devices * (p.warmup + p.events_per_device + UNLOADED_PER_DEVICE)
        if stored != expected:
            raise BenchError(f"stream of {grid} holds {stored} device events, expected {expected}")
    elapsed = max(run.last_ack for run in measured) - min(run.first_send for run in measured)
    latencies = [latency for run in measured for latency in run.latencies_s]
    one_at_a_time = [latency for run in unloaded for latency in run.latencies_s]
    return p.devices * p.events_per_device / elapsed, latencies, one_at_a_time


async def bench(p: Params) -> list[dict]:
    """Starts nats-server, measures the baseline, then ingest (single events, then batches); the JSON lines."""
    results: dict[int, tuple[float, list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mb-bench-ingest-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with nats_server(tmp) as nats_url:
            log(f"nats-server on {nats_url}; baseline: raw JetStream publish_async")
            raw = await baseline(nats_url, p)
            log(f"baseline {raw:,.0f} events/s; system under test: ingest")
            for batch in sorted({1, p.batch}):
                results[batch] = await durable(tmp, nats_url, p, batch)
                log(f"ingest, {batch} event(s) per request: {results[batch][0]:,.0f} durable events/s")
    sample = device_event(0.0, p.payload_bytes)
    lines = []
    for batch, (rate, latencies, one_at_a_time) in results.items():
        params = {
            **asdict(p),
            "batch": batch,
            "event_bytes": sample.ByteSize(),
            "published_bytes": recorded(device_id(0), sample).ByteSize(),
            "warmup_events_per_device": p.warmup,
        }
        suffix = "" if batch == 1 else "_batched"
        lines.append(
            {
                "bench": "ingest",
                "metric": f"durable_events_per_s{suffix}",
                "value": round(rate),
                "unit": "1/s",
                "baseline_metric": "raw_jetstream_publish_async_per_s",
                "baseline": round(raw),
                "ratio": round(rate / raw, 2),
                "params": params,
            }
        )
        latencies.sort()
        lines += [
            {
                "bench": "ingest",
                "metric": f"ack_latency{suffix}_p{q}_ms",
                "value": percentile_ms(latencies, q),
                "unit": "ms",
                "params": params,
            }
            for q in (50, 99)
        ]
        if batch == 1:
            one_at_a_time.sort()
            lines += [
                {
                    "bench": "ingest",
                    "metric": f"ack_latency_one_at_a_time_p{q}_ms",
                    "value": percentile_ms(one_at_a_time, q),
                    "unit": "ms",
                    "params": {**params, "window": 1, "events_per_device": UNLOADED_PER_DEVICE},
                }
                for q in (50, 99)
            ]
    return lines


def main() -> None:
    """Parses the arguments, runs the benchmark and prints one JSON object per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds: 10 devices x 300 events")
    parser.add_argument("--devices", type=int, help="concurrent device streams (default 50; quick 10)")
    parser.add_argument("--events-per-device", type=int, help="measured events per device (default 2000; quick 300)")
    parser.add_argument("--payload-bytes", type=int, default=200, help="encoded size of each DeviceEvent")
    parser.add_argument("--window", type=int, default=512, help="unacked events per device stream at most")
    parser.add_argument(
        "--batch", type=int, default=64, help="events per request in the batched run (1 skips it; at most 1000)"
    )
    args = parser.parse_args()
    params = Params(
        devices=args.devices or (10 if args.quick else 50),
        events_per_device=args.events_per_device or (300 if args.quick else 2000),
        payload_bytes=args.payload_bytes,
        window=args.window,
        batch=args.batch,
    )
    run_and_print(bench(params), log)


if __name__ == "__main__":
    main()
