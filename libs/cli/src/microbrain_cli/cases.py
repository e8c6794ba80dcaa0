"""`microbrain cases list` and `microbrain cases watch`: the grid's cases, as the cases service tells them."""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from microbrain.cases.v1 import cases_service_pb2 as pb
from microbrain.cases.v1 import cases_service_pb2_grpc as pb_grpc
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from microbrain_cli.services import SERVICES, find

DEFAULT_TARGET = f"127.0.0.1:{find(SERVICES, 'cases').grpc_port}"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CaseService"].full_name
# The server sends at most this many cases per page.
_MAX_PAGE = 500
_RPC_TIMEOUT_S = 10.0
_BACKOFF_FIRST_S, _BACKOFF_MAX_S = 0.5, 10.0
# A stream that lived this long broke for a new reason: start the backoff again from the first step.
_STREAM_HEALTHY_S = 30.0
_CHANNEL_OPTIONS = [
    # Find a restarted cases in a second or two rather than after gRPC's default backoff of up to 2 minutes.
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 5000),
    # A watch is mostly silent; pings notice a connection that died without a word (the server allows 10 s).
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
]
# Errors a reconnect cannot fix: the watch stops with the message instead of retrying for ever.
_FATAL = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.FAILED_PRECONDITION,
}
_SEVERITY_STYLE = {
    common_pb2.SEVERITY_CRITICAL: "bold red",
    common_pb2.SEVERITY_MAJOR: "red",
    common_pb2.SEVERITY_WARNING: "yellow",
}

# --- formatting (no I/O) ------------------------------------------------------------------------------


def span(seconds: float) -> str:
    """A duration as a countdown shows it, to the second under an hour: 42s, 4m12s, 2m, 1h05m, 3d4h."""
    s = int(max(seconds, 0))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s" if s else f"{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m" if m else f"{h}h"
    d, h = divmod(h, 24)
    return f"{d}d{h}h" if h else f"{d}d"


def countdown(due: datetime, now: datetime) -> str:
    """Time to a deadline: "4m12s left" before it, "overdue 2m" after."""
    left = (due - now).total_seconds()
    return f"{span(left)} left" if left >= 0 else f"overdue {span(-left)}"


def _enum_name(name: str, prefix: str) -> str:
    return name.removeprefix(prefix).lower().replace("_", " ")


def state_name(state: int) -> str:
    """A case state for people: CASE_STATE_ON_SITE -> "on site"."""
    try:
        return _enum_name(res.CaseState.Name(state), "CASE_STATE_")
    except ValueError:
        return f"state {state}"


def severity_name(severity: int) -> str:
    """SEVERITY_CRITICAL -> "critical"; "-" when unset."""
    if severity == common_pb2.SEVERITY_UNSPECIFIED:
        return "-"
    try:
        return _enum_name(common_pb2.Severity.Name(severity), "SEVERITY_")
    except ValueError:
        return f"severity {severity}"


def stage_name(stage: int) -> str:
    """STAGE_RESOLVE -> "resolve"."""
    try:
        return _enum_name(res.Stage.Name(stage), "STAGE_")
    except ValueError:
        return f"stage {stage}"


# What `--state` takes: every state but UNSPECIFIED, by its short name.
STATES = {state_name(v): v for v in res.CaseState.values() if v != res.CASE_STATE_UNSPECIFIED}


def parse_state(text: str) -> int:
    """A state as typed on the command line ("on_site", "on-site", "ON SITE", "CASE_STATE_ON_SITE")."""
    key = _enum_name(text.strip().upper().replace("-", "_").replace(" ", "_"), "CASE_STATE_")
    if key not in STATES:
        known = ", ".join(name.replace(" ", "_") for name in STATES)
        raise ValueError(f"unknown case state {text!r}; one of {known}")
    return STATES[key]


def local_time(ts: Timestamp, tz: tzinfo | None = None) -> datetime:
    """A protobuf Timestamp in local time (this machine's zone unless tz is given)."""
    return ts.ToDatetime(tzinfo=UTC).astimezone(tz)


def nearest_deadline(case: res.Case) -> res.Deadline | None:
    """The pending deadline due first, or None when none is pending."""
    pending = [d for d in case.deadlines if d.status == res.Deadline.STATUS_PENDING]
    return min(pending, key=lambda d: d.due_at.ToDatetime(tzinfo=UTC), default=None)


def escalation(case: res.Case) -> str:
    """Empty at level 0; otherwise the level and to whom, e.g. "L1 grid_leader"."""
    if case.escalation_level <= 0:
        return ""
    return f"L{case.escalation_level} {case.escalated_to}".strip()


def deadline_text(case: res.Case, now: datetime) -> str:
    """The nearest pending deadline as a countdown with its stage, e.g. "resolve 4m12s left"."""
    deadline = nearest_deadline(case)
    if deadline is None:
        return ""
    return f"{stage_name(deadline.stage)} {countdown(deadline.due_at.ToDatetime(tzinfo=UTC), now)}"


def cases_table(cases: Sequence[res.Case], *, now: datetime, tz: tzinfo | None = None, title: str = "") -> Table:
    """The cases as a table: one row each, times in local time."""
    zone = now.astimezone(tz).strftime("%Z") or "local"
    table = Table(title=title or None, title_justify="left")
    for column in ("case", "type", "state", "severity", "place", f"opened ({zone})", "seen", "escalation"):
        table.add_column(column, overflow="fold")
    table.add_column("next deadline", overflow="fold")
    for case in cases:
        due = deadline_text(case, now)
        table.add_row(
            escape(case.case_id),
            escape(case.case_type),
            state_name(case.state),
            f"[{_SEVERITY_STYLE[case.severity]}]{severity_name(case.severity)}[/]"
            if case.severity in _SEVERITY_STYLE
            else severity_name(case.severity),
            escape(case.place_id) or "-",
            f"{local_time(case.opened_at, tz):%Y-%m-%d %H:%M:%S}" if case.HasField("opened_at") else "",
            str(case.occurrences),
            escape(escalation(case)),
            f"[red]{due}[/]" if "overdue" in due else due,
        )
    return table


def _details(change: res.CaseChange, case: res.Case) -> str:
    """What a change says beyond its action: the assignee, the note, the stage, the reason."""
    parts: list[str] = []
    if change.action == "opened":
        where = f" at {case.place_id}" if case.place_id else ""
        parts.append(f"{case.case_type} {severity_name(case.severity)}{where}")
    elif change.action == "assigned" and case.assignee:
        parts.append(f"to {case.assignee}")
    elif change.action == "note" and change.note:
        parts.append(change.note)
    elif change.action == "evidence" and change.evidence.key:
        parts.append(change.evidence.key)
    elif change.action == "sla_breached" and change.stage and not change.reason:
        parts.append(f"{stage_name(change.stage)} deadline passed")
    elif change.action == "escalated":
        parts.append(f"level {change.escalation_level}" + (f" to {case.escalated_to}" if case.escalated_to else ""))
    if change.reason:
        parts.append(change.reason)
    return " · ".join(parts)


def _pad(text: str, width: int) -> str:
    # By terminal cells, not characters: 李栋梁 takes six.
    return text + " " * max(0, width - cell_len(text))


def change_line(change: res.CaseChange, case: res.Case, tz: tzinfo | None = None) -> str:
    """One line for one change: cursor, time, case, action, state, actor and what else it says."""
    at = f"{local_time(change.at, tz):%Y-%m-%d %H:%M:%S}" if change.HasField("at") else "-"
    if change.from_state and change.to_state and change.from_state != change.to_state:
        state = f"{state_name(change.from_state)} → {state_name(change.to_state)}"
    else:
        state = state_name(change.to_state or case.state)
    line = f"{change.cursor:>6}  {at}  {change.case_id}  {_pad(change.action, 12)}  {_pad(state, 24)}  "
    line += _pad(change.actor or "-", 12)
    details = _details(change, case)
    return f"{line}  {details}" if details else line.rstrip()


def rpc_failure(target: str, code: grpc.StatusCode, details: str | None) -> tuple[str, int]:
    """What to tell the user about a failed call, and the exit code: 2 when cases cannot be reached at all."""
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"cases is not reachable at {target}: is `make run` running?", 2
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return f"cases at {target} did not answer within {_RPC_TIMEOUT_S:.0f}s", 2
    if code in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.NOT_FOUND):
        return (
            f"{target} does not serve {SERVICE_NAME}: is that the cases port? "
            f"(`microbrain up` puts cases on {DEFAULT_TARGET}; set --target or MB_CASES_TARGET)",
            2,
        )
    return f"cases at {target} answered {code.name}: {details}", 1


def _fail(console: Console, target: str, code: grpc.StatusCode, details: str | None) -> int:
    message, rc = rpc_failure(target, code, details)
    console.print(f"[bold red]microbrain cases:[/] {escape(message)}", highlight=False)
    return rc


# --- the commands ---------------------------------------------------------------------------------------


async def list_cases(
    target: str,
    *,
    console: Console,
    states: Sequence[int] = (),
    types: Sequence[str] = (),
    limit: int = 50,
    by_deadline: bool = False,
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> int:
    """Prints the grid's cases (newest first, or nearest deadline first) as a table; returns the exit code."""
    if limit < 1:
        raise ValueError("limit must be 1 or more")
    request = pb.ListCasesRequest(
        case_types=types, states=states, order=pb.CASE_ORDER_DEADLINE if by_deadline else pb.CASE_ORDER_UNSPECIFIED
    )
    cases: list[res.Case] = []
    more = False
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.CaseServiceStub(channel)
        try:
            while True:
                request.page.page_size = min(limit - len(cases), _MAX_PAGE)
                reply = await stub.ListCases(request, timeout=_RPC_TIMEOUT_S)
                cases += reply.cases
                if not reply.page.next_page_token:
                    break
                if len(cases) >= limit:
                    more = True
                    break
                request.page.page_token = reply.page.next_page_token
        except grpc.aio.AioRpcError as e:
            return _fail(console, target, e.code(), e.details())
    filters = [f"state {', '.join(state_name(s) for s in states)}" if states else ""]
    filters.append(f"type {', '.join(types)}" if types else "")
    where = " · ".join(f for f in filters if f)
    if not cases:
        console.print(f"no cases{f' ({where})' if where else ''} at {target}", highlight=False)
        return 0
    title = f"{len(cases)} case{'s' if len(cases) != 1 else ''}" + (f" ({where})" if where else "")
    if more:
        title += f", the first {limit}: --limit shows more"
    console.print(cases_table(cases, now=now or datetime.now(UTC), tz=tz, title=title))
    return 0


async def _serving(health: health_pb2_grpc.HealthStub) -> tuple[grpc.StatusCode, str | None] | None:
    """None when cases answers SERVING; otherwise the status code and details that say why not."""
    try:
        reply = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=_RPC_TIMEOUT_S)
    except grpc.aio.AioRpcError as e:
        return e.code(), e.details()
    if reply.status == health_pb2.HealthCheckResponse.SERVING:
        return None
    # Shutting down: as good as gone, and back soon when it restarts.
    return grpc.StatusCode.UNAVAILABLE, health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


async def watch_cases(
    target: str,
    *,
    console: Console,
    after: int = 0,
    stop: asyncio.Event | None = None,
    tz: tzinfo | None = None,
) -> int:
    """Prints every change after cursor `after`, then each as it happens, until stop is set; returns the exit code.

    When the stream breaks it reconnects with backoff and resumes after the last cursor it printed, so
    nothing is missed or printed twice. Only when cases cannot be reached at the start does it give up.
    """
    stop = stop or asyncio.Event()
    cursor = after
    backoff = _BACKOFF_FIRST_S
    connected = broken = False
    loop = asyncio.get_running_loop()

    async def pause(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    async def pump(call) -> None:
        nonlocal cursor, backoff
        async for reply in call:
            console.print(escape(change_line(reply.change, reply.case, tz)), highlight=False, soft_wrap=True)
            cursor = max(cursor, reply.change.cursor)
            backoff = _BACKOFF_FIRST_S

    async with grpc.aio.insecure_channel(target, options=_CHANNEL_OPTIONS) as channel:
        stub = pb_grpc.CaseServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        while not stop.is_set():
            # Ask first: the stream itself stays silent while nothing changes, so it cannot say cases is there.
            failed = await _serving(health)
            if failed is not None:
                if not connected or failed[0] in _FATAL:
                    return _fail(console, target, *failed)
                await pause(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                continue
            if not connected:
                console.print(f"watching cases at {target} after cursor {cursor} · Ctrl-C stops", highlight=False)
                connected = True
            elif broken:
                console.print(f"[dim]reconnected to {target}; resuming after cursor {cursor}[/]", highlight=False)
                broken = False

            call = stub.WatchCases(pb.WatchCasesRequest(after_cursor=cursor))
            started = loop.time()
            reading = asyncio.create_task(pump(call))
            stopping = asyncio.create_task(stop.wait())
            try:
                await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                if not reading.done():
                    call.cancel()
                    reading.cancel()
                    with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
                        await reading
            if stop.is_set():
                break
            failure = reading.exception()
            if isinstance(failure, grpc.aio.AioRpcError):
                if failure.code() in _FATAL:
                    return _fail(console, target, failure.code(), failure.details())
                why = f"{failure.code().name}: {failure.details()}"
            elif failure is not None:
                raise failure
            else:
                why = "the server ended it"
            if loop.time() - started > _STREAM_HEALTHY_S:
                backoff = _BACKOFF_FIRST_S
            if not broken:
                console.print(
                    f"[dim]lost the stream from {target} ({escape(why)}); reconnecting, "
                    f"resuming after cursor {cursor}[/]",
                    highlight=False,
                )
                broken = True
            await pause(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX_S)
    return 0
