from microbrain.analytics.v1 import resources_pb2 as _resources_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CrowdLevelChanged(_message.Message):
    __slots__ = ("meta", "occupancy", "from_level", "to_level")
    META_FIELD_NUMBER: _ClassVar[int]
    OCCUPANCY_FIELD_NUMBER: _ClassVar[int]
    FROM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TO_LEVEL_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    occupancy: _resources_pb2.ZoneOccupancy
    from_level: _resources_pb2.CrowdLevel
    to_level: _resources_pb2.CrowdLevel
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., occupancy: _Optional[_Union[_resources_pb2.ZoneOccupancy, _Mapping]] = ..., from_level: _Optional[_Union[_resources_pb2.CrowdLevel, str]] = ..., to_level: _Optional[_Union[_resources_pb2.CrowdLevel, str]] = ...) -> None: ...

class KpiSnapshot(_message.Message):
    __slots__ = ("meta", "kpis")
    META_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    meta: _common_pb2.EventMeta
    kpis: _resources_pb2.Kpis
    def __init__(self, meta: _Optional[_Union[_common_pb2.EventMeta, _Mapping]] = ..., kpis: _Optional[_Union[_resources_pb2.Kpis, _Mapping]] = ...) -> None: ...
