"""Behaviour of simulated devices: what each kind reports and how it answers commands (no I/O)."""

import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import resources_pb2 as res

from microbrain_cli.scenario import DeviceSpec

# The town runs on Shanghai time (no DST); the crowd curve follows the local hour, events carry UTC.
_SHANGHAI = timezone(timedelta(hours=8))
_METRES_PER_DEG_LAT = 111_320.0
# Floors of the lift: one basement, no floor 0 (the proto uses 0 for "unknown").
_LOWEST_FLOOR, _TOP_FLOOR = -1, 18


@dataclass(frozen=True)
class AlarmKind:
    """An alarm a device raises on its own, and how often it does compared with the grid's other alarms."""

    code: str
    severity: int  # common_pb2.Severity
    message: str
    weight: float = 1.0


# What smart cameras detect on the edge, by the `scenario:` the scenario file gives the camera; these codes
# are case types of their own. Crowds are counted by analytics, not raised by a camera, so they are not here.
CAMERA_ALARMS = {
    "ebike_in_elevator": AlarmKind("ebike_in_elevator", common_pb2.SEVERITY_CRITICAL, "电动车进入电梯", weight=3),
    "litter_off_hours": AlarmKind("litter_off_hours", common_pb2.SEVERITY_WARNING, "非投放时段垃圾落地", weight=3),
}
# A lift's own fault: rarer than what the cameras see; ingest turns it into a device_fault alarm.
DOOR_FAULT = AlarmKind("door_fault", common_pb2.SEVERITY_MAJOR, "轿厢门关闭受阻 (door fault)", weight=1)


def in_windows(windows: Sequence[tuple[time, time]], now: datetime) -> bool:
    """Whether now (aware) falls in one of the [start, end) windows of Shanghai local time."""
    local = now.astimezone(_SHANGHAI).time()
    for start, end in windows:
        if start <= end:
            if start <= local < end:
                return True
        elif local >= start or local < end:  # a window across midnight, e.g. 22:00-02:00
            return True
    return False


def timestamp(when: datetime) -> Timestamp:
    """Converts an aware datetime to a protobuf Timestamp."""
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


def command_ack(cmd: res.Command, outcome: int, message: str, now: datetime) -> res.CommandAck:
    """Builds the answer to a command."""
    return res.CommandAck(command_id=cmd.command_id, outcome=outcome, message=message, acked_at=timestamp(now))


class SimDevice:
    """A simulated device: reports one event type every `interval` seconds and rejects commands."""

    event_type = ""
    interval = 30.0

    def __init__(self, spec: DeviceSpec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.rng = rng or random.Random()

    def next_event(self, now: datetime | None = None) -> res.DeviceEvent:
        """Advances the device's state and returns its next event, stamped now (UTC)."""
        now = now or datetime.now(UTC)
        event = res.DeviceEvent(event_id=str(uuid.uuid4()), occurred_at=timestamp(now), type=self.event_type)
        self._fill(event, now)
        return event

    def _fill(self, event: res.DeviceEvent, now: datetime) -> None:
        raise NotImplementedError

    def _fill_current(self, event: res.DeviceEvent, now: datetime) -> None:
        """Fills the body with the device's state as it is, without advancing it."""
        self._fill(event, now)

    def alarms(self, now: datetime) -> list[AlarmKind]:
        """Returns the alarms this device could raise at this moment; most devices raise none."""
        return []

    def alarm_event(self, alarm: AlarmKind, now: datetime | None = None) -> res.DeviceEvent:
        """Returns an event that reports the device's current state and raises alarm with it.

        The body stays the one of the device's kind (ingest refuses any other), so an alarm is an ordinary
        event of the device with `alarm` set, as a smart camera or a lift controller sends it.
        """
        now = now or datetime.now(UTC)
        event = res.DeviceEvent(event_id=str(uuid.uuid4()), occurred_at=timestamp(now), type=self.event_type)
        self._fill_current(event, now)
        event.alarm.CopyFrom(res.DeviceAlarmInfo(code=alarm.code, severity=alarm.severity, message=alarm.message))
        return event

    def handle_command(self, cmd: res.Command, now: datetime | None = None) -> res.CommandAck:
        """Carries out a command and returns the ack; this kind takes none."""
        now = now or datetime.now(UTC)
        return command_ack(cmd, res.CommandAck.OUTCOME_REJECTED, f"{self.spec.device_id} takes no commands", now)


class LiftController(SimDevice):
    """A lift car going between floors -1 and 18; STOP holds it where it is, RESUME releases it."""

    event_type = "car_state"
    interval = 3.0
    S = res.ElevatorStatus

    def __init__(self, spec: DeviceSpec, rng: random.Random | None = None) -> None:
        super().__init__(spec, rng)
        self.floor = 1
        self.target = 1
        self.state = self.S.STATE_IDLE
        self.occupied = False
        self.load_kg = 0

    def _step(self) -> None:
        if self.state in (self.S.STATE_STOPPED, self.S.STATE_OUT_OF_SERVICE):
            return
        if self.state == self.S.STATE_RUNNING:
            self.floor += 1 if self.target > self.floor else -1
            if self.floor == 0:  # there is no floor 0: basement -1 is next to ground floor 1
                self.floor += 1 if self.target > 0 else -1
            if self.floor == self.target:
                self.state = self.S.STATE_DOORS_OPEN
        elif self.state == self.S.STATE_DOORS_OPEN:
            self.state = self.S.STATE_IDLE
            # People get in or out while the doors are open.
            self.occupied = self.rng.random() < 0.5
            self.load_kg = self.rng.randint(60, 240) if self.occupied else 0
        elif self.rng.random() < 0.6:  # idle: somebody calls the car
            floors = [f for f in range(_LOWEST_FLOOR, _TOP_FLOOR + 1) if f not in (0, self.floor)]
            self.target = self.rng.choice(floors)
            self.state = self.S.STATE_RUNNING

    def _fill(self, event: res.DeviceEvent, now: datetime) -> None:
        self._step()
        event.elevator.CopyFrom(self.status())

    def _fill_current(self, event: res.DeviceEvent, now: datetime) -> None:
        event.elevator.CopyFrom(self.status())

    def alarms(self, now: datetime) -> list[AlarmKind]:
        """A lift may report a door fault at any time."""
        return [DOOR_FAULT]

    def status(self) -> res.ElevatorStatus:
        """Returns the car's current state without advancing it."""
        return res.ElevatorStatus(state=self.state, floor=self.floor, occupied=self.occupied, load_kg=self.load_kg)

    def handle_command(self, cmd: res.Command, now: datetime | None = None) -> res.CommandAck:
        """STOP holds the car at its floor, RESUME releases it; anything else is rejected."""
        now = now or datetime.now(UTC)
        if cmd.name == "STOP":
            self.state = self.S.STATE_STOPPED
            return command_ack(cmd, res.CommandAck.OUTCOME_DONE, f"car stopped at floor {self.floor}", now)
        if cmd.name == "RESUME":
            if self.state == self.S.STATE_STOPPED:
                self.state = self.S.STATE_IDLE
            return command_ack(cmd, res.CommandAck.OUTCOME_DONE, "car resumed", now)
        return command_ack(
            cmd, res.CommandAck.OUTCOME_REJECTED, f"unknown command {cmd.name!r}; takes STOP, RESUME", now
        )


class Camera(SimDevice):
    """A camera reporting that its video is fine (frames go to vision, not through ingest)."""

    event_type = "camera_status"
    interval = 30.0

    def _fill(self, event: res.DeviceEvent, now: datetime) -> None:
        event.camera.video_ok = True

    def alarms(self, now: datetime) -> list[AlarmKind]:
        """What this camera's scenario detects; litter only outside the place's disposal windows."""
        alarm = CAMERA_ALARMS.get(self.spec.labels.get("scenario", ""))
        if alarm is None:
            return []
        if alarm.code == "litter_off_hours" and in_windows(self.spec.disposal_windows, now):
            return []  # rubbish brought in the disposal window is what the window is for
        return [alarm]


class WifiProbe(SimDevice):
    """A Wi-Fi probe counting phones in its crowd zone: the crowd is 40-70% of the warning threshold over a day,
    and `phone_share` of those people carry a phone the probe hears (analytics divides by the same share).

    Each report also lists the hashed ids of the phones it saw, as many as it counts. The phones come from a
    population of the zone with stable ids. The phones present follow the daily curve: between two reports each
    leaves with the chance a visit of about `mean_stay_s` gives, and newcomers take the places of those who left,
    so a visitor is seen for some minutes and most ids come again in the next report. A report hears most of the
    phones present (a phone probes for networks now and then, not every second): which of them is the noise of
    the count.
    """

    event_type = "probe_count"
    interval = 15.0
    # How long a visitor's phone stays in the zone on average.
    mean_stay_s = 30 * 60.0
    # How many phones visit the zone now and then, as a multiple of its warning threshold; newcomers are taken
    # from it in turn, so a phone comes back only hours after it left.
    population_factor = 10
    # The count's noise, as a share of the warning threshold, and how many of these more phones are present than a
    # report hears on average.
    noise = 0.03
    unheard = 1.0
    # Share of the people whose phones a probe hears; the scenario's crowd zones tell analytics the same.
    phone_share = 0.7

    def __init__(self, spec: DeviceSpec, rng: random.Random | None = None) -> None:
        super().__init__(spec, rng)
        # Serial numbers of the phones present, in the order they came; their hashed ids are cached.
        self.present: list[int] = []
        self.last_report: datetime | None = None
        self.population = max(100, self.population_factor * spec.zone_warning)
        self.next_phone = self.rng.randrange(self.population)
        self._ids: dict[int, str] = {}

    def crowd_fraction(self, now: datetime) -> float:
        """Share of the zone's warning threshold expected at this local time, without noise."""
        local = now.astimezone(_SHANGHAI)
        hour = local.hour + local.minute / 60
        # Quietest at 07:00, busiest at 19:00 (mall evening and night market); a cosine is smooth enough.
        return 0.55 - 0.15 * math.cos(2 * math.pi * (hour - 7) / 24)

    def phone_id(self, n: int) -> str:
        """The hashed id of the zone's phone number n: 16 hex characters, the same in every report."""
        found = self._ids.get(n)
        if found is None:
            found = self._ids[n] = hashlib.sha256(f"{self.spec.zone_id}-{n}".encode()).hexdigest()[:16]
        return found

    def _arrive(self, count: int) -> None:
        """Newcomers until count phones are present."""
        # A crowd bigger than the population would never fill up: let the population grow with it.
        self.population = max(self.population, 2 * count)
        here = set(self.present)
        while len(self.present) < count:
            n = self.next_phone % self.population
            self.next_phone = n + 1
            if n not in here:
                here.add(n)
                self.present.append(n)

    def _drop(self, phones: list[int], keep: int) -> list[int]:
        """Phones without len(phones) - keep of them chosen at random, in their order."""
        if len(phones) <= keep:
            return phones
        gone = set(self.rng.sample(range(len(phones)), len(phones) - keep))
        return [n for i, n in enumerate(phones) if i not in gone]

    def _move(self, now: datetime, crowd: int) -> None:
        """Phones leave and arrive between the last report and now, until the crowd the curve asks for is there."""
        if self.last_report is not None and self.present:
            elapsed = (now - self.last_report).total_seconds()
            if elapsed > 0:
                stay = math.exp(-elapsed / self.mean_stay_s)
                self.present = [n for n in self.present if self.rng.random() < stay]
        self.last_report = now
        self.present = self._drop(self.present, crowd)  # the crowd thins out
        self._arrive(crowd)

    def _fill(self, event: res.DeviceEvent, now: datetime) -> None:
        mean = self.crowd_fraction(now) * self.spec.zone_warning * self.phone_share
        noise = self.noise * self.spec.zone_warning * self.phone_share
        count = max(0, round(self.rng.gauss(mean, noise)))
        # The phones present: a few more than a report hears on average, so the count's noise is which of them a
        # report hears, not phones coming and going (which would add distinct ids the crowd does not have).
        self._move(now, round(mean + self.unheard * noise))
        self._arrive(count)  # a count over the phones present (rare): some just came in
        self._report(event, self._drop(self.present, count))

    def _fill_current(self, event: res.DeviceEvent, now: datetime) -> None:
        self._report(event, self.present)

    def _report(self, event: res.DeviceEvent, phones: list[int]) -> None:
        event.wifi.CopyFrom(
            res.WifiProbeCount(
                zone_id=self.spec.zone_id,
                unique_devices=len(phones),
                window=Duration(seconds=round(self.interval)),
                device_hashes=[self.phone_id(n) for n in phones],
            )
        )


class FieldUnitRadio(SimDevice):
    """A field unit's radio (单兵) walking about near the grid centre and slowly draining its battery."""

    event_type = "gps_fix"
    interval = 5.0
    # How far from the centre a unit wanders before it turns back, in metres.
    radius_m = 600.0

    def __init__(self, spec: DeviceSpec, rng: random.Random | None = None) -> None:
        super().__init__(spec, rng)
        self.centre = (spec.lat, spec.lon)
        # Start somewhere in the grid rather than all units on the same spot.
        self.north_m = self.rng.uniform(-200, 200)
        self.east_m = self.rng.uniform(-200, 200)
        self.heading = self.rng.uniform(0, 360)
        self.battery = self.rng.randint(60, 100)
        # Set while its unit heads for a case (units.py): the radio then reports where the unit walks to
        # instead of wandering, at this speed.
        self.steered_mps: float | None = None

    def _offsets(self, lat: float, lon: float) -> tuple[float, float]:
        north = (lat - self.centre[0]) * _METRES_PER_DEG_LAT
        east = (lon - self.centre[1]) * _METRES_PER_DEG_LAT * math.cos(math.radians(self.centre[0]))
        return north, east

    def distance_to(self, lat: float, lon: float) -> float:
        """Returns the distance in metres from the current position to (lat, lon) (flat: short distances)."""
        north, east = self._offsets(lat, lon)
        return math.hypot(north - self.north_m, east - self.east_m)

    def step_towards(self, lat: float, lon: float, metres: float) -> float:
        """Moves up to metres straight towards (lat, lon); returns the distance left."""
        north, east = self._offsets(lat, lon)
        d_north, d_east = north - self.north_m, east - self.east_m
        left = math.hypot(d_north, d_east)
        if left <= metres or left == 0:
            self.north_m, self.east_m = north, east
            return 0.0
        self.heading = math.degrees(math.atan2(d_east, d_north)) % 360
        self.north_m += d_north * metres / left
        self.east_m += d_east * metres / left
        return left - metres

    def position(self) -> tuple[float, float]:
        """Returns the current (lat, lon)."""
        lat = self.centre[0] + self.north_m / _METRES_PER_DEG_LAT
        lon = self.centre[1] + self.east_m / (_METRES_PER_DEG_LAT * math.cos(math.radians(self.centre[0])))
        return lat, lon

    def _fill(self, event: res.DeviceEvent, now: datetime) -> None:
        if self.steered_mps is not None:
            speed = self.steered_mps  # its unit moves it (step_towards); report where it is
        else:
            speed = max(0.0, self.rng.gauss(1.2, 0.4))  # walking pace
            self.heading = (self.heading + self.rng.gauss(0, 30)) % 360
            if math.hypot(self.north_m, self.east_m) > self.radius_m:
                # Head back towards the centre, so units stay in their grid.
                self.heading = math.degrees(math.atan2(-self.east_m, -self.north_m)) % 360
            step = speed * self.interval
            self.north_m += step * math.cos(math.radians(self.heading))
            self.east_m += step * math.sin(math.radians(self.heading))
        if self.rng.random() < 0.05:
            self.battery -= 1
        if self.battery < 15:  # back on the charger
            self.battery = 100
        lat, lon = self.position()
        event.gps.CopyFrom(
            res.GpsFix(
                position=common_pb2.GeoPoint(lat=lat, lon=lon, accuracy_m=5.0),
                speed_mps=speed,
                heading_deg=self.heading,
                battery_percent=self.battery,
            )
        )


_BY_KIND: dict[int, type[SimDevice]] = {
    res.DEVICE_KIND_ELEVATOR_CONTROLLER: LiftController,
    res.DEVICE_KIND_CAMERA: Camera,
    res.DEVICE_KIND_WIFI_PROBE: WifiProbe,
    res.DEVICE_KIND_FIELD_UNIT_RADIO: FieldUnitRadio,
}


def choose_alarm(devices: Sequence[SimDevice], now: datetime, rng: random.Random) -> tuple[SimDevice, AlarmKind] | None:
    """Picks the device and alarm to raise now, weighted by how common each alarm is; None when none can."""
    choices = [(device, alarm) for device in devices for alarm in device.alarms(now)]
    if not choices:
        return None
    return rng.choices(choices, weights=[alarm.weight for _, alarm in choices])[0]


def make_device(spec: DeviceSpec, rng: random.Random | None = None) -> SimDevice:
    """Returns the simulated device for a scenario device."""
    try:
        return _BY_KIND[spec.kind](spec, rng)
    except KeyError:
        raise ValueError(f"no simulator for {spec.device_id} of kind {spec.kind}") from None
