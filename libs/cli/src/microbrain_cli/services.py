"""The services `microbrain up` starts and their local ports, each overridable from the environment.

Kept apart from the runner so that `microbrain --help` can list them without importing the runner.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    """A service the runner starts: `python -m microbrain_<name>` on its local ports."""

    name: str
    grpc_port: int
    metrics_port: int

    @property
    def module(self) -> str:
        """The module run with `python -m`."""
        return f"microbrain_{self.name}"

    @property
    def grpc_port_env(self) -> str:
        """The variable that overrides the gRPC port, e.g. MB_INGEST_GRPC_PORT."""
        return f"MB_{self.name.upper()}_GRPC_PORT"

    @property
    def metrics_port_env(self) -> str:
        """The variable that overrides the metrics port, e.g. MB_INGEST_METRICS_PORT."""
        return f"MB_{self.name.upper()}_METRICS_PORT"


# The gateway is HTTP, not gRPC: the REST API, live events and the dashboard, with /metrics on the same port.
GATEWAY_PORT_ENV = "MB_GATEWAY_HTTP_PORT"
GATEWAY_PORT = 8080


# Every service `microbrain up` starts, in start order, with its default ports (from ARCHITECTURE.md).
# A new service is one more line here.
SERVICES: tuple[Service, ...] = (
    Service("ingest", grpc_port=50051, metrics_port=9101),
    # The simulator's cameras stream frames to it; it raises e-bike and litter alarms from what it sees.
    Service("vision", grpc_port=50052, metrics_port=9102),
    # After ingest and vision: it turns the alarms they publish into cases.
    Service("cases", grpc_port=50053, metrics_port=9103),
    # Counts every domain's events into its roll-ups (trends, dumping profile, crowds, SLA, KPIs) and raises the
    # crowd alarms; after cases, whose events it counts, and before dispatch. The runner imports past days of
    # made-up alarm history into it once it serves.
    Service("analytics", grpc_port=50055, metrics_port=9105),
    # Last: it waits for the streams of ingest, vision and cases; it sends the field units to cases and stops
    # the lift (through ingest) when an e-bike is pushed in.
    Service("dispatch", grpc_port=50054, metrics_port=9104),
    # The town's registries (livelihood projects, service stations, partner units, buildings and firms, targets);
    # on its own. The runner loads the seed data set (deploy/registry) into it once it serves.
    Service("registry", grpc_port=50056, metrics_port=9106),
)


class PortError(ValueError):
    """A port variable holds something that is not a usable port; the message names the variable."""


def port_from_env(environ: Mapping[str, str], name: str, default: int, *, lowest: int) -> int:
    """The port in environ[name] (default when unset); PortError naming the variable when it is not one."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not lowest <= port <= 65535:
        raise PortError(f"{name}={text!r} is not a port: use a number from {lowest} to 65535")
    return port


def with_env_ports(services: tuple[Service, ...], environ: Mapping[str, str]) -> tuple[Service, ...]:
    """Returns the services with MB_<SERVICE>_GRPC_PORT / _METRICS_PORT from environ applied.

    The gRPC port must be a real one (the runner and the simulator connect to it); a metrics port of 0
    turns that service's /metrics endpoint off, as the services' own MB_METRICS_PORT does.
    """
    out = tuple(
        dataclasses.replace(
            s,
            grpc_port=port_from_env(environ, s.grpc_port_env, s.grpc_port, lowest=1),
            metrics_port=port_from_env(environ, s.metrics_port_env, s.metrics_port, lowest=0),
        )
        for s in services
    )
    owners: dict[int, str] = {}
    for s in out:
        for port, what in ((s.grpc_port, s.grpc_port_env), (s.metrics_port, s.metrics_port_env)):
            if port and port in owners:
                raise PortError(f"port {port} is given twice, to {owners[port]} and {what}")
            owners[port] = what
    return out


def find(services: tuple[Service, ...], name: str) -> Service:
    """Returns the service called name."""
    return next(s for s in services if s.name == name)
