"""The detector on an NVIDIA GPU: JPEGs decoded by nvJPEG, resized and normalised on the GPU, the ONNX model
run by PyTorch (converted by onnx2torch) in fp16 and channels-last, and the NanoDet decoder and class-wise NMS
done for the whole batch on the GPU.

Optional: it needs torch, torchvision and onnx2torch, which the CPU service does not install
(`pip install torch torchvision onnx2torch` on a GPU node). The CPU path is detector.Detector.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx2torch import convert
from torchvision.io import decode_jpeg
from torchvision.ops import batched_nms

from microbrain_vision.detector import VERSION_KEY, Detection, ModelConfig, file_sha256


class TorchDetector:
    """Batches of JPEG bytes in, detections per image out, everything between on one GPU."""

    def __init__(self, config: ModelConfig, *, device: str = "cuda", half: bool = True, channels_last: bool = True):
        if config.decoder != "nanodet":
            raise ValueError("the GPU path decodes NanoDet outputs only")
        proto = onnx.load(str(config.path))
        meta = {p.key: p.value for p in proto.metadata_props}
        self.model_version = f"{meta.get(VERSION_KEY, 'model')}+sha256:{file_sha256(Path(config.path))[:12]}"
        self.config, self.device = config, torch.device(device)
        self.dtype = torch.float16 if half else torch.float32
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        model = convert(proto).eval().to(self.device, self.dtype)
        self.model = model.to(memory_format=self.memory_format)
        self.mean = torch.tensor(config.mean, device=self.device).view(1, 3, 1, 1)
        self.inv_std = 1.0 / torch.tensor(config.std, device=self.device).view(1, 3, 1, 1)
        self._grids: dict[int, tuple[torch.Tensor, float]] = {}

    @torch.inference_mode()
    def prepare(self, jpegs: list[bytes]) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        """Decodes (nvJPEG) and resizes a batch; returns the model input and each image's (height, width)."""
        images = decode_jpeg([torch.frombuffer(bytearray(j), dtype=torch.uint8) for j in jpegs], device=self.device)
        return self._input(images, rgb=True)

    @torch.inference_mode()
    def prepare_arrays(self, images: list[np.ndarray]) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        """The same for images already decoded on the CPU (BGR, H×W×3 uint8), as the service holds them."""
        tensors = [torch.from_numpy(np.ascontiguousarray(im)).to(self.device).permute(2, 0, 1) for im in images]
        return self._input(tensors, rgb=False)

    def _input(self, images: list[torch.Tensor], *, rgb: bool) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        sizes = [(im.shape[1], im.shape[2]) for im in images]
        size = self.config.input_size
        if len(set(sizes)) == 1:  # one resize for the whole batch when frames share a size (cameras usually do)
            batch = F.interpolate(torch.stack(images).to(self.dtype), size=(size, size), mode="bilinear")
        else:
            batch = torch.cat(
                [F.interpolate(im[None].to(self.dtype), size=(size, size), mode="bilinear") for im in images]
            )
        if rgb:
            batch = batch.flip(1)  # nvJPEG gives RGB; NanoDet was trained on BGR
        batch = ((batch.float() - self.mean) * self.inv_std).to(self.dtype)
        return batch.contiguous(memory_format=self.memory_format), sizes

    @torch.inference_mode()
    def infer(self, batch: torch.Tensor) -> list[torch.Tensor]:
        """The model alone on a prepared batch."""
        out = self.model(batch)
        return list(out) if isinstance(out, list | tuple) else [out]

    @torch.inference_mode()
    def decode(self, outputs: list[torch.Tensor], sizes: list[tuple[int, int]]) -> list[list[Detection]]:
        """NanoDet decoding and class-wise NMS for the whole batch at once; one copy back to the CPU."""
        classes = len(self.config.class_names)
        levels: dict[int, dict[str, torch.Tensor]] = {}
        for out in outputs:
            levels.setdefault(out.shape[1], {})["cls" if out.shape[2] == classes else "reg"] = out.float()
        scores, boxes = [], []
        for cells, level in sorted(levels.items(), reverse=True):
            centres, stride = self._grid(cells)
            reg = level["reg"]
            bins = reg.shape[2] // 4
            prob = reg.view(reg.shape[0], cells, 4, bins).softmax(dim=3)
            dist = (prob @ torch.arange(bins, device=self.device, dtype=torch.float32)) * stride
            boxes.append(torch.cat([centres - dist[..., :2], centres + dist[..., 2:]], dim=2))
            scores.append(level["cls"])
        scores, boxes = torch.cat(scores, dim=1), torch.cat(boxes, dim=1)  # (b, n, classes), (b, n, 4)
        image, cell, cls = torch.nonzero(scores > self.config.score_threshold, as_tuple=True)
        picked, score = boxes[image, cell], scores[image, cell, cls]
        keep = batched_nms(picked, score, image * classes + cls, self.config.nms_iou)
        size = self.config.input_size
        scale = torch.tensor([[w / size, h / size, w / size, h / size] for h, w in sizes], device=self.device)
        final = (picked[keep] * scale[image[keep]]).cpu().tolist()
        image, score, cls = image[keep].cpu().tolist(), score[keep].cpu().tolist(), cls[keep].cpu().tolist()
        found: list[list[Detection]] = [[] for _ in sizes]
        names = self.config.class_names
        for b, s, c, box in zip(image, score, cls, final, strict=True):
            if len(found[b]) < self.config.max_detections:  # keep is sorted by score, best first
                found[b].append(Detection(c, names[c], s, tuple(box)))
        return found

    def detect(self, images: list[np.ndarray]) -> list[list[Detection]]:
        """Decoded BGR images to detections: a drop-in for detector.Detector in the service."""
        if not images:
            return []
        batch, sizes = self.prepare_arrays(images)
        return self.decode(self.infer(batch), sizes)

    def detect_jpegs(self, jpegs: list[bytes]) -> list[list[Detection]]:
        """JPEG bytes to detections per image."""
        batch, sizes = self.prepare(jpegs)
        return self.decode(self.infer(batch), sizes)

    def detect_batches(self, batches: Iterable[list[bytes]], workers: int = 2) -> Iterator[list[list[Detection]]]:
        """Detections for a stream of batches, in order, with the next batches' decoding and resizing
        (each worker on its own CUDA stream) overlapping the model and NMS of the current one."""

        def prepare(jpegs: list[bytes]):
            stream = torch.cuda.Stream(self.device)
            with torch.cuda.stream(stream):
                batch, sizes = self.prepare(jpegs)
                ready = torch.cuda.Event()
                ready.record(stream)
            return batch, sizes, ready

        source = iter(batches)
        with ThreadPoolExecutor(workers) as pool:
            pending = deque(pool.submit(prepare, b) for b in itertools.islice(source, workers))
            while pending:
                batch, sizes, ready = pending.popleft().result()
                pending.extend(pool.submit(prepare, b) for b in itertools.islice(source, 1))
                main = torch.cuda.current_stream(self.device)
                main.wait_event(ready)
                batch.record_stream(main)  # freed memory must wait for this stream's use, not the worker's
                yield self.decode(self.infer(batch), sizes)

    def _grid(self, cells: int) -> tuple[torch.Tensor, float]:
        if cells not in self._grids:
            side = round(cells**0.5)
            stride = self.config.input_size / side
            ys, xs = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
            centres = torch.stack([(xs.flatten() + 0.5) * stride, (ys.flatten() + 0.5) * stride], dim=1)
            self._grids[cells] = (centres.to(self.device, torch.float32)[None], stride)
        return self._grids[cells]
