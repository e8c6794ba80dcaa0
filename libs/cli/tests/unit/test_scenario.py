"""The scenario gives each grid its devices; the simulated lift answers STOP / RESUME like the real one."""

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_cli.devices import FieldUnitRadio, LiftController, WifiProbe, make_device
from microbrain_cli.scenario import ScenarioError, grid_scenario, load_scenario

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
Outcome = res.CommandAck.Outcome
State = res.ElevatorStatus.State


@pytest.fixture(scope="module")
def scenario() -> dict:
    return load_scenario(SCENARIO)


def test_jinhui_shanghong_has_its_seven_devices_and_three_radios(scenario):
    grid = grid_scenario(scenario, "jinhui-shanghong")

    kinds = {d.device_id: d.kind for d in grid.devices}
    assert kinds == {
        "lift-gdy22-a": res.DEVICE_KIND_ELEVATOR_CONTROLLER,
        "cam-gdy22-lift-a": res.DEVICE_KIND_CAMERA,
        "cam-gdy-refuse-1": res.DEVICE_KIND_CAMERA,
        "cam-aegean-atrium": res.DEVICE_KIND_CAMERA,
        "cam-seoul-street": res.DEVICE_KIND_CAMERA,
        "wifi-aegean-1": res.DEVICE_KIND_WIFI_PROBE,
        "wifi-seoul-1": res.DEVICE_KIND_WIFI_PROBE,
        "radio-unit-01": res.DEVICE_KIND_FIELD_UNIT_RADIO,
        "radio-unit-02": res.DEVICE_KIND_FIELD_UNIT_RADIO,
        "radio-unit-03": res.DEVICE_KIND_FIELD_UNIT_RADIO,
    }
    assert len(grid.devices) == 10


def test_fixed_devices_take_place_and_location_and_probes_their_zone(scenario):
    devices = {d.device_id: d for d in grid_scenario(scenario, "jinhui-shanghong").devices}

    lift = devices["lift-gdy22-a"]
    assert (lift.place_id, lift.lat, lift.lon) == ("gengduyuan-22", 31.1872, 121.3951)
    probe = devices["wifi-seoul-1"]
    assert (probe.place_id, probe.zone_id, probe.zone_warning) == (
        "seoul-night-market",
        "seoul-main-street",
        1500,
    )
    assert devices["wifi-aegean-1"].zone_id == "aegean-atrium"
    # Radios have no place; they start at the grid centre.
    radio = devices["radio-unit-01"]
    assert (radio.place_id, radio.lat, radio.lon) == ("", 31.1860, 121.3930)


def test_longbai_has_only_its_field_unit_radio(scenario):
    grid = grid_scenario(scenario, "longbai")

    assert [(d.device_id, d.kind) for d in grid.devices] == [("radio-unit-04", res.DEVICE_KIND_FIELD_UNIT_RADIO)]
    assert (grid.devices[0].lat, grid.devices[0].lon) == (31.1790, 121.3760)


def test_unknown_grid_is_refused_with_the_known_ones(scenario):
    with pytest.raises(ScenarioError, match="jinhui-shanghong"):
        grid_scenario(scenario, "nowhere")


def _lift(scenario) -> LiftController:
    spec = next(d for d in grid_scenario(scenario, "jinhui-shanghong").devices if d.device_id == "lift-gdy22-a")
    device = make_device(spec, random.Random(7))
    assert isinstance(device, LiftController)
    return device


def test_lift_stop_holds_the_car_and_resume_releases_it(scenario):
    lift = _lift(scenario)
    for _ in range(5):  # let it move somewhere first
        lift.next_event()

    ack = lift.handle_command(res.Command(command_id="c-1", name="STOP"))

    floor = lift.floor
    assert ack.command_id == "c-1"
    assert ack.outcome == Outcome.OUTCOME_DONE
    assert ack.message == f"car stopped at floor {floor}"
    # However long it is left, a stopped car reports STOPPED at the same floor.
    for _ in range(20):
        event = lift.next_event()
        assert event.type == "car_state"
        assert (event.elevator.state, event.elevator.floor) == (State.STATE_STOPPED, floor)

    ack = lift.handle_command(res.Command(command_id="c-2", name="RESUME"))

    assert (ack.command_id, ack.outcome, ack.message) == ("c-2", Outcome.OUTCOME_DONE, "car resumed")
    states = {lift.next_event().elevator.state for _ in range(20)}
    assert State.STATE_STOPPED not in states
    assert State.STATE_RUNNING in states


def test_lift_rejects_unknown_commands_and_keeps_going(scenario):
    lift = _lift(scenario)
    before = lift.status()

    ack = lift.handle_command(res.Command(command_id="c-3", name="SELF_DESTRUCT"))

    assert ack.command_id == "c-3"
    assert ack.outcome == Outcome.OUTCOME_REJECTED
    assert "SELF_DESTRUCT" in ack.message
    assert lift.status() == before


def test_other_devices_reject_every_command(scenario):
    for spec in grid_scenario(scenario, "jinhui-shanghong").devices:
        if spec.kind == res.DEVICE_KIND_ELEVATOR_CONTROLLER:
            continue
        ack = make_device(spec).handle_command(res.Command(command_id="c-4", name="STOP"))
        assert ack.outcome == Outcome.OUTCOME_REJECTED, spec.device_id


def test_lift_floors_stay_between_basement_and_top_and_skip_zero(scenario):
    lift = _lift(scenario)

    floors = {lift.next_event().elevator.floor for _ in range(2000)}

    assert floors <= set(range(-1, 19)) - {0}
    assert {-1, 18} <= floors  # it does reach both ends


def test_probe_count_follows_the_daily_curve_within_the_warning_band(scenario):
    spec = next(d for d in grid_scenario(scenario, "jinhui-shanghong").devices if d.device_id == "wifi-aegean-1")
    probe = make_device(spec, random.Random(1))
    assert isinstance(probe, WifiProbe)
    # 07:00 and 19:00 Shanghai time are 23:00 (the day before) and 11:00 UTC.
    quiet = [probe.next_event(datetime(2026, 11, 25, 23, 0, tzinfo=UTC)).wifi for _ in range(200)]
    busy = [probe.next_event(datetime(2026, 11, 26, 11, 0, tzinfo=UTC)).wifi for _ in range(200)]

    assert {w.zone_id for w in quiet + busy} == {"aegean-atrium"}
    quiet_mean = sum(w.unique_devices for w in quiet) / len(quiet)
    busy_mean = sum(w.unique_devices for w in busy) / len(busy)
    # 40% and 70% of the warning threshold in people, of whom 70% carry a phone the probe hears
    assert quiet_mean == pytest.approx(0.40 * 800 * 0.7, rel=0.03)
    assert busy_mean == pytest.approx(0.70 * 800 * 0.7, rel=0.03)
    assert len({w.unique_devices for w in busy}) > 10  # noisy, not a flat line


def test_radio_walks_near_the_grid_centre(scenario):
    spec = next(d for d in grid_scenario(scenario, "jinhui-shanghong").devices if d.device_id == "radio-unit-02")
    radio = make_device(spec, random.Random(3))
    assert isinstance(radio, FieldUnitRadio)

    fixes = [radio.next_event().gps for _ in range(1000)]

    positions = {(round(f.position.lat, 6), round(f.position.lon, 6)) for f in fixes}
    assert len(positions) > 900  # it moves
    # ~0.01° is about 1 km: it never leaves the neighbourhood of the centre.
    assert all(abs(f.position.lat - 31.1860) < 0.01 and abs(f.position.lon - 121.3930) < 0.01 for f in fixes)
    assert all(0 <= f.battery_percent <= 100 for f in fixes)
