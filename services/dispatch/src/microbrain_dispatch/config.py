"""Dispatch settings (environment, MB_ prefix)."""

from microbrain_kit.config import ServiceSettings


class DispatchSettings(ServiceSettings):
    """What dispatch reads from the environment, on top of every service's settings."""

    grpc_port: int = 50054
    metrics_port: int = 9104
    ingest_target: str = "127.0.0.1:50051"
    """ingest's gRPC address (lift commands, the device registry)."""
    cases_target: str = "127.0.0.1:50053"
    """cases' gRPC address (assignments are recorded on the case)."""
    units: str = ""
    """YAML with the grid's field units at start (the scenario file's field_units); empty for none."""
    ack_timeout_s: float = 60
    """A unit must acknowledge its assignment within this, or it moves to the next unit."""
    travel_factor: float = 1.3
    """Straight-line distance × this ≈ walking distance in town."""
    timer_interval_s: float = 0.5
    arrival_radius_m: float = 50
    """An en-route unit whose radio reports a position this close to the case is on site."""
