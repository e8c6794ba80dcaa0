"""Cases settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class CasesSettings(ServiceSettings):
    """What cases reads from the environment, on top of every service's settings."""

    grpc_port: int = 50053
    metrics_port: int = 9103
    sla_policies: str = ""
    """YAML file with SLA policies per case type; the built-in defaults (the seed's promise) when empty."""
    timer_interval_s: float = 0.5
    """How often due SLA deadlines are looked for."""
    consumer_concurrency: int = 16
    """Alarms handled at once by this replica."""
    consumer_ack_wait_s: float = 30
    """An alarm taken by a replica that died unacked is redelivered after this long."""
    evidence_max_bytes: int = 8 * 1024 * 1024
    evidence_retention_days: float = 90
