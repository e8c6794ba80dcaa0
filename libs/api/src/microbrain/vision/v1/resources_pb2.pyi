import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Scenario(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCENARIO_UNSPECIFIED: _ClassVar[Scenario]
    SCENARIO_EBIKE_IN_ELEVATOR: _ClassVar[Scenario]
    SCENARIO_LITTER_OFF_HOURS: _ClassVar[Scenario]
    SCENARIO_CROWD: _ClassVar[Scenario]
SCENARIO_UNSPECIFIED: Scenario
SCENARIO_EBIKE_IN_ELEVATOR: Scenario
SCENARIO_LITTER_OFF_HOURS: Scenario
SCENARIO_CROWD: Scenario

class Box(_message.Message):
    __slots__ = ("x1", "y1", "x2", "y2")
    X1_FIELD_NUMBER: _ClassVar[int]
    Y1_FIELD_NUMBER: _ClassVar[int]
    X2_FIELD_NUMBER: _ClassVar[int]
    Y2_FIELD_NUMBER: _ClassVar[int]
    x1: float
    y1: float
    x2: float
    y2: float
    def __init__(self, x1: _Optional[float] = ..., y1: _Optional[float] = ..., x2: _Optional[float] = ..., y2: _Optional[float] = ...) -> None: ...

class Detection(_message.Message):
    __slots__ = ("class_name", "class_id", "score", "box")
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    CLASS_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    class_name: str
    class_id: int
    score: float
    box: Box
    def __init__(self, class_name: _Optional[str] = ..., class_id: _Optional[int] = ..., score: _Optional[float] = ..., box: _Optional[_Union[Box, _Mapping]] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class Region(_message.Message):
    __slots__ = ("region_id", "polygon")
    REGION_ID_FIELD_NUMBER: _ClassVar[int]
    POLYGON_FIELD_NUMBER: _ClassVar[int]
    region_id: str
    polygon: _containers.RepeatedCompositeFieldContainer[Point]
    def __init__(self, region_id: _Optional[str] = ..., polygon: _Optional[_Iterable[_Union[Point, _Mapping]]] = ...) -> None: ...

class Camera(_message.Message):
    __slots__ = ("camera_id", "grid_id", "place_id", "scenario", "regions", "video_url", "allowed_windows", "time_zone")
    CAMERA_ID_FIELD_NUMBER: _ClassVar[int]
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_URL_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    camera_id: str
    grid_id: str
    place_id: str
    scenario: Scenario
    regions: _containers.RepeatedCompositeFieldContainer[Region]
    video_url: str
    allowed_windows: _containers.RepeatedScalarFieldContainer[str]
    time_zone: str
    def __init__(self, camera_id: _Optional[str] = ..., grid_id: _Optional[str] = ..., place_id: _Optional[str] = ..., scenario: _Optional[_Union[Scenario, str]] = ..., regions: _Optional[_Iterable[_Union[Region, _Mapping]]] = ..., video_url: _Optional[str] = ..., allowed_windows: _Optional[_Iterable[str]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("kind", "alarm_id", "counts", "captured_at")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    ALARM_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    alarm_id: str
    counts: _containers.ScalarMap[str, int]
    captured_at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[str] = ..., alarm_id: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
