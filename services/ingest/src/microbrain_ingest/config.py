"""Ingest settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class IngestSettings(ServiceSettings):
    """What ingest reads from the environment, on top of every service's settings."""

    grpc_port: int = 50051
    metrics_port: int = 9101
    mqtt_url: str = ""
    """MQTT broker for devices that speak MQTT, e.g. mqtt://127.0.0.1:1883; empty turns the bridge off."""
    heartbeat_misses: int = 3
    """A device goes offline when silent for its heartbeat interval times this."""
    max_event_bytes: int = 64 * 1024
    """Largest encoded DeviceEvent accepted."""
    max_future_skew_s: float = 300
    """How far ahead of the server clock an event's occurred_at may be."""
    dedupe_window_s: float = 3600
    """JetStream duplicate window: a resent event id within this window is stored once."""
    presence_interval_s: float = 1.0
    """How often last-seen times are saved and silent devices are looked for."""
    max_inflight_per_stream: int = 1024
    """Events of one device stream being stored at once; more wait (back-pressure on the device)."""
