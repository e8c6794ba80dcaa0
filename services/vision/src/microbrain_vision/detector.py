"""An ONNX object detector: preprocessing, one batched onnxruntime call, a pluggable output decoder, NMS.

The default model is NanoDet-m (416×416, 80 COCO classes) that `make model` builds into models/. Another
model drops in by configuration alone: its ONNX path, input size, normalisation, class names and the
name of a decoder in DECODERS ("nanodet" or "yolov8"; register_decoder adds more).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

log = logging.getLogger(__name__)

COCO80: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip

VERSION_KEY = "microbrain.model_version"
"""ONNX metadata key that `make model` fills with the model's name and origin."""


@dataclass(frozen=True)
class ModelConfig:
    """Which ONNX model to run and how to feed it and read its outputs."""

    path: str | Path
    input_size: int = 416
    decoder: str = "nanodet"
    class_names: Sequence[str] = COCO80
    score_threshold: float = 0.35
    nms_iou: float = 0.6
    mean: tuple[float, float, float] = (103.53, 116.28, 123.675)
    """Subtracted from pixel values (0..255) in the model's channel order; NanoDet's are ImageNet's, in BGR."""
    std: tuple[float, float, float] = (57.375, 57.12, 58.395)
    rgb: bool = False
    """The model takes RGB (YOLOv8 does); NanoDet was trained on BGR, as OpenCV decodes."""
    letterbox: bool = False
    """Keep the aspect ratio and pad (with pad_value) to a square. NanoDet-m does better on stretched frames
    (as human-models feeds it): a 16:9 frame keeps more pixels, and the coffee cup is found only that way."""
    pad_value: float = 114.0
    max_detections: int = 100
    """Per image, after NMS."""
    device: str = "cpu"
    """"cpu", or "cuda" for onnxruntime's CUDA provider where the installed onnxruntime has it."""
    threads: int = 0
    """onnxruntime intra-op threads; 0 lets onnxruntime choose (one per core)."""


@dataclass(frozen=True)
class Detection:
    """One object found in one image; box is (x1, y1, x2, y2) in that image's pixels."""

    class_id: int
    class_name: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Candidates:
    """A decoder's answer for one image before NMS: boxes in model-input pixels (x1, y1, x2, y2)."""

    boxes: np.ndarray  # (n, 4) float32
    scores: np.ndarray  # (n,) float32
    class_ids: np.ndarray  # (n,) int64


_Transform = tuple[float, float, int, int, int, int]
"""x scale, y scale, left and top padding, original width and height: model-input pixels back to the image's."""

Decoder = Callable[[dict[str, np.ndarray], ModelConfig], list[Candidates]]
"""Turns the model's outputs (by output name, batch first) into per-image candidates above the threshold."""

DECODERS: dict[str, Decoder] = {}


def register_decoder(name: str) -> Callable[[Decoder], Decoder]:
    """Registers an output decoder under the name that ModelConfig.decoder selects."""

    def add(fn: Decoder) -> Decoder:
        DECODERS[name] = fn
        return fn

    return add


def _empty() -> Candidates:
    return Candidates(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))


@register_decoder("nanodet")
def decode_nanodet(outputs: dict[str, np.ndarray], config: ModelConfig) -> list[Candidates]:
    """NanoDet (GFL head): per stride, sigmoid class scores (b, h*w, classes) and box distributions
    (b, h*w, 4*(reg_max+1)) over left/top/right/bottom distances, read as an expectation (the
    distribution focal loss integral) times the stride from the cell centre.
    """
    num_classes = len(config.class_names)
    by_cells: dict[int, dict[str, np.ndarray]] = {}
    for out in outputs.values():
        kind = "cls" if out.shape[2] == num_classes else "reg"
        by_cells.setdefault(out.shape[1], {})[kind] = out
    batch = next(iter(outputs.values())).shape[0]
    per_image: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = [[] for _ in range(batch)]
    for cells, level in sorted(by_cells.items(), reverse=True):
        side = round(cells**0.5)
        stride = config.input_size / side
        cls, reg = level["cls"], level["reg"]
        bins = reg.shape[2] // 4
        ys, xs = np.divmod(np.arange(cells), side)
        centres = np.stack([(xs + 0.5) * stride, (ys + 0.5) * stride], axis=1).astype(np.float32)
        for b in range(batch):
            cell, class_id = np.nonzero(cls[b] > config.score_threshold)
            if cell.size == 0:
                continue
            logits = reg[b, cell].reshape(-1, 4, bins)
            logits = logits - logits.max(axis=2, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=2, keepdims=True)
            dist = (prob @ np.arange(bins, dtype=np.float32)) * stride  # (n, 4): left, top, right, bottom
            c = centres[cell]
            boxes = np.concatenate([c - dist[:, :2], c + dist[:, 2:]], axis=1)
            per_image[b].append((boxes, cls[b, cell, class_id], class_id))
    return [_join(parts) for parts in per_image]


@register_decoder("yolov8")
def decode_yolov8(outputs: dict[str, np.ndarray], config: ModelConfig) -> list[Candidates]:
    """Ultralytics YOLOv8/v11 export: one output (b, 4+classes, anchors) of centre-size boxes in input
    pixels and class scores already through a sigmoid.
    """
    [out] = outputs.values()
    found = []
    for pred in out:
        scores = pred[4:].T  # (anchors, classes)
        anchor, class_id = np.nonzero(scores > config.score_threshold)
        cx, cy, w, h = pred[:4, anchor]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        found.append(_join([(boxes, scores[anchor, class_id], class_id)]))
    return found


def _join(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Candidates:
    if not parts:
        return _empty()
    boxes, scores, ids = (np.concatenate(p) for p in zip(*parts, strict=True))
    return Candidates(boxes.astype(np.float32), scores.astype(np.float32), ids.astype(np.int64))


def nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float, limit: int) -> np.ndarray:
    """Class-wise non-maximum suppression; the kept indices, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    # Shifting each class to its own region makes one pass class-wise: boxes of different classes never overlap.
    shifted = boxes + (class_ids * (boxes.max() + 1.0))[:, None]
    x1, y1, x2, y2 = shifted.T
    areas = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while order.size and len(keep) < limit:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        w = (np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest])).clip(0)
        h = (np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])).clip(0)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter + 1e-9) <= iou]
    return np.asarray(keep, np.int64)


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Detector:
    """Runs an ONNX detector on BGR images (as OpenCV decodes them); thread-safe, as onnxruntime sessions are."""

    def __init__(self, config: ModelConfig) -> None:
        path = Path(config.path)
        if not path.is_file():
            raise FileNotFoundError(f"no detector model at {path}: run `make model` or set MB_MODEL_PATH")
        if config.decoder not in DECODERS:
            raise ValueError(f"unknown decoder {config.decoder!r}; known: {', '.join(sorted(DECODERS))}")
        self.config = config
        self._decode = DECODERS[config.decoder]
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=self._providers(config.device))
        [inp] = self._session.get_inputs()
        self._input = inp.name
        self.output_names = [o.name for o in self._session.get_outputs()]
        # A model exported with a fixed batch of 1 runs one image per call; a dynamic one takes them all at once.
        self.max_batch = 1 if inp.shape[0] == 1 else 0
        meta = self._session.get_modelmeta().custom_metadata_map
        self.model_version = f"{meta.get(VERSION_KEY, path.stem)}+sha256:{file_sha256(path)[:12]}"
        self._mean = np.asarray(config.mean, np.float32)
        self._inv_std = 1.0 / np.asarray(config.std, np.float32)
        log.info(
            "detector %s on %s (batch %s)",
            self.model_version,
            self._session.get_providers()[0],
            self.max_batch or "any",
        )

    @staticmethod
    def _providers(device: str) -> list[str]:
        if device == "cuda":
            if "CUDAExecutionProvider" in ort.get_available_providers():
                return ["CUDAExecutionProvider", "CPUExecutionProvider"]
            log.warning("CUDA asked for but this onnxruntime has no CUDA provider: running on the CPU")
        elif device != "cpu":
            raise ValueError(f"unknown device {device!r}: cpu or cuda")
        return ["CPUExecutionProvider"]

    def detect(self, images: list[np.ndarray]) -> list[list[Detection]]:
        """Detects objects in each BGR image (H×W×3 uint8, or H×W grey), in one batch where the model allows."""
        if not images:
            return []
        tensors, transforms = zip(*(self._prepare(im) for im in images), strict=True)
        step = self.max_batch or len(images)
        found: list[list[Detection]] = []
        for start in range(0, len(images), step):
            batch = np.stack(tensors[start : start + step])
            outputs = dict(zip(self.output_names, self.infer(batch), strict=True))
            candidates = self._decode(outputs, self.config)
            found += [self._finish(c, t) for c, t in zip(candidates, transforms[start : start + step], strict=True)]
        return found

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        """Runs the model alone on a prepared (b, 3, size, size) float32 batch; for benchmarks."""
        return self._session.run(self.output_names, {self._input: batch})

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The model input (3, size, size) float32 for one BGR image."""
        return self._prepare(image)[0]

    def _prepare(self, image: np.ndarray) -> tuple[np.ndarray, _Transform]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise ValueError(f"expected an H×W×3 BGR image, got shape {image.shape}")
        h, w = image.shape[:2]
        size = self.config.input_size
        if self.config.letterbox:
            scale = min(size / w, size / h)
            nw, nh = round(w * scale), round(h * scale)
            left, top = (size - nw) // 2, (size - nh) // 2
            canvas = np.full((size, size, 3), round(self.config.pad_value), np.uint8)
            canvas[top : top + nh, left : left + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
            sx = sy = scale
        else:
            canvas = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
            left = top = 0
            sx, sy = size / w, size / h
        # Normalise channel by channel straight into the (3, size, size) input: numpy broadcasting over the
        # last axis of an H×W×3 float array costs more than the rest of the preprocessing together.
        x = np.empty((3, size, size), np.float32)
        for c in range(3):
            source = canvas[:, :, 2 - c if self.config.rgb else c]
            np.multiply(source, self._inv_std[c], out=x[c], casting="unsafe")
            x[c] -= self._mean[c] * self._inv_std[c]
        return x, (sx, sy, left, top, w, h)

    def _finish(self, cand: Candidates, transform: _Transform) -> list[Detection]:
        sx, sy, left, top, w, h = transform
        keep = nms(cand.boxes, cand.scores, cand.class_ids, self.config.nms_iou, self.config.max_detections)
        boxes = cand.boxes[keep]
        boxes = (boxes - [left, top, left, top]) / [sx, sy, sx, sy]
        boxes = boxes.clip(0, [w, h, w, h])
        names = self.config.class_names
        return [
            Detection(int(c), names[c], float(s), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
            for b, s, c in zip(boxes, cand.scores[keep], cand.class_ids[keep], strict=True)
        ]
