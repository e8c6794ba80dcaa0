from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CrowdObserved(_message.Message):
    __slots__ = ("meta", "camera_id", "place_id", "counts")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    META_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    camera_id: str
    place_id: str
    counts: _containers.ScalarMap[str, float]
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., camera_id: _Optional[str] = ..., place_id: _Optional[str] = ..., counts: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ScenarioCleared(_message.Message):
    __slots__ = ("meta", "camera_id", "place_id", "alarm_id", "type")
    META_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    ALARM_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    camera_id: str
    place_id: str
    alarm_id: str
    type: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., camera_id: _Optional[str] = ..., place_id: _Optional[str] = ..., alarm_id: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...
