"""IngestService over gRPC: translates requests to use cases and back."""

import asyncio
import base64
import functools
import logging
import time
from datetime import timedelta

import grpc
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2
from microbrain_kit import errors, telemetry

from microbrain_ingest.adapters.commands import CommandUndelivered
from microbrain_ingest.adapters.mappers import device_to_proto
from microbrain_ingest.domain import service
from microbrain_ingest.domain.models import DeviceInfo
from microbrain_ingest.metrics import COMMAND_SECONDS, REFUSED

log = logging.getLogger(__name__)

DEVICE_ID_KEY, DEVICE_SECRET_KEY = "x-mb-device-id", "x-mb-device-secret"
MAX_PAGE = 1000
MAX_BATCH = 1000
GRPC = resources_pb2.TRANSPORT_GRPC


def _page_token(device_id: str) -> str:
    return base64.urlsafe_b64encode(device_id.encode()).decode()


def _after(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode() if token else ""
    except ValueError:
        raise errors.InvalidArgument("page_token is not one this server issued") from None


class IngestServicer(pb_grpc.IngestServiceServicer):
    """The gRPC face of ingest."""

    def __init__(self, app) -> None:  # app: microbrain_ingest.wiring.App
        self.app = app

    async def RegisterDevice(self, request: pb.RegisterDeviceRequest, context) -> pb.RegisterDeviceResponse:
        cmd = service.RegisterDevice(
            device_id=request.device_id,
            grid_id=request.grid_id,
            kind=request.kind,
            name=request.name,
            place_id=request.place_id,
            lat=request.location.lat if request.HasField("location") else None,
            lon=request.location.lon if request.HasField("location") else None,
            heartbeat_interval_s=request.heartbeat_interval.ToTimedelta().total_seconds(),
            labels=dict(request.labels),
        )
        async with self.app.sessions() as session:
            device, secret = await service.register_device(
                session=session, cmd=cmd, service_grid=self.app.settings.grid_id
            )
            await session.commit()
        log.info("device registered", extra={"device_id": device.device_id, "kind": service.kind_name(device.kind)})
        return pb.RegisterDeviceResponse(device=device_to_proto(device), secret=secret)

    async def GetDevice(self, request: pb.GetDeviceRequest, context) -> pb.GetDeviceResponse:
        async with self.app.sessions() as session:
            device = await service.get_device(session=session, device_id=request.device_id)
        return pb.GetDeviceResponse(device=device_to_proto(device))

    async def ListDevices(self, request: pb.ListDevicesRequest, context) -> pb.ListDevicesResponse:
        if request.page.page_size < 0:
            raise errors.InvalidArgument("page_size must not be negative")
        size = min(request.page.page_size or 100, MAX_PAGE)
        async with self.app.sessions() as session:
            devices = await service.list_devices(
                session=session,
                after=_after(request.page.page_token),
                limit=size + 1,
                kind=request.kind,
                online=request.online if request.HasField("online") else None,
                place_id=request.place_id,
            )
        reply = pb.ListDevicesResponse(devices=[device_to_proto(d) for d in devices[:size]])
        if len(devices) > size:
            reply.page.next_page_token = _page_token(devices[size - 1].device_id)
        return reply

    async def UpdateDevice(self, request: pb.UpdateDeviceRequest, context) -> pb.UpdateDeviceResponse:
        async with self.app.sessions() as session:
            device, secret = await service.update_device(
                session=session,
                device_id=request.device_id,
                enabled=request.enabled if request.HasField("enabled") else None,
                name=request.name if request.HasField("name") else None,
                heartbeat_interval_s=(
                    request.heartbeat_interval.ToTimedelta().total_seconds()
                    if request.HasField("heartbeat_interval")
                    else None
                ),
                rotate_secret=request.rotate_secret,
            )
            await session.commit()
        if not device.enabled or request.rotate_secret:
            await self.app.kick(device.device_id)  # open connections must re-authenticate
        log.info(
            "device updated",
            extra={
                "device_id": device.device_id,
                "enabled": device.enabled,
                "rotated": request.rotate_secret,
            },
        )
        return pb.UpdateDeviceResponse(device=device_to_proto(device), secret=secret)

    async def SendCommand(self, request: pb.SendCommandRequest, context) -> pb.SendCommandResponse:
        timeout = request.timeout.ToTimedelta() if request.HasField("timeout") else timedelta(seconds=10)
        async with self.app.sessions() as session:
            device, command = await service.issue_command(
                session=session,
                device_id=request.device_id,
                name=request.name,
                args=dict(request.args),
                timeout=timeout,
            )
            await session.commit()
        self.app.relay.notify()
        ack, reason, started = None, "", time.perf_counter()
        try:
            ack = await self.app.router.send(device.device_id, command, timeout.total_seconds())
        except CommandUndelivered as exc:
            reason = str(exc)
        COMMAND_SECONDS.labels(command.name, "timed_out" if ack is None else "acked").observe(
            time.perf_counter() - started
        )
        async with self.app.sessions() as session:
            await service.finish_command(
                session=session,
                grid_id=device.grid_id,
                device_id=device.device_id,
                command=command,
                ack=ack,
                reason=reason,
            )
            await session.commit()
        self.app.relay.notify()
        if ack is None:
            raise errors.DeadlineExceeded(reason)
        return pb.SendCommandResponse(command=command, ack=ack)

    async def StreamEvents(self, request_iterator, context: grpc.aio.ServicerContext):
        metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        async with self.app.sessions() as session:
            device = await service.authenticate(
                session=session,
                device_id=metadata.get(DEVICE_ID_KEY, ""),
                secret=metadata.get(DEVICE_SECRET_KEY, ""),
            )
        stream = DeviceStream(self.app, device, device_traced="traceparent" in metadata)
        async for response in stream.run(request_iterator):
            yield response


class DeviceStream:
    """One device's live gRPC stream: stores events concurrently, acks each once durable, sends commands.

    Acks that are ready together go out in one response; the reader never waits for storage, only for
    room under max_inflight_per_stream (back-pressure on a device that sends faster than JetStream stores).
    """

    def __init__(self, app, device: DeviceInfo, *, device_traced: bool = False) -> None:
        self.app, self.device = app, device
        self.acks: list[pb.Ack] = []
        self.commands: list[resources_pb2.Command] = []
        self.wake = asyncio.Event()
        self.ended = False
        self.max_inflight = app.settings.max_inflight_per_stream
        self.pending = 0  # events being stored
        self.room = asyncio.Event()  # set whenever an event in flight is answered
        self.closed_because: errors.DomainError | None = None
        # Every event of the stream belongs to the stream's trace: read the carrier once, not per event.
        self.recorder = service.EventRecorder(device, GRPC, telemetry.inject(), device_traced=device_traced)

    async def run(self, request_iterator):
        """Yields acks and commands until the device hangs up or is kicked."""
        registration = await self.app.register_stream(self)
        self.reader = reader = asyncio.create_task(self._read(request_iterator))
        log.info("device stream opened", extra={"device_id": self.device.device_id})
        try:
            while True:
                if not (self.acks or self.commands or self.ended):
                    await self.wake.wait()
                self.wake.clear()
                while self.commands:
                    yield pb.StreamEventsResponse(command=self.commands.pop(0))
                if self.acks:
                    acks, self.acks = self.acks, []
                    yield pb.StreamEventsResponse(acks=acks)
                if self.ended and not (self.acks or self.commands):
                    break
            if self.closed_because is not None:
                raise self.closed_because
        finally:
            reader.cancel()
            await self.app.unregister_stream(self, registration)
            log.info("device stream closed", extra={"device_id": self.device.device_id})

    def close(self, reason: errors.DomainError) -> None:
        """Ends the stream with a status (device disabled, secret rotated, replaced by a newer stream)."""
        self.closed_because = reason
        self._end()

    async def shut_down(self) -> None:
        """Stops reading, answers the events in flight, then ends the stream with UNAVAILABLE (go reconnect)."""
        self.reader.cancel()
        while self.pending:
            self.room.clear()
            await self.room.wait()
        self.close(errors.Unavailable("ingest is shutting down; reconnect and resend what was not acked"))

    def _end(self) -> None:
        self.ended = True
        self.wake.set()

    def _ack(self, ack: pb.Ack) -> None:
        self.acks.append(ack)
        self.wake.set()

    async def deliver(self, command: resources_pb2.Command) -> None:
        self.commands.append(command)
        self.wake.set()

    async def _read(self, request_iterator) -> None:
        presence, device_id = self.app.presence, self.device.device_id
        try:
            async for request in request_iterator:
                presence.seen(device_id, GRPC)
                which = request.WhichOneof("message")
                if which == "event":
                    await self._accept(request.seq, 0, request.event)
                elif which == "batch":
                    await self._accept_batch(request.seq, request.batch.events)
                elif which == "heartbeat":
                    self._ack(pb.Ack(seq=request.seq))
                elif which == "command_ack":
                    await self.app.router.acked(request.command_ack)
                    self._ack(pb.Ack(seq=request.seq))
                else:
                    empty = errors.InvalidArgument("empty message: set event, batch, heartbeat or command_ack")
                    self._refuse(request.seq, 0, "", empty)
            while self.pending:  # the device half-closed: answer what is in flight, then end
                self.room.clear()
                await self.room.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client went away mid-read
            log.debug("device %s stream read ended: %s", device_id, exc)
        self._end()

    def _refuse(self, seq: int, index: int, event_id: str, err: errors.DomainError) -> None:
        REFUSED.labels("grpc", err.code.name).inc()
        self._ack(pb.Ack(seq=seq, index=index, event_id=event_id, code=err.code.value[0], message=err.message))

    async def _accept_batch(self, seq: int, events) -> None:
        if len(events) > MAX_BATCH:
            too_many = errors.InvalidArgument(f"a batch holds at most {MAX_BATCH} events, got {len(events)}")
            self._refuse(seq, 0, "", too_many)
            return
        for index, event in enumerate(events):
            await self._accept(seq, index, event)

    async def _accept(self, seq: int, index: int, event: resources_pb2.DeviceEvent) -> None:
        try:
            service.validate_event(self.device, event, now_s=time.time(), limits=self.app.limits)
        except errors.DomainError as err:
            self._refuse(seq, index, event.event_id[:64], err)
            return
        while self.pending >= self.max_inflight:  # back-pressure: stop reading until JetStream catches up
            self.room.clear()
            await self.room.wait()
        self.pending += 1
        await self.app.events.submit(self.recorder, event, functools.partial(self._answered, seq, index))

    def _answered(self, seq: int, index: int, ack: pb.Ack) -> None:
        ack.seq, ack.index = seq, index
        self._ack(ack)
        self.pending -= 1
        self.room.set()
