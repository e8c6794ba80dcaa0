"""Shared set-up of the analytics integration tests: the grid's places, and event builders."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import events_pb2 as case_events
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.common.v1 import common_pb2
from microbrain_analytics.places import load_places

SCENARIO = Path(__file__).resolve().parents[4] / "deploy" / "scenarios" / "hongqiao.yaml"
GRID = "jinhui-shanghong"
SHANGHAI = ZoneInfo("Asia/Shanghai")
St = case_res.CaseState
Sg = case_res.Stage
DS = case_res.Deadline.Status


def ts(dt: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(dt)
    return out


def local(y: int, m: int, d: int, h: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time, as aware UTC."""
    return datetime(y, m, d, h, minute, tzinfo=SHANGHAI).astimezone(UTC)


def alarm(event_id: str, type_: str, place: str, at: datetime, grid: str = GRID) -> alarms_pb2.AlarmRaised:
    return alarms_pb2.AlarmRaised(
        meta=common_pb2.EventMeta(event_id=event_id, grid_id=grid, occurred_at=ts(at), producer="test"),
        type=type_,
        place_id=place,
        source="test",
    )


def case_change(
    case_id: str, cursor: int, action: str, state: int, at: datetime, occurred: datetime, deadlines, case_type="t"
) -> case_events.CaseChanged:
    """A CaseChanged as cases publishes it: deadlines are (stage, due after the fact, status, done_at or None)."""
    case = case_res.Case(
        case_id=case_id, grid_id=GRID, case_type=case_type, state=state, place_id="p", occurred_at=ts(occurred)
    )
    for stage, due, status, done in deadlines:
        d = case.deadlines.add(stage=stage, due_at=ts(occurred + due), status=status)
        if done is not None:
            d.done_at.CopyFrom(ts(done))
    return case_events.CaseChanged(
        meta=common_pb2.EventMeta(event_id=f"{case_id}:{cursor}", grid_id=GRID, occurred_at=ts(at)),
        change=case_res.CaseChange(cursor=cursor, case_id=case_id, at=ts(at), action=action, to_state=state),
        case=case,
    )


@pytest.fixture
def places():
    return load_places(str(SCENARIO), GRID)
