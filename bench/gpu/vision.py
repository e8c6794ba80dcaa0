"""Vision on an NVIDIA GPU: 1080p JPEG frames → detections, end to end, against the model alone, in one run.

Run on a GPU node with torch, torchvision, onnx2torch, opencv, onnxruntime and scikit-image (the photos):
    PYTHONPATH=services/vision/src python bench/gpu/vision.py [--batch 128] [--frames 7680]
Prints JSON lines (STYLE.md). Not part of `make bench` (CI has no GPU).
"""

import argparse
import json
import sys
import time

import cv2
import numpy as np
import torch
from microbrain_vision.detector import Detector, ModelConfig
from microbrain_vision.torch_backend import TorchDetector
from skimage import data


def log(message: str) -> None:
    print(f"bench/vision_gpu: {message}", file=sys.stderr, flush=True)


def photos_1080p() -> dict[str, bytes]:
    """scikit-image's real photos as 1920×1080 JPEGs (quality 90), as an NVR would send them."""
    rgb = {
        "astronaut": data.astronaut(),
        "motorcycle": data.stereo_motorcycle()[0],
        "coffee": data.coffee(),
        "camera": np.stack([data.camera()] * 3, axis=2),
    }
    out = {}
    for name, image in rgb.items():
        frame = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), (1920, 1080), interpolation=cv2.INTER_CUBIC)
        out[name] = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    return out


def top(dets, names=("person", "motorcycle", "bicycle", "cup")) -> dict[str, float]:
    best: dict[str, float] = {}
    for d in dets:
        if d.class_name in names:
            best[d.class_name] = max(best.get(d.class_name, 0.0), round(d.score, 2))
    return best


def timed(fn, repeat: int) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/nanodet-m.onnx")
    parser.add_argument("--batch", type=int, default=96)
    parser.add_argument("--frames", type=int, default=7680, help="frames through the end-to-end run")
    parser.add_argument("--target-fps", type=float, default=3000, help="arrival rate for the latency figures")
    parser.add_argument("--workers", type=int, default=4, help="batches being decoded while the model runs")
    args = parser.parse_args()
    config = ModelConfig(path=args.model)
    gpu = torch.cuda.get_device_name(0)
    jpegs = photos_1080p()

    # Same answers as the CPU service (onnxruntime) on the real photos, or no figures.
    cpu = Detector(config)
    fast = TorchDetector(config)
    names = list(jpegs)
    on_cpu = cpu.detect([cv2.imdecode(np.frombuffer(jpegs[n], np.uint8), cv2.IMREAD_COLOR) for n in names])
    on_gpu = fast.detect_jpegs([jpegs[n] for n in names])
    arrays = fast.detect([cv2.imdecode(np.frombuffer(jpegs[n], np.uint8), cv2.IMREAD_COLOR) for n in names])
    for name, a, b, c in zip(names, on_cpu, on_gpu, arrays, strict=True):
        log(f"{name}: cpu {top(a)} gpu {top(b)} gpu-from-arrays {top(c)}")
        if not set(top(a)) == set(top(b)) == set(top(c)):
            raise SystemExit(f"GPU and CPU disagree on {name}: {top(a)} vs {top(b)} vs {top(c)}")

    batch_jpegs = [jpegs[names[i % len(names)]] for i in range(args.batch)]
    prepared, sizes = fast.prepare(batch_jpegs)
    for _ in range(5):  # warm-up: cuDNN picks its kernels
        fast.decode(fast.infer(prepared), sizes)
    model_s = timed(lambda: fast.infer(prepared), 20)
    prepare_s = timed(lambda: fast.prepare(batch_jpegs), 10)
    batches = args.frames // args.batch
    service_times = []
    for _ in range(batches // 4):  # one batch at a time: the latency of a batch on its own
        start = time.perf_counter()
        fast.detect_jpegs(batch_jpegs)  # ends with the detections on the CPU
        service_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    done = sum(len(found) for found in fast.detect_batches([batch_jpegs] * batches, workers=args.workers))
    e2e_rate = done / (time.perf_counter() - start)  # pipelined: decoding overlaps the model
    # Frames arriving at target fps fill batches; a full batch takes its own measured time, and the pipeline
    # finishes at most one batch every batch / e2e_rate seconds.
    gap, finish, latencies = args.batch / e2e_rate, 0.0, []
    for k in range(batches):
        arrivals = [(k * args.batch + i) / args.target_fps for i in range(args.batch)]
        finish = max(arrivals[-1] + service_times[k % len(service_times)], finish + gap)
        latencies += [finish - a for a in arrivals]
    latencies.sort()
    sustained = e2e_rate >= args.target_fps
    params = {
        "gpu": gpu,
        "batch": args.batch,
        "frame": "1920x1080 JPEG q90",
        "dtype": "fp16",
        "memory_format": "channels_last",
        "model": fast.model_version,
        "torch": torch.__version__,
    }
    lines = [
        {
            "bench": "vision_gpu",
            "metric": "e2e_1080p_frames_per_s",
            "value": round(e2e_rate),
            "unit": "1/s",
            "baseline_metric": "model_only_images_per_s",
            "baseline": round(args.batch / model_s),
            "ratio": round(e2e_rate * model_s / args.batch, 2),
            "params": params,
        },
        {
            "bench": "vision_gpu",
            "metric": "decode_resize_1080p_images_per_s",
            "value": round(args.batch / prepare_s),
            "unit": "1/s",
            "params": params,
        },
        *(
            {
                "bench": "vision_gpu",
                "metric": f"frame_latency_p{q}_ms",
                "value": round(latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))] * 1000, 1),
                "unit": "ms",
                "params": {**params, "arrival_fps": args.target_fps, "sustained": sustained},
            }
            for q in (50, 99)
        ),
    ]
    for line in lines:
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
