import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeviceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEVICE_KIND_UNSPECIFIED: _ClassVar[DeviceKind]
    DEVICE_KIND_ELEVATOR_CONTROLLER: _ClassVar[DeviceKind]
    DEVICE_KIND_CAMERA: _ClassVar[DeviceKind]
    DEVICE_KIND_WIFI_PROBE: _ClassVar[DeviceKind]
    DEVICE_KIND_FIELD_UNIT_RADIO: _ClassVar[DeviceKind]
    DEVICE_KIND_SENSOR: _ClassVar[DeviceKind]

class Transport(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSPORT_UNSPECIFIED: _ClassVar[Transport]
    TRANSPORT_GRPC: _ClassVar[Transport]
    TRANSPORT_MQTT: _ClassVar[Transport]
DEVICE_KIND_UNSPECIFIED: DeviceKind
DEVICE_KIND_ELEVATOR_CONTROLLER: DeviceKind
DEVICE_KIND_CAMERA: DeviceKind
DEVICE_KIND_WIFI_PROBE: DeviceKind
DEVICE_KIND_FIELD_UNIT_RADIO: DeviceKind
DEVICE_KIND_SENSOR: DeviceKind
TRANSPORT_UNSPECIFIED: Transport
TRANSPORT_GRPC: Transport
TRANSPORT_MQTT: Transport

class Device(_message.Message):
    __slots__ = ("device_id", "grid_id", "kind", "name", "place_id", "location", "enabled", "heartbeat_interval", "online", "last_seen_at", "last_transport", "created_at", "updated_at", "labels", "credential_version")
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
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_VERSION_FIELD_NUMBER: _ClassVar[int]
    device_id: str
    grid_id: str
    kind: DeviceKind
    name: str
    place_id: str
    location: _common_pb2.GeoPoint
    enabled: bool
    heartbeat_interval: _duration_pb2.Duration
    online: bool
    last_seen_at: _timestamp_pb2.Timestamp
    last_transport: Transport
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    labels: _containers.ScalarMap[str, str]
    credential_version: int
    def __init__(self, device_id: _Optional[str] = ..., grid_id: _Optional[str] = ..., kind: _Optional[_Union[DeviceKind, str]] = ..., name: _Optional[str] = ..., place_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., enabled: _Optional[bool] = ..., heartbeat_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., online: _Optional[bool] = ..., last_seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_transport: _Optional[_Union[Transport, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., labels: _Optional[_Mapping[str, str]] = ..., credential_version: _Optional[int] = ...) -> None: ...

class ElevatorStatus(_message.Message):
    __slots__ = ("state", "floor", "occupied", "load_kg")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[ElevatorStatus.State]
        STATE_RUNNING: _ClassVar[ElevatorStatus.State]
        STATE_IDLE: _ClassVar[ElevatorStatus.State]
        STATE_DOORS_OPEN: _ClassVar[ElevatorStatus.State]
        STATE_STOPPED: _ClassVar[ElevatorStatus.State]
        STATE_FAULT: _ClassVar[ElevatorStatus.State]
        STATE_OUT_OF_SERVICE: _ClassVar[ElevatorStatus.State]
    STATE_UNSPECIFIED: ElevatorStatus.State
    STATE_RUNNING: ElevatorStatus.State
    STATE_IDLE: ElevatorStatus.State
    STATE_DOORS_OPEN: ElevatorStatus.State
    STATE_STOPPED: ElevatorStatus.State
    STATE_FAULT: ElevatorStatus.State
    STATE_OUT_OF_SERVICE: ElevatorStatus.State
    STATE_FIELD_NUMBER: _ClassVar[int]
    FLOOR_FIELD_NUMBER: _ClassVar[int]
    OCCUPIED_FIELD_NUMBER: _ClassVar[int]
    LOAD_KG_FIELD_NUMBER: _ClassVar[int]
    state: ElevatorStatus.State
    floor: int
    occupied: bool
    load_kg: int
    def __init__(self, state: _Optional[_Union[ElevatorStatus.State, str]] = ..., floor: _Optional[int] = ..., occupied: _Optional[bool] = ..., load_kg: _Optional[int] = ...) -> None: ...

class GpsFix(_message.Message):
    __slots__ = ("position", "speed_mps", "heading_deg", "battery_percent")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    HEADING_DEG_FIELD_NUMBER: _ClassVar[int]
    BATTERY_PERCENT_FIELD_NUMBER: _ClassVar[int]
    position: _common_pb2.GeoPoint
    speed_mps: float
    heading_deg: float
    battery_percent: int
    def __init__(self, position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., speed_mps: _Optional[float] = ..., heading_deg: _Optional[float] = ..., battery_percent: _Optional[int] = ...) -> None: ...

class WifiProbeCount(_message.Message):
    __slots__ = ("zone_id", "unique_devices", "window", "device_hashes")
    ZONE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_DEVICES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    DEVICE_HASHES_FIELD_NUMBER: _ClassVar[int]
    zone_id: str
    unique_devices: int
    window: _duration_pb2.Duration
    device_hashes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, zone_id: _Optional[str] = ..., unique_devices: _Optional[int] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., device_hashes: _Optional[_Iterable[str]] = ...) -> None: ...

class CameraStatus(_message.Message):
    __slots__ = ("video_ok", "stream_url")
    VIDEO_OK_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    video_ok: bool
    stream_url: str
    def __init__(self, video_ok: _Optional[bool] = ..., stream_url: _Optional[str] = ...) -> None: ...

class SensorReading(_message.Message):
    __slots__ = ("quantity", "value", "unit")
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    quantity: str
    value: float
    unit: str
    def __init__(self, quantity: _Optional[str] = ..., value: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class DeviceAlarmInfo(_message.Message):
    __slots__ = ("code", "severity", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    severity: _common_pb2.Severity
    message: str
    def __init__(self, code: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., message: _Optional[str] = ...) -> None: ...

class DeviceEvent(_message.Message):
    __slots__ = ("event_id", "occurred_at", "type", "elevator", "gps", "wifi", "camera", "reading", "raw", "attributes", "alarm", "grid_id")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ELEVATOR_FIELD_NUMBER: _ClassVar[int]
    GPS_FIELD_NUMBER: _ClassVar[int]
    WIFI_FIELD_NUMBER: _ClassVar[int]
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    READING_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ALARM_FIELD_NUMBER: _ClassVar[int]
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    type: str
    elevator: ElevatorStatus
    gps: GpsFix
    wifi: WifiProbeCount
    camera: CameraStatus
    reading: SensorReading
    raw: bytes
    attributes: _containers.ScalarMap[str, str]
    alarm: DeviceAlarmInfo
    grid_id: str
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., type: _Optional[str] = ..., elevator: _Optional[_Union[ElevatorStatus, _Mapping]] = ..., gps: _Optional[_Union[GpsFix, _Mapping]] = ..., wifi: _Optional[_Union[WifiProbeCount, _Mapping]] = ..., camera: _Optional[_Union[CameraStatus, _Mapping]] = ..., reading: _Optional[_Union[SensorReading, _Mapping]] = ..., raw: _Optional[bytes] = ..., attributes: _Optional[_Mapping[str, str]] = ..., alarm: _Optional[_Union[DeviceAlarmInfo, _Mapping]] = ..., grid_id: _Optional[str] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("sent_at",)
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    sent_at: _timestamp_pb2.Timestamp
    def __init__(self, sent_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("command_id", "name", "args", "issued_at", "deadline")
    class ArgsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    name: str
    args: _containers.ScalarMap[str, str]
    issued_at: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, command_id: _Optional[str] = ..., name: _Optional[str] = ..., args: _Optional[_Mapping[str, str]] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CommandAck(_message.Message):
    __slots__ = ("command_id", "outcome", "message", "acked_at")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[CommandAck.Outcome]
        OUTCOME_DONE: _ClassVar[CommandAck.Outcome]
        OUTCOME_REJECTED: _ClassVar[CommandAck.Outcome]
        OUTCOME_FAILED: _ClassVar[CommandAck.Outcome]
    OUTCOME_UNSPECIFIED: CommandAck.Outcome
    OUTCOME_DONE: CommandAck.Outcome
    OUTCOME_REJECTED: CommandAck.Outcome
    OUTCOME_FAILED: CommandAck.Outcome
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ACKED_AT_FIELD_NUMBER: _ClassVar[int]
    command_id: str
    outcome: CommandAck.Outcome
    message: str
    acked_at: _timestamp_pb2.Timestamp
    def __init__(self, command_id: _Optional[str] = ..., outcome: _Optional[_Union[CommandAck.Outcome, str]] = ..., message: _Optional[str] = ..., acked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MqttUplink(_message.Message):
    __slots__ = ("secret", "seq", "event", "heartbeat", "command_ack")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_ACK_FIELD_NUMBER: _ClassVar[int]
    secret: str
    seq: int
    event: DeviceEvent
    heartbeat: Heartbeat
    command_ack: CommandAck
    def __init__(self, secret: _Optional[str] = ..., seq: _Optional[int] = ..., event: _Optional[_Union[DeviceEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., command_ack: _Optional[_Union[CommandAck, _Mapping]] = ...) -> None: ...
