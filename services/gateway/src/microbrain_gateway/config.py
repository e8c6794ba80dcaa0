"""Gateway settings (environment, MB_ prefix) and the grids this gateway fronts."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from microbrain_kit.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    """What the gateway reads from the environment, on top of every service's settings.

    MB_GRID_ID is the grid served when MB_GRIDS is empty (the local run); MB_DATABASE_URL holds the users and
    the audit log."""

    http_host: str = "0.0.0.0"
    http_port: int = 8080
    cases_target: str = "127.0.0.1:50053"
    dispatch_target: str = "127.0.0.1:50054"
    analytics_target: str = "127.0.0.1:50055"
    registry_target: str = "127.0.0.1:50056"
    ingest_target: str = "127.0.0.1:50051"
    vision_target: str = "127.0.0.1:50052"
    grids: str = ""
    """YAML file listing the grids this gateway fronts: `- {grid_id, name, cases_target, dispatch_target,
    analytics_target, ingest_target, vision_target}`; empty: MB_GRID_ID with the targets above."""
    grid_name: str = ""
    """Display name of MB_GRID_ID when MB_GRIDS is empty."""
    jwt_secret: str = ""
    """HS256 key of the local issuer; empty: a random one per start (tokens do not survive a restart)."""
    jwt_ttl_s: int = 12 * 3600
    oidc_issuer: str = ""
    """When set, bearer tokens may also come from this OpenID Connect issuer (verified against its JWKS)."""
    oidc_audience: str = ""
    login_max_attempts: int = 5
    """Failed logins allowed per username and per client IP within login_window_s."""
    login_window_s: float = 300
    sse_heartbeat_s: float = 15
    fusion: str = ""
    """YAML with the platform-fusion adapters (outside platforms posting alarms in) and webhooks (case events out);
    see services/gateway/README.md; empty for none."""


@dataclass(frozen=True)
class Grid:
    """One grid and the gRPC targets of its services."""

    grid_id: str
    name: str
    cases_target: str
    dispatch_target: str
    analytics_target: str
    ingest_target: str
    vision_target: str


def load_grids(settings: GatewaySettings) -> dict[str, Grid]:
    """The grids from MB_GRIDS, or MB_GRID_ID with the default targets; ValueError names a bad entry."""
    defaults = dict(
        cases_target=settings.cases_target,
        dispatch_target=settings.dispatch_target,
        analytics_target=settings.analytics_target,
        ingest_target=settings.ingest_target,
        vision_target=settings.vision_target,
    )
    if not settings.grids:
        return {settings.grid_id: Grid(settings.grid_id, settings.grid_name or settings.grid_id, **defaults)}
    data = yaml.safe_load(Path(settings.grids).read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        data = data.get("grids", [])
    out: dict[str, Grid] = {}
    for i, entry in enumerate(data):
        if not isinstance(entry, dict) or not entry.get("grid_id"):
            raise ValueError(f"{settings.grids}: entry {i} has no grid_id")
        unknown = set(entry) - {"grid_id", "name", *defaults}
        if unknown:
            raise ValueError(f"{settings.grids}: entry {entry['grid_id']}: unknown keys {sorted(unknown)}")
        gid = str(entry["grid_id"])
        out[gid] = Grid(gid, str(entry.get("name") or gid), **{k: str(entry.get(k) or v) for k, v in defaults.items()})
    if not out:
        raise ValueError(f"{settings.grids}: no grids listed")
    return out
