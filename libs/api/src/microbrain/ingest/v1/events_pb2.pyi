import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from microbrain.ingest.v1 import resources_pb2 as _resources_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceEventRecorded(_message.Message):
    __slots__ = ("meta", "device", "kind", "place_id", "transport", "event")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    kind: _resources_pb2.DeviceKind
    place_id: str
    transport: _resources_pb2.Transport
    event: _resources_pb2.DeviceEvent
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., kind: _Optional[_Union[_resources_pb2.DeviceKind, str]] = ..., place_id: _Optional[str] = ..., transport: _Optional[_Union[_resources_pb2.Transport, str]] = ..., event: _Optional[_Union[_resources_pb2.DeviceEvent, _Mapping]] = ...) -> None: ...

class DeviceWentOnline(_message.Message):
    __slots__ = ("meta", "device", "kind", "transport")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    kind: _resources_pb2.DeviceKind
    transport: _resources_pb2.Transport
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., kind: _Optional[_Union[_resources_pb2.DeviceKind, str]] = ..., transport: _Optional[_Union[_resources_pb2.Transport, str]] = ...) -> None: ...

class DeviceWentOffline(_message.Message):
    __slots__ = ("meta", "device", "kind", "last_seen_at", "allowed_silence")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SILENCE_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    kind: _resources_pb2.DeviceKind
    last_seen_at: _timestamp_pb2.Timestamp
    allowed_silence: _duration_pb2.Duration
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., kind: _Optional[_Union[_resources_pb2.DeviceKind, str]] = ..., last_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., allowed_silence: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CommandIssued(_message.Message):
    __slots__ = ("meta", "device", "command")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    command: _resources_pb2.Command
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., command: _Optional[_Union[_resources_pb2.Command, _Mapping]] = ...) -> None: ...

class CommandAcked(_message.Message):
    __slots__ = ("meta", "device", "command", "ack", "latency")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    command: _resources_pb2.Command
    ack: _resources_pb2.CommandAck
    latency: _duration_pb2.Duration
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., command: _Optional[_Union[_resources_pb2.Command, _Mapping]] = ..., ack: _Optional[_Union[_resources_pb2.CommandAck, _Mapping]] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CommandTimedOut(_message.Message):
    __slots__ = ("meta", "device", "command", "reason")
    META_FIELD_NUMBER: _ClassVar[int]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    device: _common_pb2.DeviceRef
    command: _resources_pb2.Command
    reason: str
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., device: _Optional[_Union[_common_pb2.DeviceRef, _Mapping]] = ..., command: _Optional[_Union[_resources_pb2.Command, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...
