"""python -m microbrain_gateway: serve the gateway's HTTP API, events and dashboard until SIGTERM."""

import asyncio
import logging

import uvicorn
from microbrain_kit import logs, telemetry
from microbrain_kit.config import load_settings

from microbrain_gateway.app import create_app
from microbrain_gateway.config import GatewaySettings

log = logging.getLogger(__name__)


def main() -> None:
    settings = load_settings(GatewaySettings)
    logs.setup_logging("gateway", settings.log_level)
    provider = telemetry.setup_tracing("gateway")
    try:
        app = create_app(settings)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"MB_GRIDS: {exc}") from None
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # the kit's JSON logging
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s) or None,
    )
    server = uvicorn.Server(config)  # SIGTERM/SIGINT: stop accepting, finish requests, end SSE streams, lifespan
    try:
        asyncio.run(server.serve())
    finally:
        provider.shutdown()


if __name__ == "__main__":
    main()
