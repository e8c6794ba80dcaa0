"""Live events over SSE: ordered JetStream consumers on each visible grid's streams, merged into one stream whose
event ids are cursors, so a reconnect with Last-Event-ID resumes every stream right after what the client saw.

An event's id lists the position of every stream of the connection, its own stream first:
`<grid>:<domain>:<seq>[,<grid>:<domain>:<seq>…]`. A single `<grid>:<domain>:<seq>` is accepted as well; streams it
does not name then start with what is new."""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import DecodeError
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import events_pb2 as analytics_events
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from microbrain.ingest.v1 import events_pb2 as ingest_events
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain_kit.bus import stream_name
from nats.js import api
from nats.js.errors import NotFoundError
from prometheus_client import Counter, Gauge
from sse_starlette import EventSourceResponse, ServerSentEvent

from microbrain_gateway.api import Clients, rpc
from microbrain_gateway.auth import ApiError, User, check_grid, current_user_sse

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")

FILTERS = {
    "alarms": "alarms.raised",
    "cases": "cases.*",
    "ingest": "ingest.device_event",
    "analytics": "analytics.crowd_level_changed",
}
"""The stream domains an SSE connection follows, with the subject (after mb.<grid>.) it reads of each."""

CONNECTIONS = Gauge("microbrain_gateway_sse_connections", "Open SSE connections.")
SENT = Counter("microbrain_gateway_sse_events_total", "Events sent to SSE clients, by type.", ["event"])


def parse_cursor(value: str) -> dict[str, int]:
    """`grid:domain:seq[,…]` → {"grid:domain": seq}; 400 on anything else."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        fields = part.split(":")
        if len(fields) != 3 or not fields[0] or fields[1] not in FILTERS or not fields[2].isdigit():
            raise ApiError(400, "INVALID_ARGUMENT", f"Last-Event-ID entry {part!r} is not <grid>:<domain>:<seq>")
        out[f"{fields[0]}:{fields[1]}"] = int(fields[2])
    return out


def format_cursor(own: str, positions: dict[str, int]) -> str:
    """The id of an event from stream own: every stream's position, own first."""
    keys = [own, *(k for k in positions if k != own)]
    return ",".join(f"{k}:{positions[k]}" for k in keys)


class UnitDirectory:
    """radio device id → unit id per grid, from dispatch's ListUnits (refreshed when a radio is unknown)."""

    def __init__(self, clients: Clients, min_refresh_s: float = 10) -> None:
        self.clients, self.min_refresh_s = clients, min_refresh_s
        self._units: dict[str, dict[str, str]] = {}
        self._fetched: dict[str, float] = {}

    async def unit_of(self, grid: str, device_id: str) -> str:
        known = self._units.get(grid, {})
        if device_id not in known and time.monotonic() - self._fetched.get(grid, -1e9) > self.min_refresh_s:
            self._fetched[grid] = time.monotonic()
            try:
                reply = await rpc(self.clients.dispatch(grid).ListUnits, dispatch_pb.ListUnitsRequest())
                known = self._units[grid] = {u.radio_device_id: u.unit_id for u in reply.units if u.radio_device_id}
            except ApiError as exc:
                log.warning("units of %s unknown: %s", grid, exc.message)
        return known.get(device_id, "")


def _dict(message) -> dict:
    return MessageToDict(message, preserving_proto_field_name=True)


async def render(grid: str, domain: str, msg, units: UnitDirectory) -> tuple[str, dict] | None:
    """The SSE (event, data) of a stream message, or None for one the stream does not show."""
    event = msg.subject.rsplit(".", 1)[-1]
    try:
        if domain == "alarms":
            return "alarm", {"grid_id": grid, "alarm": _dict(alarms_pb2.AlarmRaised.FromString(msg.data))}
        if domain == "cases":
            if not event.startswith("case_"):
                return None  # sla_breached: the case's own change reports the escalation
            changed = case_events.CaseChanged.FromString(msg.data)
            return "case", {"grid_id": grid, "change": _dict(changed.change), "case": _dict(changed.case)}
        if domain == "ingest":
            recorded = ingest_events.DeviceEventRecorded.FromString(msg.data)
            if recorded.kind != ingest_res.DEVICE_KIND_FIELD_UNIT_RADIO or recorded.event.WhichOneof("body") != "gps":
                return None
            pos = recorded.event.gps.position
            at = recorded.event.occurred_at.ToJsonString() if recorded.event.HasField("occurred_at") else ""
            return "unit", {
                "grid_id": grid,
                "unit_id": await units.unit_of(grid, recorded.device.device_id),
                "device_id": recorded.device.device_id,
                "position": {"lat": pos.lat, "lon": pos.lon},
                "at": at,
            }
        if domain == "analytics":
            changed = _dict(analytics_events.CrowdLevelChanged.FromString(msg.data))
            return "crowd", {
                "grid_id": grid,
                "occupancy": changed.get("occupancy", {}),
                "from_level": changed.get("from_level", "CROWD_LEVEL_UNSPECIFIED"),
                "to_level": changed.get("to_level", "CROWD_LEVEL_UNSPECIFIED"),
            }
    except DecodeError:
        log.warning("undecodable message on %s (seq %s)", msg.subject, msg.metadata.sequence.stream)
    return None


class Follower:
    """Ordered consumers on the streams of some grids, feeding one queue in each stream's order."""

    def __init__(self, js, grids: list[str], positions: dict[str, int]) -> None:
        self.js, self.grids, self.positions = js, grids, positions
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=10_000)
        self._subs: list = []
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for grid in self.grids:
            for domain in FILTERS:
                key = f"{grid}:{domain}"
                if key not in self.positions:  # no cursor: what is new from now on
                    self.positions[key] = await self._last_seq(stream_name(grid, domain))
                self._tasks.append(asyncio.create_task(self._follow(grid, domain, self.positions[key]), name=key))

    async def _last_seq(self, stream: str) -> int:
        try:
            return (await self.js.stream_info(stream)).state.last_seq
        except NotFoundError:
            return 0

    async def _follow(self, grid: str, domain: str, after: int) -> None:
        key = f"{grid}:{domain}"

        async def on_message(msg) -> None:
            await self.queue.put((grid, domain, key, msg))

        config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1)
        while True:
            try:
                sub = await self.js.subscribe(
                    f"mb.{grid}.{FILTERS[domain]}",
                    stream=stream_name(grid, domain),
                    ordered_consumer=True,
                    config=config,
                    cb=on_message,
                )
                self._subs.append(sub)
                return
            except NotFoundError:  # the stream's owner has not declared it yet
                await asyncio.sleep(2)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sub in self._subs:
            try:
                await sub.unsubscribe()
            except Exception as exc:  # the connection may be closing already
                log.debug("unsubscribe: %s", exc)


async def stream_events(request: Request, follower: Follower, units: UnitDirectory) -> AsyncIterator[ServerSentEvent]:
    """Sends each shown message as an SSE event until the client goes away."""
    CONNECTIONS.inc()
    try:
        await follower.start()
        yield ServerSentEvent(comment="connected")
        while True:
            try:
                grid, domain, key, msg = await asyncio.wait_for(follower.queue.get(), timeout=1.0)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                continue
            seq = msg.metadata.sequence.stream
            if seq <= follower.positions.get(key, 0):
                continue  # an ordered consumer's reset re-sent what was already handled
            shown = await render(grid, domain, msg, units)
            follower.positions[key] = seq
            if shown is None:
                continue
            event, data = shown
            SENT.labels(event).inc()
            yield ServerSentEvent(
                data=json.dumps(data, ensure_ascii=False), event=event, id=format_cursor(key, follower.positions)
            )
    finally:
        CONNECTIONS.dec()
        await follower.stop()


@router.get("/events", tags=["events"])
async def events(
    request: Request,
    user: Annotated[User, Depends(current_user_sse)],
    grid: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> EventSourceResponse:
    """Live alarms, case changes, unit positions and crowd levels of the grids asked for (all the user may see
    by default), as Server-Sent Events; `Last-Event-ID` resumes after the event it names."""
    known = request.app.state.clients.grids
    for g in grid:
        check_grid(user, g)
        if g not in known:
            raise ApiError(404, "NOT_FOUND", f"grid {g} is not one this gateway fronts")
    grids = grid or [g for g in known if user.sees(g)]
    last = request.headers.get("last-event-id") or request.query_params.get("last_event_id", "")
    cursor = parse_cursor(last) if last else {}
    positions = {k: v for k, v in cursor.items() if k.split(":")[0] in grids}
    follower = Follower(request.app.state.bus.js, grids, positions)
    return EventSourceResponse(
        stream_events(request, follower, request.app.state.units),
        ping=request.app.state.settings.sse_heartbeat_s,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
