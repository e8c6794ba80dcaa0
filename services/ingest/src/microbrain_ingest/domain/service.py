"""Ingest use cases: the device registry, credentials, event validation, presence and command records.

Every use case takes its session explicitly; the gRPC servicer and the MQTT bridge call the same ones.
"""

import hashlib
import hmac
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.alarms.v1 import alarms_pb2
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import events_pb2, resources_pb2
from microbrain_kit import errors, telemetry
from microbrain_kit.alarms import alarm_subject
from microbrain_kit.bus import subject
from microbrain_kit.db import add_to_outbox
from microbrain_kit.times import as_utc, timestamp, utcnow
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microbrain_ingest.domain.models import CommandRecord, Device, DeviceInfo, outbox

DOMAIN = "ingest"
DEVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ALARM_CODE = EVENT_TYPE
COMMAND_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
MIN_HEARTBEAT_S, MAX_HEARTBEAT_S, DEFAULT_HEARTBEAT_S = 1.0, 3600.0, 30.0

K = resources_pb2
# Which event bodies each kind of device may send (raw is always allowed, for vendor payloads).
ALLOWED_BODIES = {
    K.DEVICE_KIND_ELEVATOR_CONTROLLER: {"elevator"},
    K.DEVICE_KIND_CAMERA: {"camera"},
    K.DEVICE_KIND_WIFI_PROBE: {"wifi"},
    K.DEVICE_KIND_FIELD_UNIT_RADIO: {"gps"},
    K.DEVICE_KIND_SENSOR: {"reading"},
}


def hash_secret(secret: str) -> str:
    """SHA-256 of a secret. Secrets are 256-bit random tokens, so a fast hash is enough (as for API tokens)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A fresh device secret."""
    return "mbd_" + secrets.token_urlsafe(32)


def kind_name(kind: int) -> str:
    """DEVICE_KIND_ELEVATOR_CONTROLLER -> ELEVATOR_CONTROLLER."""
    return K.DeviceKind.Name(kind).removeprefix("DEVICE_KIND_")


def to_info(device: Device) -> DeviceInfo:
    """The hot-path view of a device row."""
    return DeviceInfo(
        device.device_id,
        device.grid_id,
        device.kind,
        device.place_id,
        device.lat,
        device.lon,
        device.credential_version,
    )


def event_meta(
    grid_id: str, event_id: str, occurred_at: datetime | Timestamp, trace: dict[str, str] | None = None
) -> common_pb2.EventMeta:
    """The envelope of an event ingest publishes, with the given trace carrier (else the current context)."""
    carrier = telemetry.inject() if trace is None else trace
    meta = common_pb2.EventMeta(
        event_id=event_id,
        grid_id=grid_id,
        recorded_at=timestamp(utcnow()),
        producer=DOMAIN,
        trace=common_pb2.TraceContext(
            traceparent=carrier.get("traceparent", ""), tracestate=carrier.get("tracestate", "")
        ),
    )
    meta.occurred_at.CopyFrom(occurred_at if isinstance(occurred_at, Timestamp) else timestamp(occurred_at))
    return meta


def device_ref(grid_id: str, device_id: str) -> common_pb2.DeviceRef:
    return common_pb2.DeviceRef(grid_id=grid_id, device_id=device_id)


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class RegisterDevice:
    device_id: str
    grid_id: str
    kind: int
    name: str = ""
    place_id: str = ""
    lat: float | None = None
    lon: float | None = None
    heartbeat_interval_s: float = 0.0
    labels: dict | None = None


def _check_heartbeat(seconds: float) -> float:
    if seconds == 0:
        return DEFAULT_HEARTBEAT_S
    if not MIN_HEARTBEAT_S <= seconds <= MAX_HEARTBEAT_S:
        raise errors.InvalidArgument(
            f"heartbeat_interval must be between {MIN_HEARTBEAT_S:g}s and {MAX_HEARTBEAT_S:g}s, got {seconds:g}s"
        )
    return seconds


async def register_device(*, session: AsyncSession, cmd: RegisterDevice, service_grid: str) -> tuple[Device, str]:
    """Registers a device in this grid and returns it with its one-time secret."""
    if not DEVICE_ID.match(cmd.device_id):
        raise errors.InvalidArgument(
            f"device_id {cmd.device_id!r} is invalid: use 3-64 lowercase letters, digits and '-'"
        )
    if cmd.grid_id and cmd.grid_id != service_grid:
        raise errors.InvalidArgument(
            f"this ingest serves grid {service_grid!r}; "
            f"register devices of grid {cmd.grid_id!r} with that grid's ingest"
        )
    if cmd.kind not in ALLOWED_BODIES:
        raise errors.InvalidArgument(f"kind must be one of {', '.join(kind_name(k) for k in ALLOWED_BODIES)}")
    if (cmd.lat is None) != (cmd.lon is None) or (
        cmd.lat is not None and not (-90 <= cmd.lat <= 90 and -180 <= cmd.lon <= 180)
    ):
        raise errors.InvalidArgument("location must have lat in -90..90 and lon in -180..180")
    if await session.get(Device, cmd.device_id) is not None:
        raise errors.AlreadyExists(f"device {cmd.device_id} is already registered; use UpdateDevice")
    secret = new_secret()
    now = utcnow()
    device = Device(
        device_id=cmd.device_id,
        grid_id=service_grid,
        kind=cmd.kind,
        name=cmd.name,
        place_id=cmd.place_id,
        lat=cmd.lat,
        lon=cmd.lon,
        labels=dict(cmd.labels or {}),
        enabled=True,
        heartbeat_interval_s=_check_heartbeat(cmd.heartbeat_interval_s),
        secret_hash=hash_secret(secret),
        credential_version=1,
        online=False,
        last_transport=0,
        created_at=now,
        updated_at=now,
    )
    session.add(device)
    await session.flush()
    return device, secret


async def get_device(*, session: AsyncSession, device_id: str) -> Device:
    """Returns a device or raises NotFound."""
    device = await session.get(Device, device_id)
    if device is None:
        raise errors.NotFound(f"device {device_id!r} is not registered")
    return device


async def list_devices(
    *,
    session: AsyncSession,
    after: str = "",
    limit: int = 100,
    kind: int = 0,
    online: bool | None = None,
    place_id: str = "",
) -> list[Device]:
    """Devices ordered by id, after the given id, with optional filters."""
    query = select(Device).where(Device.device_id > after).order_by(Device.device_id).limit(limit)
    if kind:
        query = query.where(Device.kind == kind)
    if online is not None:
        query = query.where(Device.online == online)
    if place_id:
        query = query.where(Device.place_id == place_id)
    return list((await session.scalars(query)).all())


async def update_device(
    *,
    session: AsyncSession,
    device_id: str,
    enabled: bool | None = None,
    name: str | None = None,
    heartbeat_interval_s: float | None = None,
    rotate_secret: bool = False,
) -> tuple[Device, str]:
    """Changes a device; returns it and the new secret when rotated (else "")."""
    device = await get_device(session=session, device_id=device_id)
    secret = ""
    if enabled is not None:
        device.enabled = enabled
    if name is not None:
        device.name = name
    if heartbeat_interval_s is not None:
        device.heartbeat_interval_s = _check_heartbeat(heartbeat_interval_s)
    if rotate_secret:
        secret = new_secret()
        device.secret_hash = hash_secret(secret)
        device.credential_version += 1
    device.updated_at = utcnow()
    await session.flush()
    return device, secret


async def authenticate(*, session: AsyncSession, device_id: str, secret: str) -> DeviceInfo:
    """Checks a device's credentials; NotFound, Unauthenticated or PermissionDenied otherwise."""
    if not device_id:
        raise errors.Unauthenticated("missing device id (metadata x-mb-device-id)")
    if not secret:
        raise errors.Unauthenticated(f"missing secret for device {device_id} (metadata x-mb-device-secret)")
    device = await session.get(Device, device_id)
    if device is None:
        raise errors.NotFound(f"device {device_id!r} is not registered; register it first")
    if not hmac.compare_digest(device.secret_hash, hash_secret(secret)):
        raise errors.Unauthenticated(f"wrong secret for device {device_id}")
    if not device.enabled:
        raise errors.PermissionDenied(f"device {device_id} is disabled")
    return to_info(device)


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Limits:
    """What ingest accepts from devices."""

    max_event_bytes: int
    max_future_skew_s: float


def validate_event(device: DeviceInfo, event: resources_pb2.DeviceEvent, *, now_s: float, limits: Limits) -> None:
    """Raises a DomainError that tells the device developer what is wrong with this event (now_s: epoch seconds)."""
    size = event.ByteSize()
    if size > limits.max_event_bytes:
        raise errors.ResourceExhausted(f"event is {size} bytes; the limit is {limits.max_event_bytes} bytes")
    if not EVENT_ID.match(event.event_id):
        raise errors.InvalidArgument(
            f"event_id {event.event_id[:80]!r} is invalid: 1-64 characters of letters, digits, '.', '_', ':', '-'"
        )
    if event.grid_id and event.grid_id != device.grid_id:
        raise errors.FailedPrecondition(
            f"device {device.device_id} is registered in grid {device.grid_id!r}, event says {event.grid_id!r}"
        )
    if not EVENT_TYPE.match(event.type):
        raise errors.InvalidArgument(f"type {event.type[:80]!r} is invalid: lowercase snake_case, e.g. car_state")
    ahead = event.occurred_at.seconds - now_s
    if event.occurred_at.seconds <= 0:
        raise errors.InvalidArgument("occurred_at is required")
    if ahead > limits.max_future_skew_s:
        raise errors.InvalidArgument(
            f"occurred_at {event.occurred_at.ToJsonString()} is {ahead:.0f}s in the future; "
            f"at most {limits.max_future_skew_s:g}s of clock skew is allowed (check the device clock / NTP)"
        )
    body = event.WhichOneof("body")
    if body and body != "raw" and body not in ALLOWED_BODIES[device.kind]:
        allowed = ", ".join(sorted(ALLOWED_BODIES[device.kind] | {"raw"}))
        raise errors.InvalidArgument(f"a {kind_name(device.kind)} cannot send a {body!r} body (allowed: {allowed})")
    if body == "gps":
        pos = event.gps.position
        if not (-90 <= pos.lat <= 90 and -180 <= pos.lon <= 180):
            raise errors.InvalidArgument(f"gps position ({pos.lat}, {pos.lon}) is out of range")
    if event.HasField("alarm"):
        if not ALARM_CODE.match(event.alarm.code):
            raise errors.InvalidArgument("alarm.code is required: lowercase snake_case, e.g. door_fault")
        if event.alarm.severity == common_pb2.SEVERITY_UNSPECIFIED:
            raise errors.InvalidArgument("alarm.severity is required")


Record = tuple[str, str, events_pb2.DeviceEventRecorded | alarms_pb2.AlarmRaised]
# Alarm codes a device may raise that are case types of their own (a smart camera that detects on the edge);
# any other code becomes a "device_fault" alarm with the code in its attributes.
SCENARIO_ALARMS = {"ebike_in_elevator", "litter_off_hours", "crowd_over_threshold", "device_offline"}


def device_alarm(
    device: DeviceInfo | Device,
    alarm_id: str,
    occurred_at: datetime | Timestamp,
    info: resources_pb2.DeviceAlarmInfo,
    trace: dict[str, str] | None = None,
) -> alarms_pb2.AlarmRaised:
    """The shared alarm envelope for an alarm a device raised (or ingest raised for it)."""
    name = getattr(device, "name", "") or device.device_id
    alarm = alarms_pb2.AlarmRaised(
        meta=event_meta(device.grid_id, alarm_id, occurred_at, trace),
        type=info.code if info.code in SCENARIO_ALARMS else "device_fault",
        severity=info.severity,
        source=DOMAIN,
        place_id=device.place_id,
        device=device_ref(device.grid_id, device.device_id),
        title=f"{info.code} · {name}",
        description=info.message,
        attributes={"code": info.code, "device_kind": kind_name(device.kind)},
    )
    if device.lat is not None:
        alarm.location.lat, alarm.location.lon = device.lat, device.lon
    return alarm


class EventRecorder:
    """Turns one device's valid events into the (subject, msg id, message) triples ingest publishes.

    Built once per connection: what is the same for every event of the device is prepared here.
    """

    def __init__(
        self, device: DeviceInfo, transport: int, trace: dict[str, str], *, device_traced: bool = False
    ) -> None:
        self.device, self.transport, self.trace = device, transport, trace
        # Whether the device itself sent a trace context: then its alarms continue that trace; otherwise
        # each alarm opens a trace of its own (one trace per incident, not one per connection).
        self.device_traced = device_traced
        self.event_subject = subject(device.grid_id, DOMAIN, "device_event")
        self.alarm_subject = alarm_subject(device.grid_id)
        self.template = events_pb2.DeviceEventRecorded(
            meta=common_pb2.EventMeta(
                grid_id=device.grid_id,
                producer=DOMAIN,
                trace=common_pb2.TraceContext(
                    traceparent=trace.get("traceparent", ""), tracestate=trace.get("tracestate", "")
                ),
            ),
            device=device_ref(device.grid_id, device.device_id),
            kind=device.kind,
            place_id=device.place_id,
            transport=transport,
        )

    def records(self, event: resources_pb2.DeviceEvent) -> list[Record]:
        """The event message, plus an alarm message when the device raised one (in the current trace)."""
        recorded = events_pb2.DeviceEventRecorded()
        recorded.CopyFrom(self.template)
        recorded.meta.event_id = event.event_id
        recorded.meta.occurred_at.CopyFrom(event.occurred_at)
        recorded.meta.recorded_at.seconds, recorded.meta.recorded_at.nanos = divmod(time.time_ns(), 1_000_000_000)
        recorded.event.CopyFrom(event)
        if not event.HasField("alarm"):
            return [(self.event_subject, event.event_id, recorded)]
        # An alarm opens an incident: both messages carry the trace that is current now (the alarm's span).
        trace = telemetry.inject()
        recorded.meta.trace.traceparent = trace.get("traceparent", "")
        recorded.meta.trace.tracestate = trace.get("tracestate", "")
        alarm_id = f"{event.event_id}:alarm"
        alarm = device_alarm(self.device, alarm_id, event.occurred_at, event.alarm, trace)
        alarm.attributes["source_event_id"] = event.event_id
        if event.WhichOneof("body") == "gps":
            alarm.location.CopyFrom(event.gps.position)
        return [(self.event_subject, event.event_id, recorded), (self.alarm_subject, alarm_id, alarm)]


# ---------------------------------------------------------------- presence


async def save_presence(*, session: AsyncSession, seen: dict[str, tuple[datetime, int]], misses: int) -> list[str]:
    """Saves last-seen times; devices that were offline go online (event in the outbox). Returns those ids."""
    came_online = []
    for device in (await session.scalars(select(Device).where(Device.device_id.in_(list(seen))))).all():
        at, transport = seen[device.device_id]
        if device.last_seen_at is None or as_utc(device.last_seen_at) < at:
            device.last_seen_at = at
            device.silent_after = at + timedelta(seconds=device.heartbeat_interval_s * misses)
        device.last_transport = transport
        if not device.online and device.enabled:
            device.online = True
            came_online.append(device.device_id)
            event_id = f"{device.device_id}:online:{at.timestamp():.3f}"
            await add_to_outbox(
                session,
                outbox,
                subject(device.grid_id, DOMAIN, "device_online"),
                events_pb2.DeviceWentOnline(
                    meta=event_meta(device.grid_id, event_id, at),
                    device=device_ref(device.grid_id, device.device_id),
                    kind=device.kind,
                    transport=transport,
                ),
                event_id,
            )
    return came_online


async def mark_silent_offline(*, session: AsyncSession, now: datetime, misses: int) -> list[str]:
    """Devices silent past heartbeat × misses (and disabled ones) go offline, with an event and a device alarm."""
    went_offline = []
    silent = select(Device).where(
        Device.online.is_(True),
        or_(Device.silent_after.is_(None), Device.silent_after < now, Device.enabled.is_(False)),
    )
    for device in (await session.scalars(silent)).all():
        allowed = timedelta(seconds=device.heartbeat_interval_s * misses)
        last = as_utc(device.last_seen_at)
        # Conditional update: with several replicas only one of them reports the transition.
        result = await session.execute(
            update(Device).where(Device.device_id == device.device_id, Device.online.is_(True)).values(online=False)
        )
        if result.rowcount != 1:
            continue
        went_offline.append(device.device_id)
        ref = device_ref(device.grid_id, device.device_id)
        event_id = f"{device.device_id}:offline:{(last or now).timestamp():.3f}"
        offline = events_pb2.DeviceWentOffline(
            meta=event_meta(device.grid_id, event_id, now), device=ref, kind=device.kind
        )
        if last:
            offline.last_seen_at.CopyFrom(timestamp(last))
        offline.allowed_silence.FromTimedelta(allowed)
        await add_to_outbox(session, outbox, subject(device.grid_id, DOMAIN, "device_offline"), offline, event_id)
        alarm_id = f"{event_id}:alarm"
        info = resources_pb2.DeviceAlarmInfo(
            code="device_offline",
            severity=common_pb2.SEVERITY_WARNING,
            message=(
                f"{device.name or device.device_id} silent since "
                f"{last.isoformat(timespec='seconds') if last else 'registration'}"
                f" (allowed {allowed.total_seconds():g}s)"
            ),
        )
        alarm = device_alarm(device, alarm_id, now, info)
        await add_to_outbox(session, outbox, alarm_subject(device.grid_id), alarm, alarm_id)
    return went_offline


# ---------------------------------------------------------------- commands


async def issue_command(
    *, session: AsyncSession, device_id: str, name: str, args: dict[str, str], timeout: timedelta
) -> tuple[Device, resources_pb2.Command]:
    """Records a command for a device (and its command_issued event); the caller delivers it."""
    if not COMMAND_NAME.match(name):
        raise errors.InvalidArgument(f"command name {name[:40]!r} is invalid: uppercase letters, digits, '_'")
    if not timedelta(0) < timeout <= timedelta(minutes=5):
        raise errors.InvalidArgument("timeout must be between 0 and 5 minutes")
    device = await get_device(session=session, device_id=device_id)
    if not device.enabled:
        raise errors.FailedPrecondition(f"device {device_id} is disabled; enable it before sending commands")
    now = utcnow()
    command = resources_pb2.Command(
        command_id=str(uuid.uuid4()), name=name, args=args, issued_at=timestamp(now), deadline=timestamp(now + timeout)
    )
    session.add(
        CommandRecord(
            command_id=command.command_id,
            device_id=device_id,
            name=name,
            args=dict(args),
            issued_at=now,
            deadline=now + timeout,
            status="issued",
        )
    )
    await add_to_outbox(
        session,
        outbox,
        subject(device.grid_id, DOMAIN, "command_issued"),
        events_pb2.CommandIssued(
            meta=event_meta(device.grid_id, f"{command.command_id}:issued", now),
            device=device_ref(device.grid_id, device_id),
            command=command,
        ),
        f"{command.command_id}:issued",
    )
    return device, command


async def finish_command(
    *,
    session: AsyncSession,
    grid_id: str,
    device_id: str,
    command: resources_pb2.Command,
    ack: resources_pb2.CommandAck | None,
    reason: str = "",
) -> None:
    """Records how a command ended (acked, or timed out with a reason) and queues its event."""
    now = utcnow()
    record = await session.get(CommandRecord, command.command_id)
    ref = device_ref(grid_id, device_id)
    if ack is not None:
        record.status, record.outcome, record.message = "acked", ack.outcome, ack.message[:500]
        event_id = f"{command.command_id}:acked"
        event = events_pb2.CommandAcked(meta=event_meta(grid_id, event_id, now), device=ref, command=command, ack=ack)
        event.latency.FromTimedelta(now - command.issued_at.ToDatetime(tzinfo=now.tzinfo))
        name = "command_acked"
    else:
        record.status, record.message = "timed_out", reason[:500]
        event_id = f"{command.command_id}:timed_out"
        event = events_pb2.CommandTimedOut(
            meta=event_meta(grid_id, event_id, now), device=ref, command=command, reason=reason
        )
        name = "command_timed_out"
    record.finished_at = now
    await add_to_outbox(session, outbox, subject(grid_id, DOMAIN, name), event, event_id)
