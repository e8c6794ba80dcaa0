"""Which device raises which alarm, and when: litter only outside the garbage room's disposal windows."""

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_cli.devices import choose_alarm, in_windows, make_device
from microbrain_cli.scenario import ScenarioError, disposal_windows, grid_scenario, load_scenario

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
# Shanghai is UTC+8: 08:00 there (in the 07:00-09:00 window) is 00:00 UTC; 12:00 there is 04:00 UTC.
SHANGHAI = timezone(timedelta(hours=8))
IN_WINDOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
OFF_HOURS = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def devices():
    specs = grid_scenario(load_scenario(SCENARIO), "jinhui-shanghong").devices
    return {spec.device_id: make_device(spec, random.Random(5)) for spec in specs}


def _codes(device, now) -> list[str]:
    return [alarm.code for alarm in device.alarms(now)]


def test_the_garbage_room_camera_reports_litter_only_outside_its_disposal_windows(devices):
    refuse = devices["cam-gdy-refuse-1"]
    assert refuse.spec.disposal_windows == ((time(7), time(9)), (time(18), time(20)))

    assert _codes(refuse, IN_WINDOW) == []
    assert _codes(refuse, datetime(2026, 11, 26, 10, 30, tzinfo=UTC)) == []  # 18:30 in Shanghai
    assert _codes(refuse, OFF_HOURS) == ["litter_off_hours"]
    assert _codes(refuse, datetime(2026, 11, 26, 1, 0, tzinfo=UTC)) == ["litter_off_hours"]  # 09:00: window closed


def test_the_lift_camera_sees_ebikes_and_the_lift_has_door_faults_at_any_hour(devices):
    for now in (IN_WINDOW, OFF_HOURS):
        assert _codes(devices["cam-gdy22-lift-a"], now) == ["ebike_in_elevator"]
        assert _codes(devices["lift-gdy22-a"], now) == ["door_fault"]
    # Crowd cameras, probes and radios raise nothing themselves (crowds are analytics' business).
    quiet = {"cam-aegean-atrium", "cam-seoul-street", "wifi-aegean-1", "wifi-seoul-1", "radio-unit-01"}
    assert all(_codes(devices[d], OFF_HOURS) == [] for d in quiet)


def test_alarm_choice_follows_the_clock_and_makes_door_faults_the_rarest(devices):
    rng = random.Random(11)

    during = Counter(choose_alarm(list(devices.values()), IN_WINDOW, rng)[1].code for _ in range(2000))
    off = Counter(choose_alarm(list(devices.values()), OFF_HOURS, rng)[1].code for _ in range(2000))

    assert set(during) == {"ebike_in_elevator", "door_fault"}
    assert set(off) == {"ebike_in_elevator", "litter_off_hours", "door_fault"}
    assert off["door_fault"] < off["ebike_in_elevator"] and off["door_fault"] < off["litter_off_hours"]
    assert choose_alarm([devices["wifi-aegean-1"]], OFF_HOURS, rng) is None


def test_an_alarm_event_is_the_devices_own_kind_of_event_with_the_alarm_set(devices):
    lift = devices["lift-gdy22-a"]
    for _ in range(3):
        lift.next_event(OFF_HOURS)
    before = lift.status()
    camera = devices["cam-gdy22-lift-a"]

    ebike = camera.alarm_event(camera.alarms(OFF_HOURS)[0], OFF_HOURS)
    door = lift.alarm_event(lift.alarms(OFF_HOURS)[0], OFF_HOURS)

    assert (ebike.type, ebike.WhichOneof("body"), ebike.camera.video_ok) == ("camera_status", "camera", True)
    assert ebike.alarm == res.DeviceAlarmInfo(
        code="ebike_in_elevator", severity=common_pb2.SEVERITY_CRITICAL, message="电动车进入电梯"
    )
    assert ebike.occurred_at.ToDatetime(tzinfo=UTC) == OFF_HOURS
    assert (door.type, door.WhichOneof("body")) == ("car_state", "elevator")
    assert (door.alarm.code, door.alarm.severity) == ("door_fault", common_pb2.SEVERITY_MAJOR)
    # Reporting the fault does not move the car.
    assert door.elevator == before == lift.status()
    assert ebike.event_id != door.event_id


@pytest.mark.parametrize(
    ("local", "inside"),
    [(time(21, 59), False), (time(22, 0), True), (time(1, 30), True), (time(2, 0), False)],
)
def test_a_window_can_run_past_midnight(local, inside):
    now = datetime.combine(date(2026, 11, 26), local, tzinfo=SHANGHAI)

    assert in_windows([(time(22), time(2))], now) is inside


def test_a_malformed_disposal_window_names_the_place():
    with pytest.raises(ScenarioError, match="place gengduyuan-refuse-1: disposal window '7-9am'"):
        disposal_windows({"id": "gengduyuan-refuse-1", "disposal_windows": ["7-9am"]})
