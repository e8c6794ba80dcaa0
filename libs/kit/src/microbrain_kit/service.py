"""The life of a service process: settings, logs, traces, metrics, then run until SIGTERM."""

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from microbrain_kit.config import ServiceSettings, load_settings
from microbrain_kit.logs import setup_logging
from microbrain_kit.telemetry import setup_tracing, start_metrics_server

log = logging.getLogger(__name__)
S = TypeVar("S", bound=ServiceSettings)


class Runtime(Protocol):
    """What a service's wiring.build() returns."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def main(service: str, settings_cls: type[S], build: Callable[[S], Awaitable[Runtime]]) -> None:
    """Entry point of `python -m microbrain_<service>`."""
    settings = load_settings(settings_cls)
    setup_logging(service, settings.log_level)
    provider = setup_tracing(service)
    try:
        asyncio.run(serve(settings, build))
    finally:
        provider.shutdown()


async def serve(settings: S, build: Callable[[S], Awaitable[Runtime]]) -> None:
    """Builds and starts the runtime, waits for SIGTERM or SIGINT, then stops it gracefully."""
    stop_metrics = start_metrics_server(settings.metrics_port)
    runtime = await build(settings)
    await runtime.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    log.info("started", extra={"grid_id": settings.grid_id, "pid": os.getpid()})
    await stopping.wait()
    log.info("stopping")
    await runtime.stop()
    if stop_metrics:
        stop_metrics()
    log.info("stopped")


_FAILPOINTS = frozenset(filter(None, os.environ.get("MB_FAILPOINTS", "").split(",")))


def failpoint(name: str) -> None:
    """Ends the process at once when MB_FAILPOINTS names this point (crash tests only; off by default)."""
    if name in _FAILPOINTS:
        log.warning("failpoint %s: exiting", name)
        os._exit(137)
