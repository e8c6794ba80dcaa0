from microbrain.common.v1 import common_pb2 as _common_pb2
from microbrain.registry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordChanged(_message.Message):
    __slots__ = ("meta", "kind", "record_id", "action", "version", "actor", "record")
    META_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    kind: _resources_pb2.Kind
    record_id: str
    action: str
    version: int
    actor: str
    record: _resources_pb2.Record
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., kind: _Optional[_Union[_resources_pb2.Kind, str]] = ..., record_id: _Optional[str] = ..., action: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ..., record: _Optional[_Union[_resources_pb2.Record, _Mapping]] = ...) -> None: ...
