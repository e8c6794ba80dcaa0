from microbrain.cases.v1 import resources_pb2 as _resources_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseChanged(_message.Message):
    __slots__ = ("meta", "change", "case")
    META_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    change: _resources_pb2.CaseChange
    case: _resources_pb2.Case
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., change: _Optional[_Union[_resources_pb2.CaseChange, _Mapping]] = ..., case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ...) -> None: ...

class SlaBreached(_message.Message):
    __slots__ = ("meta", "case", "stage", "deadline", "escalation_level", "escalated_to")
    META_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ESCALATION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    case: _resources_pb2.Case
    stage: _resources_pb2.Stage
    deadline: _resources_pb2.Deadline
    escalation_level: int
    escalated_to: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., case: _Optional[_Union[_resources_pb2.Case, _Mapping]] = ..., stage: _Optional[_Union[_resources_pb2.Stage, str]] = ..., deadline: _Optional[_Union[_resources_pb2.Deadline, _Mapping]] = ..., escalation_level: _Optional[int] = ..., escalated_to: _Optional[str] = ...) -> None: ...
