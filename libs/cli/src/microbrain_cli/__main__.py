"""microbrain: `up` runs the platform locally, `simulate` drives a grid's devices against ingest."""

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from microbrain_cli.scenario import DEFAULT_SCENARIO, ScenarioError, grid_scenario, load_scenario
from microbrain_cli.services import SERVICES
from microbrain_cli.simulator import DEFAULT_TARGET, Simulator

log = logging.getLogger(__name__)

DEFAULT_GRID = "jinhui-shanghong"


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _up_epilog() -> str:
    ports = []
    for s in SERVICES:
        ports.append(f"  {s.grpc_port_env:<26}{s.name} gRPC port ({s.grpc_port})")
        ports.append(f"  {s.metrics_port_env:<26}{s.name} /metrics port ({s.metrics_port}; 0 turns it off)")
    return "\n".join(
        [
            "environment:",
            f"  {'MB_NATS_URL':<26}use this NATS server (with JetStream) instead of starting nats-server",
            *ports,
            "  Every service's ports are set the same way: MB_<SERVICE>_GRPC_PORT, MB_<SERVICE>_METRICS_PORT.",
            "  Other MB_ variables (MB_MQTT_URL, MB_LOG_LEVEL, ...) are passed on to the services.",
            "",
            "files, under --state-dir:",
            f"  {'nats.url':<26}the URL of the NATS server this run uses, one line; removed when it stops",
            f"  {'logs/<process>.log':<26}each process's output; <service>.db: each service's SQLite database",
        ]
    )


def build_parser() -> argparse.ArgumentParser:
    """Returns the command-line parser."""
    parser = argparse.ArgumentParser(prog="microbrain", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="register a grid's devices with ingest and stream their events")
    sim.add_argument(
        "--target",
        default=os.environ.get("MB_INGEST_TARGET", DEFAULT_TARGET),
        help="ingest gRPC address HOST:PORT (default: $MB_INGEST_TARGET or %(default)s)",
    )
    sim.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario YAML (%(default)s)")
    sim.add_argument("--grid", default=DEFAULT_GRID, help="grid to simulate (%(default)s)")
    sim.add_argument(
        "--rate-scale",
        type=_positive_float,
        default=1.0,
        help="multiply every device's event rate (%(default)s)",
    )
    sim.add_argument(
        "--duration",
        type=_non_negative_float,
        default=0.0,
        help="seconds to run; 0 = until Ctrl-C (%(default)s)",
    )
    sim.add_argument("--state-dir", type=Path, default=Path(".state"), help="where device secrets are kept")

    up = sub.add_parser(
        "up",
        help="start nats-server, the services and the simulator (what `make run` does)",
        description="Starts nats-server, the services and the device simulator; Ctrl-C stops them all.",
        epilog=_up_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    up.add_argument("--grid", default=DEFAULT_GRID, help="grid this micro-brain serves (%(default)s)")
    up.add_argument("--state-dir", type=Path, default=Path(".state"), help="databases, NATS store, logs")
    up.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario YAML (%(default)s)")
    up.add_argument("--no-simulator", action="store_true", help="do not run the device simulator")
    return parser


async def _simulate(args: argparse.Namespace, console: Console) -> int:
    grid = grid_scenario(load_scenario(args.scenario), args.grid)
    simulator = Simulator(
        grid=grid, target=args.target, state_dir=args.state_dir, rate_scale=args.rate_scale, console=console
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, simulator.stop)
    await simulator.run(duration_s=args.duration)
    return 0


async def _up(args: argparse.Namespace, console: Console) -> int:
    # Imported here so `simulate` does not pay for (or depend on) the runner's imports.
    from microbrain_cli.runner import Runner

    runner = Runner(
        grid_id=args.grid,
        state_dir=args.state_dir,
        scenario_path=args.scenario,
        simulator=not args.no_simulator,
        console=console,
    )
    return await runner.run()


def main(argv: list[str] | None = None) -> int:
    """Runs the microbrain command line and returns its exit code."""
    args = build_parser().parse_args(argv)
    console = Console()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=True)],
    )
    # grpc and nats are chatty at INFO about things our own lines already say.
    for noisy in ("grpc", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    command = _simulate if args.command == "simulate" else _up
    try:
        return asyncio.run(command(args, console))
    except ScenarioError as e:
        console.print(f"[bold red]microbrain {args.command}:[/] {e}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
