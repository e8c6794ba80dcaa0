"""Analytics settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    """What analytics reads from the environment, on top of every service's settings."""

    grpc_port: int = 50055
    metrics_port: int = 9105
    time_zone: str = "Asia/Shanghai"
    """The grid's time zone: days and hours of the roll-ups are local (a disposal window is local time)."""
    places: str = ""
    """YAML with the grid's `places` (names, garbage rooms' disposal_windows) and `crowd_zones` (thresholds,
    camera coverage, phone share) — the scenario file has both; empty for none."""
    seen_retention_days: float = 8
    """How long the ids of counted events are kept to drop redeliveries; longer than any redelivery."""
    consumer_batch: int = 256
    """Events folded into the roll-ups per transaction."""
    kpi_interval_s: float = 60
    """How often the grid's KPI snapshot is published; 0 turns it off."""
