"""Device simulator: registers a grid's devices with ingest and streams their events over gRPC; with a vision
service to talk to, its cameras also stream frames there (cameras.py)."""

import asyncio
import contextlib
import json
import logging
import os
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
from google.protobuf.duration_pb2 import Duration
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from rich.console import Console

from microbrain_cli import scenes
from microbrain_cli.cameras import CameraFeeds, camera_shows
from microbrain_cli.devices import (
    AlarmKind,
    Camera,
    FieldUnitRadio,
    SimDevice,
    choose_alarm,
    make_device,
    timestamp,
)
from microbrain_cli.scenario import DeviceSpec, GridScenario
from microbrain_cli.units import DEFAULT_ACK_RATE, DEFAULT_TRAVEL_S, FieldUnits

log = logging.getLogger(__name__)

DEFAULT_TARGET = "127.0.0.1:50051"
# Mean seconds between two device alarms across the whole grid: now and then, not a flood of cases.
DEFAULT_ALARM_EVERY_S = 45.0
# Mean seconds between two scenes at each camera vision watches (an e-bike in the lift car, a bag left on
# the garbage-room apron). A bag stays 12 s, so at this pace vision's slowly learned background stays the
# empty apron (scenes.py).
DEFAULT_SCENE_EVERY_S = 60.0
HEARTBEAT_INTERVAL_S = 10
# Events kept for resending while ingest is away; beyond this the oldest are dropped, as a device
# with a small buffer would.
MAX_PENDING = 1000
# Ack code 14 (UNAVAILABLE): ingest could not store the event and asks for a resend later.
_RETRY_LATER = grpc.StatusCode.UNAVAILABLE.value[0]
_RESEND_AFTER_S = 2.0
_BACKOFF_FIRST_S, _BACKOFF_MAX_S = 0.5, 10.0
# A disabled device is refused until someone enables it; asking often helps nobody.
_DISABLED_RETRY_S = 60.0
_RPC_TIMEOUT_S = 10.0
# gRPC's own reconnect backoff grows to 2 minutes; a restarted local ingest should be found in seconds.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 5000),
]


class SecretStore:
    """Device secrets per grid in a JSON file only the owner can read (ingest shows each secret once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self._data = {}
        except (OSError, ValueError) as e:
            log.warning("ignoring unreadable secrets file %s: %s", path, e)
            self._data = {}

    def get(self, grid_id: str, device_id: str) -> str | None:
        """Returns the stored secret of a device, if any."""
        return self._data.get(grid_id, {}).get(device_id)

    def put(self, grid_id: str, device_id: str, secret: str) -> None:
        """Stores a device's secret and writes the file (mode 0600)."""
        self._data.setdefault(grid_id, {})[device_id] = secret
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        # Create with 0600 from the start so the secrets are never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._data, f, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)  # an older tmp file may have had a wider mode
        os.replace(tmp, self.path)


@dataclass
class Stats:
    """Counters for the live status line."""

    sent: int = 0
    resent: int = 0
    acked: int = 0
    duplicates: int = 0
    refused: int = 0
    dropped: int = 0
    heartbeats: int = 0
    commands: int = 0
    alarms: int = 0
    reconnects: int = 0


class StreamFailed(Exception):
    """The device stream ended with a non-OK status."""

    def __init__(self, code: grpc.StatusCode, details: str | None) -> None:
        super().__init__(f"{code.name}: {details or ''}")
        self._code = code
        self._details = details or ""

    # Same accessors as grpc.aio.AioRpcError, so callers handle both alike.
    def code(self) -> grpc.StatusCode:
        """Returns the stream's status code."""
        return self._code

    def details(self) -> str:
        """Returns the stream's status message."""
        return self._details


@dataclass
class _Device:
    sim: SimDevice
    seq: int = 0
    # Events sent but not yet acked, by seq; resent with the same seq and event id after a reconnect.
    pending: OrderedDict[int, pb.StreamEventsRequest] = field(default_factory=OrderedDict)
    written: set[int] = field(default_factory=set)
    # The outgoing queue of the live stream; None while disconnected.
    queue: asyncio.Queue[pb.StreamEventsRequest] | None = None
    # Whether ingest has answered on the current stream (resets the reconnect backoff).
    answered: bool = False

    @property
    def spec(self) -> DeviceSpec:
        return self.sim.spec

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


class Simulator:
    """Runs every device of one grid against an ingest service until stopped."""

    def __init__(
        self,
        *,
        grid: GridScenario,
        target: str = DEFAULT_TARGET,
        state_dir: Path = Path(".state"),
        rate_scale: float = 1.0,
        console: Console | None = None,
        status_every_s: float = 5.0,
        rng: random.Random | None = None,
        alarm_every_s: float = DEFAULT_ALARM_EVERY_S,
        vision_target: str = "",
        scene_every_s: float = DEFAULT_SCENE_EVERY_S,
        dispatch_target: str = "",
        cases_target: str = "",
        unit_ack_rate: float = DEFAULT_ACK_RATE,
        unit_travel_s: float = DEFAULT_TRAVEL_S,
    ) -> None:
        if rate_scale <= 0:
            raise ValueError("rate_scale must be positive")
        if alarm_every_s < 0:
            raise ValueError("alarm_every_s must be 0 (no alarms) or more")
        if scene_every_s < 0:
            raise ValueError("scene_every_s must be 0 (no scenes) or more")
        self.grid = grid
        self.target = target
        self.rate_scale = rate_scale
        # Not scaled by rate_scale: a faster feed of readings should not also mean more incidents.
        self.alarm_every_s = alarm_every_s
        self.console = console
        self.status_every_s = status_every_s
        self.rng = rng or random.Random()
        self.secrets = SecretStore(state_dir / "simulator-secrets.json")
        self.stats = Stats()
        self.devices = [_Device(make_device(spec, random.Random(self.rng.random()))) for spec in grid.devices]
        self._stop = asyncio.Event()
        self._stub: pb_grpc.IngestServiceStub | None = None
        self._waiting_logged = False
        # Camera frames go to vision when there is one and frames can be made here (scikit-image, OpenCV).
        self.vision_target = vision_target
        self.scene_every_s = scene_every_s
        self.frames_missing = scenes.missing() if vision_target else None
        self.streams_frames = bool(vision_target) and self.frames_missing is None
        self.feeds: CameraFeeds | None = None
        # The field units play along when there is a dispatch to watch and a cases service to report to.
        self.dispatch_target = dispatch_target
        self.cases_target = cases_target
        self.unit_ack_rate = unit_ack_rate
        self.unit_travel_s = unit_travel_s
        self.units = self._field_units() if dispatch_target and cases_target else None

    def camera_alarms_via_ingest(self, sim: SimDevice) -> bool:
        """Whether this device raises its alarms through ingest: not a camera whose frames go to vision.

        Vision raises those (ebike_in_elevator, litter_off_hours) from the frames it sees; the camera saying
        so too would open a second case for one e-bike. The lift's own door fault still goes through ingest.
        """
        return not (self.streams_frames and isinstance(sim, Camera))

    def stop(self) -> None:
        """Asks a running simulator to stop."""
        self._stop.set()

    async def run(self, duration_s: float = 0) -> Stats:
        """Runs until stop() or for duration_s seconds (0 = until stopped); returns the counters."""
        self._stop.clear()
        log.info("simulating %d devices of grid %s against %s", len(self.devices), self.grid.grid_id, self.target)
        async with grpc.aio.insecure_channel(self.target, options=_CHANNEL_OPTIONS) as channel:
            self._stub = pb_grpc.IngestServiceStub(channel)
            tasks = [asyncio.create_task(self._device_loop(d), name=d.spec.device_id) for d in self.devices]
            tasks += [asyncio.create_task(self._produce(d)) for d in self.devices]
            tasks.append(asyncio.create_task(self._alarm_loop()))
            tasks.append(asyncio.create_task(self._report_loop()))
            if self.vision_target and not self.streams_frames:
                log.warning(
                    "camera frames off: %s; the cameras raise their alarms through ingest instead", self.frames_missing
                )
            elif self.streams_frames:
                self.feeds = CameraFeeds(
                    target=self.vision_target,
                    shows=camera_shows(
                        [d.spec for d in self.devices],
                        scene_every_s=self.scene_every_s,
                        start=asyncio.get_running_loop().time(),
                        rng=random.Random(self.rng.random()),
                    ),
                    stop=self._stop,
                )
                # Made before the first frame is due, not at it: the photos take a moment to load and encode.
                await asyncio.to_thread(_warm_frames)
                tasks.append(asyncio.create_task(self.feeds.run(), name="cameras"))
            if self.units is not None:
                tasks.append(asyncio.create_task(self.units.run(), name="units"))
            elif self.dispatch_target:
                log.warning("field units off: no cases target to report to")
            try:
                if duration_s > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), duration_s)
                else:
                    await self._stop.wait()
            finally:
                self._stop.set()
                # Device loops (and the cameras) see the stop and close their streams; producers and the reporter
                # just end.
                await asyncio.wait(
                    [*tasks[: len(self.devices)], *(t for t in tasks if t.get_name() in ("cameras", "units"))],
                    timeout=5.0,
                )
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        self._report()
        return self.stats

    def _field_units(self) -> FieldUnits:
        by_sim = {id(d.sim): d for d in self.devices}
        radios = {
            d.spec.labels["unit"]: d.sim
            for d in self.devices
            if isinstance(d.sim, FieldUnitRadio) and d.spec.labels.get("unit")
        }
        return FieldUnits(
            radios=radios,
            dispatch_target=self.dispatch_target,
            cases_target=self.cases_target,
            stop=self._stop,
            emit=lambda radio: self._emit(by_sim[id(radio)]),
            rng=random.Random(self.rng.random()),
            ack_rate=self.unit_ack_rate,
            travel_s=self.unit_travel_s,
        )

    # --- registration -------------------------------------------------------------------------

    async def _credentials(self, dev: _Device, *, rotate: bool) -> str:
        """Registers the device (or finds it registered) and returns a secret that should work."""
        assert self._stub is not None
        spec = dev.spec
        if not rotate:
            request = pb.RegisterDeviceRequest(
                device_id=spec.device_id,
                grid_id=self.grid.grid_id,
                kind=spec.kind,
                name=spec.name,
                place_id=spec.place_id,
                location=common_pb2.GeoPoint(lat=spec.lat, lon=spec.lon),
                heartbeat_interval=Duration(seconds=HEARTBEAT_INTERVAL_S),
                labels={**spec.labels, "source": "simulator"},
            )
            try:
                reply = await self._stub.RegisterDevice(request, timeout=_RPC_TIMEOUT_S)
            except grpc.aio.AioRpcError as e:
                if e.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
                stored = self.secrets.get(self.grid.grid_id, spec.device_id)
                if stored:
                    # Reuse what we kept from an earlier run; a stale one shows up as UNAUTHENTICATED.
                    return stored
            else:
                log.info("registered %s", spec.device_id)
                self.secrets.put(self.grid.grid_id, spec.device_id, reply.secret)
                return reply.secret
        # Registered already but we do not know (or no longer know) its secret: ask for a new one.
        reply = await self._stub.UpdateDevice(
            pb.UpdateDeviceRequest(device_id=spec.device_id, rotate_secret=True), timeout=_RPC_TIMEOUT_S
        )
        log.info("rotated the secret of %s", spec.device_id)
        self.secrets.put(self.grid.grid_id, spec.device_id, reply.secret)
        return reply.secret

    # --- the device's connection ----------------------------------------------------------------

    async def _device_loop(self, dev: _Device) -> None:
        """Keeps one device connected: (re)registers, streams, and backs off while ingest is away."""
        backoff = _BACKOFF_FIRST_S
        secret: str | None = None
        rotate = False
        while not self._stop.is_set():
            delay = backoff
            try:
                if secret is None:
                    secret = await self._credentials(dev, rotate=rotate)
                    rotate = False
                await self._stream(dev, secret)
            except (grpc.aio.AioRpcError, StreamFailed) as e:
                code, details = e.code(), e.details()
                if code == grpc.StatusCode.UNAUTHENTICATED:
                    log.warning("%s: secret refused, asking for a new one", dev.spec.device_id)
                    secret, rotate = None, True
                elif code == grpc.StatusCode.NOT_FOUND:
                    # Ingest lost or deleted the device (a fresh database): register it again.
                    log.warning("%s: unknown to ingest, registering again", dev.spec.device_id)
                    secret = None
                elif code == grpc.StatusCode.PERMISSION_DENIED:
                    log.error("%s is disabled in ingest; retrying in %ds", dev.spec.device_id, _DISABLED_RETRY_S)
                    delay = _DISABLED_RETRY_S
                elif code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    if not self._waiting_logged:
                        log.info("waiting for ingest at %s (%s)", self.target, code.name)
                        self._waiting_logged = True
                else:
                    log.warning("%s: stream failed: %s %s", dev.spec.device_id, code.name, details)
            except Exception:
                log.exception("%s: unexpected error; reconnecting", dev.spec.device_id)
            if self._stop.is_set():
                break
            if dev.answered:
                # The stream worked for a while: this is a fresh failure, not the same outage going on.
                backoff = delay = _BACKOFF_FIRST_S
                dev.answered = False
            self.stats.reconnects += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay * self.rng.uniform(0.8, 1.2))
            backoff = min(backoff * 2, _BACKOFF_MAX_S)

    async def _stream(self, dev: _Device, secret: str) -> None:
        """Runs one StreamEvents call until stop, the server closing it, or failure (StreamFailed)."""
        assert self._stub is not None
        metadata = (("x-mb-device-id", dev.spec.device_id), ("x-mb-device-secret", secret))
        call = self._stub.StreamEvents(metadata=metadata)
        queue: asyncio.Queue[pb.StreamEventsRequest] = asyncio.Queue()
        queue.put_nowait(self._heartbeat(dev))
        for request in dev.pending.values():  # what the last stream left unacked, same seq and event id
            queue.put_nowait(request)
        dev.queue = queue
        reader = asyncio.create_task(self._read(call, dev, queue))
        writer = asyncio.create_task(self._write(call, dev, queue))
        beats = asyncio.create_task(self._heartbeats(dev, queue))
        stopping = asyncio.create_task(self._stop.wait())
        try:
            done, _ = await asyncio.wait({reader, writer, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                # Say we are done and give ingest a moment to ack what is in flight, so little is resent.
                writer.cancel()
                beats.cancel()
                with contextlib.suppress(Exception):
                    await call.done_writing()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(reader, 2.0)
                return
            for task in (reader, writer):
                if task in done and task.exception() is not None:
                    err = task.exception()
                    if isinstance(err, grpc.aio.AioRpcError):
                        raise StreamFailed(err.code(), err.details())
                    if task is writer:
                        # A write on a finished call fails without the status; the call has it.
                        code = await asyncio.wait_for(call.code(), 5.0)
                        raise StreamFailed(code, await call.details())
                    raise err
            # The server closed the stream with OK (a graceful restart): the caller reconnects.
        finally:
            dev.queue = None
            for task in (reader, writer, beats, stopping):
                task.cancel()
            await asyncio.gather(reader, writer, beats, stopping, return_exceptions=True)
            call.cancel()

    async def _write(self, call: grpc.aio.StreamStreamCall, dev: _Device, queue: asyncio.Queue) -> None:
        while True:
            request: pb.StreamEventsRequest = await queue.get()
            what = request.WhichOneof("message")
            if what == "event":
                if request.seq not in dev.pending:
                    continue  # acked while it waited for a resend
                if request.seq in dev.written:
                    self.stats.resent += 1
                dev.written.add(request.seq)
                self.stats.sent += 1
            elif what == "heartbeat":
                self.stats.heartbeats += 1
            await call.write(request)

    async def _read(self, call: grpc.aio.StreamStreamCall, dev: _Device, queue: asyncio.Queue) -> None:
        while True:
            reply = await call.read()
            if reply is grpc.aio.EOF:
                return
            if not dev.answered and self._waiting_logged:
                log.info("ingest at %s is answering", self.target)
                self._waiting_logged = False
            dev.answered = True
            # Ingest sends the acks that are ready together, in any order; each names the seq it answers.
            for ack in reply.acks:
                self._on_ack(dev, ack, queue)
            if reply.HasField("command"):
                self._on_command(dev, reply.command, queue)

    async def _heartbeats(self, dev: _Device, queue: asyncio.Queue) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL_S)
            queue.put_nowait(self._heartbeat(dev))

    def _heartbeat(self, dev: _Device) -> pb.StreamEventsRequest:
        return pb.StreamEventsRequest(seq=dev.next_seq(), heartbeat=res.Heartbeat(sent_at=timestamp(datetime.now(UTC))))

    def _on_ack(self, dev: _Device, ack: pb.Ack, queue: asyncio.Queue) -> None:
        is_event = ack.seq in dev.pending
        if ack.code == 0:
            if is_event:
                del dev.pending[ack.seq]
                dev.written.discard(ack.seq)
                self.stats.acked += 1
                self.stats.duplicates += ack.duplicate
            return
        if is_event and ack.code == _RETRY_LATER:
            log.warning("%s: event %s not stored yet (%s); resending", dev.spec.device_id, ack.event_id, ack.message)
            asyncio.get_running_loop().call_later(_RESEND_AFTER_S, self._resend, dev, ack.seq, queue)
            return
        log.warning(
            "%s: ingest refused seq %d%s: code %d %s",
            dev.spec.device_id,
            ack.seq,
            f" (event {ack.event_id})" if ack.event_id else "",
            ack.code,
            ack.message,
        )
        if is_event:
            # Resending the same event would be refused the same way.
            del dev.pending[ack.seq]
            dev.written.discard(ack.seq)
            self.stats.refused += 1

    def _resend(self, dev: _Device, seq: int, queue: asyncio.Queue) -> None:
        # Only on the stream that asked; a newer stream resends everything pending anyway.
        if dev.queue is queue and seq in dev.pending:
            queue.put_nowait(dev.pending[seq])

    def _on_command(self, dev: _Device, command: res.Command, queue: asyncio.Queue) -> None:
        now = datetime.now(UTC)
        if command.HasField("deadline") and command.deadline.ToDatetime(tzinfo=UTC) < now:
            log.warning("%s: ignoring command %s past its deadline", dev.spec.device_id, command.name)
            return
        ack = dev.sim.handle_command(command, now)
        queue.put_nowait(pb.StreamEventsRequest(seq=dev.next_seq(), command_ack=ack))
        self.stats.commands += 1
        log.info(
            "%s: command %s -> %s %s",
            dev.spec.device_id,
            command.name,
            res.CommandAck.Outcome.Name(ack.outcome),
            ack.message,
        )
        if ack.outcome == res.CommandAck.OUTCOME_DONE:
            # Report the new state at once rather than at the next tick.
            self._emit(dev)

    # --- events ---------------------------------------------------------------------------------

    def _emit(self, dev: _Device, alarm: AlarmKind | None = None) -> None:
        event = dev.sim.next_event() if alarm is None else dev.sim.alarm_event(alarm)
        event.grid_id = self.grid.grid_id
        # One event per request rather than an EventBatch: its ack carries this seq (and index 0).
        request = pb.StreamEventsRequest(seq=dev.next_seq(), event=event)
        dev.pending[request.seq] = request
        while len(dev.pending) > MAX_PENDING:
            seq, _ = dev.pending.popitem(last=False)
            dev.written.discard(seq)
            self.stats.dropped += 1
        if dev.queue is not None:
            dev.queue.put_nowait(request)

    async def _produce(self, dev: _Device) -> None:
        """Makes the device's events on its own clock, connected or not, like a real device."""
        interval = dev.sim.interval / self.rate_scale
        # Spread the devices out so they do not all speak in the same instant.
        await asyncio.sleep(self.rng.uniform(0, min(interval, 2.0)))
        while True:
            self._emit(dev)
            await asyncio.sleep(interval * self.rng.uniform(0.9, 1.1))

    async def _alarm_loop(self) -> None:
        """Now and then one device of the grid raises an alarm: a Poisson process, alarm_every_s apart on average."""
        if self.alarm_every_s <= 0:
            return
        by_sim = {id(d.sim): d for d in self.devices}
        sims = [d.sim for d in self.devices if self.camera_alarms_via_ingest(d.sim)]
        while True:
            await asyncio.sleep(self.rng.expovariate(1 / self.alarm_every_s))
            picked = choose_alarm(sims, datetime.now(UTC), self.rng)
            if picked is None:
                continue
            sim, alarm = picked
            self._emit(by_sim[id(sim)], alarm)
            self.stats.alarms += 1
            log.info("%s raises %s (%s)", sim.spec.device_id, alarm.code, alarm.message)

    # --- status ---------------------------------------------------------------------------------

    async def _report_loop(self) -> None:
        while True:
            await asyncio.sleep(self.status_every_s)
            self._report()

    def status_line(self) -> str:
        """Returns a one-line summary of what the simulator has done so far."""
        s = self.stats
        streaming = sum(d.queue is not None for d in self.devices)
        pending = sum(len(d.pending) for d in self.devices)
        line = (
            f"simulator: {streaming}/{len(self.devices)} devices streaming · events sent {s.sent}"
            f" (resent {s.resent}) · acked {s.acked} · refused {s.refused} · unacked {pending}"
            f" · alarms raised {s.alarms} · commands answered {s.commands} · reconnects {s.reconnects}"
        )
        if s.dropped:
            line += f" · dropped {s.dropped}"
        if self.feeds is not None:
            f = self.feeds.stats
            line += (
                f" · cameras {len(self.feeds.streaming)}/{len(self.feeds.shows)} streaming to vision: frames sent"
                f" {f.sent}, answered {f.answered} (dropped {f.dropped}, refused {f.refused}), vision alarms"
                f" {f.alarms}, cleared {f.cleared}"
            )
        if self.units is not None:
            line += f" · {self.units.status()}"
        return line

    def _report(self) -> None:
        if self.console is not None:
            self.console.print(f"[dim]{datetime.now():%H:%M:%S}[/] {self.status_line()}", highlight=False)
        else:
            log.info("%s", self.status_line())


def _warm_frames() -> None:
    # Every picture a camera may send, encoded once (scenes caches them).
    for flag in (False, True):
        scenes.lift_car_jpeg(flag)
        scenes.garbage_room_jpeg(flag)
    for people in range(scenes.MAX_PEOPLE + 1):
        scenes.plaza_jpeg(people)
