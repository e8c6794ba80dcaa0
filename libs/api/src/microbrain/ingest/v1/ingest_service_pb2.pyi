import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from microbrain.ingest.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterDeviceRequest(_message.Message):
    __slots__ = ("device_id", "grid_id", "kind", "name", "place_id", "location", "heartbeat_interval", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    grid_id: str
    kind: _resources_pb2.DeviceKind
    name: str
    place_id: str
    location: _common_pb2.GeoPoint
    heartbeat_interval: _duration_pb2.Duration
    labels: _containers.ScalarMap[str, str]
    def __init__(self, device_id: _Optional[str] = ..., grid_id: _Optional[str] = ..., kind: _Optional[_Union[_resources_pb2.DeviceKind, str]] = ..., name: _Optional[str] = ..., place_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RegisterDeviceResponse(_message.Message):
    __slots__ = ("device", "secret")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    device: _resources_pb2.Device
    secret: str
    def __init__(self, device: _Optional[_Union[_resources_pb2.Device, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class GetDeviceRequest(_message.Message):
    __slots__ = ("device_id",)
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    def __init__(self, device_id: _Optional[str] = ...) -> None: ...

class GetDeviceResponse(_message.Message):
    __slots__ = ("device",)
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    device: _resources_pb2.Device
    def __init__(self, device: _Optional[_Union[_resources_pb2.Device, _Mapping]] = ...) -> None: ...

class ListDevicesRequest(_message.Message):
    __slots__ = ("page", "kind", "online", "place_id")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    kind: _resources_pb2.DeviceKind
    online: bool
    place_id: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., kind: _Optional[_Union[_resources_pb2.DeviceKind, str]] = ..., online: _Optional[bool] = ..., place_id: _Optional[str] = ...) -> None: ...

class ListDevicesResponse(_message.Message):
    __slots__ = ("devices", "page")
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    devices: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Device]
    page: _common_pb2.PageResponse
    def __init__(self, devices: _Optional[_Iterable[_Union[_resources_pb2.Device, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class UpdateDeviceRequest(_message.Message):
    __slots__ = ("device_id", "enabled", "name", "heartbeat_interval", "rotate_secret")
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ROTATE_SECRET_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    enabled: bool
    name: str
    heartbeat_interval: _duration_pb2.Duration
    rotate_secret: bool
    def __init__(self, device_id: _Optional[str] = ..., enabled: _Optional[bool] = ..., name: _Optional[str] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rotate_secret: _Optional[bool] = ...) -> None: ...

class UpdateDeviceResponse(_message.Message):
    __slots__ = ("device", "secret")
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    device: _resources_pb2.Device
    secret: str
    def __init__(self, device: _Optional[_Union[_resources_pb2.Device, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("seq", "event", "heartbeat", "command_ack", "batch")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_ACK_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    event: _resources_pb2.DeviceEvent
    heartbeat: _resources_pb2.Heartbeat
    command_ack: _resources_pb2.CommandAck
    batch: EventBatch
    def __init__(self, seq: _Optional[int] = ..., event: _Optional[_Union[_resources_pb2.DeviceEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[_resources_pb2.Heartbeat, _Mapping]] = ..., command_ack: _Optional[_Union[_resources_pb2.CommandAck, _Mapping]] = ..., batch: _Optional[_Union[EventBatch, _Mapping]] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_resources_pb2.DeviceEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[_resources_pb2.DeviceEvent, _Mapping]]] = ...) -> None: ...

class StreamEventsResponse(_message.Message):
    __slots__ = ("acks", "command")
    ACKS_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    acks: _containers.RepeatedCompositeFieldContainer[Ack]
    command: _resources_pb2.Command
    def __init__(self, acks: _Optional[_Iterable[_Union[Ack, _Mapping]]] = ..., command: _Optional[_Union[_resources_pb2.Command, _Mapping]] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("seq", "event_id", "code", "message", "duplicate", "stream_sequence", "index")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    STREAM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    seq: int
    event_id: str
    code: int
    message: str
    duplicate: bool
    stream_sequence: int
    index: int
    def __init__(self, seq: _Optional[int] = ..., event_id: _Optional[str] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., duplicate: _Optional[bool] = ..., stream_sequence: _Optional[int] = ..., index: _Optional[int] = ...) -> None: ...

class SendCommandRequest(_message.Message):
    __slots__ = ("device_id", "name", "args", "timeout")
    class ArgsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    name: str
    args: _containers.ScalarMap[str, str]
    timeout: _duration_pb2.Duration
    def __init__(self, device_id: _Optional[str] = ..., name: _Optional[str] = ..., args: _Optional[_Mapping[str, str]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SendCommandResponse(_message.Message):
    __slots__ = ("command", "ack")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    command: _resources_pb2.Command
    ack: _resources_pb2.CommandAck
    def __init__(self, command: _Optional[_Union[_resources_pb2.Command, _Mapping]] = ..., ack: _Optional[_Union[_resources_pb2.CommandAck, _Mapping]] = ...) -> None: ...
