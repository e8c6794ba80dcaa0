"""microbrain: `up` runs the platform locally, `simulate` drives a grid's devices against ingest,
`cases` shows the grid's cases."""

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from microbrain_cli.scenario import DEFAULT_SCENARIO, ScenarioError, grid_scenario, load_scenario
from microbrain_cli.services import SERVICES, find
from microbrain_cli.simulator import DEFAULT_ALARM_EVERY_S, DEFAULT_SCENE_EVERY_S, DEFAULT_TARGET, Simulator
from microbrain_cli.units import DEFAULT_ACK_RATE, DEFAULT_TRAVEL_S

log = logging.getLogger(__name__)

DEFAULT_GRID = "jinhui-shanghong"
DEFAULT_CASES_TARGET = f"127.0.0.1:{find(SERVICES, 'cases').grpc_port}"


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


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _cursor(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _case_state(text: str) -> int:
    # Imported here so `up` and `simulate` do not load the cases protos.
    from microbrain_cli.cases import parse_state

    try:
        return parse_state(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds, 0 or more")
    return value


def _add_alarm_every(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alarm-every",
        type=_seconds,
        # A string default goes through `type` too, and only for the command that uses it, so a bad
        # MB_SIM_ALARM_EVERY fails `up` and `simulate` with a usage error but leaves `cases` alone.
        default=os.environ.get("MB_SIM_ALARM_EVERY", "").strip() or str(DEFAULT_ALARM_EVERY_S),
        metavar="SECONDS",
        help="mean seconds between device alarms sent through ingest across the grid (a lift's door fault; an "
        "e-bike in the lift or litter off hours from the cameras, unless their frames go to vision, which then "
        f"raises those); 0 = none (default: $MB_SIM_ALARM_EVERY or {DEFAULT_ALARM_EVERY_S:g})",
    )


def _add_scene_every(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scene-every",
        type=_seconds,
        default=os.environ.get("MB_SIM_SCENE_EVERY", "").strip() or str(DEFAULT_SCENE_EVERY_S),
        metavar="SECONDS",
        help="mean seconds between camera scenes vision sees, at each camera: an e-bike rolled into the lift car "
        "(~4 s), a bin bag left on the garbage-room apron (~12 s); 0 = empty views only "
        f"(default: $MB_SIM_SCENE_EVERY or {DEFAULT_SCENE_EVERY_S:g})",
    )


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction from 0 to 1")
    return value


def _travel(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds greater than 0")
    return value


def _add_units(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--unit-ack-rate",
        type=_fraction,
        default=os.environ.get("MB_SIM_UNIT_ACK_RATE", "").strip() or str(DEFAULT_ACK_RATE),
        metavar="FRACTION",
        help="how often a field unit acknowledges an assignment dispatch offers it; the others let it ring, and "
        f"dispatch moves on (default: $MB_SIM_UNIT_ACK_RATE or {DEFAULT_ACK_RATE:g})",
    )
    parser.add_argument(
        "--unit-travel",
        type=_travel,
        default=os.environ.get("MB_SIM_UNIT_TRAVEL", "").strip() or str(DEFAULT_TRAVEL_S),
        metavar="SECONDS",
        help="about how long a field unit takes to walk to its case, sped up for the demo "
        f"(default: $MB_SIM_UNIT_TRAVEL or {DEFAULT_TRAVEL_S:g})",
    )


def _up_epilog() -> str:
    ports = []
    for s in SERVICES:
        ports.append(f"  {s.grpc_port_env:<26}{s.name} gRPC port ({s.grpc_port})")
        ports.append(f"  {s.metrics_port_env:<26}{s.name} /metrics port ({s.metrics_port}; 0 turns it off)")
    return "\n".join(
        [
            "environment:",
            f"  {'MB_NATS_URL':<26}use this NATS server (with JetStream) instead of starting nats-server",
            f"  {'MB_SIM_ALARM_EVERY':<26}the simulator's --alarm-every ({DEFAULT_ALARM_EVERY_S:g} seconds)",
            f"  {'MB_SIM_SCENE_EVERY':<26}the simulator's --scene-every ({DEFAULT_SCENE_EVERY_S:g} seconds)",
            f"  {'MB_SIM_UNIT_ACK_RATE':<26}the simulator's --unit-ack-rate ({DEFAULT_ACK_RATE:g})",
            f"  {'MB_SIM_UNIT_TRAVEL':<26}the simulator's --unit-travel ({DEFAULT_TRAVEL_S:g} seconds)",
            f"  {'MB_ACK_TIMEOUT_S':<26}seconds a unit has to acknowledge before dispatch moves on (60)",
            f"  {'MB_MODEL_PATH':<26}vision's detector (models/nanodet-m.onnx, from `make model`)",
            f"  {'MB_CAMERAS':<26}the cameras vision watches (deploy/vision/cameras.yaml)",
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
    sim.add_argument(
        "--vision-target",
        default=os.environ.get("MB_VISION_TARGET", ""),
        metavar="HOST:PORT",
        help="vision gRPC address: the cameras stream frames there, and vision (not the cameras through ingest) "
        "raises the e-bike and litter alarms (default: $MB_VISION_TARGET or none: no frames)",
    )
    sim.add_argument(
        "--dispatch-target",
        default=os.environ.get("MB_DISPATCH_TARGET", ""),
        metavar="HOST:PORT",
        help="dispatch gRPC address: the grid's field units watch their assignments there, acknowledge, walk to "
        "the case and resolve it through cases (default: $MB_DISPATCH_TARGET or none: the units do not play)",
    )
    sim.add_argument(
        "--cases-target",
        default=os.environ.get("MB_CASES_TARGET", DEFAULT_CASES_TARGET),
        metavar="HOST:PORT",
        help="cases gRPC address the field units report to (default: $MB_CASES_TARGET or %(default)s)",
    )
    _add_alarm_every(sim)
    _add_scene_every(sim)
    _add_units(sim)

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
    _add_alarm_every(up)
    _add_scene_every(up)
    _add_units(up)

    cases = sub.add_parser("cases", help="the grid's cases: list them, or watch them change")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True)
    default_target = os.environ.get("MB_CASES_TARGET", DEFAULT_CASES_TARGET)
    target_help = f"cases gRPC address HOST:PORT (default: $MB_CASES_TARGET or {DEFAULT_CASES_TARGET})"
    listing = cases_sub.add_parser(
        "list",
        help="the cases as a table: newest first, with the nearest deadline as a countdown",
        description="Prints the grid's cases, newest first; times are in this machine's local time.",
    )
    listing.add_argument("--target", default=default_target, help=target_help)
    listing.add_argument(
        "--state",
        dest="states",
        type=_case_state,
        action="append",
        metavar="STATE",
        default=[],
        help="only cases in this state (opened, assigned, acknowledged, on_site, resolved, closed, cancelled, "
        "reopened); repeat for several",
    )
    listing.add_argument(
        "--type",
        dest="types",
        action="append",
        default=[],
        metavar="TYPE",
        help="only cases of this type; repeat for several",
    )
    listing.add_argument(
        "--limit", type=_positive_int, default=50, metavar="N", help="at most this many cases (%(default)s)"
    )
    listing.add_argument("--by-deadline", action="store_true", help="nearest pending deadline first")
    watch = cases_sub.add_parser(
        "watch",
        help="one line per change of any case, as it happens",
        description="Prints every change of the grid's cases after a cursor, then each as it happens; "
        "reconnects and resumes if the stream breaks. Ctrl-C stops.",
    )
    watch.add_argument("--target", default=default_target, help=target_help)
    watch.add_argument(
        "--after",
        type=_cursor,
        default=0,
        metavar="CURSOR",
        help="start after this cursor, the first column of a line printed before (default: 0, all changes kept)",
    )
    return parser


async def _simulate(args: argparse.Namespace, console: Console) -> int:
    grid = grid_scenario(load_scenario(args.scenario), args.grid)
    simulator = Simulator(
        grid=grid,
        target=args.target,
        state_dir=args.state_dir,
        rate_scale=args.rate_scale,
        alarm_every_s=args.alarm_every,
        vision_target=args.vision_target,
        scene_every_s=args.scene_every,
        dispatch_target=args.dispatch_target,
        cases_target=args.cases_target,
        unit_ack_rate=args.unit_ack_rate,
        unit_travel_s=args.unit_travel,
        console=console,
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
        alarm_every_s=args.alarm_every,
        scene_every_s=args.scene_every,
        unit_ack_rate=args.unit_ack_rate,
        unit_travel_s=args.unit_travel,
        console=console,
    )
    return await runner.run()


async def _cases(args: argparse.Namespace, console: Console) -> int:
    from microbrain_cli.cases import list_cases, watch_cases

    if args.cases_command == "list":
        return await list_cases(
            args.target,
            console=console,
            states=args.states,
            types=args.types,
            limit=args.limit,
            by_deadline=args.by_deadline,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return await watch_cases(args.target, console=console, after=args.after, stop=stop)


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
    command = {"simulate": _simulate, "up": _up, "cases": _cases}[args.command]
    try:
        return asyncio.run(command(args, console))
    except ScenarioError as e:
        console.print(f"[bold red]microbrain {args.command}:[/] {e}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
