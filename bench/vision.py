"""Vision benchmark: frames/s and latency through the vision service (JPEG in, finding out) against the
detector model alone, on the CPU."""

import argparse
import asyncio
import contextlib
import gc
import os
import re
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import grpc
import numpy as np
import yaml
from _common import BenchError, free_port, nats_server, percentile_ms, process, run_and_print, wait_serving
from microbrain.vision.v1 import vision_service_pb2 as pb
from microbrain.vision.v1 import vision_service_pb2_grpc as pb_grpc
from microbrain_vision.detector import Detector, ModelConfig
from microbrain_vision.pipeline import decode
from skimage import data

GRID = "bench-grid"
ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "nanodet-m.onnx"
FRAME_VARIANTS = 4
JPEG_QUALITY = 90
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.max_send_message_length", 16 * 1024 * 1024),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
]


@dataclass(frozen=True)
class Params:
    """What one run measures."""

    cameras: int
    batch: int
    width: int
    height: int
    duration_s: float
    warmup_s: float
    baseline_s: float
    open_loop_s: float
    open_loop_fps: float | None
    """Frames/s each camera sends in the open-loop run; None: twice the closed-loop rate per camera."""


@dataclass
class CameraRun:
    """What one camera saw on its stream: per frame, send and reply times."""

    sent: dict[int, float] = field(default_factory=dict)  # seq -> send time
    processed: list[tuple[float, float]] = field(default_factory=list)  # (send, reply)
    dropped: list[float] = field(default_factory=list)  # reply times
    failures: list[str] = field(default_factory=list)


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"bench/vision: {message}", file=sys.stderr, flush=True)


def camera_id(index: int) -> str:
    """The id of the index-th simulated camera."""
    return f"bench-cam-{index}"


def plaza(width: int, height: int, people: int, shift: int) -> np.ndarray:
    """A plaza with copies of the astronaut photo's person standing in it (as the integration tests' plaza(),
    scaled to the frame), shifted sideways by `shift` pixels so that no two variants are the same picture."""
    frame = np.full((height, width, 3), (170, 175, 180), np.uint8)
    side = round(height * 200 / 480)
    person = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (side, side))
    top = round(height * 250 / 480)
    for i in range(people):
        x = min(width - side, round(width * 10 / 640) + shift + i * round(side * 1.05))
        frame[top : top + side, x : x + side] = person
    return frame


def make_frames(width: int, height: int) -> list[bytes]:
    """FRAME_VARIANTS JPEGs of the plaza, with 1 to 3 people."""
    frames = []
    for v in range(FRAME_VARIANTS):
        image = plaza(width, height, people=1 + v % 3, shift=v * width // 64)
        frames.append(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes())
    return frames


def cameras_yaml(path: Path, p: Params) -> None:
    """The service's camera file: crowd cameras, each with one region over the whole frame."""
    w, h = p.width - 1, p.height - 1
    cameras = [
        {
            "camera_id": camera_id(c),
            "place_id": f"bench-place-{c}",
            "scenario": "crowd",
            "regions": {f"bench-zone-{c}": [[0, 0], [w, 0], [w, h], [0, h]]},
        }
        for c in range(p.cameras)
    ]
    path.write_text(yaml.safe_dump({"cameras": cameras}, sort_keys=False))


def timed(run, duration_s: float) -> tuple[int, float]:
    """Calls run() (which returns how many images it handled) until duration_s passed; (images, seconds)."""
    images, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < duration_s:
        images += run()
    return images, elapsed


def prepared(p: Params, frames: list[bytes]) -> tuple[list[bytes], list[np.ndarray]]:
    """A batch of the frames: their JPEGs and the decoded images."""
    jpegs = [frames[i % len(frames)] for i in range(p.batch)]
    return jpegs, [decode(j) for j in jpegs]


def model_only(p: Params, frames: list[bytes]) -> float:
    """The baseline, in this process with vision idle or not running: images/s of Detector.infer alone on a
    batch of prepared tensors (the model and onnxruntime, nothing else)."""
    detector = Detector(ModelConfig(path=MODEL))
    _, images = prepared(p, frames)
    tensors = np.stack([detector.prepare(im) for im in images])
    for _ in range(2):
        detector.infer(tensors)
    images_done, seconds = timed(lambda: len(detector.infer(tensors)[0]), p.baseline_s)
    return images_done / seconds


def in_process(p: Params, frames: list[bytes]) -> tuple[float, dict[str, float]]:
    """What the pipeline runs in its threads, without the service around it: JPEG decode + Detector.detect
    (prepare, infer, decode the outputs, NMS) frames/s at the batch size; and ms per image of decode and
    prepare alone."""
    detector = Detector(ModelConfig(path=MODEL))
    jpegs, images = prepared(p, frames)
    for _ in range(2):
        detector.detect(images)
    frames_done, seconds = timed(lambda: len(detector.detect([decode(j) for j in jpegs])), p.baseline_s)
    stages = {
        "jpeg_decode_ms": timed(lambda: len([decode(j) for j in jpegs]), 0.3),
        "prepare_ms": timed(lambda: len([detector.prepare(im) for im in images]), 0.3),
    }
    return frames_done / seconds, {k: round(s / n * 1000, 2) for k, (n, s) in stages.items()}


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far, all cores (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def detector_totals(metrics_port: int) -> tuple[float, float, float]:
    """From vision's /metrics: frames detected (batch size × batches), batches, and seconds in the detector."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    frames = batches = seconds = 0.0
    for name, size, value in re.findall(
        r'^microbrain_vision_detect_seconds_(count|sum)\{batch="(\d+)"\} (\S+)$', text, re.M
    ):
        if name == "count":
            frames += int(size) * float(value)
            batches += float(value)
        else:
            seconds += float(value)
    return frames, batches, seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a child process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_sample(pid: int) -> tuple[float, float, float, float]:
    """CPU seconds so far of vision, of this process and of the whole machine; and the clock."""
    return cpu_seconds(pid), time.process_time(), machine_cpu_seconds(), time.perf_counter()


def cores_used(before: tuple[float, ...], after: tuple[float, ...]) -> dict[str, float]:
    """Cores busy between two cpu_sample()s: vision, the bench client, and everything else on the machine."""
    vision, client, machine, clock = (a - b for a, b in zip(after, before, strict=True))
    return {
        "vision_cpu_cores": round(vision / clock, 2),
        "bench_client_cpu_cores": round(client / clock, 2),
        "other_cpu_cores": round(max(0.0, machine - vision - client) / clock, 2),
    }


def request(camera: str, seq: int, image: bytes) -> pb.StreamFramesRequest:
    """A frame captured now."""
    message = pb.StreamFramesRequest(seq=seq, camera_id=camera, image=image)
    message.captured_at.GetCurrentTime()
    return message


def check_processed(camera: str, response: pb.StreamFramesResponse, run: CameraRun) -> None:
    """A processed frame's reply must be code 0 with a crowd observation."""
    if response.code:
        run.failures.append(f"{camera} seq {response.seq}: code {response.code} {response.message}")
    elif response.finding.kind != "observation":
        run.failures.append(f"{camera} seq {response.seq}: finding {response.finding.kind!r}, not 'observation'")


async def finish(camera: str, call: grpc.aio.StreamStreamCall, run: CameraRun) -> None:
    """Checks that the stream ends with OK and that every frame sent was answered."""
    if unanswered := len(run.sent):
        run.failures.append(f"{camera}: {unanswered} frames never answered")
    if (code := await call.code()) != grpc.StatusCode.OK:
        run.failures.append(f"{camera}: stream closed with {code.name}: {await call.details()}")


async def closed_loop(stub: pb_grpc.VisionServiceStub, camera: str, frames: list[bytes], until: float) -> CameraRun:
    """Sends a frame, waits for its reply, sends the next, until the clock passes `until`."""
    run, call, seq = CameraRun(), stub.StreamFrames(), 0
    try:
        while time.perf_counter() < until:
            seq += 1
            message = request(camera, seq, frames[seq % len(frames)])
            sent = time.perf_counter()
            await call.write(message)
            response = await call.read()
            now = time.perf_counter()
            if response is grpc.aio.EOF:
                run.failures.append(f"{camera}: stream ended before the reply to seq {seq}")
                break
            if response.seq != seq:
                run.failures.append(f"{camera}: reply to seq {response.seq} while waiting for {seq}")
            elif response.dropped:
                run.dropped.append(now)
            else:
                check_processed(camera, response, run)
                run.processed.append((sent, now))
        await call.done_writing()
        if (extra := await call.read()) is not grpc.aio.EOF:
            run.failures.append(f"{camera}: unexpected reply to seq {extra.seq} after the last one")
    except grpc.aio.AioRpcError as exc:
        run.failures.append(f"{camera}: stream failed with {exc.code().name}: {exc.details()}")
    await finish(camera, call, run)
    return run


async def open_loop(
    stub: pb_grpc.VisionServiceStub, camera: str, frames: list[bytes], fps: float, started: float, until: float
) -> CameraRun:
    """Sends frames at a fixed rate whatever the replies, until `until`; then waits for every answer."""
    run, call = CameraRun(), stub.StreamFrames()

    async def writer() -> None:
        seq = 0
        while (due := started + seq / fps) < until:
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            seq += 1
            run.sent[seq] = time.perf_counter()
            await call.write(request(camera, seq, frames[seq % len(frames)]))
        await call.done_writing()

    writing = asyncio.create_task(writer())
    try:
        while (response := await call.read()) is not grpc.aio.EOF:
            now = time.perf_counter()
            sent = run.sent.pop(response.seq, None)
            if sent is None:
                run.failures.append(f"{camera}: reply to seq {response.seq}, not sent or answered twice")
            elif response.dropped:
                run.dropped.append(now)
            else:
                check_processed(camera, response, run)
                run.processed.append((sent, now))
    except grpc.aio.AioRpcError as exc:
        run.failures.append(f"{camera}: stream failed with {exc.code().name}: {exc.details()}")
    await asyncio.gather(writing, return_exceptions=True)
    await finish(camera, call, run)
    return run


def check(runs: list[CameraRun], what: str) -> None:
    """Fails the run if any camera saw a failure."""
    failures = [failure for run in runs for failure in run.failures]
    if failures:
        for failure in failures[:20]:
            log(failure)
        raise BenchError(f"{what}: {len(failures)} failures (first {min(20, len(failures))} above)")


async def service(tmp: Path, nats_url: str, p: Params, frames: list[bytes]) -> dict:
    """Starts a fresh vision, runs the closed-loop then the open-loop load; what each measured."""
    grpc_port, metrics_port = free_port(), free_port()
    cameras = tmp / "cameras.yaml"
    cameras_yaml(cameras, p)
    env = {
        **os.environ,
        "MB_GRID_ID": GRID,
        "MB_NATS_URL": nats_url,
        "MB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'v.db'}",
        "MB_GRPC_HOST": "127.0.0.1",
        "MB_GRPC_PORT": str(grpc_port),
        "MB_METRICS_PORT": str(metrics_port),
        "MB_LOG_LEVEL": "WARNING",
        "MB_MODEL_PATH": str(MODEL),
        "MB_CAMERAS": str(cameras),
        "MB_BATCH_SIZE": str(p.batch),
    }
    argv = [sys.executable, "-m", "microbrain_vision"]
    target = f"127.0.0.1:{grpc_port}"
    async with process(argv, grace_s=20, env=env, stdout=sys.stderr) as vision:
        await wait_serving(target, vision, "vision", timeout_s=60)
        async with grpc.aio.insecure_channel(target) as channel:
            listed = await pb_grpc.VisionServiceStub(channel).ListCameras(pb.ListCamerasRequest(), timeout=10)
            if len(listed.cameras) != p.cameras:
                raise BenchError(f"vision lists {len(listed.cameras)} cameras, expected {p.cameras}")
        log(f"vision serving on {target}; {p.cameras} cameras, batch {p.batch}")
        async with contextlib.AsyncExitStack() as stack:
            stubs = [
                pb_grpc.VisionServiceStub(
                    await stack.enter_async_context(grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS))
                )
                for _ in range(p.cameras)
            ]
            # Closed loop: the first warmup_s are not measured; the window is [measure_from, until].
            started = time.perf_counter()
            measure_from, until = started + p.warmup_s, started + p.warmup_s + p.duration_s
            closed_task = asyncio.gather(
                *(closed_loop(stub, camera_id(c), frames, until) for c, stub in enumerate(stubs))
            )
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            before = await asyncio.to_thread(detector_totals, metrics_port)
            cpu_before = cpu_sample(vision.pid)
            closed = await closed_task
            after = await asyncio.to_thread(detector_totals, metrics_port)
            cpu_after = cpu_sample(vision.pid)
            check(closed, "closed loop")
            window = [(s, r) for run in closed for s, r in run.processed if measure_from <= r <= until]
            closed_rate = len(window) / p.duration_s
            closed_dropped = sum(len(run.dropped) for run in closed)
            if closed_dropped:
                raise BenchError(f"closed loop: {closed_dropped} frames dropped with one frame in flight per camera")
            log(f"closed loop: {closed_rate:,.1f} frames/s ({len(window)} frames in {p.duration_s:g}s)")

            fps = p.open_loop_fps or max(1.0, round(2 * closed_rate / p.cameras, 1))
            started = time.perf_counter() + 0.05
            until = started + p.open_loop_s
            opened = await asyncio.gather(
                *(open_loop(stub, camera_id(c), frames, fps, started, until) for c, stub in enumerate(stubs))
            )
            check(opened, "open loop")
            processed = sum(len(run.processed) for run in opened)
            if not processed:
                raise BenchError("open loop: no frame processed")
            elapsed = max(r for run in opened for _, r in run.processed) - started
            dropped = sum(len(run.dropped) for run in opened)
            log(
                f"open loop, {fps:g} fps × {p.cameras} cameras: {processed / elapsed:,.1f} processed/s, "
                f"{dropped / elapsed:,.1f} dropped/s"
            )
    frames_detected, batches, detect_s = (a - b for a, b in zip(after, before, strict=True))
    return {
        "closed_rate": closed_rate,
        "closed_latencies": sorted(r - s for s, r in window),
        "closed_frames": len(window),
        "mean_batch": frames_detected / batches if batches else 0.0,
        "detect_ms_per_frame": 1000 * detect_s / frames_detected if frames_detected else 0.0,
        "detector_busy": detect_s / (cpu_after[-1] - cpu_before[-1]),
        "cpu_cores": cores_used(cpu_before, cpu_after),
        "open_fps": fps,
        "open_sent": processed + dropped,
        "open_processed_per_s": processed / elapsed,
        "open_dropped_per_s": dropped / elapsed,
        "open_latencies": sorted(r - s for run in opened for s, r in run.processed),
    }


async def bench(p: Params) -> list[dict]:
    """Baselines first (nothing else running), then nats-server and vision under load; the JSON lines."""
    log(f"{FRAME_VARIANTS} plaza JPEGs of {p.width}×{p.height}; baseline: the model alone, in this process")
    frames = make_frames(p.width, p.height)
    before = model_only(p, frames)
    log(f"model only, batch {p.batch}: {before:,.1f} images/s")
    decode_detect, stages = in_process(p, frames)
    log(f"JPEG decode + Detector.detect, batch {p.batch}: {decode_detect:,.1f} frames/s ({stages})")
    gc.collect()  # the baselines' onnxruntime sessions and their threads go before vision starts
    with tempfile.TemporaryDirectory(prefix="mb-bench-vision-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with nats_server(tmp) as nats_url:
            log(f"nats-server on {nats_url}; system under test: vision")
            r = await service(tmp, nats_url, p, frames)
    after = model_only(p, frames)
    log(f"model only again, vision stopped: {after:,.1f} images/s")
    if abs(after - before) > 0.15 * max(after, before):
        log("the two model-only runs differ by more than 15%: something else shares these CPUs, figures are noisy")
    baseline = (before + after) / 2
    cores = r["cpu_cores"]
    if cores["other_cpu_cores"] > 0.25:
        log(f"{cores['other_cpu_cores']} cores busy with other processes during the closed loop: figures are noisy")

    params = {
        **{k: v for k, v in asdict(p).items() if k not in ("open_loop_s", "open_loop_fps")},
        "jpeg_bytes": round(sum(map(len, frames)) / len(frames)),
        "model": MODEL.name,
        "cpus": os.cpu_count(),
        "model_only_before": round(before, 1),
        "model_only_after": round(after, 1),
    }
    open_params = {**params, "open_loop_s": p.open_loop_s, "open_loop_fps_per_camera": r["open_fps"]}
    line = {"bench": "vision"}
    lines = [
        {
            **line,
            "metric": "service_frames_per_s",
            "value": round(r["closed_rate"], 1),
            "unit": "1/s",
            "baseline_metric": "model_only_images_per_s",
            "baseline": round(baseline, 1),
            "ratio": round(r["closed_rate"] / baseline, 2),
            "params": {
                **params,
                "frames": r["closed_frames"],
                "mean_batch": round(r["mean_batch"], 2),
                "detect_ms_per_frame": round(r["detect_ms_per_frame"], 2),
                "detector_busy": round(r["detector_busy"], 2),
                **cores,
            },
        },
        {
            **line,
            "metric": "in_process_decode_detect_frames_per_s",
            "value": round(decode_detect, 1),
            "unit": "1/s",
            "baseline_metric": "model_only_images_per_s",
            "baseline": round(baseline, 1),
            "ratio": round(decode_detect / baseline, 2),
            "params": {**params, "per_image_ms": {**stages, "infer_ms": round(1000 / baseline, 2)}},
        },
    ]
    lines += [
        {**line, "metric": f"frame_latency_p{q}_ms", "value": percentile_ms(r["closed_latencies"], q), "unit": "ms"}
        | {"params": params}
        for q in (50, 99)
    ]
    lines.append({**line, "metric": "closed_loop_dropped_frames", "value": 0, "unit": "frames", "params": params})
    lines += [
        {
            **line,
            "metric": "open_loop_processed_frames_per_s",
            "value": round(r["open_processed_per_s"], 1),
            "unit": "1/s",
            "baseline_metric": "open_loop_offered_frames_per_s",
            "baseline": round(r["open_fps"] * p.cameras, 1),
            "ratio": round(r["open_processed_per_s"] / (r["open_fps"] * p.cameras), 2),
            "params": {**open_params, "frames_sent": r["open_sent"]},
        },
        {
            **line,
            "metric": "open_loop_dropped_frames_per_s",
            "value": round(r["open_dropped_per_s"], 1),
            "unit": "1/s",
            "params": open_params,
        },
    ]
    lines += [
        {
            **line,
            "metric": f"open_loop_frame_latency_p{q}_ms",
            "value": percentile_ms(r["open_latencies"], q),
            "unit": "ms",
            "params": open_params,
        }
        for q in (50, 99)
    ]
    return lines


def size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT."""
    match = re.fullmatch(r"(\d+)[x×](\d+)", text)
    if not match or min(int(match[1]), int(match[2])) < 64:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 1920x1080 (each at least 64)")
    return int(match[1]), int(match[2])


def main() -> None:
    """Parses the arguments, runs the benchmark and prints one JSON object per line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="about 12 s: shorter baselines and runs")
    parser.add_argument("--cameras", type=int, default=8, help="camera streams (default 8)")
    parser.add_argument("--batch", type=int, default=8, help="MB_BATCH_SIZE and the model-only batch (default 8)")
    parser.add_argument("--size", type=size, default=(640, 480), help="frame size, e.g. 1920x1080 (default 640x480)")
    parser.add_argument("--duration", type=float, help="measured closed-loop seconds (default 20; quick 2.5)")
    parser.add_argument("--warmup", type=float, help="unmeasured closed-loop seconds first (default 2; quick 1)")
    parser.add_argument("--baseline-seconds", type=float, help="seconds for each baseline (default 5; quick 1)")
    parser.add_argument("--open-loop-seconds", type=float, help="open-loop seconds (default 5; quick 1.5)")
    parser.add_argument(
        "--open-loop-fps", type=float, help="frames/s per camera in the open loop (default: 2 × closed-loop rate)"
    )
    args = parser.parse_args()
    if args.cameras < 1 or args.batch < 1:
        parser.error("--cameras and --batch must be at least 1")
    quick = args.quick
    params = Params(
        cameras=args.cameras,
        batch=args.batch,
        width=args.size[0],
        height=args.size[1],
        duration_s=args.duration or (2.5 if quick else 20.0),
        warmup_s=args.warmup if args.warmup is not None else (1.0 if quick else 2.0),
        baseline_s=args.baseline_seconds or (1.0 if quick else 5.0),
        open_loop_s=args.open_loop_seconds or (1.5 if quick else 5.0),
        open_loop_fps=args.open_loop_fps,
    )
    run_and_print(bench(params), log)


if __name__ == "__main__":
    main()
