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

class UnitStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNIT_STATUS_UNSPECIFIED: _ClassVar[UnitStatus]
    UNIT_STATUS_AVAILABLE: _ClassVar[UnitStatus]
    UNIT_STATUS_EN_ROUTE: _ClassVar[UnitStatus]
    UNIT_STATUS_ON_SITE: _ClassVar[UnitStatus]
    UNIT_STATUS_BUSY: _ClassVar[UnitStatus]
    UNIT_STATUS_OFF_DUTY: _ClassVar[UnitStatus]
UNIT_STATUS_UNSPECIFIED: UnitStatus
UNIT_STATUS_AVAILABLE: UnitStatus
UNIT_STATUS_EN_ROUTE: UnitStatus
UNIT_STATUS_ON_SITE: UnitStatus
UNIT_STATUS_BUSY: UnitStatus
UNIT_STATUS_OFF_DUTY: UnitStatus

class Unit(_message.Message):
    __slots__ = ("unit_id", "grid_id", "members", "skills", "status", "position", "position_at", "radio_device_id", "case_id")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    POSITION_AT_FIELD_NUMBER: _ClassVar[int]
    RADIO_DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    grid_id: str
    members: _containers.RepeatedScalarFieldContainer[str]
    skills: _containers.RepeatedScalarFieldContainer[str]
    status: UnitStatus
    position: _common_pb2.GeoPoint
    position_at: _timestamp_pb2.Timestamp
    radio_device_id: str
    case_id: str
    def __init__(self, unit_id: _Optional[str] = ..., grid_id: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ..., skills: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[UnitStatus, str]] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., position_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., radio_device_id: _Optional[str] = ..., case_id: _Optional[str] = ...) -> None: ...

class Assignment(_message.Message):
    __slots__ = ("assignment_id", "case_id", "unit_id", "reason", "offered_at", "ack_due_at", "status", "step")
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OFFERED_AT_FIELD_NUMBER: _ClassVar[int]
    ACK_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    assignment_id: str
    case_id: str
    unit_id: str
    reason: str
    offered_at: _timestamp_pb2.Timestamp
    ack_due_at: _timestamp_pb2.Timestamp
    status: str
    step: int
    def __init__(self, assignment_id: _Optional[str] = ..., case_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., reason: _Optional[str] = ..., offered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ack_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., step: _Optional[int] = ...) -> None: ...

class Linkage(_message.Message):
    __slots__ = ("case_id", "device_id", "command", "status", "message", "at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    device_id: str
    command: str
    status: str
    message: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., device_id: _Optional[str] = ..., command: _Optional[str] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Call(_message.Message):
    __slots__ = ("call_id", "case_id", "caller", "unit_ids", "state", "started_at", "answered_by", "answered_at", "ended_at", "ended_by", "talk_seconds", "media_url")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    UNIT_IDS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_BY_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_BY_FIELD_NUMBER: _ClassVar[int]
    TALK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEDIA_URL_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    case_id: str
    caller: str
    unit_ids: _containers.RepeatedScalarFieldContainer[str]
    state: str
    started_at: _timestamp_pb2.Timestamp
    answered_by: str
    answered_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    ended_by: str
    talk_seconds: float
    media_url: str
    def __init__(self, call_id: _Optional[str] = ..., case_id: _Optional[str] = ..., caller: _Optional[str] = ..., unit_ids: _Optional[_Iterable[str]] = ..., state: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answered_by: _Optional[str] = ..., answered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_by: _Optional[str] = ..., talk_seconds: _Optional[float] = ..., media_url: _Optional[str] = ...) -> None: ...

class Shift(_message.Message):
    __slots__ = ("role", "person", "starts_at", "ends_at")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    role: str
    person: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    def __init__(self, role: _Optional[str] = ..., person: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
