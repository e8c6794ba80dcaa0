"""A field unit's radio walks straight to its case while its unit heads there, and reports where it is."""

import random

from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_cli.devices import FieldUnitRadio
from microbrain_cli.scenario import DeviceSpec

CENTRE = (31.1860, 121.3930)
CASE = (31.1872, 121.3951)  # gengduyuan-22, ~240 m away


def _radio() -> FieldUnitRadio:
    spec = DeviceSpec("radio-unit-01", res.DEVICE_KIND_FIELD_UNIT_RADIO, "单兵 unit-01", "", *CENTRE)
    return FieldUnitRadio(spec, random.Random(1))


def test_a_steered_radio_walks_to_the_case_and_reports_its_position_without_wandering():
    radio = _radio()
    start = radio.distance_to(*CASE)
    assert 50 < start < 1000

    left = radio.step_towards(*CASE, 100)
    assert abs(left - (start - 100)) < 1e-6
    assert abs(radio.distance_to(*CASE) - left) < 1e-6

    radio.steered_mps = 20.0
    where = radio.position()
    event = radio.next_event()
    assert (event.gps.position.lat, event.gps.position.lon) == where  # no wandering while steered
    assert event.gps.speed_mps == 20.0

    assert radio.step_towards(*CASE, 10_000) == 0.0
    assert radio.distance_to(*CASE) < 1e-6
