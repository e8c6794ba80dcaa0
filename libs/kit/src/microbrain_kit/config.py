"""Settings from the environment (MB_ prefix); a missing required value stops the service at start."""

import sys
from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound="ServiceSettings")


class ServiceSettings(BaseSettings):
    """What every service reads from the environment; services subclass it."""

    model_config = SettingsConfigDict(env_prefix="MB_", extra="ignore")

    grid_id: str
    """The disposal grid this instance serves, e.g. jinhui-shanghong (MB_GRID_ID)."""
    database_url: str
    """SQLAlchemy async URL: postgresql+asyncpg://... or sqlite+aiosqlite:///path (MB_DATABASE_URL)."""
    database_schema: str = ""
    """PostgreSQL schema for this service's tables (search_path); empty uses the server's default."""
    nats_url: str = "nats://127.0.0.1:4222"
    grpc_host: str = "0.0.0.0"
    grpc_port: int = 0
    metrics_port: int = 0
    """Prometheus /metrics port; 0 disables the endpoint."""
    log_level: str = "INFO"
    shutdown_grace_s: float = 10.0
    """How long in-flight RPCs may finish after SIGTERM."""


def load_settings(cls: type[S]) -> S:
    """Builds settings from the environment, or exits with a message naming each bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        lines = []
        for err in exc.errors():
            name = prefix + "_".join(str(p) for p in err["loc"]).upper()
            what = "is required" if err["type"] == "missing" else err["msg"]
            lines.append(f"  {name}: {what}")
        sys.stderr.write(f"{cls.__name__}: invalid configuration\n" + "\n".join(lines) + "\n")
        raise SystemExit(2) from None
