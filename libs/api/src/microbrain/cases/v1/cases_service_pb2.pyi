import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.cases.v1 import resources_pb2 as _resources_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_ORDER_UNSPECIFIED: _ClassVar[CaseOrder]
    CASE_ORDER_DEADLINE: _ClassVar[CaseOrder]
CASE_ORDER_UNSPECIFIED: CaseOrder
CASE_ORDER_DEADLINE: CaseOrder

class OpenCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_type", "severity", "place_id", "location", "title", "description", "occurred_at", "actor", "evidence")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_type: str
    severity: _common_pb2.Severity
    place_id: str
    location: _common_pb2.GeoPoint
    title: str
    description: str
    occurred_at: _timestamp_pb2.Timestamp
    actor: str
    evidence: _containers.RepeatedCompositeFieldContainer[_common_pb2.EvidenceRef]
    def __init__(self, request_id: _Optional[str] = ..., case_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., place_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[_common_pb2.EvidenceRef, _Mapping]]] = ...) -> None: ...

class OpenCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _resources_pb2.Case
    def __init__(self, case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _resources_pb2.Case
    def __init__(self, case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("page", "case_types", "states", "place_id", "opened", "order")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    CASE_TYPES_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    case_types: _containers.RepeatedScalarFieldContainer[str]
    states: _containers.RepeatedScalarFieldContainer[_resources_pb2.CaseState]
    place_id: str
    opened: _common_pb2.TimeRange
    order: CaseOrder
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., case_types: _Optional[_Iterable[str]] = ..., states: _Optional[_Iterable[_Union[_resources_pb2.CaseState, str]]] = ..., place_id: _Optional[str] = ..., opened: _Optional[_Union[_common_pb2.TimeRange, _Mapping]] = ..., order: _Optional[_Union[CaseOrder, str]] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "page")
    CASES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Case]
    page: _common_pb2.PageResponse
    def __init__(self, cases: _Optional[_Iterable[_Union[_resources_pb2.Case, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class TransitionCaseRequest(_message.Message):
    __slots__ = ("case_id", "to_state", "actor", "reason", "assignee")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to_state: _resources_pb2.CaseState
    actor: str
    reason: str
    assignee: str
    def __init__(self, case_id: _Optional[str] = ..., to_state: _Optional[_Union[_resources_pb2.CaseState, str]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., assignee: _Optional[str] = ...) -> None: ...

class TransitionCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _resources_pb2.Case
    def __init__(self, case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ...) -> None: ...

class AddNoteRequest(_message.Message):
    __slots__ = ("case_id", "actor", "text")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    actor: str
    text: str
    def __init__(self, case_id: _Optional[str] = ..., actor: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class AddNoteResponse(_message.Message):
    __slots__ = ("change",)
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    change: _resources_pb2.CaseChange
    def __init__(self, change: _Optional[_Union[_resources_pb2.CaseChange, _Mapping]] = ...) -> None: ...

class AddEvidenceRequest(_message.Message):
    __slots__ = ("case_id", "actor", "ref", "upload")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    actor: str
    ref: _common_pb2.EvidenceRef
    upload: EvidenceUpload
    def __init__(self, case_id: _Optional[str] = ..., actor: _Optional[str] = ..., ref: _Optional[_Union[_common_pb2.EvidenceRef, _Mapping]] = ..., upload: _Optional[_Union[EvidenceUpload, _Mapping]] = ...) -> None: ...

class EvidenceUpload(_message.Message):
    __slots__ = ("data", "content_type", "captured_at")
    DATA_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    content_type: str
    captured_at: _timestamp_pb2.Timestamp
    def __init__(self, data: _Optional[bytes] = ..., content_type: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddEvidenceResponse(_message.Message):
    __slots__ = ("evidence",)
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    evidence: _common_pb2.EvidenceRef
    def __init__(self, evidence: _Optional[_Union[_common_pb2.EvidenceRef, _Mapping]] = ...) -> None: ...

class GetTimelineRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetTimelineResponse(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[_resources_pb2.CaseChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[_resources_pb2.CaseChange, _Mapping]]] = ...) -> None: ...

class WatchCasesRequest(_message.Message):
    __slots__ = ("after_cursor",)
    AFTER_CURSOR_FIELD_NUMBER: _ClassVar[int]
    after_cursor: int
    def __init__(self, after_cursor: _Optional[int] = ...) -> None: ...

class WatchCasesResponse(_message.Message):
    __slots__ = ("change", "case")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    change: _resources_pb2.CaseChange
    case: _resources_pb2.Case
    def __init__(self, change: _Optional[_Union[_resources_pb2.CaseChange, _Mapping]] = ..., case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ...) -> None: ...

class GetEvidenceRequest(_message.Message):
    __slots__ = ("case_id", "key")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    key: str
    def __init__(self, case_id: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class GetEvidenceResponse(_message.Message):
    __slots__ = ("evidence", "data")
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    evidence: _common_pb2.EvidenceRef
    data: bytes
    def __init__(self, evidence: _Optional[_Union[_common_pb2.EvidenceRef, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...
