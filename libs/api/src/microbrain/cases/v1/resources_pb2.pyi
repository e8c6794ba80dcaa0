import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_STATE_UNSPECIFIED: _ClassVar[CaseState]
    CASE_STATE_OPENED: _ClassVar[CaseState]
    CASE_STATE_ASSIGNED: _ClassVar[CaseState]
    CASE_STATE_ACKNOWLEDGED: _ClassVar[CaseState]
    CASE_STATE_ON_SITE: _ClassVar[CaseState]
    CASE_STATE_RESOLVED: _ClassVar[CaseState]
    CASE_STATE_CLOSED: _ClassVar[CaseState]
    CASE_STATE_CANCELLED: _ClassVar[CaseState]
    CASE_STATE_REOPENED: _ClassVar[CaseState]

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STAGE_UNSPECIFIED: _ClassVar[Stage]
    STAGE_DISCOVER: _ClassVar[Stage]
    STAGE_ASSIGN: _ClassVar[Stage]
    STAGE_ACKNOWLEDGE: _ClassVar[Stage]
    STAGE_ARRIVE: _ClassVar[Stage]
    STAGE_RESOLVE: _ClassVar[Stage]
    STAGE_CLOSE: _ClassVar[Stage]
CASE_STATE_UNSPECIFIED: CaseState
CASE_STATE_OPENED: CaseState
CASE_STATE_ASSIGNED: CaseState
CASE_STATE_ACKNOWLEDGED: CaseState
CASE_STATE_ON_SITE: CaseState
CASE_STATE_RESOLVED: CaseState
CASE_STATE_CLOSED: CaseState
CASE_STATE_CANCELLED: CaseState
CASE_STATE_REOPENED: CaseState
STAGE_UNSPECIFIED: Stage
STAGE_DISCOVER: Stage
STAGE_ASSIGN: Stage
STAGE_ACKNOWLEDGE: Stage
STAGE_ARRIVE: Stage
STAGE_RESOLVE: Stage
STAGE_CLOSE: Stage

class Deadline(_message.Message):
    __slots__ = ("stage", "due_at", "status", "done_at")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[Deadline.Status]
        STATUS_PENDING: _ClassVar[Deadline.Status]
        STATUS_MET: _ClassVar[Deadline.Status]
        STATUS_BREACHED: _ClassVar[Deadline.Status]
        STATUS_VOID: _ClassVar[Deadline.Status]
    STATUS_UNSPECIFIED: Deadline.Status
    STATUS_PENDING: Deadline.Status
    STATUS_MET: Deadline.Status
    STATUS_BREACHED: Deadline.Status
    STATUS_VOID: Deadline.Status
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    stage: Stage
    due_at: _timestamp_pb2.Timestamp
    status: Deadline.Status
    done_at: _timestamp_pb2.Timestamp
    def __init__(self, stage: _Optional[_Union[Stage, str]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[Deadline.Status, str]] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("case_id", "grid_id", "case_type", "severity", "state", "escalation_level", "escalated_to", "place_id", "location", "device", "title", "description", "occurred_at", "opened_at", "updated_at", "alarm_ids", "occurrences", "last_occurred_at", "evidence", "video_url", "assignee", "deadlines", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ALARM_IDS_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    LAST_OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    grid_id: str
    case_type: str
    severity: _common_pb2.Severity
    state: CaseState
    escalation_level: int
    escalated_to: str
    place_id: str
    location: _common_pb2.GeoPoint
    device: _common_pb2.DeviceRef
    title: str
    description: str
    occurred_at: _timestamp_pb2.Timestamp
    opened_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    alarm_ids: _containers.RepeatedScalarFieldContainer[str]
    occurrences: int
    last_occurred_at: _timestamp_pb2.Timestamp
    evidence: _containers.RepeatedCompositeFieldContainer[_common_pb2.EvidenceRef]
    video_url: str
    assignee: str
    deadlines: _containers.RepeatedCompositeFieldContainer[Deadline]
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., grid_id: _Optional[str] = ..., case_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., state: _Optional[_Union[CaseState, str]] = ..., escalation_level: _Optional[int] = ..., escalated_to: _Optional[str] = ..., place_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alarm_ids: _Optional[_Iterable[str]] = ..., occurrences: _Optional[int] = ..., last_occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence: _Optional[_Iterable[_Union[_common_pb2.EvidenceRef, _Mapping]]] = ..., video_url: _Optional[str] = ..., assignee: _Optional[str] = ..., deadlines: _Optional[_Iterable[_Union[Deadline, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class CaseChange(_message.Message):
    __slots__ = ("cursor", "case_id", "at", "actor", "action", "from_state", "to_state", "reason", "note", "evidence", "stage", "escalation_level")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    cursor: int
    case_id: str
    at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    from_state: CaseState
    to_state: CaseState
    reason: str
    note: str
    evidence: _common_pb2.EvidenceRef
    stage: Stage
    escalation_level: int
    def __init__(self, cursor: _Optional[int] = ..., case_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., from_state: _Optional[_Union[CaseState, str]] = ..., to_state: _Optional[_Union[CaseState, str]] = ..., reason: _Optional[str] = ..., note: _Optional[str] = ..., evidence: _Optional[_Union[_common_pb2.EvidenceRef, _Mapping]] = ..., stage: _Optional[_Union[Stage, str]] = ..., escalation_level: _Optional[int] = ...) -> None: ...
