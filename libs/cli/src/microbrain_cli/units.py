"""The grid's field units (单兵) as the simulator plays them: each watches its assignments on dispatch, mostly
acknowledges an offer within seconds (the rest let it ring, so dispatch's escalation shows), walks its radio to the
case, reports itself on site and resolves the case through the cases API."""

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import grpc
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.dispatch.v1 import dispatch_service_pb2 as pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as pb_grpc
from microbrain.dispatch.v1 import resources_pb2 as res

from microbrain_cli.devices import FieldUnitRadio
from microbrain_cli.scenes import EBIKE_SCENE_S

log = logging.getLogger(__name__)

# How often a unit acknowledges what it is offered; the others let the offer time out and dispatch moves on.
DEFAULT_ACK_RATE = 0.85
# About how long a unit takes to reach a case (walking, sped up so a demo shows it arrive).
DEFAULT_TRAVEL_S = 15.0
ON_SITE_WITHIN_M = 30.0
# Seconds before a unit answers an offer, and how long it works on site before it resolves.
ACK_DELAY_S = (1.0, 3.0)
ON_SITE_WORK_S = (2.0, 4.0)
# An e-bike case is resolved only once the e-bike is out of the car (its scene over), with a margin.
EBIKE_CLEAR_S = EBIKE_SCENE_S + 2.0
MOVE_TICK_S = 0.5
GPS_EVERY_S = 2.0
_RPC_TIMEOUT_S = 10.0
_BACKOFF_FIRST_S, _BACKOFF_MAX_S = 0.5, 10.0
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 5000),
]
_LABELS = {"ebike_in_elevator": "e-bike in lift", "litter_off_hours": "litter off hours"}
St = case_res.CaseState


@dataclass
class UnitStats:
    """Counters for the status line."""

    offered: int = 0
    acknowledged: int = 0
    ignored: int = 0
    on_site: int = 0
    resolved: int = 0
    watching: set[str] = field(default_factory=set)


class FieldUnits:
    """Plays the units that carry the given radios until stop is set; gRPC errors are logged, never raised."""

    def __init__(
        self,
        *,
        radios: dict[str, FieldUnitRadio],
        dispatch_target: str,
        cases_target: str,
        stop: asyncio.Event,
        emit: Callable[[FieldUnitRadio], None],
        rng: random.Random | None = None,
        ack_rate: float = DEFAULT_ACK_RATE,
        travel_s: float = DEFAULT_TRAVEL_S,
    ) -> None:
        if not 0 <= ack_rate <= 1:
            raise ValueError("ack_rate must be from 0 to 1")
        if travel_s <= 0:
            raise ValueError("travel_s must be positive")
        self.radios = radios  # by unit id
        self.dispatch_target = dispatch_target
        self.cases_target = cases_target
        self.stop = stop
        self.emit = emit
        self.rng = rng or random.Random()
        self.ack_rate = ack_rate
        self.travel_s = travel_s
        self.stats = UnitStats()
        self._seen: set[str] = set()
        self._busy: set[str] = set()
        self._work: set[asyncio.Task] = set()

    async def run(self) -> None:
        """Runs every unit until stop."""
        if not self.radios:
            return
        log.info("playing field units %s against dispatch at %s", ", ".join(sorted(self.radios)), self.dispatch_target)
        async with (
            grpc.aio.insecure_channel(self.dispatch_target, options=_CHANNEL_OPTIONS) as dispatch,
            grpc.aio.insecure_channel(self.cases_target, options=_CHANNEL_OPTIONS) as cases,
        ):
            self._dispatch = pb_grpc.DispatchServiceStub(dispatch)
            self._cases = cases_grpc.CaseServiceStub(cases)
            watches = [asyncio.create_task(self._watch(unit_id), name=unit_id) for unit_id in self.radios]
            try:
                await self.stop.wait()
            finally:
                for task in (*watches, *self._work):
                    task.cancel()
                await asyncio.gather(*watches, *self._work, return_exceptions=True)

    def status(self) -> str:
        """A short summary for the simulator's status line."""
        s = self.stats
        return (
            f"units {len(s.watching)}/{len(self.radios)} watching: offered {s.offered}, acknowledged {s.acknowledged}"
            f" (ignored {s.ignored}), on site {s.on_site}, resolved {s.resolved}"
        )

    async def _watch(self, unit_id: str) -> None:
        """Keeps the unit's WatchAssignments stream open, reconnecting with backoff."""
        backoff = _BACKOFF_FIRST_S
        waiting_logged = False
        while not self.stop.is_set():
            try:
                call = self._dispatch.WatchAssignments(pb.WatchAssignmentsRequest(unit_id=unit_id))
                self.stats.watching.add(unit_id)
                async for reply in call:
                    backoff = _BACKOFF_FIRST_S
                    self._offered(unit_id, reply.assignment)
            except grpc.aio.AioRpcError as e:
                if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    if not waiting_logged:
                        log.info("%s: waiting for dispatch at %s (%s)", unit_id, self.dispatch_target, e.code().name)
                        waiting_logged = True
                else:
                    log.warning("%s: assignment stream failed: %s %s", unit_id, e.code().name, e.details())
            except Exception:
                log.exception("%s: assignment stream broke; reconnecting", unit_id)
            finally:
                self.stats.watching.discard(unit_id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), backoff * self.rng.uniform(0.8, 1.2))
            backoff = min(backoff * 2, _BACKOFF_MAX_S)

    def _offered(self, unit_id: str, assignment: res.Assignment) -> None:
        # An offer still open is sent again after a reconnect: take each once, and one case at a time.
        if assignment.status != "offered" or assignment.assignment_id in self._seen or unit_id in self._busy:
            return
        self._seen.add(assignment.assignment_id)
        self.stats.offered += 1
        self._busy.add(unit_id)
        task = asyncio.create_task(self._handle(unit_id, assignment), name=f"{unit_id}-{assignment.case_id}")
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _handle(self, unit_id: str, assignment: res.Assignment) -> None:
        try:
            await self._go(unit_id, assignment)
        except grpc.aio.AioRpcError as e:
            log.warning("%s: case %s: %s %s; giving it up", unit_id, assignment.case_id, e.code().name, e.details())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: case %s failed; giving it up", unit_id, assignment.case_id)
        finally:
            radio = self.radios[unit_id]
            radio.steered_mps = None
            self._busy.discard(unit_id)

    async def _pause(self, seconds: float) -> None:
        """Sleeps, but ends the unit's work when the simulator stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), max(0.0, seconds))
        if self.stop.is_set():
            raise asyncio.CancelledError

    async def _go(self, unit_id: str, assignment: res.Assignment) -> None:
        loop = asyncio.get_running_loop()
        offered_at = loop.time()
        case_id = assignment.case_id
        await self._pause(self.rng.uniform(*ACK_DELAY_S))
        if self.rng.random() >= self.ack_rate:
            self.stats.ignored += 1
            log.info("%s lets the offer of case %s ring (not acknowledged)", unit_id, case_id)
            return
        try:
            await self._dispatch.AcknowledgeAssignment(
                pb.AcknowledgeAssignmentRequest(assignment_id=assignment.assignment_id, unit_id=unit_id),
                timeout=_RPC_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as e:
            if e.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                log.info("%s: case %s has moved on (%s)", unit_id, case_id, e.details())
                return
            raise
        case = (await self._cases.GetCase(cases_pb.GetCaseRequest(case_id=case_id), timeout=_RPC_TIMEOUT_S)).case
        self.stats.acknowledged += 1
        label = _LABELS.get(case.case_type, case.case_type.replace("_", " "))
        log.info("%s acknowledged case %s (%s)", unit_id, case_id, label)

        await self._travel(unit_id, case)
        if not await self._transition(unit_id, case_id, St.CASE_STATE_ON_SITE):
            return
        self.stats.on_site += 1
        log.info("%s on site (case %s)", unit_id, case_id)

        work = self.rng.uniform(*ON_SITE_WORK_S)
        if case.case_type == "ebike_in_elevator":  # the e-bike must be out of the car first
            work = max(work, EBIKE_CLEAR_S - (loop.time() - offered_at))
        await self._pause(work)
        if not await self._transition(unit_id, case_id, St.CASE_STATE_RESOLVED):
            return
        self.stats.resolved += 1
        log.info("%s resolved case %s", unit_id, case_id)

    async def _travel(self, unit_id: str, case: case_res.Case) -> None:
        """Walks the unit's radio to within ON_SITE_WITHIN_M of the case, sending GPS fixes on the way."""
        radio = self.radios[unit_id]
        if not case.HasField("location") or not (case.location.lat or case.location.lon):
            await self._pause(self.travel_s)  # nowhere to walk to: just take the time
            return
        lat, lon = case.location.lat, case.location.lon
        distance = radio.distance_to(lat, lon)
        speed = max(1.2, distance / self.travel_s)
        radio.steered_mps = speed
        log.info("%s heading to case %s: %.0f m", unit_id, case.case_id, distance)
        since_fix = 0.0
        while radio.step_towards(lat, lon, speed * MOVE_TICK_S) > ON_SITE_WITHIN_M:
            since_fix += MOVE_TICK_S
            if since_fix >= GPS_EVERY_S:
                self.emit(radio)
                since_fix = 0.0
            await self._pause(MOVE_TICK_S)
        radio.steered_mps = 0.0
        self.emit(radio)

    async def _transition(self, unit_id: str, case_id: str, state: int) -> bool:
        """Moves the case on as the unit; False (logged) when the case is no longer in a state that allows it."""
        try:
            await self._cases.TransitionCase(
                cases_pb.TransitionCaseRequest(case_id=case_id, to_state=state, actor=unit_id),
                timeout=_RPC_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as e:
            if e.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                log.info("%s: case %s cannot go %s: %s", unit_id, case_id, St.Name(state), e.details())
                return False
            raise
        return True
