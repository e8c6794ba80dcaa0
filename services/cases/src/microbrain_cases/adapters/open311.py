"""Cases as Open311 GeoReport v2 service requests, so a city platform that speaks Open311 can read them.

The mapping (also in docs/api.md): service_request_id = case_id, service_code = case_type, status = open
or closed (with the finer state in status_notes), requested_datetime = opened_at, updated_datetime =
updated_at, expected_datetime = the RESOLVE deadline, lat/long = location, address_id = place_id,
agency_responsible = who it is escalated to (or the grid), media_url = the first evidence's URL.
"""

from microbrain.cases.v1 import resources_pb2 as res

from microbrain_cases.domain.service import OPEN_STATES, state_name

SERVICE_NAMES = {
    "ebike_in_elevator": "E-bike in elevator (电动车进电梯)",
    "litter_off_hours": "Litter outside garbage room out of hours (垃圾分类)",
    "crowd_over_threshold": "Crowd over threshold (大客流)",
    "device_offline": "Device offline",
    "device_fault": "Device fault",
    "manual_report": "Report (人工上报)",
    "external_report": "Report from a connected platform",
}


def _iso(ts) -> str | None:
    return ts.ToDatetime().isoformat(timespec="seconds") + "Z" if ts.seconds else None


def to_open311(case: res.Case, *, media_base_url: str = "") -> dict:
    """One GeoReport v2 service request (JSON form) for a case; media_url points at media_base_url."""
    resolve = next((d for d in case.deadlines if d.stage == res.STAGE_RESOLVE), None)
    out = {
        "service_request_id": case.case_id,
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": state_name(case.state) + (f": {case.reason}" if case.reason else ""),
        "service_name": SERVICE_NAMES.get(case.case_type, case.case_type),
        "service_code": case.case_type,
        "description": case.description or case.title,
        "agency_responsible": case.escalated_to or f"grid:{case.grid_id}",
        "service_notice": "",
        "requested_datetime": _iso(case.opened_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(resolve.due_at) if resolve else None,
        "address": "",
        "address_id": case.place_id,
        "zipcode": "",
        "lat": case.location.lat if case.HasField("location") else None,
        "long": case.location.lon if case.HasField("location") else None,
        "media_url": (
            f"{media_base_url.rstrip('/')}/cases/{case.case_id}/evidence/{case.evidence[0].key}"
            if case.evidence and media_base_url
            else (case.video_url or None)
        ),
    }
    return out
