"""`microbrain registry`: the town's registries as the registry service keeps them. Spreadsheets in and out
(import, export, and the seed data set `make run` loads), lists of each kind of record, the livelihood projects
against their targets, the 5-minute service circle and the town's targets."""

import asyncio
import getpass
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import registry_service_pb2_grpc as pb_grpc
from microbrain.registry.v1 import resources_pb2 as res
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from microbrain_cli.calls import ServiceCalls
from microbrain_cli.history import SHANGHAI
from microbrain_cli.services import SERVICES, find

DEFAULT_TARGET = f"127.0.0.1:{find(SERVICES, 'registry').grpc_port}"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["RegistryService"].full_name
# The kinds of record, by the name their files go by ("projects.csv").
KINDS: dict[str, int] = {
    "projects": res.KIND_PROJECT,
    "progress": res.KIND_PROGRESS,
    "stations": res.KIND_STATION,
    "partners": res.KIND_PARTNER,
    "buildings": res.KIND_BUILDING,
    "firms": res.KIND_FIRM,
    "targets": res.KIND_TARGET,
}
FORMATS: dict[str, int] = {"csv": pb.FORMAT_CSV, "xlsx": pb.FORMAT_XLSX}
# The order `seed` imports in: what a record refers to is there before it.
SEED_ORDER = ("partners", "buildings", "projects", "targets", "firms", "stations", "progress")
_RPC_TIMEOUT_S = 30.0
CALLS = ServiceCalls(
    "registry", "MB_REGISTRY_TARGET", SERVICE_NAME, DEFAULT_TARGET, pb_grpc.RegistryServiceStub, _RPC_TIMEOUT_S
)
rpc_failure = CALLS.failure  # what the commands (and their tests) call
# An import checks and writes every row in one call.
_IMPORT_TIMEOUT_S = 120.0
_PAGE_SIZE = 500
_ALIASES = {name.removesuffix("s"): name for name in KINDS} | {"entries": "progress", "town_targets": "targets"}
_BUILDING_KINDS = {"residential_compound", "residential_building", "office_building", "mixed_use", "other"}


def default_actor() -> str:
    """Who an import is recorded as by default: this machine's user name."""
    try:
        return getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


# --- arguments (no I/O) -----------------------------------------------------------------------------------


def parse_kind(text: str) -> str:
    """A kind as typed on the command line ("projects", "project", "KIND_PROJECT") -> its file name."""
    key = text.strip().lower().replace("-", "_").removeprefix("kind_")
    key = _ALIASES.get(key, key)
    if key not in KINDS:
        raise ValueError(f"unknown kind {text!r}; one of {', '.join(KINDS)}")
    return key


def kind_from_path(path: Path) -> str:
    """The kind a file holds by its name: "projects.csv", "stations-2026-11-26.xlsx"."""
    stem = path.stem.lower()
    for name in KINDS:
        if stem == name or (stem.startswith(name) and stem[len(name)] in "-_. "):
            return name
    raise ValueError(
        f"cannot tell the kind of record from {path.name!r}: name the file after it ({', '.join(KINDS)}), "
        "or give --kind"
    )


def format_from_path(path: Path, explicit: str | None = None) -> str:
    """The spreadsheet format: as asked, or from the file's suffix (.csv, .xlsx)."""
    if explicit:
        if explicit not in FORMATS:
            raise ValueError(f"unknown format {explicit!r}; one of {', '.join(FORMATS)}")
        return explicit
    suffix = path.suffix.lower().removeprefix(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format from {path.name!r}: name it .csv or .xlsx, or give --format")
    return suffix


def parse_at(text: str) -> datetime:
    """A moment as typed ("2026-11-26T21:30", "2026-11-26 21:30"); without an offset it is the town's time."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time like 2026-11-26T21:30") from None
    return when if when.tzinfo else when.replace(tzinfo=SHANGHAI)


def parse_building_kind(text: str) -> int:
    """A building kind as typed ("office_building", "office-building", "BUILDING_KIND_MIXED_USE")."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_").removeprefix("building_kind_")
    if key not in _BUILDING_KINDS:
        raise ValueError(f"unknown building kind {text!r}; one of {', '.join(sorted(_BUILDING_KINDS))}")
    return res.BuildingKind.Value(f"BUILDING_KIND_{key.upper()}")


def parse_status(text: str) -> int:
    """A project status as typed ("in_progress", "in progress", "PROJECT_STATUS_COMPLETED")."""
    key = text.strip().upper().replace("-", "_").replace(" ", "_").removeprefix("PROJECT_STATUS_")
    names = [n.removeprefix("PROJECT_STATUS_").lower() for n in res.ProjectStatus.keys()[1:]]
    if key.lower() not in names:
        raise ValueError(f"unknown project status {text!r}; one of {', '.join(names)}")
    return res.ProjectStatus.Value(f"PROJECT_STATUS_{key}")


def timestamp(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when.astimezone(UTC))
    return ts


# --- formatting (no I/O) ----------------------------------------------------------------------------------


def short_name(enum, value: int, prefix: str) -> str:
    """An enum value for people: BUILDING_KIND_OFFICE_BUILDING -> "office building"; "-" when unset."""
    if value == 0:
        return "-"
    try:
        return enum.Name(value).removeprefix(prefix).lower().replace("_", " ")
    except ValueError:
        return str(value)


def figure(value: float) -> str:
    """A figure as a table shows it: "100,000", "66.5", "27.08"."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def yuan(amount: float) -> str:
    """An amount of yuan the Chinese way: "1.86 亿", "9,850 万"."""
    if abs(amount) >= 1e8:
        return f"{amount / 1e8:.2f} 亿"
    if abs(amount) >= 1e4:
        return f"{amount / 1e4:,.0f} 万"
    return f"{amount:,.0f}"


def share(value: float) -> str:
    return f"{value:.0%}"


def days_text(days: Iterable[int]) -> str:
    """Weekdays 1..7 as runs: [1, 2, 3, 4, 5] -> "1-5"; [1, 3, 5] -> "1,3,5"."""
    runs: list[list[int]] = []
    for d in sorted(set(days)):
        if runs and d == runs[-1][1] + 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return ",".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def hours_text(hours: Sequence[res.OpeningHours]) -> str:
    """Opening hours as the files write them: "1-5 09:00-18:00; 6-7 10:00-16:00"; none: not open."""
    if not hours:
        return "[dim]never (being set up)[/]"
    return "; ".join(f"{days_text(h.weekdays)} {h.opens}-{h.closes}" for h in hours)


def bad_rows(errors: Sequence[pb.RowError]) -> int:
    """How many rows were left out (a row may have several bad cells)."""
    return len({e.row for e in errors})


def counts_text(created: int, updated: int, unchanged: int, bad: int) -> str:
    """ "12 created, 3 updated, 0 unchanged, 2 bad rows"."""
    return (
        f"{created:,} created, {updated:,} updated, {unchanged:,} unchanged, {bad:,} bad row{'s' if bad != 1 else ''}"
    )


def import_summary(reply: pb.ImportRecordsResponse, *, dry_run: bool = False) -> str:
    """What an import did: "12 created, 3 updated, 0 unchanged, 2 bad rows" (a dry run says nothing changed)."""
    text = counts_text(reply.created, reply.updated, reply.unchanged, bad_rows(reply.errors))
    return f"dry run, nothing changed: {text}" if dry_run else text


def row_errors_table(errors: Sequence[pb.RowError], *, title: str = "bad rows (left out)") -> Table:
    """One line per bad cell: its row as the spreadsheet shows it (the header is row 1), column, what is wrong."""
    table = Table(title=title, title_justify="left")
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("problem", overflow="fold")
    for e in sorted(errors, key=lambda e: e.row):
        table.add_row(str(e.row), escape(e.column) or "-", escape(e.message))
    return table


def seed_table(replies: dict[str, pb.ImportRecordsResponse]) -> Table:
    """One line per file seeded: rows, created, updated, unchanged, bad rows."""
    table = Table(title="registry seed data", title_justify="left")
    table.add_column("file")
    for column in ("rows", "created", "updated", "unchanged", "bad rows"):
        table.add_column(column, justify="right")
    for name, r in replies.items():
        bad = bad_rows(r.errors)
        table.add_row(
            f"{name}.csv",
            f"{r.rows:,}",
            f"{r.created:,}",
            f"{r.updated:,}",
            f"{r.unchanged:,}",
            f"[red]{bad:,}[/]" if bad else "0",
        )
    return table


def _name_id(name: str, record_id: str) -> str:
    return f"{escape(name)}\n[dim]{escape(record_id)}[/]" if name else escape(record_id)


def target_text(t: res.Target) -> str:
    """ "60 台 (aiming for 65)", "≥ 500 人"."""
    text = f"{'≥ ' if t.at_least else ''}{figure(t.value)} {t.unit}".strip()
    if t.stretch:
        text += f" (aiming for {figure(t.stretch)})"
    return escape(text)


def projects_table(projects: Sequence[res.LivelihoodProject]) -> Table:
    table = Table(title="livelihood projects", title_justify="left")
    for column in ("project", "category", "owner", "year", "target", "status", "milestones done"):
        table.add_column(column, overflow="fold")
    for p in projects:
        done = sum(1 for m in p.milestones if m.done_date)
        table.add_row(
            _name_id(p.name, p.project_id),
            escape(p.category),
            escape(p.owner),
            str(p.year or ""),
            target_text(p.target),
            short_name(res.ProjectStatus, p.status, "PROJECT_STATUS_"),
            f"{done}/{len(p.milestones)}" if p.milestones else "-",
        )
    return table


def progress_entries_table(entries: Sequence[res.ProgressEntry], names: dict[str, str] | None = None) -> Table:
    names = names or {}
    table = Table(title="progress entries", title_justify="left")
    for column in ("project", "date", "kind", "value", "note", "evidence", "recorded by"):
        table.add_column(column, overflow="fold", justify="right" if column == "value" else "left")
    for e in entries:
        table.add_row(
            _name_id(names.get(e.project_id, ""), e.project_id),
            e.date,
            short_name(res.ProgressKind, e.kind, "PROGRESS_KIND_"),
            ("+" if e.kind == res.PROGRESS_KIND_ADD and e.value >= 0 else "") + figure(e.value),
            escape(e.note),
            str(len(e.evidence)) if e.evidence else "",
            escape(e.recorded_by),
        )
    return table


def stations_table(stations: Sequence[res.ServiceStation]) -> Table:
    table = Table(title="service stations", title_justify="left")
    for column in ("station", "building", "services", "opening hours", "partners"):
        table.add_column(column, overflow="fold")
    for s in stations:
        table.add_row(
            _name_id(s.name, s.station_id),
            escape(s.building_id) or "-",
            escape(", ".join(s.services)),
            hours_text(s.opening_hours),
            escape(", ".join(s.partner_ids)),
        )
    return table


def partners_table(partners: Sequence[res.PartnerUnit]) -> Table:
    table = Table(title="partner units", title_justify="left")
    for column in ("partner", "type", "contact", "joined", "joint projects"):
        table.add_column(column, overflow="fold")
    for p in partners:
        contact = " ".join(x for x in (p.contact_person, p.contact_phone) if x)
        table.add_row(
            _name_id(p.name, p.partner_id),
            escape(p.type),
            escape(contact),
            str(p.joined_year or ""),
            escape(", ".join(p.joint_projects)),
        )
    return table


def latest_tax(b: res.Building) -> res.TaxYear | None:
    return max(b.tax, key=lambda t: t.year, default=None)


def buildings_table(buildings: Sequence[res.Building]) -> Table:
    table = Table(title="buildings", title_justify="left")
    for column in ("building", "kind", "location", "tax (latest year)", "band"):
        table.add_column(column, overflow="fold")
    for b in buildings:
        latest = latest_tax(b)
        band = escape(b.tax_band)
        if b.billion_yuan_building:
            band = f"[bold green]{band or '≥1亿'} 亿元楼[/]"
        table.add_row(
            _name_id(b.name, b.building_id),
            short_name(res.BuildingKind, b.kind, "BUILDING_KIND_"),
            f"{b.location.lat:.4f}, {b.location.lon:.4f}" if b.HasField("location") else "-",
            f"{latest.year}: {yuan(latest.amount_yuan)}" if latest else "-",
            band,
        )
    return table


def firms_table(firms: Sequence[res.Firm]) -> Table:
    table = Table(title="firms", title_justify="left")
    for column in ("firm", "building", "industry", "signed", "contact", "follow-ups", "latest follow-up"):
        table.add_column(column, overflow="fold")
    for f in firms:
        last = f.follow_ups[-1] if f.follow_ups else None
        contact = " ".join(x for x in (f.contact_person, f.contact_phone) if x)
        table.add_row(
            _name_id(f.name, f.firm_id),
            escape(f.building_id) or "-",
            escape(f.industry),
            f.signed_date or "-",
            escape(contact),
            str(len(f.follow_ups)),
            escape(" ".join(x for x in (last.date, last.by, last.note) if x)) if last else "",
        )
    return table


def targets_table(targets: Sequence[res.TownTarget], *, title: str = "town targets") -> Table:
    """Target against actual: the figure to reach, the latest actual and when, the share, met or not."""
    table = Table(title=title, title_justify="left")
    table.add_column("target", overflow="fold")
    table.add_column("year")
    for column in ("to reach", "actual", "share"):
        table.add_column(column, justify="right")
    for column in ("", "as of", "note"):
        table.add_column(column, overflow="fold")
    for t in targets:
        sign = {res.COMPARISON_AT_LEAST: "≥ ", res.COMPARISON_AT_MOST: "≤ "}.get(t.comparison, "")
        unit = f" {t.unit}" if t.unit else ""
        met = "[green]met[/]" if t.met else "[yellow]not yet[/]"
        table.add_row(
            _name_id(t.name, t.target_id),
            str(t.year),
            escape(f"{sign}{figure(t.target)}{unit}"),
            escape(f"{figure(t.actual)}{unit}"),
            share(t.share),
            met,
            t.actual_as_of or "-",
            escape(t.note),
        )
    return table


def project_progress_table(
    progress: Sequence[res.ProjectProgress], names: dict[str, str] | None = None, *, title: str = ""
) -> Table:
    """Each project's figure against its target and stretch, where the straight-line plan is, and whether it is
    behind it; overdue milestones."""
    names = names or {}
    as_of = progress[0].as_of if progress else ""
    table = Table(title=title or f"livelihood projects as of {as_of}", title_justify="left")
    table.add_column("project", overflow="fold")
    for column in ("figure", "target", "stretch", "share", "planned"):
        table.add_column(column, justify="right")
    table.add_column("", overflow="fold")
    table.add_column("entries", justify="right")
    table.add_column("overdue milestones", overflow="fold")
    for p in progress:
        t = p.target
        if p.target_met:
            state = "[green]target met[/]"
        elif p.behind_plan:
            state = f"[red]behind plan by {figure(round(p.planned_value - p.value, 1))}[/]"
        else:
            state = "[green]on track[/]"
        target = f"{'≥ ' if t.at_least else ''}{figure(t.value)}"
        stretch = f"{figure(t.stretch)} ({share(p.share_of_stretch)})" if t.stretch else "-"
        table.add_row(
            _name_id(names.get(p.project_id, ""), p.project_id),
            escape(f"{figure(p.value)} {t.unit}".strip()),
            escape(target),
            stretch,
            share(p.share_of_target),
            figure(round(p.planned_value, 1)),
            state,
            str(p.entries),
            escape("; ".join(f"{m.name} (due {m.due_date})" for m in p.overdue_milestones)),
        )
    return table


def local_time(ts: Timestamp, tz: tzinfo | None = SHANGHAI) -> datetime:
    return ts.ToDatetime(tzinfo=UTC).astimezone(tz)


def circle_view(reply: pb.GetServiceCircleResponse, *, tz: tzinfo | None = SHANGHAI) -> RenderableType:
    """The 5-minute service circle: a heading, the places covered with their station, and the gaps with why."""
    when = f"{local_time(reply.at, tz):%Y-%m-%d %H:%M %a}" if reply.HasField("at") else "now"
    covered, gaps = len(reply.covered), len(reply.gaps)
    heading = (
        f"5-minute service circle at {when}, within {figure(reply.radius_m)} m: {covered} covered, "
        f"{gaps} gap{'s' if gaps != 1 else ''}; {len(reply.open_station_ids)} station"
        f"{'s' if len(reply.open_station_ids) != 1 else ''} open"
    )
    parts: list[RenderableType] = [Text(heading, style="bold")]

    def table(title: str, entries: Sequence[pb.CircleEntry], *, reasons: bool) -> Table:
        t = Table(title=title, title_justify="left")
        t.add_column("place", overflow="fold")
        t.add_column("kind")
        t.add_column("nearest open station" if not reasons else "nearest station", overflow="fold")
        t.add_column("distance", justify="right")
        if reasons:
            t.add_column("why", overflow="fold")
        for e in entries:
            cells = [
                _name_id(e.building.name, e.building.building_id),
                short_name(res.BuildingKind, e.building.kind, "BUILDING_KIND_"),
                _name_id(e.station_name, e.station_id) if e.station_id else "-",
                f"{e.distance_m:,.0f} m" if e.station_id else "-",
            ]
            if reasons:
                cells.append(f"[red]{escape(e.reason)}[/]" if e.reason else "")
            t.add_row(*cells)
        return t

    if reply.covered:
        parts.append(table("covered", reply.covered, reasons=False))
    if reply.gaps:
        parts.append(table("gaps", reply.gaps, reasons=True))
    return Group(*parts)


def _say_error(console: Console, message: str) -> int:
    console.print(f"[bold red]microbrain registry:[/] {escape(message)}", highlight=False)
    return 1


# --- calls --------------------------------------------------------------------------------------------------


def _spinner(console: Console) -> Progress:
    # Off a terminal (a pipe, a log) it would only leave a blank line behind.
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


async def import_file(
    target: str,
    path: Path,
    *,
    kind: str,
    fmt: str,
    console: Console,
    dry_run: bool = False,
    actor: str = "",
) -> int:
    """`import`: sends the file, shows a spinner until the registry answers, then the bad rows and a summary;
    exit code 1 when any row was bad."""
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as e:
        return _say_error(console, f"cannot read {path}: {e.strerror or e}")
    request = pb.ImportRecordsRequest(
        kind=KINDS[kind], format=FORMATS[fmt], content=content, actor=actor or default_actor(), dry_run=dry_run
    )
    verb = "checking" if dry_run else "importing"
    progress = _spinner(console)
    progress.add_task(f"{verb} {path.name} ({len(content):,} bytes) as {kind} at {target}", total=None)
    with progress:
        reply, rc = await CALLS.unary(target, console, lambda s: s.ImportRecords(request, timeout=_IMPORT_TIMEOUT_S))
    if reply is None:
        return rc
    if reply.errors:
        console.print(row_errors_table(reply.errors))
    console.print(f"{path.name}: {import_summary(reply, dry_run=dry_run)}", highlight=False)
    return 1 if reply.errors else 0


async def export_file(target: str, *, kind: str, fmt: str, out: Path | None, console: Console) -> int:
    """`export`: every record of a kind to a file (--out, or the name the registry gives in this directory)."""
    request = pb.ExportRecordsRequest(kind=KINDS[kind], format=FORMATS[fmt])
    reply, rc = await CALLS.unary(target, console, lambda s: s.ExportRecords(request, timeout=_IMPORT_TIMEOUT_S))
    if reply is None:
        return rc
    out = out or Path(reply.filename or f"{kind}.{fmt}")
    try:
        await asyncio.to_thread(out.write_bytes, reply.content)
    except OSError as e:
        return _say_error(console, f"cannot write {out}: {e.strerror or e}")
    console.print(
        f"wrote {out} ({len(reply.content):,} bytes, {reply.content_type or 'unknown type'})", highlight=False
    )
    return 0


def seed_files(directory: Path) -> list[tuple[str, Path]]:
    """The seed files there are in directory, in SEED_ORDER."""
    return [(name, directory / f"{name}.csv") for name in SEED_ORDER if (directory / f"{name}.csv").is_file()]


async def seed(
    target: str,
    directory: Path,
    actor: str = "seed",
    *,
    on_file: Callable[[str, pb.ImportRecordsResponse | None], None] | None = None,
) -> dict[str, pb.ImportRecordsResponse]:
    """Imports the seed CSVs in directory (partners.csv, buildings.csv, …) in SEED_ORDER, each a file the
    registry answers before the next goes; returns the replies by kind. on_file sees each kind before (None)
    and after its import. Raises FileNotFoundError when there is no seed file, AioRpcError when a call fails."""
    files = seed_files(directory)
    if not files:
        raise FileNotFoundError(f"no seed files ({', '.join(f'{n}.csv' for n in SEED_ORDER)}) in {directory}")
    replies: dict[str, pb.ImportRecordsResponse] = {}
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.RegistryServiceStub(channel)
        for name, path in files:
            if on_file is not None:
                on_file(name, None)
            content = await asyncio.to_thread(path.read_bytes)
            request = pb.ImportRecordsRequest(kind=KINDS[name], format=pb.FORMAT_CSV, content=content, actor=actor)
            replies[name] = await stub.ImportRecords(request, timeout=_IMPORT_TIMEOUT_S)
            if on_file is not None:
                on_file(name, replies[name])
    return replies


async def seed_command(target: str, directory: Path, *, console: Console, actor: str = "seed") -> int:
    """`seed`: the seed data set with a bar over its files, then a line per file and any bad rows; exit code 1
    when any row was bad."""
    files = seed_files(directory)
    if not files:
        return _say_error(console, f"no seed files ({', '.join(f'{n}.csv' for n in SEED_ORDER)}) in {directory}")
    progress = Progress(
        SpinnerColumn(),
        TextColumn("seeding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task("", total=len(files))

    def step(name: str, reply: pb.ImportRecordsResponse | None) -> None:
        if reply is None:
            progress.update(task, description=f"{name}.csv")
        else:
            progress.advance(task)

    with progress:
        try:
            replies = await seed(target, directory, actor, on_file=step)
        except grpc.aio.AioRpcError as e:
            progress.stop()
            return CALLS.fail(console, target, e)
        except OSError as e:
            progress.stop()
            return _say_error(console, f"cannot read the seed files in {directory}: {e}")
    console.print(seed_table(replies))
    for name, reply in replies.items():
        if reply.errors:
            console.print(row_errors_table(reply.errors, title=f"{name}.csv: bad rows (left out)"))
    bad = sum(bad_rows(r.errors) for r in replies.values())
    summary = counts_text(
        sum(r.created for r in replies.values()),
        sum(r.updated for r in replies.values()),
        sum(r.unchanged for r in replies.values()),
        bad,
    )
    console.print(f"seeded {target} from {directory}: {summary}", highlight=False)
    return 1 if bad else 0


async def _pages(call: Callable[[common_pb2.PageRequest], object], field: str, limit: int) -> tuple[list, int]:
    """Every item of a List call up to limit, and the total the service counts."""
    items: list = []
    token = ""
    total = 0
    while True:
        reply = await call(common_pb2.PageRequest(page_size=min(_PAGE_SIZE, limit - len(items)), page_token=token))
        items.extend(getattr(reply, field))
        total = reply.total_size
        token = reply.page.next_page_token
        if not token or len(items) >= limit:
            return items[:limit], max(total, len(items))


# What each list calls: its method, request and the field its reply lists in, and the table.
_LISTS: dict[str, tuple[str, type, str, Callable[[Sequence], Table]]] = {
    "projects": ("ListProjects", pb.ListProjectsRequest, "projects", projects_table),
    "stations": ("ListStations", pb.ListStationsRequest, "stations", stations_table),
    "partners": ("ListPartners", pb.ListPartnersRequest, "partners", partners_table),
    "buildings": ("ListBuildings", pb.ListBuildingsRequest, "buildings", buildings_table),
    "firms": ("ListFirms", pb.ListFirmsRequest, "firms", firms_table),
    "targets": ("ListTargets", pb.ListTargetsRequest, "targets", targets_table),
}


def list_request(kind: str, filters: dict) -> object:
    """The List request of a kind with its filters (those left None or empty are not sent)."""
    _, request_type, _, _ = _LISTS[kind]
    return request_type(**{k: v for k, v in filters.items() if v})


async def list_records(
    target: str, kind: str, *, console: Console, limit: int = 200, filters: dict | None = None
) -> int:
    """`list KIND`: the records of a kind as a table; filters are the kind's List request fields (query, year,
    kind, …). Progress lists the entries of one project (filters {"project": ID}) or of every project."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    if kind == "progress":
        return await _list_progress(target, console=console, project=filters.get("project", ""))
    method, _, field, table = _LISTS[kind]
    request = list_request(kind, filters)

    async def call(stub: pb_grpc.RegistryServiceStub):
        def page(p: common_pb2.PageRequest):
            request.page.CopyFrom(p)
            return getattr(stub, method)(request, timeout=_RPC_TIMEOUT_S)

        return await _pages(page, field, limit)

    result, rc = await CALLS.unary(target, console, call)
    if result is None:
        return rc
    items, total = result
    if not items:
        console.print(f"no {kind}" + (" match" if filters else " yet"), highlight=False)
        return 0
    rendered = table(items)
    shown = f"{len(items):,} of {total:,}" if total > len(items) else f"{total:,}"
    rendered.title = f"{rendered.title} ({shown})"
    console.print(rendered)
    return 0


async def _project_names(stub: pb_grpc.RegistryServiceStub, year: int = 0) -> dict[str, str]:
    names: dict[str, str] = {}
    token = ""
    while True:
        reply = await stub.ListProjects(
            pb.ListProjectsRequest(page=common_pb2.PageRequest(page_size=_PAGE_SIZE, page_token=token), year=year),
            timeout=_RPC_TIMEOUT_S,
        )
        names.update((p.project_id, p.name) for p in reply.projects)
        token = reply.page.next_page_token
        if not token:
            return names


async def _list_progress(target: str, *, console: Console, project: str = "") -> int:
    async def call(stub: pb_grpc.RegistryServiceStub):
        names = await _project_names(stub)
        entries: list[res.ProgressEntry] = []
        for project_id in [project] if project else list(names):
            reply = await stub.ListProgress(pb.ListProgressRequest(project_id=project_id), timeout=_RPC_TIMEOUT_S)
            entries.extend(reply.entries)
        return names, entries

    result, rc = await CALLS.unary(target, console, call)
    if result is None:
        return rc
    names, entries = result
    if not entries:
        console.print(f"no progress entries{f' for {project}' if project else ''}", highlight=False)
        return 0
    console.print(progress_entries_table(entries, names))
    return 0


async def show_progress(target: str, *, console: Console, as_of: str = "", year: int = 0) -> int:
    """`progress`: the projects against their targets on a date (the registry's today when empty)."""
    request = pb.GetProjectProgressRequest(as_of=as_of, year=year)

    async def call(stub: pb_grpc.RegistryServiceStub):
        reply = await stub.GetProjectProgress(request, timeout=_RPC_TIMEOUT_S)
        return reply, await _project_names(stub, year)

    result, rc = await CALLS.unary(target, console, call)
    if result is None:
        return rc
    reply, names = result
    if not reply.projects:
        console.print(f"no livelihood projects{f' for {year}' if year else ''}", highlight=False)
        return 0
    console.print(project_progress_table(reply.projects, names))
    behind = [p for p in reply.projects if p.behind_plan and not p.target_met]
    met = sum(1 for p in reply.projects if p.target_met)
    console.print(f"{len(reply.projects)} projects: {met} met their target, {len(behind)} behind plan", highlight=False)
    return 0


async def show_circle(
    target: str, *, console: Console, at: datetime | None = None, radius_m: float = 0.0, tz: tzinfo | None = SHANGHAI
) -> int:
    """`circle`: which residential places have an open station within the radius at a moment, and which not."""
    request = pb.GetServiceCircleRequest(radius_m=radius_m)
    if at is not None:
        request.at.CopyFrom(timestamp(at))
    reply, rc = await CALLS.unary(target, console, lambda s: s.GetServiceCircle(request, timeout=_RPC_TIMEOUT_S))
    if reply is None:
        return rc
    if not reply.covered and not reply.gaps:
        console.print("no residential places in the registry to cover", highlight=False)
        return 0
    console.print(circle_view(reply, tz=tz))
    return 0


async def show_targets(target: str, *, console: Console, year: int = 0) -> int:
    """`targets`: the town's targets of a year against their actuals."""

    async def call(stub: pb_grpc.RegistryServiceStub):
        def page(p: common_pb2.PageRequest):
            return stub.ListTargets(pb.ListTargetsRequest(page=p, year=year), timeout=_RPC_TIMEOUT_S)

        return await _pages(page, "targets", 10_000)

    result, rc = await CALLS.unary(target, console, call)
    if result is None:
        return rc
    targets, _ = result
    if not targets:
        console.print(f"no town targets{f' for {year}' if year else ''}", highlight=False)
        return 0
    console.print(targets_table(targets, title=f"town targets{f' {year}' if year else ''}"))
    met = sum(1 for t in targets if t.met)
    console.print(f"{met} of {len(targets)} met", highlight=False)
    return 0
