"""What `microbrain registry` prints and how it reads its arguments; calls go to a stand-in registry server."""

from collections.abc import Iterator
from concurrent import futures
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import registry_service_pb2_grpc as pb_grpc
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_cli import registry
from microbrain_cli.__main__ import build_parser, check_args, main
from microbrain_cli.history import SHANGHAI
from microbrain_cli.registry import (
    SEED_ORDER,
    buildings_table,
    circle_view,
    figure,
    format_from_path,
    hours_text,
    import_summary,
    kind_from_path,
    parse_at,
    parse_kind,
    project_progress_table,
    row_errors_table,
    rpc_failure,
    stations_table,
    targets_table,
    yuan,
)
from rich.console import Console

SEED = Path(__file__).resolve().parents[4] / "deploy" / "registry"


def _text(renderable, width: int = 200) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def _ts(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


# --- formatting ---------------------------------------------------------------------------------------------


def test_figures_and_yuan():
    assert [figure(v) for v in (100_000, 66.5, 27.08, 0, 1 / 3)] == ["100,000", "66.5", "27.08", "0", "0.33"]
    assert [yuan(v) for v in (186_000_000, 98_500_000, 5_000)] == ["1.86 亿", "9,850 万", "5,000"]


def test_import_summary_counts_rows_not_cells():
    reply = pb.ImportRecordsResponse(
        created=12,
        updated=3,
        unchanged=0,
        rows=17,
        errors=[
            pb.RowError(row=4, column="target", message="'六十' is not a number"),
            pb.RowError(row=4, column="year", message="'x' is not a whole number"),
            pb.RowError(row=9, column="project_id", message="project_id is empty: every row needs one"),
        ],
    )

    assert import_summary(reply) == "12 created, 3 updated, 0 unchanged, 2 bad rows"
    assert import_summary(pb.ImportRecordsResponse(created=1, errors=[reply.errors[0]])) == (
        "1 created, 0 updated, 0 unchanged, 1 bad row"
    )
    assert import_summary(reply, dry_run=True).startswith("dry run, nothing changed: 12 created")
    text = _text(row_errors_table(reply.errors))
    line = next(line for line in text.splitlines() if "六十" in line)
    assert "4" in line and "target" in line


def test_project_progress_shows_target_stretch_plan_and_overdue_milestones():
    progress = [
        res.ProjectProgress(
            project_id="lp-2026-lifts",
            as_of="2026-11-26",
            value=57,
            target=res.Target(value=60, stretch=65, unit="台"),
            share_of_target=0.95,
            share_of_stretch=57 / 65,
            planned_value=54.25,
            entries=6,
        ),
        res.ProjectProgress(
            project_id="lp-2026-meals",
            as_of="2026-11-26",
            value=76_000,
            target=res.Target(value=100_000, unit="份/年"),
            share_of_target=0.76,
            planned_value=90_136.99,
            behind_plan=True,
            entries=4,
        ),
        res.ProjectProgress(
            project_id="lp-2026-health-centre",
            as_of="2026-11-26",
            target=res.Target(value=1, unit="项"),
            planned_value=0.9,
            behind_plan=True,
            overdue_milestones=[res.Milestone(name="主体结构封顶", due_date="2026-08-31")],
        ),
        res.ProjectProgress(
            project_id="lp-2026-talent-housing",
            as_of="2026-11-26",
            value=510,
            target=res.Target(value=500, unit="人", at_least=True),
            share_of_target=1.02,
            planned_value=452,
            target_met=True,
        ),
    ]
    names = {"lp-2026-lifts": "“上下楼”工程", "lp-2026-meals": "“一顿饭”工程"}

    text = _text(project_progress_table(progress, names))

    assert "livelihood projects as of 2026-11-26" in text
    lines = text.splitlines()
    lifts = next(line for line in lines if "“上下楼”工程" in line)
    for part in ("57 台", "60", "65 (88%)", "95%", "54.2", "on track"):
        assert part in lifts
    assert "lp-2026-lifts" in lines[lines.index(lifts) + 1]
    meals = next(line for line in lines if "“一顿饭”工程" in line)
    assert "76,000 份/年" in meals and "behind plan by 14,137" in meals
    health = next(line for line in lines if "lp-2026-health-centre" in line)
    assert "主体结构封顶 (due 2026-08-31)" in health and "behind plan" in health
    talent = next(line for line in lines if "lp-2026-talent-housing" in line)
    assert "≥ 500" in talent and "target met" in talent


def _building(building_id: str, name: str, kind: int = res.BUILDING_KIND_RESIDENTIAL_COMPOUND) -> res.Building:
    return res.Building(building_id=building_id, name=name, kind=kind)


def _circle() -> pb.GetServiceCircleResponse:
    return pb.GetServiceCircleResponse(
        at=_ts(datetime(2026, 11, 26, 13, 30, tzinfo=UTC)),
        radius_m=400,
        covered=[
            pb.CircleEntry(
                building=_building("longbai-huayuan", "龙柏花苑"),
                station_id="st-wanxiangcheng",
                station_name="心驿虹桥·万象城站",
                distance_m=330.4,
            )
        ],
        gaps=[
            pb.CircleEntry(
                building=_building("gengduyuan", "耕读园小区"),
                station_id="st-wuzhong-plaza",
                station_name="心驿虹桥·吴中广场站",
                distance_m=304,
                reason="心驿虹桥·吴中广场站 is 304 m away but closed at 21:30",
            ),
            pb.CircleEntry(building=_building("lonely", "没有站点", res.BUILDING_KIND_RESIDENTIAL_BUILDING)),
        ],
        open_station_ids=["st-wanxiangcheng", "st-hq-finance-port"],
    )


def test_the_circle_shows_covered_places_and_gaps_with_reasons():
    text = _text(circle_view(_circle(), tz=SHANGHAI), width=220)

    assert "5-minute service circle at 2026-11-26 21:30 Thu, within 400 m: 1 covered, 2 gaps; 2 stations open" in text
    lines = text.splitlines()
    covered = next(line for line in lines if "龙柏花苑" in line)
    assert "心驿虹桥·万象城站" in covered and "330 m" in covered and "residential compound" in covered
    gap = next(line for line in lines if "耕读园小区" in line)
    assert "304 m" in gap and "closed at 21:30" in gap
    lonely = next(line for line in lines if "没有站点" in line)
    assert "residential building" in lonely and lonely.count("-") >= 2


def test_stations_buildings_and_targets_tables():
    stations = [
        res.ServiceStation(
            station_id="st-hongwu-center",
            name="心驿虹桥·虹吴中心站",
            building_id="bd-hongwu-center",
            services=["党员活动", "法律咨询"],
            opening_hours=[
                res.OpeningHours(weekdays=[1, 2, 3, 4, 5], opens="08:30", closes="20:30"),
                res.OpeningHours(weekdays=[6], opens="09:00", closes="12:00"),
            ],
        ),
        res.ServiceStation(station_id="st-caokai-park", name="筹建中"),
    ]
    text = _text(stations_table(stations))
    assert "1-5 08:30-20:30; 6 09:00-12:00" in text
    assert "never (being set up)" in text
    assert hours_text([res.OpeningHours(weekdays=[1, 3, 5, 6, 7], opens="09:00", closes="10:00")]) == (
        "1,3,5-7 09:00-10:00"
    )

    buildings = [
        res.Building(
            building_id="bd-wanxiangcheng",
            name="上海万象城",
            kind=res.BUILDING_KIND_MIXED_USE,
            location=common_pb2.GeoPoint(lat=31.1812, lon=121.3872),
            tax=[res.TaxYear(year=2026, amount_yuan=186e6), res.TaxYear(year=2025, amount_yuan=168e6)],
            tax_band="≥1亿",
            billion_yuan_building=True,
        )
    ]
    line = next(line for line in _text(buildings_table(buildings)).splitlines() if "上海万象城" in line)
    for part in ("mixed use", "31.1812, 121.3872", "2026: 1.86 亿", "≥1亿 亿元楼"):
        assert part in line

    targets = [
        res.TownTarget(
            target_id="fiscal_revenue_total",
            year=2026,
            name="财政总收入",
            target=66.5,
            unit="亿元",
            comparison=res.COMPARISON_AT_LEAST,
            actual=57.9,
            actual_as_of="2026-10-31",
            share=57.9 / 66.5,
        ),
        res.TownTarget(
            target_id="billion_yuan_buildings", year=2026, name="亿元楼", target=12, unit="栋", actual=12, met=True,
            share=1.0, comparison=res.COMPARISON_AT_LEAST,
        ),
    ]  # fmt: skip
    lines = _text(targets_table(targets)).splitlines()
    fiscal = next(line for line in lines if "财政总收入" in line)
    for part in ("≥ 66.5 亿元", "57.9 亿元", "87%", "not yet", "2026-10-31"):
        assert part in fiscal
    billion = next(line for line in lines if "亿元楼" in line)
    assert "≥ 12 栋" in billion and "100%" in billion and " met" in billion


@pytest.mark.parametrize(
    ("code", "part"),
    [
        (grpc.StatusCode.UNAVAILABLE, "is `microbrain up` (`make run`) running?"),
        (grpc.StatusCode.INVALID_ARGUMENT, "answered INVALID_ARGUMENT: not UTF-8 text"),
        (grpc.StatusCode.UNIMPLEMENTED, "is that the registry port?"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "split the file"),
    ],
)
def test_failures_say_what_happened(code, part):
    assert part in rpc_failure("127.0.0.1:50056", code, "not UTF-8 text")


# --- arguments ----------------------------------------------------------------------------------------------


def test_kind_and_format_from_the_file_name():
    assert kind_from_path(Path("deploy/registry/projects.csv")) == "projects"
    assert kind_from_path(Path("stations-2026-11-26.xlsx")) == "stations"
    assert kind_from_path(Path("Progress_november.CSV")) == "progress"
    with pytest.raises(ValueError, match=r"cannot tell the kind of record from 'projectsx\.csv'"):
        kind_from_path(Path("projectsx.csv"))
    assert format_from_path(Path("a.XLSX")) == "xlsx"
    assert format_from_path(Path("a.txt"), "csv") == "csv"
    with pytest.raises(ValueError, match=r"name it \.csv or \.xlsx"):
        format_from_path(Path("a.xls"))
    assert [parse_kind(k) for k in ("project", "KIND_STATION", "targets", "entries")] == [
        "projects",
        "stations",
        "targets",
        "progress",
    ]


def test_a_moment_without_an_offset_is_the_towns_time():
    assert parse_at("2026-11-26T21:30") == datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    assert parse_at("2026-11-26 21:30+00:00") == datetime(2026, 11, 26, 21, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="is not a date and time"):
        parse_at("tonight")


def _args(*argv: str):
    parser = build_parser()
    args = parser.parse_args(["registry", *argv])
    check_args(parser, args)
    return args


def test_import_arguments(tmp_path, monkeypatch):
    (tmp_path / "buildings-2026-11-26.xlsx").write_bytes(b"x")
    (tmp_path / "my list.csv").write_text("x")

    args = _args("import", str(tmp_path / "buildings-2026-11-26.xlsx"), "--dry-run")
    assert (args.kind, args.format, args.dry_run, args.target) == ("buildings", "xlsx", True, "127.0.0.1:50056")
    args = _args("import", str(tmp_path / "my list.csv"), "--kind", "firm", "--actor", "ops-7", "--target", "h:1")
    assert (args.kind, args.format, args.actor, args.target) == ("firms", "csv", "ops-7", "h:1")
    monkeypatch.setenv("MB_REGISTRY_TARGET", "elsewhere:5")
    assert _args("targets").target == "elsewhere:5"


def test_other_arguments():
    assert _args("export", "projects", "--out", "p.xlsx").format == "xlsx"
    assert _args("export", "progress").format == "csv"
    assert _args("seed").directory == Path("deploy/registry")
    listing = _args("list", "buildings", "--building-kind", "office-building", "--billion-yuan", "--query", "虹")
    assert (listing.kind, listing.building_kind, listing.billion_yuan_only, listing.query) == (
        "buildings",
        res.BUILDING_KIND_OFFICE_BUILDING,
        True,
        "虹",
    )
    assert _args("list", "projects", "--status", "in progress").status == res.PROJECT_STATUS_IN_PROGRESS
    circle = _args("circle", "--at", "2026-11-26T21:30", "--radius", "500")
    assert (circle.at, circle.radius) == (datetime(2026, 11, 26, 21, 30, tzinfo=SHANGHAI), 500)
    assert _args("progress", "--as-of", "2026-11-26", "--year", "2026").as_of == "2026-11-26"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "nowhere/projects.csv"], "no such file: nowhere/projects.csv"),
        (["import", "{tmp}/list.csv"], "cannot tell the kind of record from 'list.csv'"),
        (["import", "{tmp}/projects.txt"], "cannot tell the format from 'projects.txt'"),
        (["import", "{tmp}/projects.txt", "--kind", "lifts"], "unknown kind 'lifts'"),
        (["export", "projects", "--out", "p.pdf"], "cannot tell the format from 'p.pdf'"),
        (["export", "widgets"], "unknown kind 'widgets'"),
        (["list", "partners", "--year", "2026"], "--year is for projects and targets, not partners"),
        (["list", "firms", "--billion-yuan"], "--billion-yuan is for buildings, not firms"),
        (["list", "projects", "--building", "b"], "--building is for stations and firms, not projects"),
        (["list", "progress", "--query", "x"], "--query is not for progress"),
        (["list", "projects", "--status", "done"], "unknown project status 'done'"),
        (["list", "buildings", "--building-kind", "castle"], "unknown building kind 'castle'"),
        (["progress", "--as-of", "2026-02-30"], "is not a date YYYY-MM-DD"),
        (["targets", "--year", "26"], "'26' is not a year from 2000 to 2100"),
        (["circle", "--at", "tonight"], "'tonight' is not a date and time"),
        (["circle", "--radius", "0"], "must be greater than 0"),
    ],
)
def test_bad_arguments_are_a_usage_error(argv, message, capsys, tmp_path):
    (tmp_path / "list.csv").write_text("x")
    (tmp_path / "projects.txt").write_text("x")

    with pytest.raises(SystemExit) as exit_:
        main(["registry", *(a.replace("{tmp}", str(tmp_path)) for a in argv)])

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert err.startswith("usage: microbrain registry")


# --- calls, against a stand-in server -----------------------------------------------------------------------


class FakeRegistry(pb_grpc.RegistryServiceServicer):
    """A registry that counts the data rows of what it is sent: a row with "BAD" in it is a bad row (its target
    column), a row with "OLD" updates a record; everything else creates one."""

    def __init__(self) -> None:
        self.imports: list[pb.ImportRecordsRequest] = []
        self.requests: list = []

    def ImportRecords(self, request, context):
        self.imports.append(request)
        if request.format == pb.FORMAT_XLSX:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "not an XLSX workbook (BadZipFile: File is not a zip file)")
        lines = request.content.decode("utf-8-sig").splitlines()
        rows = [(n, line) for n, line in enumerate(lines[1:], start=2) if line.strip(",")]
        reply = pb.ImportRecordsResponse(rows=len(rows))
        for n, line in rows:
            if "BAD" in line:
                reply.errors.add(row=n, column="target", message=f"'BAD' is not a number (row {n})")
            elif "OLD" in line:
                reply.updated += 1
            else:
                reply.created += 1
        return reply

    def ExportRecords(self, request, context):
        self.requests.append(request)
        suffix = "xlsx" if request.format == pb.FORMAT_XLSX else "csv"
        return pb.ExportRecordsResponse(
            content=b"project_id,name\r\nlp-a,A\r\n", content_type="text/csv", filename=f"projects-2026-11-26.{suffix}"
        )

    def ListProjects(self, request, context):
        self.requests.append(request)
        projects = [
            res.LivelihoodProject(
                project_id=f"lp-{i}", name=f"工程 {i}", year=2026, target=res.Target(value=i, unit="台")
            )
            for i in range(5)
        ]
        start = int(request.page.page_token or 0)
        end = start + (request.page.page_size or 100)
        token = str(end) if end < len(projects) else ""
        return pb.ListProjectsResponse(
            projects=projects[start:end], page=common_pb2.PageResponse(next_page_token=token), total_size=len(projects)
        )

    def ListBuildings(self, request, context):
        self.requests.append(request)
        return pb.ListBuildingsResponse(total_size=0)

    def ListProgress(self, request, context):
        return pb.ListProgressResponse(
            entries=[
                res.ProgressEntry(
                    project_id=request.project_id, date="2026-04-22", kind=res.PROGRESS_KIND_ADD, value=14, note="首批"
                )
            ]
        )

    def GetProjectProgress(self, request, context):
        self.requests.append(request)
        return pb.GetProjectProgressResponse(
            projects=[
                res.ProjectProgress(
                    project_id="lp-1", as_of=request.as_of or "2026-11-26", value=1, target=res.Target(value=1),
                    target_met=True, share_of_target=1,
                ),
                res.ProjectProgress(
                    project_id="lp-2", as_of=request.as_of or "2026-11-26", value=0, target=res.Target(value=2),
                    planned_value=1.8, behind_plan=True,
                ),
            ]
        )  # fmt: skip

    def GetServiceCircle(self, request, context):
        self.requests.append(request)
        return _circle()

    def ListTargets(self, request, context):
        self.requests.append(request)
        if request.year == 1999:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "year 1999 is not a plausible year")
        return pb.ListTargetsResponse(
            targets=[res.TownTarget(target_id="t", year=2026, name="财政总收入", target=66.5, met=True, share=1.1)],
            total_size=1,
        )


@pytest.fixture
def fake() -> Iterator[tuple[FakeRegistry, str]]:
    # A server on its own threads, so the commands can be run through main() (which runs its own event loop) too.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = FakeRegistry()
    pb_grpc.add_RegistryServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


def _console() -> Console:
    return Console(record=True, width=200, color_system=None)


def _run(capsys, monkeypatch, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "200")
    rc = main(["registry", *argv])
    return rc, capsys.readouterr().out


def test_an_import_with_bad_rows_prints_them_and_exits_1(fake, tmp_path, capsys, monkeypatch):
    servicer, target = fake
    path = tmp_path / "projects.csv"
    path.write_text("project_id,name,target\nlp-a,A,1\nlp-b,B,BAD\nlp-c,OLD,2\n,,\nlp-d,D,BAD\n", encoding="utf-8")

    rc, out = _run(capsys, monkeypatch, "import", str(path), "--target", target, "--actor", "ops-7")

    assert rc == 1
    request = servicer.imports[-1]
    assert (request.kind, request.format, request.actor, request.dry_run) == (
        res.KIND_PROJECT,
        pb.FORMAT_CSV,
        "ops-7",
        False,
    )
    assert request.content == path.read_bytes()
    assert "'BAD' is not a number (row 3)" in out and "'BAD' is not a number (row 6)" in out
    assert "projects.csv: 1 created, 1 updated, 0 unchanged, 2 bad rows" in out


def test_a_clean_dry_run_exits_0(fake, tmp_path, capsys, monkeypatch):
    servicer, target = fake
    path = tmp_path / "firms-2026-11-26.csv"
    path.write_text("firm_id,name\nfm-a,A\n", encoding="utf-8")

    rc, out = _run(capsys, monkeypatch, "import", str(path), "--dry-run", "--target", target)

    assert rc == 0
    assert servicer.imports[-1].dry_run and servicer.imports[-1].kind == res.KIND_FIRM
    assert servicer.imports[-1].actor  # this machine's user by default
    assert "dry run, nothing changed: 1 created, 0 updated, 0 unchanged, 0 bad rows" in out
    assert "bad rows (left out)" not in out


async def test_a_file_the_registry_cannot_read_is_exit_1_with_its_reason(fake, tmp_path):
    _, target = fake
    path = tmp_path / "stations.xlsx"
    path.write_bytes(b"not a workbook")
    console = _console()

    rc = await registry.import_file(target, path, kind="stations", fmt="xlsx", console=console)

    assert rc == 1
    assert "answered INVALID_ARGUMENT: not an XLSX workbook" in console.export_text()


async def test_nothing_listening_is_exit_1_with_the_hint(tmp_path):
    path = tmp_path / "projects.csv"
    path.write_text("project_id,name\n")
    console = _console()

    assert await registry.import_file("127.0.0.1:1", path, kind="projects", fmt="csv", console=console) == 1
    assert "is `microbrain up` (`make run`) running?" in console.export_text()
    assert await registry.show_targets("127.0.0.1:1", console=console) == 1


async def test_seed_imports_the_files_in_dependency_order(fake):
    servicer, target = fake

    replies = await registry.seed(target, SEED)

    assert SEED_ORDER == ("partners", "buildings", "projects", "targets", "firms", "stations", "progress")
    assert list(replies) == list(SEED_ORDER)
    assert [r.kind for r in servicer.imports] == [registry.KINDS[name] for name in SEED_ORDER]
    assert all(r.actor == "seed" and r.format == pb.FORMAT_CSV for r in servicer.imports)
    assert servicer.imports[0].content == (SEED / "partners.csv").read_bytes()
    assert replies["partners"].created == 20 and not replies["partners"].errors


async def test_seed_command_shows_a_line_per_file_and_fails_on_bad_rows(fake, tmp_path):
    servicer, target = fake
    (tmp_path / "progress.csv").write_text("project_id,date,kind,value\nlp-a,2026-01-01,add,BAD\n")
    (tmp_path / "buildings.csv").write_text("building_id,name\nb1,一\nb2,OLD\n")
    console = _console()

    rc = await registry.seed_command(target, tmp_path, console=console, actor="me")

    assert rc == 1
    assert [r.kind for r in servicer.imports] == [res.KIND_BUILDING, res.KIND_PROGRESS]
    text = console.export_text()
    assert "progress.csv: bad rows (left out)" in text
    assert f"seeded {target} from {tmp_path}: 1 created, 1 updated, 0 unchanged, 1 bad row" in text.replace("\n", "")
    with pytest.raises(FileNotFoundError, match="no seed files"):
        await registry.seed(target, tmp_path / "empty")


async def test_export_writes_the_file(fake, tmp_path, monkeypatch):
    servicer, target = fake
    console = _console()
    out = tmp_path / "p.xlsx"

    assert await registry.export_file(target, kind="projects", fmt="xlsx", out=out, console=console) == 0
    assert out.read_bytes() == b"project_id,name\r\nlp-a,A\r\n"
    assert servicer.requests[-1] == pb.ExportRecordsRequest(kind=res.KIND_PROJECT, format=pb.FORMAT_XLSX)
    monkeypatch.chdir(tmp_path)
    assert await registry.export_file(target, kind="projects", fmt="csv", out=None, console=console) == 0
    assert (tmp_path / "projects-2026-11-26.csv").exists()


async def test_list_pages_through_and_sends_the_filters(fake):
    servicer, target = fake
    console = _console()

    assert (
        await registry.list_records(target, "projects", console=console, filters={"year": 2026, "query": "工程"}) == 0
    )
    text = console.export_text()
    assert "livelihood projects (5)" in text and "工程 4" in text
    requests = [r for r in servicer.requests if isinstance(r, pb.ListProjectsRequest)]
    assert requests[0].year == 2026 and requests[0].query == "工程"

    assert await registry.list_records(target, "projects", console=console, limit=2) == 0
    assert "livelihood projects (2 of 5)" in console.export_text()

    rc = await registry.list_records(
        target, "buildings", console=console, filters={"kind": res.BUILDING_KIND_MIXED_USE}
    )
    assert rc == 0 and "no buildings match" in console.export_text()
    assert servicer.requests[-1].kind == res.BUILDING_KIND_MIXED_USE

    assert await registry.list_records(target, "progress", console=console, filters={"project": "lp-3"}) == 0
    text = console.export_text()
    assert "progress entries" in text and "+14" in text


def test_list_through_main_sends_the_kinds_filters(fake, capsys, monkeypatch):
    servicer, target = fake

    rc, out = _run(capsys, monkeypatch, "list", "buildings", "--billion-yuan", "--query", "虹", "--target", target)

    assert rc == 0 and "no buildings match" in out
    assert servicer.requests[-1] == pb.ListBuildingsRequest(
        page=common_pb2.PageRequest(page_size=200), query="虹", billion_yuan_only=True
    )


async def test_progress_circle_and_targets(fake):
    servicer, target = fake
    console = _console()

    assert await registry.show_progress(target, console=console, as_of="2026-11-26", year=2026) == 0
    assert servicer.requests[0] == pb.GetProjectProgressRequest(as_of="2026-11-26", year=2026)
    text = console.export_text()
    assert "livelihood projects as of 2026-11-26" in text and "工程 1" in text
    assert "2 projects: 1 met their target, 1 behind plan" in text

    at = parse_at("2026-11-26T21:30")
    assert await registry.show_circle(target, console=console, at=at, radius_m=500) == 0
    request = next(r for r in servicer.requests if isinstance(r, pb.GetServiceCircleRequest))
    assert request.at.ToDatetime(tzinfo=UTC) == datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    assert request.radius_m == 500
    assert "closed at 21:30" in console.export_text()

    assert await registry.show_targets(target, console=console, year=2026) == 0
    text = console.export_text()
    assert "town targets 2026" in text and "1 of 1 met" in text
    assert await registry.show_targets(target, console=console, year=1999) == 1
    assert "answered INVALID_ARGUMENT: year 1999 is not a plausible year" in console.export_text()
