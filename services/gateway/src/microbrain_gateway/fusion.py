"""Platform fusion (平台融合): outside platforms in and out.

Inbound: an outside platform (the police video platform, the city-management command platform) POSTs its alarms to
`/api/v1/adapters/<name>/alarms`, signed with the adapter's shared secret; each becomes an AlarmRaised on the grid's
alarm stream (so cases opens a case), once per external id.

Outbound: case events go to each configured webhook as signed JSON POSTs, retried with backoff (the durable
consumer's redelivery), and after the last attempt kept as a dead letter an admin can list and retry.

Signatures (both ways): `X-Microbrain-Timestamp: <unix seconds>` and
`X-Microbrain-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`; inbound requests more than
five minutes off are refused (a captured request cannot be replayed later).
"""

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import yaml
from fastapi import APIRouter, Header, Request
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.common.v1 import common_pb2
from microbrain_kit.alarms import alarm_subject
from microbrain_kit.bus import Bus, Consumer, ConsumerSpec, Transient, stream_name, when_stream_exists
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from microbrain_gateway.api import Caller, to_dict
from microbrain_gateway.auth import ApiError, require, unauthenticated
from microbrain_gateway.models import DeadLetterRow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["fusion"])
MAX_SKEW_S = 300
_ID = re.compile(r"[^A-Za-z0-9_.:-]")
SEVERITIES = {
    "info": common_pb2.SEVERITY_INFO,
    "warning": common_pb2.SEVERITY_WARNING,
    "major": common_pb2.SEVERITY_MAJOR,
    "critical": common_pb2.SEVERITY_CRITICAL,
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for a body sent at timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _secret(value: str, where: str) -> str:
    """A secret from the fusion file: literal, or `env:NAME` to read it from the environment."""
    if value.startswith("env:"):
        value = os.environ.get(value[4:], "")
    if len(value) < 16:
        raise ValueError(f"{where}: the secret must have at least 16 characters")
    return value


@dataclass(frozen=True)
class Adapter:
    name: str
    secret: str
    grid_id: str
    # Their alarm type → ours (anything not listed becomes external_report).
    types: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Webhook:
    name: str
    url: str
    secret: str
    grids: tuple[str, ...] = ()  # empty: every grid
    events: tuple[str, ...] = ()  # case_opened, case_resolved, …; empty: every case event
    max_attempts: int = 8
    backoff_s: tuple[float, ...] = (1, 5, 30, 120, 600)


@dataclass(frozen=True)
class Fusion:
    adapters: dict[str, Adapter] = field(default_factory=dict)
    webhooks: tuple[Webhook, ...] = ()


def load_fusion(path: str, default_grid: str) -> Fusion:
    """The adapters and webhooks of MB_FUSION (YAML); an empty path gives none. ValueError names a bad entry."""
    if not path:
        return Fusion()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    adapters = {}
    for a in data.get("adapters") or []:
        where = f"{path}: adapter {a.get('name')!r}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", str(a.get("name", ""))):
            raise ValueError(f"{where}: name must be lowercase letters, digits and '-'")
        adapters[a["name"]] = Adapter(
            a["name"], _secret(str(a.get("secret", "")), where), a.get("grid") or default_grid, a.get("types") or {}
        )
    webhooks = []
    for w in data.get("webhooks") or []:
        where = f"{path}: webhook {w.get('name')!r}"
        if not str(w.get("url", "")).startswith(("http://", "https://")):
            raise ValueError(f"{where}: url must be http(s)")
        webhooks.append(
            Webhook(
                name=str(w["name"]),
                url=w["url"],
                secret=_secret(str(w.get("secret", "")), where),
                grids=tuple(w.get("grids") or ()),
                events=tuple(w.get("events") or ()),
                max_attempts=int(w.get("max_attempts", 8)),
                backoff_s=tuple(float(s) for s in w.get("backoff_s") or (1, 5, 30, 120, 600)),
            )
        )
    return Fusion(adapters, tuple(webhooks))


# -- inbound ---------------------------------------------------------------------------------------------------


class ExternalAlarm(BaseModel):
    """An alarm as an outside platform reports it."""

    external_id: str = Field(min_length=1, max_length=100, description="their id; a resend with it is one alarm")
    type: str = Field(min_length=1, max_length=64, description="their alarm type")
    occurred_at: datetime = Field(description="when it happened (RFC 3339 with a zone)")
    grid_id: str = Field("", description="our grid; the adapter's grid when empty")
    place_id: str = ""
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    title: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)
    severity: str = Field("warning", pattern="^(info|warning|major|critical)$")
    video_url: str = Field("", max_length=500)
    attributes: dict[str, str] = Field(default_factory=dict)


def to_alarm(adapter: Adapter, body: ExternalAlarm) -> alarms_pb2.AlarmRaised:
    alarm_id = f"{adapter.name}-{_ID.sub('_', body.external_id)}"
    alarm = alarms_pb2.AlarmRaised(
        type=adapter.types.get(body.type, "external_report"),
        severity=SEVERITIES[body.severity],
        source=adapter.name,
        place_id=body.place_id,
        title=body.title or f"{adapter.name}: {body.type}",
        description=body.description,
        video_url=body.video_url,
        attributes={**body.attributes, "external_type": body.type, "external_id": body.external_id},
    )
    alarm.meta.event_id = alarm_id
    alarm.meta.grid_id = body.grid_id or adapter.grid_id
    alarm.meta.producer = "gateway"
    alarm.meta.occurred_at.FromDatetime(body.occurred_at.astimezone(UTC))
    alarm.meta.recorded_at.GetCurrentTime()
    if body.lat is not None and body.lon is not None:
        alarm.location.lat, alarm.location.lon = body.lat, body.lon
    return alarm


@router.post("/adapters/{name}/alarms", status_code=202)
async def receive_alarm(
    name: str,
    request: Request,
    x_microbrain_timestamp: Annotated[str, Header()] = "",
    x_microbrain_signature: Annotated[str, Header()] = "",
) -> dict:
    """An outside platform's alarm: signed with its secret, it goes on the grid's alarm stream (cases opens it)."""
    adapter = request.app.state.fusion.adapters.get(name)
    if adapter is None:
        raise ApiError(404, "NOT_FOUND", f"no adapter {name!r} is configured")
    raw = await request.body()
    try:
        skew = abs(time.time() - int(x_microbrain_timestamp))
    except ValueError:
        raise unauthenticated("X-Microbrain-Timestamp must be unix seconds") from None
    if skew > MAX_SKEW_S:
        raise unauthenticated(f"X-Microbrain-Timestamp is {skew:.0f}s off (at most {MAX_SKEW_S}s)")
    if not hmac.compare_digest(sign(adapter.secret, x_microbrain_timestamp, raw), x_microbrain_signature):
        raise unauthenticated("bad X-Microbrain-Signature for this adapter")
    try:
        body = ExternalAlarm.model_validate_json(raw)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]
        raise ApiError(400, "INVALID_ARGUMENT", "; ".join(parts)) from None
    alarm = to_alarm(adapter, body)
    grid = alarm.meta.grid_id
    if grid not in request.app.state.clients.grids:
        raise ApiError(400, "INVALID_ARGUMENT", f"grid_id {grid!r} is not a grid of this gateway")
    ack = await request.app.state.bus.publish(alarm_subject(grid), alarm, msg_id=alarm.meta.event_id)
    return {"alarm_id": alarm.meta.event_id, "grid_id": grid, "type": alarm.type, "duplicate": bool(ack.duplicate)}


# -- outbound --------------------------------------------------------------------------------------------------


def _case_event(event: str) -> type | None:
    return case_events.CaseChanged if event.startswith("case_") else None


class Deliveries:
    """One durable consumer per webhook and grid on the cases stream, POSTing each case event."""

    def __init__(self, fusion: Fusion, grids: list[str], bus: Bus, sessions) -> None:
        self.fusion, self.grids, self.bus, self.sessions = fusion, grids, bus, sessions
        self.http = httpx.AsyncClient(timeout=10)
        self.consumers: list[Consumer] = []
        self._waiting: list[asyncio.Task] = []

    async def start(self) -> None:
        """Starts a consumer per webhook and grid; one whose cases stream does not exist yet waits for it."""
        for hook in self.fusion.webhooks:
            for grid in self.grids:
                if hook.grids and grid not in hook.grids:
                    continue
                spec = ConsumerSpec(
                    stream=stream_name(grid, "cases"),
                    durable=f"webhook-{_ID.sub('_', hook.name)}",
                    filter_subject=f"mb.{grid}.cases.*",
                    message_type=case_events.CaseChanged,
                    types=_case_event,
                    max_deliver=hook.max_attempts,
                    backoff_s=hook.backoff_s,
                    concurrency=4,
                )
                consumer = Consumer(self.bus, spec, self._deliverer(hook))
                self._waiting.append(asyncio.create_task(self._start(consumer), name=f"webhook-{hook.name}-{grid}"))

    async def _start(self, consumer: Consumer) -> None:
        await when_stream_exists(consumer.start, consumer.spec.stream)
        self.consumers.append(consumer)

    async def stop(self) -> None:
        for task in self._waiting:
            task.cancel()
        await asyncio.gather(*self._waiting, return_exceptions=True)
        for consumer in self.consumers:
            await consumer.stop()
        await self.http.aclose()

    def _deliverer(self, hook: Webhook):
        async def deliver(event: case_events.CaseChanged, msg) -> None:
            name = msg.subject.rsplit(".", 1)[-1]
            if hook.events and name not in hook.events:
                return
            payload = {
                "event_id": event.meta.event_id,
                "event": name,
                "grid_id": event.case.grid_id,
                "occurred_at": event.meta.occurred_at.ToJsonString(),
                "change": to_dict(event.change),
                "case": to_dict(event.case),
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            error = await self.post(hook, name, event.meta.event_id, body)
            if error is None:
                return
            attempt = msg.metadata.num_delivered or 1
            if attempt < hook.max_attempts:
                raise Transient(f"webhook {hook.name}: {error}")
            async with self.sessions() as session:  # the last attempt: keep it for a person, stop retrying
                session.add(
                    DeadLetterRow(
                        webhook=hook.name,
                        event_id=event.meta.event_id,
                        event=name,
                        body=body.decode(),
                        error=error[:1000],
                        attempts=attempt,
                        at=datetime.now(UTC),
                    )
                )
                await session.commit()
            log.error("webhook %s: event %s dead-lettered after %d attempts: %s", hook.name, name, attempt, error)

        return deliver

    async def post(self, hook: Webhook, name: str, event_id: str, body: bytes) -> str | None:
        """POSTs one event; None when the receiver took it (2xx), else what went wrong."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Microbrain-Event": name,
            "X-Microbrain-Event-Id": event_id,
            "X-Microbrain-Timestamp": timestamp,
            "X-Microbrain-Signature": sign(hook.secret, timestamp, body),
        }
        try:
            reply = await self.http.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= reply.status_code < 300:
            return None
        return f"HTTP {reply.status_code}: {reply.text[:200]}"


@router.get("/webhooks/dead-letters")
async def dead_letters(user: Caller, request: Request) -> dict:
    """Case events a webhook never took (town admin)."""
    require(user, "audit")
    async with request.app.state.sessions() as session:
        rows = (await session.scalars(select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(500))).all()
    return {
        "dead_letters": [
            {
                "id": r.id,
                "webhook": r.webhook,
                "event_id": r.event_id,
                "event": r.event,
                "error": r.error,
                "attempts": r.attempts,
                "at": r.at.isoformat(),
            }
            for r in rows
        ]
    }


@router.post("/webhooks/dead-letters/{letter_id}/retry")
async def retry_dead_letter(letter_id: int, user: Caller, request: Request) -> dict:
    """Sends a dead letter again now; it is removed once the receiver takes it."""
    require(user, "write")
    require(user, "audit")
    deliveries: Deliveries = request.app.state.deliveries
    async with request.app.state.sessions() as session:
        row = await session.get(DeadLetterRow, letter_id)
        if row is None:
            raise ApiError(404, "NOT_FOUND", f"no dead letter {letter_id}")
        hook = next((h for h in deliveries.fusion.webhooks if h.name == row.webhook), None)
        if hook is None:
            raise ApiError(409, "FAILED_PRECONDITION", f"webhook {row.webhook!r} is no longer configured")
        error = await deliveries.post(hook, row.event, row.event_id, row.body.encode())
        if error is not None:
            row.error, row.attempts = error[:1000], row.attempts + 1
            await session.commit()
            raise ApiError(503, "UNAVAILABLE", f"webhook {hook.name} refused it again: {error}")
        await session.delete(row)
        await session.commit()
    return {"delivered": True}
