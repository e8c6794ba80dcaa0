"""`microbrain cases list` and `watch` against the real cases service, in-process on the session's nats-server
and a fresh database: what they print, how watch survives a restart of cases, and what they say when it is away."""

import asyncio
import io
import re
import uuid
from collections import Counter
from collections.abc import Callable

import grpc
import pytest
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App
from microbrain_cli.cases import list_cases, watch_cases
from microbrain_kit.testing import free_port
from rich.console import Console

S = res


class Cases:
    """The real cases service in this process; restart() is a new App on the same database, NATS, grid and port."""

    def __init__(self, settings: CasesSettings) -> None:
        self.settings = settings
        self.app: App | None = None

    async def start(self) -> None:
        self.app = App(self.settings)
        await self.app.start()
        # A restart binds the same port, as a restarted cases process would, so watch finds it again.
        self.settings = self.settings.model_copy(update={"grpc_port": self.app.port})

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.settings.grpc_port}"


@pytest.fixture
async def cases(nats_url, database):
    service = Cases(
        CasesSettings(
            grid_id=f"t-{uuid.uuid4().hex[:8]}",
            database_url=database.url,
            database_schema=database.schema or "",
            nats_url=nats_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
            # A restart cuts the watch stream after this, rather than after the default 10 s.
            shutdown_grace_s=0.5,
        )
    )
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def stub(cases):
    async with grpc.aio.insecure_channel(cases.target) as channel:
        yield pb_grpc.CaseServiceStub(channel)


def _console() -> tuple[Console, Callable[[], str]]:
    """A console that writes into a string, wide enough that no cell is folded."""
    out = io.StringIO()
    return Console(file=out, width=250, color_system=None), out.getvalue


async def _open(stub, case_type: str, severity: int, place_id: str) -> res.Case:
    request = pb.OpenCaseRequest(
        request_id=str(uuid.uuid4()),
        case_type=case_type,
        severity=severity,
        place_id=place_id,
        actor="duty-desk",
        title=f"{case_type} at {place_id}",
    )
    return (await stub.OpenCase(request)).case


async def _move(stub, case_id: str, state: int, **kw) -> res.Case:
    request = pb.TransitionCaseRequest(case_id=case_id, to_state=state, actor="李栋梁", **kw)
    return (await stub.TransitionCase(request)).case


def _rows(text: str) -> dict[str, str]:
    """Table rows by case id."""
    return {m.group(0): line for line in text.splitlines() if (m := re.search(r"c-\d{8}-[0-9a-f]{8}", line))}


async def test_list_shows_the_cases_with_their_deadlines_and_filters_them(cases, stub):
    ebike = await _open(stub, "ebike_in_elevator", common_pb2.SEVERITY_CRITICAL, "gengduyuan-22")
    litter = await _open(stub, "litter_off_hours", common_pb2.SEVERITY_WARNING, "gengduyuan-refuse-1")
    await _move(stub, litter.case_id, S.CASE_STATE_ASSIGNED, assignee="unit-01")
    console, printed = _console()

    assert await list_cases(cases.target, console=console) == 0

    rows = _rows(printed())
    assert set(rows) == {ebike.case_id, litter.case_id}
    for cell in ("ebike_in_elevator", "opened", "critical", "gengduyuan-22", " 1 "):
        assert cell in rows[ebike.case_id], rows[ebike.case_id]
    # An e-bike in the lift is assigned within 30 s (and resolved within 5 min): that countdown is running.
    assert re.search(r"assign [1-3]?\ds left", rows[ebike.case_id]), rows[ebike.case_id]
    for cell in ("litter_off_hours", "assigned", "warning", "gengduyuan-refuse-1"):
        assert cell in rows[litter.case_id], rows[litter.case_id]
    assert "2 cases" in printed()

    console, printed = _console()
    assert await list_cases(cases.target, console=console, states=[S.CASE_STATE_ASSIGNED]) == 0
    assert set(_rows(printed())) == {litter.case_id}
    assert "1 case (state assigned)" in printed()

    console, printed = _console()
    assert await list_cases(cases.target, console=console, types=["ebike_in_elevator"]) == 0
    assert set(_rows(printed())) == {ebike.case_id}

    console, printed = _console()
    assert await list_cases(cases.target, console=console, limit=1) == 0
    assert set(_rows(printed())) == {litter.case_id}  # newest first
    assert "the first 1: --limit shows more" in printed()

    console, printed = _console()
    assert await list_cases(cases.target, console=console, types=["crowd_over_threshold"]) == 0
    assert printed().startswith("no cases (type crowd_over_threshold)")


async def _printed_eventually(printed: Callable[[], str], pattern: str, timeout: float = 15.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while not re.search(pattern, printed()):
        assert asyncio.get_running_loop().time() < deadline, f"no {pattern!r} within {timeout}s in:\n{printed()}"
        await asyncio.sleep(0.05)
    return printed()


def _change_lines(text: str) -> list[list[str]]:
    """The change lines watch printed, split into words (they start with the cursor)."""
    return [line.split() for line in text.splitlines() if re.match(r"\s*\d+\s+\d{4}-\d\d-\d\d ", line)]


async def test_watch_prints_each_change_once_and_resumes_after_a_restart_of_cases(cases, stub):
    case = await _open(stub, "ebike_in_elevator", common_pb2.SEVERITY_CRITICAL, "gengduyuan-22")
    console, printed = _console()
    stop = asyncio.Event()
    watching = asyncio.create_task(watch_cases(cases.target, console=console, stop=stop))
    try:
        # What happened before it started comes first, then changes as they happen.
        await _printed_eventually(printed, rf"{case.case_id}\s+opened\s+opened\s+duty-desk")
        await _move(stub, case.case_id, S.CASE_STATE_ASSIGNED, assignee="unit-01")
        await _printed_eventually(printed, rf"{case.case_id}\s+assigned\s+opened → assigned\s+李栋梁\s+to unit-01")

        # cases restarts; meanwhile nothing is lost: watch reconnects and resumes after the last cursor it printed.
        await cases.stop()
        await _printed_eventually(printed, r"lost the stream")
        await cases.start()
        await _move(stub, case.case_id, S.CASE_STATE_ACKNOWLEDGED)
        await _printed_eventually(printed, rf"{case.case_id}\s+acknowledged\s+assigned → acknowledged")
        assert "reconnected to" in printed()
    finally:
        stop.set()
        rc = await asyncio.wait_for(watching, 10)

    assert rc == 0
    lines = _change_lines(printed())
    assert [line[4] for line in lines] == ["opened", "assigned", "acknowledged"]
    cursors = [int(line[0]) for line in lines]
    assert cursors == sorted(cursors) and max(Counter(cursors).values()) == 1

    # Resuming by hand after a cursor shows only what came after it.
    console, printed = _console()
    stop = asyncio.Event()
    watching = asyncio.create_task(watch_cases(cases.target, console=console, after=cursors[0], stop=stop))
    await _printed_eventually(printed, r"acknowledged")
    stop.set()
    assert await asyncio.wait_for(watching, 10) == 0
    assert [line[4] for line in _change_lines(printed())] == ["assigned", "acknowledged"]


async def test_without_cases_both_commands_say_so_and_exit_2():
    target = f"127.0.0.1:{free_port()}"
    message = f"cases is not reachable at {target}: is `make run` running?"

    console, printed = _console()
    assert await list_cases(target, console=console) == 2
    assert message in printed()

    console, printed = _console()
    assert await asyncio.wait_for(watch_cases(target, console=console), 15) == 2
    assert message in printed()
