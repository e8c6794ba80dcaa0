"""SLA policies: the seed's defaults, durations, and overrides from a file."""

from datetime import timedelta

import pytest
from microbrain.cases.v1 import resources_pb2 as res
from microbrain_cases.domain.policies import Policies, parse_duration


def test_defaults_keep_the_seeds_promise():
    policies = Policies()
    lift, litter = policies.for_type("ebike_in_elevator"), policies.for_type("litter_off_hours")
    assert lift.deadlines[res.STAGE_DISCOVER] == timedelta(seconds=1)
    assert lift.deadlines[res.STAGE_RESOLVE] == timedelta(minutes=5)
    assert litter.deadlines[res.STAGE_RESOLVE] == timedelta(hours=1)
    assert litter.escalation[0] == "city_enforcement"  # the property company's hour is up: enforcement
    assert policies.for_type("anything_new").deadlines[res.STAGE_CLOSE] == timedelta(days=7)


def test_durations_parse_and_bad_ones_say_what_is_expected():
    assert [parse_duration(x) for x in ("1s", "5m", "1h", "7d", 30)] == [
        timedelta(seconds=1),
        timedelta(minutes=5),
        timedelta(hours=1),
        timedelta(days=7),
        timedelta(seconds=30),
    ]
    with pytest.raises(ValueError, match=r"use e\.g\. 1s, 5m, 1h, 7d"):
        parse_duration("soon")


def test_a_file_overrides_per_type_and_refuses_unknown_stages(tmp_path):
    good = tmp_path / "sla.yaml"
    good.write_text("litter_off_hours:\n  resolve: 30m\n  escalation: [enforcement]\n")
    litter = Policies.load(str(good)).for_type("litter_off_hours")
    assert litter.deadlines[res.STAGE_RESOLVE] == timedelta(minutes=30)
    assert litter.deadlines[res.STAGE_ASSIGN] == timedelta(minutes=5)  # the rest stays
    assert litter.escalation == ("enforcement",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("litter_off_hours:\n  finish: 1h\n")
    with pytest.raises(ValueError, match="unknown stage 'finish'"):
        Policies.load(str(bad))
