"""microbrain: `up` runs the platform locally, `simulate` drives a grid's devices against ingest,
`cases` shows the grid's cases, `analytics` its trends, dumping profile, crowds, SLA compliance and KPIs."""

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from datetime import date
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
DEFAULT_ANALYTICS_TARGET = f"127.0.0.1:{find(SERVICES, 'analytics').grpc_port}"
DEFAULT_REGISTRY_TARGET = f"127.0.0.1:{find(SERVICES, 'registry').grpc_port}"


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


def _day(text: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return date.fromisoformat(text.strip()).isoformat()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD")


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share greater than 0 and at most 1, e.g. 0.8")
    return value


def _hours(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 23:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours from 1 to 23")
    return value


def _pixels(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 8192:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in pixels from 1 to 8192")
    return value


def _stage(text: str) -> int:
    # Imported here so `up` and `simulate` do not load the analytics protos.
    from microbrain_cli.analytics import parse_stage

    try:
        return parse_stage(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_range(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--from", dest="start", type=_day, metavar="YYYY-MM-DD", help=f"first day ({default})")
    parser.add_argument("--to", dest="end", type=_day, metavar="YYYY-MM-DD", help="last day, inclusive")


def _add_trend_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--type", dest="types", action="append", default=[], metavar="TYPE", help="only this alarm type; repeatable"
    )
    parser.add_argument(
        "--by",
        choices=("type", "place", "type-place"),
        help="one series per alarm type (the default), per place, or per type and place",
    )


def _add_profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--share",
        type=_share,
        metavar="FRACTION",
        help="the share of out-of-hours alarms the suggested window should cover (the service's default: 0.8)",
    )
    parser.add_argument(
        "--max-hours",
        type=_hours,
        metavar="N",
        help="the longest extra window to suggest, in hours (the service's default: 3)",
    )


def _add_analytics(sub) -> None:
    analytics = sub.add_parser(
        "analytics",
        help="the grid's alarm trends, dumping profile, crowds, SLA compliance and KPIs",
        description="Asks the analytics service. Days and hours are the grid's (Asia/Shanghai).",
    )
    commands = analytics.add_subparsers(dest="analytics_command", required=True)
    target = os.environ.get("MB_ANALYTICS_TARGET", DEFAULT_ANALYTICS_TARGET)
    target_help = f"analytics gRPC address HOST:PORT (default: $MB_ANALYTICS_TARGET or {DEFAULT_ANALYTICS_TARGET})"
    place_help = "only this place id; repeatable"

    def command(name: str, **kw) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, **kw)
        parser.add_argument("--target", default=target, help=target_help)
        # So check_args can report a problem with this command's usage line.
        parser.set_defaults(analytics_parser=parser)
        return parser

    trend = command(
        "trend",
        help="alarms per day, one series per type or place, against the days just before (报警数量趋势图)",
        description="Daily alarm counts over a range of days with the change against as many days just before.",
    )
    _add_range(trend, "with --to; neither: the last 30 days")
    _add_trend_filters(trend)
    trend.add_argument("--place", dest="places", action="append", default=[], metavar="PLACE", help=place_help)

    profile = command(
        "profile",
        help="each garbage room's out-of-hours dumping by hour of day, and the disposal window to add",
        description="Out-of-hours litter alarms by hour of day per garbage room, with the extra disposal window "
        "that would have covered most of them.",
    )
    _add_range(profile, "with --to; neither: the last 90 days")
    profile.add_argument("--place", dest="places", action="append", default=[], metavar="PLACE", help=place_help)
    _add_profile_options(profile)

    crowd = command("crowd", help="live head count per crowd zone, from cameras and Wi-Fi probes")
    crowd.add_argument(
        "--zone", dest="zones", action="append", default=[], metavar="ZONE", help="only this zone id; repeatable"
    )

    sla = command("sla", help="per case type and SLA stage: the share within target and percentiles")
    _add_range(sla, "with --to; neither: the last 30 days")
    sla.add_argument(
        "--type", dest="types", action="append", default=[], metavar="TYPE", help="only this case type; repeatable"
    )
    sla.add_argument(
        "--stage",
        dest="stages",
        type=_stage,
        action="append",
        default=[],
        metavar="STAGE",
        help="only this stage (discover, assign, acknowledge, arrive, resolve, close); repeatable",
    )

    command("kpis", help="the town screen's tiles: open cases, closed in 7 days, time to resolve, alarms today")

    chart = command(
        "chart",
        help="the trend or profile chart as an SVG or PNG file",
        description="Draws the chart the dashboard shows and writes it to --out.",
    )
    chart.add_argument("chart", choices=("trend", "profile"), help="which chart")
    chart.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write it (.svg or .png)")
    chart.add_argument("--format", choices=("svg", "png"), help="image format (default: from the suffix of --out)")
    chart.add_argument("--lang", choices=("zh-CN", "en"), default="zh-CN", help="labels' language (%(default)s)")
    chart.add_argument("--width", type=_pixels, default=0, metavar="PX", help="width in pixels (the service's: 960)")
    chart.add_argument("--height", type=_pixels, default=0, metavar="PX", help="height in pixels (the service's: 480)")
    _add_range(chart, "with --to; neither: the service's default range")
    _add_trend_filters(chart)
    chart.add_argument("--place", dest="places", action="append", default=[], metavar="PLACE", help=place_help)
    _add_profile_options(chart)

    command(
        "rebuild",
        help="forget the roll-ups and replay the grid's streams into them, with progress",
        description="Forgets every roll-up and replays the grid's JetStream history into them; live counting "
        "goes on meanwhile, and every event still counts once.",
    )

    history = command(
        "import-history",
        help="import made-up alarms of the past days (the demo's history) into analytics",
        description="Generates the scenario grid's alarm history (late-evening dumping at the garbage rooms, "
        "e-bikes falling off, weekend crowds) for the days before today and imports it. Ids are the same on "
        "every run: alarms imported before are skipped.",
    )
    history.add_argument("--days", type=_positive_int, default=60, metavar="N", help="days of history (%(default)s)")
    history.add_argument(
        "--scale", type=_positive_float, default=1.0, metavar="X", help="multiply every rate (%(default)s)"
    )
    history.add_argument("--seed", type=int, default=7, help="random seed (%(default)s)")
    history.add_argument("--grid", default=DEFAULT_GRID, help="grid (%(default)s)")
    history.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario YAML (%(default)s)")


def _registry_kind(text: str) -> str:
    from microbrain_cli.registry import parse_kind

    try:
        return parse_kind(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _year(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 2000 <= value <= 2100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year from 2000 to 2100")
    return value


def _moment(text: str):
    from microbrain_cli.registry import parse_at

    try:
        return parse_at(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _project_status(text: str) -> int:
    from microbrain_cli.registry import parse_status

    try:
        return parse_status(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _building_kind(text: str) -> int:
    from microbrain_cli.registry import parse_building_kind

    try:
        return parse_building_kind(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# Which `registry list` filters each kind takes (argument dest -> the kinds).
REGISTRY_FILTERS = {
    "category": ("projects",),
    "status": ("projects",),
    "year": ("projects", "targets"),
    "building_id": ("stations", "firms"),
    "service": ("stations",),
    "type": ("partners",),
    "building_kind": ("buildings",),
    "billion_yuan_only": ("buildings",),
    "newly_signed_only": ("firms",),
    "project": ("progress",),
}


def _add_registry(sub) -> None:
    registry = sub.add_parser(
        "registry",
        help="the town's registries: projects and progress, stations and the 5-minute circle, partners, buildings, "
        "firms, targets; spreadsheets in and out",
        description="Asks the registry service. Dates and times are the town's (Asia/Shanghai).",
    )
    commands = registry.add_subparsers(dest="registry_command", required=True)
    target = os.environ.get("MB_REGISTRY_TARGET", DEFAULT_REGISTRY_TARGET)
    target_help = f"registry gRPC address HOST:PORT (default: $MB_REGISTRY_TARGET or {DEFAULT_REGISTRY_TARGET})"
    kinds = "projects, progress, stations, partners, buildings, firms, targets"

    def command(name: str, **kw) -> argparse.ArgumentParser:
        parser = commands.add_parser(name, **kw)
        parser.add_argument("--target", default=target, help=target_help)
        parser.set_defaults(registry_parser=parser)
        return parser

    imp = command(
        "import",
        help="create or update records from a CSV or XLSX file; bad rows are listed and left out",
        description="Sends a spreadsheet (one row per record, the columns `export` writes) to the registry: a row "
        "whose id exists updates that record. Exits 1 when any row was bad (the good rows are kept).",
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the .csv (UTF-8) or .xlsx file")
    imp.add_argument(
        "--kind", type=_registry_kind, metavar="KIND", help=f"what the rows are ({kinds}; default: from the file name)"
    )
    imp.add_argument("--format", choices=("csv", "xlsx"), help="default: from the file's suffix")
    imp.add_argument("--dry-run", action="store_true", help="check every row and report, change nothing")
    imp.add_argument("--actor", default="", metavar="NAME", help="who the changes are recorded as (your user name)")

    exp = command("export", help="every record of a kind as a CSV or XLSX file")
    exp.add_argument("kind", type=_registry_kind, metavar="KIND", help=kinds)
    exp.add_argument("--out", type=Path, metavar="FILE", help="where to write it (default: KIND-DATE.csv here)")
    exp.add_argument("--format", choices=("csv", "xlsx"), help="default: from the suffix of --out, else csv")

    seed = command(
        "seed",
        help="import the seed data set (what `make run` loads)",
        description="Imports DIR's partners, buildings, projects, targets, firms, stations and progress CSVs, in "
        "that order. Imports update by id, so seeding again changes nothing.",
    )
    seed.add_argument(
        "directory", type=Path, nargs="?", default=Path("deploy/registry"), metavar="DIR", help="(%(default)s)"
    )
    seed.add_argument("--actor", default="seed", metavar="NAME", help="who the records are recorded as (seed)")

    listing = command("list", help="the records of a kind as a table")
    listing.add_argument("kind", type=_registry_kind, metavar="KIND", help=kinds)
    listing.add_argument("--query", default="", metavar="TEXT", help="text in the name (and other text fields)")
    listing.add_argument("--category", default="", help="projects: only this category")
    listing.add_argument("--status", type=_project_status, default=0, help="projects: only this status")
    listing.add_argument("--year", type=_year, default=0, help="projects, targets: only this year")
    listing.add_argument("--building", dest="building_id", default="", metavar="ID", help="stations, firms: in it")
    listing.add_argument("--service", default="", help="stations: only those offering this service")
    listing.add_argument("--type", default="", help="partners: only this type of organisation")
    listing.add_argument(
        "--building-kind", type=_building_kind, default=0, metavar="KIND", help="buildings: only this kind"
    )
    listing.add_argument("--billion-yuan", dest="billion_yuan_only", action="store_true", help="buildings: 亿元楼")
    listing.add_argument(
        "--newly-signed", dest="newly_signed_only", action="store_true", help="firms: only newly signed ones"
    )
    listing.add_argument("--project", default="", metavar="ID", help="progress: only this project's entries")
    listing.add_argument("--limit", type=_positive_int, default=200, metavar="N", help="at most N (%(default)s)")

    progress = command("progress", help="livelihood projects against their targets, and whether behind plan")
    progress.add_argument("--as-of", type=_day, default="", metavar="YYYY-MM-DD", help="the date (default: today)")
    progress.add_argument("--year", type=_year, default=0, help="only projects of this year")

    circle = command("circle", help="the 5-minute service circle: places covered by an open station, and the gaps")
    circle.add_argument(
        "--at", type=_moment, metavar="WHEN", help="the moment, e.g. 2026-11-26T21:30, the town's time (default: now)"
    )
    circle.add_argument(
        "--radius", type=_positive_float, default=0.0, metavar="M", help="metres (default: the registry's, 400)"
    )

    targets = command("targets", help="the town's targets against their actuals")
    targets.add_argument("--year", type=_year, default=0, help="only this year")


def _check_registry(args: argparse.Namespace) -> None:
    parser = args.registry_parser
    from microbrain_cli import registry as r

    if args.registry_command == "import":
        if not args.file.is_file():
            parser.error(f"no such file: {args.file}")
        try:
            args.kind = args.kind or r.kind_from_path(args.file)
            args.format = r.format_from_path(args.file, args.format)
        except ValueError as e:
            parser.error(str(e))
    elif args.registry_command == "export":
        if args.out is not None and not args.format:
            try:
                args.format = r.format_from_path(args.out)
            except ValueError as e:
                parser.error(str(e))
        args.format = args.format or "csv"
    elif args.registry_command == "list":
        if args.kind == "progress" and args.query:
            parser.error("--query is not for progress: give --project")
        for dest, kinds in REGISTRY_FILTERS.items():
            if getattr(args, dest) and args.kind not in kinds:
                option = "--" + {"building_id": "building", "billion_yuan_only": "billion-yuan"}.get(
                    dest, dest.replace("_only", "").replace("_", "-")
                )
                parser.error(f"{option} is for {' and '.join(kinds)}, not {args.kind}")


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot check alone; a problem exits with a usage error (code 2)."""
    if args.command == "registry":
        _check_registry(args)
        return
    if args.command != "analytics":
        return
    parser = args.analytics_parser
    start, end = getattr(args, "start", None), getattr(args, "end", None)
    if (start is None) != (end is None):
        parser.error("give both --from and --to, or neither for the default range")
    if start is not None and start > end:
        parser.error(f"--from {start} is after --to {end}")
    if args.analytics_command != "chart":
        return
    from microbrain_cli.analytics import chart_format

    try:
        args.format = chart_format(args.out, args.format)
    except ValueError as e:
        parser.error(str(e))
    if args.chart == "trend" and (args.share is not None or args.max_hours is not None):
        parser.error("--share and --max-hours are for the profile chart")
    if args.chart == "profile" and (args.types or args.by):
        parser.error("--type and --by are for the trend chart")


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

    sub.add_parser(
        "users",
        help="the dashboard's users (the gateway's database): add, list, passwd, disable, enable",
        add_help=False,
    )
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
    _add_analytics(sub)
    _add_registry(sub)
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


async def _analytics(args: argparse.Namespace, console: Console) -> int:
    from microbrain_cli import analytics as a

    command, target = args.analytics_command, args.target
    span = {"start": args.start or "", "end": args.end or ""} if hasattr(args, "start") else {}
    if command == "trend":
        request = a.trend_request(**span, types=args.types, places=args.places, by=args.by or "type")
        return await a.show_trend(target, console=console, request=request)
    if command == "profile":
        request = a.profile_request(**span, places=args.places, share=args.share or 0.0, max_hours=args.max_hours or 0)
        return await a.show_profile(target, console=console, request=request)
    if command == "crowd":
        return await a.show_crowd(target, console=console, zones=args.zones)
    if command == "sla":
        return await a.show_sla(
            target, console=console, request=a.sla_request(**span, types=args.types, stages=args.stages)
        )
    if command == "kpis":
        return await a.show_kpis(target, console=console)
    if command == "chart":
        query = {}
        if args.chart == "trend":
            query["trend"] = a.trend_request(**span, types=args.types, places=args.places, by=args.by or "type")
        else:
            query["profile"] = a.profile_request(
                **span, places=args.places, share=args.share or 0.0, max_hours=args.max_hours or 0
            )
        request = a.chart_request(
            args.chart, fmt=args.format, language=args.lang, width=args.width, height=args.height, **query
        )
        return await a.save_chart(target, console=console, request=request, out=args.out)
    if command == "rebuild":
        return await a.rebuild(target, console=console)
    grid = grid_scenario(load_scenario(args.scenario), args.grid)
    return await a.import_history_command(
        target, grid, console=console, days=args.days, scale=args.scale, seed=args.seed
    )


async def _registry(args: argparse.Namespace, console: Console) -> int:
    from microbrain_cli import registry as r

    command, target = args.registry_command, args.target
    if command == "import":
        return await r.import_file(
            target,
            args.file,
            kind=args.kind,
            fmt=args.format,
            console=console,
            dry_run=args.dry_run,
            actor=args.actor,
        )
    if command == "export":
        return await r.export_file(target, kind=args.kind, fmt=args.format, out=args.out, console=console)
    if command == "seed":
        return await r.seed_command(target, args.directory, console=console, actor=args.actor)
    if command == "list":
        filters = {dest: getattr(args, dest) for dest, kinds in REGISTRY_FILTERS.items() if args.kind in kinds}
        if args.kind != "progress":
            filters["query"] = args.query
        if "building_kind" in filters:
            filters["kind"] = filters.pop("building_kind")
        return await r.list_records(target, args.kind, console=console, limit=args.limit, filters=filters)
    if command == "progress":
        return await r.show_progress(target, console=console, as_of=args.as_of, year=args.year)
    if command == "circle":
        return await r.show_circle(target, console=console, at=args.at, radius_m=args.radius)
    return await r.show_targets(target, console=console, year=args.year)


def main(argv: list[str] | None = None) -> int:
    """Runs the microbrain command line and returns its exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["users"]:
        # The gateway's own tool, on the gateway's database: MB_DATABASE_URL, or the local run's.
        from microbrain_gateway.users import main_users

        os.environ.setdefault("MB_DATABASE_URL", f"sqlite+aiosqlite:///{Path('.state/gateway.db').resolve()}")
        return main_users(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    console = Console()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=console, show_path=False, rich_tracebacks=True)],
    )
    # grpc and nats are chatty at INFO about things our own lines already say.
    for noisy in ("grpc", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    command = {"simulate": _simulate, "up": _up, "cases": _cases, "analytics": _analytics, "registry": _registry}[
        args.command
    ]
    try:
        return asyncio.run(command(args, console))
    except ScenarioError as e:
        console.print(f"[bold red]microbrain {args.command}:[/] {e}", highlight=False)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
