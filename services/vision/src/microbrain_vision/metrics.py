"""Vision's Prometheus metrics."""

from prometheus_client import Counter, Histogram

FRAMES = Counter(
    "microbrain_vision_frames_total",
    "Frames by what became of them (processed, dropped, refused).",
    ["camera", "outcome"],
)
# Capture → finding: the vision part of "1 秒发现问题".
FRAME_SECONDS = Histogram(
    "microbrain_vision_frame_seconds",
    "Time from a frame's capture to its detections and rule outcome.",
    ["camera"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2, 5),
)
DETECT_SECONDS = Histogram(
    "microbrain_vision_detect_seconds",
    "Detector time per batch.",
    ["batch"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6),
)
ALARMS = Counter("microbrain_vision_alarms_total", "Scenario alarms raised.", ["camera", "type"])
