"""Vision settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class VisionSettings(ServiceSettings):
    """What vision reads from the environment, on top of every service's settings."""

    grpc_port: int = 50052
    metrics_port: int = 9102
    model_path: str = "models/nanodet-m.onnx"
    """The ONNX detector (make model builds the default)."""
    model_decoder: str = "nanodet"
    model_backend: str = "onnxruntime"
    """"onnxruntime", or "torch" for the GPU path (needs torch, torchvision and onnx2torch installed)."""
    model_device: str = "cpu"
    """"cpu" or "cuda" (onnxruntime's CUDA provider where onnxruntime-gpu is installed; the torch backend)."""
    model_input_size: int = 416
    score_threshold: float = 0.35
    cameras: str = ""
    """YAML file with the cameras, their scenarios and regions (deploy/vision/cameras.yaml); none when empty."""
    batch_size: int = 8
    """Frames (of different cameras) run through the detector together."""
    max_frame_bytes: int = 8 * 1024 * 1024
    observation_interval_s: float = 1.0
    """How often a crowd camera's smoothed counts are published."""
