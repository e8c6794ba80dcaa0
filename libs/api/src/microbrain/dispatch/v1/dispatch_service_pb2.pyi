import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.dispatch.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListUnitsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListUnitsResponse(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Unit]
    def __init__(self, units: _Optional[_Iterable[_Union[_resources_pb2.Unit, _Mapping]]] = ...) -> None: ...

class ImportUnitsRequest(_message.Message):
    __slots__ = ("csv",)
    CSV_FIELD_NUMBER: _ClassVar[int]
    csv: str
    def __init__(self, csv: _Optional[str] = ...) -> None: ...

class ImportUnitsResponse(_message.Message):
    __slots__ = ("imported", "errors")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    imported: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, imported: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class WatchAssignmentsRequest(_message.Message):
    __slots__ = ("unit_id",)
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    def __init__(self, unit_id: _Optional[str] = ...) -> None: ...

class WatchAssignmentsResponse(_message.Message):
    __slots__ = ("assignment", "call")
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    assignment: _resources_pb2.Assignment
    call: _resources_pb2.Call
    def __init__(self, assignment: _Optional[_Union[_resources_pb2.Assignment, _Mapping]] = ..., call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class AcknowledgeAssignmentRequest(_message.Message):
    __slots__ = ("assignment_id", "unit_id")
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    assignment_id: str
    unit_id: str
    def __init__(self, assignment_id: _Optional[str] = ..., unit_id: _Optional[str] = ...) -> None: ...

class AcknowledgeAssignmentResponse(_message.Message):
    __slots__ = ("assignment",)
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    assignment: _resources_pb2.Assignment
    def __init__(self, assignment: _Optional[_Union[_resources_pb2.Assignment, _Mapping]] = ...) -> None: ...

class GetCaseDispatchRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseDispatchResponse(_message.Message):
    __slots__ = ("assignments", "linkages")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    LINKAGES_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Assignment]
    linkages: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Linkage]
    def __init__(self, assignments: _Optional[_Iterable[_Union[_resources_pb2.Assignment, _Mapping]]] = ..., linkages: _Optional[_Iterable[_Union[_resources_pb2.Linkage, _Mapping]]] = ...) -> None: ...

class StartCallRequest(_message.Message):
    __slots__ = ("case_id", "caller", "unit_ids", "radius_m")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    UNIT_IDS_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    caller: str
    unit_ids: _containers.RepeatedScalarFieldContainer[str]
    radius_m: float
    def __init__(self, case_id: _Optional[str] = ..., caller: _Optional[str] = ..., unit_ids: _Optional[_Iterable[str]] = ..., radius_m: _Optional[float] = ...) -> None: ...

class StartCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class AnswerCallRequest(_message.Message):
    __slots__ = ("call_id", "unit_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    unit_id: str
    def __init__(self, call_id: _Optional[str] = ..., unit_id: _Optional[str] = ...) -> None: ...

class AnswerCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class EndCallRequest(_message.Message):
    __slots__ = ("call_id", "by")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    by: str
    def __init__(self, call_id: _Optional[str] = ..., by: _Optional[str] = ...) -> None: ...

class EndCallResponse(_message.Message):
    __slots__ = ("call",)
    CALL_FIELD_NUMBER: _ClassVar[int]
    call: _resources_pb2.Call
    def __init__(self, call: _Optional[_Union[_resources_pb2.Call, _Mapping]] = ...) -> None: ...

class ImportRotaRequest(_message.Message):
    __slots__ = ("csv",)
    CSV_FIELD_NUMBER: _ClassVar[int]
    csv: str
    def __init__(self, csv: _Optional[str] = ...) -> None: ...

class ImportRotaResponse(_message.Message):
    __slots__ = ("imported", "errors")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    imported: int
    errors: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, imported: _Optional[int] = ..., errors: _Optional[_Iterable[str]] = ...) -> None: ...

class GetOnDutyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetOnDutyResponse(_message.Message):
    __slots__ = ("desk", "grid_leader")
    DESK_FIELD_NUMBER: _ClassVar[int]
    GRID_LEADER_FIELD_NUMBER: _ClassVar[int]
    desk: _resources_pb2.Shift
    grid_leader: _resources_pb2.Shift
    def __init__(self, desk: _Optional[_Union[_resources_pb2.Shift, _Mapping]] = ..., grid_leader: _Optional[_Union[_resources_pb2.Shift, _Mapping]] = ...) -> None: ...

class WatchDeskRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchDeskResponse(_message.Message):
    __slots__ = ("case_id", "case_type", "place_id", "kind", "message", "desk", "at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DESK_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    case_type: str
    place_id: str
    kind: str
    message: str
    desk: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., case_type: _Optional[str] = ..., place_id: _Optional[str] = ..., kind: _Optional[str] = ..., message: _Optional[str] = ..., desk: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
