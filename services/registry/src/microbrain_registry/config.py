"""Registry settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class RegistrySettings(ServiceSettings):
    """What registry reads from the environment, on top of every service's settings."""

    grpc_port: int = 50056
    metrics_port: int = 9106
    time_zone: str = "Asia/Shanghai"
    """The town's time zone: "today", progress dates and stations' opening hours are local."""
    circle_radius_m: float = 400.0
    """The 5-minute service circle (5 分钟党群服务圈): straight-line metres to an open station (≈ 5 minutes' walk)."""
