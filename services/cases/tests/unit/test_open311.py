"""Cases read as Open311 GeoReport v2 service requests."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from microbrain_cases.adapters.open311 import to_open311


def _ts(text: str) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(datetime.fromisoformat(text).replace(tzinfo=UTC))
    return out


def _case(state=res.CASE_STATE_ON_SITE, **kw) -> res.Case:
    return res.Case(
        case_id="c-20261126-7f3a9c01",
        grid_id="jinhui-shanghong",
        case_type="litter_off_hours",
        state=state,
        place_id="gengduyuan-refuse-1",
        title="垃圾袋堆在垃圾厢房外",
        location=common_pb2.GeoPoint(lat=31.1868, lon=121.3946),
        opened_at=_ts("2026-11-26T21:10:02"),
        updated_at=_ts("2026-11-26T21:25:00"),
        deadlines=[res.Deadline(stage=res.STAGE_RESOLVE, due_at=_ts("2026-11-26T22:10:00"))],
        evidence=[common_pb2.EvidenceRef(key="ab" * 32, content_type="image/jpeg")],
        **kw,
    )


def test_an_open_case_maps_onto_the_georeport_fields():
    out = to_open311(_case(), media_base_url="https://brain.example/api/")
    assert out["service_request_id"] == "c-20261126-7f3a9c01"
    assert out["service_code"] == "litter_off_hours" and "垃圾分类" in out["service_name"]
    assert (out["status"], out["status_notes"]) == ("open", "ON_SITE")
    assert out["requested_datetime"] == "2026-11-26T21:10:02Z"
    assert out["expected_datetime"] == "2026-11-26T22:10:00Z"  # the 1-hour resolve deadline
    assert (out["lat"], out["long"], out["address_id"]) == (31.1868, 121.3946, "gengduyuan-refuse-1")
    assert out["media_url"] == f"https://brain.example/api/cases/c-20261126-7f3a9c01/evidence/{'ab' * 32}"
    assert out["agency_responsible"] == "grid:jinhui-shanghong" and out["description"] == "垃圾袋堆在垃圾厢房外"


def test_resolved_cancelled_and_escalated_cases_read_as_closed_with_notes():
    cancelled = to_open311(_case(res.CASE_STATE_CANCELLED, reason="false alarm"))
    assert (cancelled["status"], cancelled["status_notes"]) == ("closed", "CANCELLED: false alarm")
    escalated = to_open311(_case(res.CASE_STATE_RESOLVED, escalated_to="city_enforcement", escalation_level=1))
    assert escalated["status"] == "closed" and escalated["agency_responsible"] == "city_enforcement"
    assert to_open311(_case(res.CASE_STATE_REOPENED))["status"] == "open"
