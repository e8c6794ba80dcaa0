"""What `microbrain cases` prints: countdowns to deadlines, state names, one line per change, error messages."""

from datetime import UTC, datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.cases.v1 import resources_pb2 as res
from microbrain.common.v1 import common_pb2
from microbrain_cli.cases import (
    cases_table,
    change_line,
    countdown,
    deadline_text,
    escalation,
    nearest_deadline,
    parse_state,
    rpc_failure,
    severity_name,
    span,
    state_name,
)
from rich.console import Console

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8), "CST")
Status = res.Deadline.Status
PENDING = Status.STATUS_PENDING


def _ts(when: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(when)
    return ts


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (42.9, "42s"),
        (60, "1m"),
        (252, "4m12s"),
        (3599, "59m59s"),
        (3600, "1h"),
        (3900, "1h05m"),
        (7 * 86400, "7d"),
        (3 * 86400 + 4 * 3600 + 59, "3d4h"),
    ],
)
def test_span_is_short_and_exact_enough_for_its_size(seconds, text):
    assert span(seconds) == text


def test_countdown_says_left_before_the_deadline_and_overdue_after():
    assert countdown(NOW + timedelta(minutes=4, seconds=12), NOW) == "4m12s left"
    assert countdown(NOW, NOW) == "0s left"
    assert countdown(NOW - timedelta(minutes=2), NOW) == "overdue 2m"
    assert countdown(NOW - timedelta(hours=1, minutes=5), NOW) == "overdue 1h05m"


def test_state_and_severity_names_read_as_words():
    assert state_name(res.CASE_STATE_ON_SITE) == "on site"
    assert state_name(res.CASE_STATE_OPENED) == "opened"
    assert state_name(99) == "state 99"
    assert severity_name(common_pb2.SEVERITY_CRITICAL) == "critical"
    assert severity_name(common_pb2.SEVERITY_UNSPECIFIED) == "-"


@pytest.mark.parametrize("text", ["on_site", "on-site", "ON SITE", "On_Site", "CASE_STATE_ON_SITE"])
def test_a_state_is_understood_however_it_is_typed(text):
    assert parse_state(text) == res.CASE_STATE_ON_SITE


def test_an_unknown_state_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown case state 'done'; one of opened, assigned, .*on_site"):
        parse_state("done")


def _case(**kw) -> res.Case:
    fields = {
        "case_id": "c-20261126-7f3a9c01",
        "case_type": "ebike_in_elevator",
        "severity": common_pb2.SEVERITY_CRITICAL,
        "state": res.CASE_STATE_OPENED,
        "place_id": "gengduyuan-22",
        "opened_at": _ts(NOW - timedelta(seconds=30)),
        "occurrences": 2,
        "deadlines": [
            res.Deadline(stage=res.STAGE_DISCOVER, due_at=_ts(NOW - timedelta(seconds=29)), status=Status.STATUS_MET),
            res.Deadline(stage=res.STAGE_CLOSE, due_at=_ts(NOW + timedelta(days=7)), status=PENDING),
            res.Deadline(
                stage=res.STAGE_RESOLVE, due_at=_ts(NOW + timedelta(seconds=270)), status=Status.STATUS_PENDING
            ),
        ],
    }
    return res.Case(**{**fields, **kw})


def test_the_nearest_pending_deadline_is_the_one_shown():
    case = _case()

    assert nearest_deadline(case).stage == res.STAGE_RESOLVE
    assert deadline_text(case, NOW) == "resolve 4m30s left"
    assert deadline_text(case, NOW + timedelta(minutes=6)) == "resolve overdue 1m30s"
    assert deadline_text(res.Case(), NOW) == ""


def test_escalation_is_blank_until_a_breach():
    assert escalation(_case()) == ""
    assert escalation(_case(escalation_level=1, escalated_to="grid_leader")) == "L1 grid_leader"


def test_the_table_shows_each_case_in_local_time():
    console = Console(width=250, record=True, color_system=None)

    console.print(cases_table([_case()], now=NOW, tz=SHANGHAI, title="1 case"))

    text = console.export_text()
    assert "opened (CST)" in text
    row = next(line for line in text.splitlines() if "c-20261126-7f3a9c01" in line)
    cells = ("ebike_in_elevator", "opened", "critical", "gengduyuan-22", "2026-11-26 11:59:30", "resolve 4m30s left")
    assert all(cell in row for cell in cells), row


def test_a_change_is_one_line_with_cursor_time_case_action_state_actor_and_details():
    case = _case(state=res.CASE_STATE_ASSIGNED, assignee="unit-01")
    change = res.CaseChange(
        cursor=17,
        case_id=case.case_id,
        at=_ts(NOW),
        actor="duty-officer",
        action="assigned",
        from_state=res.CASE_STATE_OPENED,
        to_state=res.CASE_STATE_ASSIGNED,
    )
    note = res.CaseChange(cursor=18, case_id=case.case_id, at=_ts(NOW), actor="unit-01", action="note", note="在路上")

    line = change_line(change, case, SHANGHAI)

    assert line.split() == [
        *("17", "2026-11-26", "12:00:00", case.case_id),
        *("assigned", "opened", "→", "assigned", "duty-officer", "to", "unit-01"),
    ]
    assert change_line(note, case, SHANGHAI).split()[-3:] == ["assigned", "unit-01", "在路上"]


@pytest.mark.parametrize(
    ("code", "message", "rc"),
    [
        (grpc.StatusCode.UNAVAILABLE, "cases is not reachable at 127.0.0.1:1: is `make run` running?", 2),
        (grpc.StatusCode.UNIMPLEMENTED, "127.0.0.1:1 does not serve microbrain.cases.v1.CaseService", 2),
        (grpc.StatusCode.INVALID_ARGUMENT, "cases at 127.0.0.1:1 answered INVALID_ARGUMENT: bad token", 1),
    ],
)
def test_rpc_failures_say_what_to_do(code, message, rc):
    text, exit_code = rpc_failure("127.0.0.1:1", code, "bad token")

    assert text.startswith(message)
    assert exit_code == rc
