"""Dispatch's runtime: consumers of case, vision and radio events, the ack timer loop, the calls it makes to
ingest (lift commands) and cases (assignments on the case), and the gRPC API."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.dispatch.v1 import dispatch_service_pb2 as pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from microbrain.dispatch.v1 import resources_pb2 as res
from microbrain.ingest.v1 import events_pb2 as ingest_events
from microbrain.ingest.v1 import ingest_service_pb2 as ingest_pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as ingest_grpc
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain.vision.v1 import events_pb2 as vision_events
from microbrain_kit import errors, telemetry
from microbrain_kit.bus import Bus, Consumer, ConsumerSpec, stream_name, when_stream_exists
from microbrain_kit.db import create_engine, migrate, session_factory
from microbrain_kit.server import GrpcServer, Registration
from microbrain_kit.times import timestamp
from sqlalchemy import select

from microbrain_dispatch import calls, domain
from microbrain_dispatch.config import DispatchSettings
from microbrain_dispatch.models import Assignment, DispatchCase, Linkage, Unit

log = logging.getLogger(__name__)
DOMAIN = "dispatch"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DispatchService"].full_name
St = case_res.CaseState


def now() -> datetime:
    return datetime.now(UTC)


def unit_proto(u: Unit) -> res.Unit:
    out = res.Unit(
        unit_id=u.unit_id,
        grid_id=u.grid_id,
        members=u.members,
        skills=u.skills,
        status=u.status,
        radio_device_id=u.radio_device_id,
        case_id=u.case_id,
        position_at=timestamp(u.position_at),
    )
    if u.lat is not None:
        out.position.lat, out.position.lon = u.lat, u.lon
    return out


def assignment_proto(a: Assignment) -> res.Assignment:
    return res.Assignment(
        assignment_id=a.assignment_id,
        case_id=a.case_id,
        unit_id=a.unit_id,
        reason=a.reason,
        offered_at=timestamp(a.offered_at),
        ack_due_at=timestamp(a.ack_due_at),
        status=a.status,
        step=a.step,
    )


class App:
    """Everything one dispatch replica runs."""

    def __init__(self, settings: DispatchSettings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url, schema=settings.database_schema or None)
        self.sessions = session_factory(self.engine)
        self.grpc = GrpcServer(
            service=DOMAIN,
            host=settings.grpc_host,
            port=settings.grpc_port,
            registrations=[Registration(pb_grpc.add_DispatchServiceServicer_to_server, Servicer(self), SERVICE_NAME)],
        )
        self._timer: asyncio.Task | None = None
        self.media: calls.MediaGateway = calls.NoMedia()
        self._radio_pushes: set[asyncio.Task] = set()

    def unit_subject(self, unit_id: str) -> str:
        return f"mbrpc.{self.settings.grid_id}.dispatch.unit.{unit_id}"

    async def start(self) -> None:
        await migrate(self.engine, MIGRATIONS, version_table="dispatch_alembic_version")
        grid = self.settings.grid_id
        if self.settings.units:
            async with self.sessions() as session:
                entries = domain.read_units_file(self.settings.units)
                added = await domain.load_units(session=session, entries=entries, grid_id=grid)
                await session.commit()
            log.info("%d field units loaded from %s", added, self.settings.units)
        self.bus = await Bus.connect(self.settings.nats_url, name=f"dispatch-{grid}")
        self.ingest_channel = grpc.aio.insecure_channel(self.settings.ingest_target)
        self.cases_channel = grpc.aio.insecure_channel(self.settings.cases_target)
        self.ingest = ingest_grpc.IngestServiceStub(self.ingest_channel)
        self.cases = cases_grpc.CaseServiceStub(self.cases_channel)
        self.consumers = [
            Consumer(
                self.bus,
                ConsumerSpec(
                    stream=stream_name(grid, "cases"),
                    durable="dispatch",
                    filter_subject=f"mb.{grid}.cases.*",
                    message_type=case_events.CaseChanged,
                ),
                self.on_case,
            ),
            Consumer(
                self.bus,
                ConsumerSpec(
                    stream=stream_name(grid, "vision"),
                    durable="dispatch",
                    filter_subject=f"mb.{grid}.vision.scenario_cleared",
                    message_type=vision_events.ScenarioCleared,
                ),
                self.on_cleared,
            ),
            Consumer(
                self.bus,
                ConsumerSpec(
                    stream=stream_name(grid, "ingest"),
                    durable="dispatch-positions",
                    filter_subject=f"mb.{grid}.ingest.device_event",
                    message_type=ingest_events.DeviceEventRecorded,
                ),
                self.on_device_event,
            ),
        ]
        for consumer in self.consumers:  # the streams belong to cases, vision and ingest: wait for them
            await when_stream_exists(consumer.start, consumer.spec.stream, timeout_s=60)
        self._timer = asyncio.create_task(self._timers(), name="ack-timers")
        self.port = await self.grpc.start()

    async def stop(self) -> None:
        await self.grpc.stop(self.settings.shutdown_grace_s)
        if self._timer:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
        for task in list(self._radio_pushes):
            task.cancel()
        await asyncio.gather(*self._radio_pushes, return_exceptions=True)
        for consumer in self.consumers:
            await consumer.stop()
        await self.ingest_channel.close()
        await self.cases_channel.close()
        await self.bus.close()
        await self.engine.dispose()

    # -- events in -------------------------------------------------------------------------

    async def on_case(self, event: case_events.CaseChanged, msg) -> None:
        action, case = msg.subject.rsplit(".", 1)[-1], event.case
        if action == "case_opened":
            async with self.sessions() as session:
                taken = await domain.take_case(
                    session=session,
                    case_id=case.case_id,
                    case_type=case.case_type,
                    place_id=case.place_id,
                    lat=case.location.lat if case.HasField("location") else None,
                    lon=case.location.lon if case.HasField("location") else None,
                    alarm_ids=list(case.alarm_ids),
                    now=now(),
                )
                if taken is None:
                    return  # another replica (or an earlier delivery) has it
                await session.commit()
            if case.case_type in domain.LINKAGES:
                await self.link(case.case_id, case.place_id, domain.LINKAGES[case.case_type]["open"])
            unit_id = await self.assign(case.case_id, step=0)
            await self.desk_alert(
                case.case_id, "case", f"{case.title or case.case_type} at {case.place_id}: {unit_id} rung"
            )
        elif action == "case_repeated":
            async with self.sessions() as session:
                if await domain.seen_again(session=session, case_id=case.case_id, alarm_ids=list(case.alarm_ids)):
                    await session.commit()
        elif action in ("case_resolved", "case_closed", "case_cancelled"):
            async with self.sessions() as session:
                taken = await session.get(DispatchCase, case.case_id)
                if taken is None:
                    return
                taken.resolved = 1
                await domain.release_units(session=session, case_id=case.case_id)
                await session.commit()
            await self.maybe_resume(case.case_id)

    async def on_cleared(self, event: vision_events.ScenarioCleared, msg) -> None:
        async with self.sessions() as session:
            clear = await domain.cleared(session=session, alarm_id=event.alarm_id)
            await session.commit()
        for case_id in clear:
            await self.maybe_resume(case_id)

    async def on_device_event(self, event: ingest_events.DeviceEventRecorded, msg) -> None:
        if event.event.WhichOneof("body") != "gps":
            return
        pos = event.event.gps.position
        async with self.sessions() as session:
            if await domain.update_position(
                session=session,
                radio_device_id=event.device.device_id,
                lat=pos.lat,
                lon=pos.lon,
                at=event.event.occurred_at.ToDatetime(tzinfo=UTC),
            ):
                arrival = await domain.arrived(
                    session=session, radio_device_id=event.device.device_id, radius_m=self.settings.arrival_radius_m
                )
                await session.commit()
            else:
                return
        if arrival is not None:  # the unit's radio is at the site: it is on site
            unit_id, case_id = arrival
            try:
                await self.cases.TransitionCase(
                    cases_pb.TransitionCaseRequest(
                        case_id=case_id,
                        to_state=St.CASE_STATE_ON_SITE,
                        actor=unit_id,
                        reason=f"radio within {self.settings.arrival_radius_m:g} m of the site",
                    ),
                    timeout=10,
                )
            except grpc.aio.AioRpcError as exc:
                log.info("case %s: arrival of %s not recorded: %s", case_id, unit_id, exc.details())

    # -- actions out -----------------------------------------------------------------------

    async def link(self, case_id: str, place_id: str, command: str) -> None:
        """Sends a linkage command to the place's lift controllers and records each answer on the case."""
        devices = (
            await self.ingest.ListDevices(
                ingest_pb.ListDevicesRequest(place_id=place_id, kind=ingest_res.DEVICE_KIND_ELEVATOR_CONTROLLER),
                timeout=5,
            )
        ).devices
        for device in devices:
            request = ingest_pb.SendCommandRequest(
                device_id=device.device_id, name=command, args={"case_id": case_id, "reason": "ebike_in_elevator"}
            )
            request.timeout.FromTimedelta(timedelta(seconds=5))
            try:
                reply = await self.ingest.SendCommand(request, timeout=10, metadata=telemetry.grpc_metadata())
                status, message = "acked", reply.ack.message
            except grpc.aio.AioRpcError as exc:
                status, message = "failed", f"{exc.code().name}: {exc.details()}"
            async with self.sessions() as session:
                session.add(
                    Linkage(
                        case_id=case_id,
                        device_id=device.device_id,
                        command=command,
                        status=status,
                        message=message[:500],
                        at=now(),
                    )
                )
                await session.commit()
            note = f"联动 {command} → {device.device_id}: {status}" + (f" ({message})" if message else "")
            if status == "failed":
                note += " — escalated: the lift must be stopped by hand"
                await self.desk_alert(case_id, "linkage_failed", note)
                log.error("linkage %s to %s failed for case %s: %s", command, device.device_id, case_id, message)
            await self._note(case_id, note)

    async def maybe_resume(self, case_id: str) -> None:
        async with self.sessions() as session:
            go = await domain.may_resume(session=session, case_id=case_id)
            place = (await session.get(DispatchCase, case_id)).place_id
            await session.commit()
        if go:
            await self.link(case_id, place, "RESUME")

    async def assign(self, case_id: str, step: int) -> str:
        """Offers the case to the next able unit (or the grid leader) and records it on the case."""
        async with self.sessions() as session:
            case = await session.get(DispatchCase, case_id)
            tried = await domain.tried_units(session=session, case_id=case_id)
            choice = await domain.choose_unit(
                grid_id=self.settings.grid_id,
                session=session,
                case=case,
                exclude=tried,
                travel_factor=self.settings.travel_factor,
            )
            leader = None if choice.unit else await calls.on_duty(session=session, role="grid_leader", now=now())
            assignment = await domain.offer(
                session=session,
                case=case,
                choice=choice,
                step=step,
                now=now(),
                ack_timeout=timedelta(seconds=self.settings.ack_timeout_s),
                leader=leader.person if leader else "",
            )
            await session.commit()
        await self.push(assignment.unit_id, pb.WatchAssignmentsResponse(assignment=assignment_proto(assignment)))
        try:
            await self.cases.TransitionCase(
                cases_pb.TransitionCaseRequest(
                    case_id=case_id,
                    to_state=St.CASE_STATE_ASSIGNED,
                    actor="dispatch",
                    assignee=assignment.unit_id,
                    reason=assignment.reason,
                ),
                timeout=10,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning(
                "case %s: assignment to %s not recorded on the case: %s", case_id, assignment.unit_id, exc.details()
            )
        log.info("case %s offered to %s (step %d): %s", case_id, assignment.unit_id, step, assignment.reason)
        if choice.unit is None:
            await self.desk_alert(case_id, "escalated", f"nobody able acknowledged: {assignment.unit_id} has it")
        return assignment.unit_id

    def desk_subject(self) -> str:
        return f"mbrpc.{self.settings.grid_id}.dispatch.desk"

    async def desk_alert(self, case_id: str, kind: str, message: str) -> None:
        """An alert for the duty desk's WatchDesk streams (any replica), naming who is on duty."""
        async with self.sessions() as session:
            case = await session.get(DispatchCase, case_id)
            desk = await calls.on_duty(session=session, role="desk", now=now())
        alert = pb.WatchDeskResponse(
            case_id=case_id,
            case_type=case.case_type if case else "",
            place_id=case.place_id if case else "",
            kind=kind,
            message=message,
            desk=desk.person if desk else "",
            at=timestamp(now()),
        )
        await self.bus.nc.publish(self.desk_subject(), alert.SerializeToString())

    async def push(self, unit_id: str, message: pb.WatchAssignmentsResponse) -> None:
        """To the unit's WatchAssignments streams (on whichever replica they are open) and to its radio."""
        await self.bus.nc.publish(self.unit_subject(unit_id), message.SerializeToString())
        task = asyncio.create_task(self._to_radio(unit_id, message))
        self._radio_pushes.add(task)
        task.add_done_callback(self._radio_pushes.discard)

    async def _to_radio(self, unit_id: str, message: pb.WatchAssignmentsResponse) -> None:
        """The same news as a command to the unit's radio through ingest, which reaches it over its gRPC stream
        or MQTT alike (ASSIGN for offers, CALL for calls); a radio that is off or refuses is only logged."""
        async with self.sessions() as session:
            unit = await session.get(Unit, unit_id)
        if unit is None or not unit.radio_device_id:
            return
        if message.HasField("assignment"):
            a = message.assignment
            name, args = "ASSIGN", {"assignment_id": a.assignment_id, "case_id": a.case_id, "reason": a.reason}
        else:
            c = message.call
            name, args = "CALL", {"call_id": c.call_id, "case_id": c.case_id, "state": c.state, "caller": c.caller}
        request = ingest_pb.SendCommandRequest(device_id=unit.radio_device_id, name=name, args=args)
        request.timeout.FromTimedelta(timedelta(seconds=5))
        try:
            reply = await self.ingest.SendCommand(request, timeout=10)
            log.debug("%s to %s: %s", name, unit.radio_device_id, reply.ack.message)
        except grpc.aio.AioRpcError as exc:
            log.info("%s not delivered to %s's radio: %s", name, unit_id, exc.details())

    async def _note(self, case_id: str, text: str) -> None:
        try:
            await self.cases.AddNote(cases_pb.AddNoteRequest(case_id=case_id, actor="dispatch", text=text), timeout=10)
        except grpc.aio.AioRpcError as exc:
            log.warning("case %s: note not recorded: %s", case_id, exc.details())

    async def _timers(self) -> None:
        while True:
            try:
                async with self.sessions() as session:
                    timed_out = await domain.time_out_due(session=session, now=now())
                    await session.commit()
                for a in timed_out:
                    await self._note(a.case_id, f"{a.unit_id} did not acknowledge in time; moving on")
                    await self.assign(a.case_id, step=a.step + 1)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ack timer tick failed; will retry")
            await asyncio.sleep(self.settings.timer_interval_s)


class Servicer(pb_grpc.DispatchServiceServicer):
    """The gRPC face of dispatch."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def ListUnits(self, request, context) -> pb.ListUnitsResponse:
        async with self.app.sessions() as session:
            units = (await session.scalars(select(Unit).order_by(Unit.unit_id))).all()
            return pb.ListUnitsResponse(units=[unit_proto(u) for u in units])

    async def ImportUnits(self, request, context) -> pb.ImportUnitsResponse:
        async with self.app.sessions() as session:
            imported, problems = await domain.import_units(
                session=session, text=request.csv, grid_id=self.app.settings.grid_id
            )
            await session.commit()
        return pb.ImportUnitsResponse(imported=imported, errors=problems)

    async def AcknowledgeAssignment(self, request, context) -> pb.AcknowledgeAssignmentResponse:
        async with self.app.sessions() as session:
            assignment = await domain.acknowledge(
                session=session, assignment_id=request.assignment_id, unit_id=request.unit_id
            )
            await session.commit()
        try:
            await self.app.cases.TransitionCase(
                cases_pb.TransitionCaseRequest(
                    case_id=assignment.case_id, to_state=St.CASE_STATE_ACKNOWLEDGED, actor=request.unit_id
                ),
                timeout=10,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("case %s: acknowledgement not recorded: %s", assignment.case_id, exc.details())
        return pb.AcknowledgeAssignmentResponse(assignment=assignment_proto(assignment))

    async def GetCaseDispatch(self, request, context) -> pb.GetCaseDispatchResponse:
        async with self.app.sessions() as session:
            assignments = (
                await session.scalars(
                    select(Assignment).where(Assignment.case_id == request.case_id).order_by(Assignment.offered_at)
                )
            ).all()
            linkages = (
                await session.scalars(select(Linkage).where(Linkage.case_id == request.case_id).order_by(Linkage.id))
            ).all()
        return pb.GetCaseDispatchResponse(
            assignments=[assignment_proto(a) for a in assignments],
            linkages=[
                res.Linkage(
                    case_id=x.case_id,
                    device_id=x.device_id,
                    command=x.command,
                    status=x.status,
                    message=x.message,
                    at=timestamp(x.at),
                )
                for x in linkages
            ],
        )

    async def StartCall(self, request, context) -> pb.StartCallResponse:
        async with self.app.sessions() as session:
            call = await calls.start_call(
                session=session,
                case_id=request.case_id,
                caller=request.caller,
                unit_ids=list(request.unit_ids),
                radius_m=request.radius_m,
                now=now(),
            )
            call.media_url = await self.app.media.open(call.call_id, call.unit_ids)
            await session.commit()
        return pb.StartCallResponse(call=await self._announce(call))

    async def AnswerCall(self, request, context) -> pb.AnswerCallResponse:
        async with self.app.sessions() as session:
            call = await calls.answer_call(session=session, call_id=request.call_id, unit_id=request.unit_id, now=now())
            await session.commit()
        return pb.AnswerCallResponse(call=await self._announce(call))

    async def EndCall(self, request, context) -> pb.EndCallResponse:
        async with self.app.sessions() as session:
            call = await calls.end_call(session=session, call_id=request.call_id, by=request.by, now=now())
            await session.commit()
        await self.app.media.close(call.call_id)
        return pb.EndCallResponse(call=await self._announce(call))

    async def _announce(self, call) -> res.Call:
        """Tells every rung unit how the call stands (ringing, connected to someone, ended) and notes it on the case."""
        proto = calls.call_proto(call)
        for unit_id in call.unit_ids:
            await self.app.push(unit_id, pb.WatchAssignmentsResponse(call=proto))
        who = call.answered_by or ", ".join(call.unit_ids)
        await self.app._note(
            call.case_id,
            f"一键呼叫 {call.caller} → {who}: {call.state}"
            + (f" ({proto.talk_seconds:.0f} s)" if call.state == "ended" and call.answered_by else ""),
        )
        return proto

    async def ImportRota(self, request, context) -> pb.ImportRotaResponse:
        async with self.app.sessions() as session:
            imported, problems = await calls.import_rota(session=session, text=request.csv)
            await session.commit()
        return pb.ImportRotaResponse(imported=imported, errors=problems)

    async def GetOnDuty(self, request, context) -> pb.GetOnDutyResponse:
        async with self.app.sessions() as session:
            desk = await calls.on_duty(session=session, role="desk", now=now())
            leader = await calls.on_duty(session=session, role="grid_leader", now=now())
        return pb.GetOnDutyResponse(desk=calls.shift_proto(desk), grid_leader=calls.shift_proto(leader))

    async def WatchDesk(self, request, context):
        queue: asyncio.Queue = asyncio.Queue()

        async def on_alert(msg) -> None:
            queue.put_nowait(pb.WatchDeskResponse.FromString(msg.data))

        sub = await self.app.bus.nc.subscribe(self.app.desk_subject(), cb=on_alert)
        try:
            while True:
                yield await queue.get()
        finally:
            await sub.unsubscribe()

    async def WatchAssignments(self, request, context):
        if not request.unit_id:
            raise errors.InvalidArgument("unit_id is required")
        queue: asyncio.Queue = asyncio.Queue()

        async def on_message(msg) -> None:
            queue.put_nowait(pb.WatchAssignmentsResponse.FromString(msg.data))

        sub = await self.app.bus.nc.subscribe(self.app.unit_subject(request.unit_id), cb=on_message)
        try:
            async with self.app.sessions() as session:  # an offer made while the unit was away comes first
                pending = (
                    await session.scalars(
                        select(Assignment).where(Assignment.unit_id == request.unit_id, Assignment.status == "offered")
                    )
                ).all()
            for a in pending:
                yield pb.WatchAssignmentsResponse(assignment=assignment_proto(a))
            seen = {a.assignment_id for a in pending}
            while True:
                message = await queue.get()
                if not message.HasField("assignment") or message.assignment.assignment_id not in seen:
                    yield message
        finally:
            await sub.unsubscribe()


async def build(settings: DispatchSettings) -> App:
    """The runtime of `python -m microbrain_dispatch`."""
    return App(settings)
