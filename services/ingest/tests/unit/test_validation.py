"""Event validation and credentials, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest
from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain_ingest.domain import service
from microbrain_ingest.domain.models import DeviceInfo
from microbrain_kit import errors

NOW = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
LIMITS = service.Limits(max_event_bytes=1024, max_future_skew_s=300)
RADIO = DeviceInfo("radio-unit-01", "jinhui-shanghong", res.DEVICE_KIND_FIELD_UNIT_RADIO, "", None, None, 1)


def gps_event(at: datetime = NOW, lat: float = 31.186, **kw) -> res.DeviceEvent:
    ev = res.DeviceEvent(
        event_id="e-1",
        type="gps_fix",
        gps=res.GpsFix(position=common_pb2.GeoPoint(lat=lat, lon=121.39)),
        **kw,
    )
    ev.occurred_at.FromDatetime(at)
    return ev


def test_a_good_event_passes_and_clock_skew_within_the_allowance_is_fine():
    service.validate_event(RADIO, gps_event(NOW + timedelta(seconds=299)), now_s=NOW.timestamp(), limits=LIMITS)
    service.validate_event(
        RADIO, gps_event(NOW - timedelta(days=3)), now_s=NOW.timestamp(), limits=LIMITS
    )  # buffered offline


@pytest.mark.parametrize(
    ("event", "error", "words"),
    [
        (gps_event(NOW + timedelta(seconds=301)), errors.InvalidArgument, "in the future"),
        (gps_event(lat=95), errors.InvalidArgument, "out of range"),
        (gps_event(attributes={"pad": "x" * 2000}), errors.ResourceExhausted, "limit is 1024"),
        (gps_event(grid_id="longbai"), errors.FailedPrecondition, "longbai"),
    ],
)
def test_bad_events_raise_errors_that_say_what_to_fix(event, error, words):
    with pytest.raises(error) as exc:
        service.validate_event(RADIO, event, now_s=NOW.timestamp(), limits=LIMITS)
    assert words in exc.value.message


def test_any_kind_may_send_a_raw_vendor_body_but_not_another_kinds_body():
    service.validate_event(RADIO, gps_event(raw=b"vendor"), now_s=NOW.timestamp(), limits=LIMITS)
    with pytest.raises(errors.InvalidArgument, match="cannot send a 'elevator' body"):
        service.validate_event(RADIO, gps_event(elevator=res.ElevatorStatus()), now_s=NOW.timestamp(), limits=LIMITS)


def test_events_become_an_event_message_and_an_alarm_when_the_device_raises_one():
    alarm = res.DeviceAlarmInfo(code="sos", severity=common_pb2.SEVERITY_CRITICAL)
    out = service.EventRecorder(RADIO, res.TRANSPORT_GRPC, {}).records(gps_event(alarm=alarm))
    assert [(s, i) for s, i, _ in out] == [
        ("mb.jinhui-shanghong.ingest.device_event", "e-1"),
        ("mb.jinhui-shanghong.alarms.raised", "e-1:alarm"),
    ]
    assert out[1][2].location.lat == pytest.approx(31.186)  # a radio's alarm is where it was
    assert out[1][2].type == "device_fault" and out[1][2].attributes["code"] == "sos"


def test_a_smart_camera_may_raise_a_scenario_alarm_of_its_own():
    camera = DeviceInfo("cam-gdy22-lift-a", "jinhui-shanghong", res.DEVICE_KIND_CAMERA, "gengduyuan-22", None, None, 1)
    info = res.DeviceAlarmInfo(code="ebike_in_elevator", severity=common_pb2.SEVERITY_CRITICAL)
    alarm = service.device_alarm(camera, "a-1", NOW, info, {})
    assert (alarm.type, alarm.place_id, alarm.source) == ("ebike_in_elevator", "gengduyuan-22", "ingest")


def test_secrets_are_random_and_only_their_hash_is_kept():
    a, b = service.new_secret(), service.new_secret()
    assert a != b and len(a) >= 40
    assert service.hash_secret(a) == service.hash_secret(a) != service.hash_secret(b)
    assert a not in service.hash_secret(a)
