import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.alarms.v1 import alarms_pb2 as _alarms_pb2
from microbrain.analytics.v1 import resources_pb2 as _resources_pb2
from microbrain.cases.v1 import resources_pb2 as _resources_pb2_1
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GroupBy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GROUP_BY_UNSPECIFIED: _ClassVar[GroupBy]
    GROUP_BY_TYPE: _ClassVar[GroupBy]
    GROUP_BY_PLACE: _ClassVar[GroupBy]
    GROUP_BY_TYPE_AND_PLACE: _ClassVar[GroupBy]

class Chart(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHART_UNSPECIFIED: _ClassVar[Chart]
    CHART_TREND: _ClassVar[Chart]
    CHART_PROFILE: _ClassVar[Chart]

class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORMAT_UNSPECIFIED: _ClassVar[Format]
    FORMAT_SVG: _ClassVar[Format]
    FORMAT_PNG: _ClassVar[Format]
GROUP_BY_UNSPECIFIED: GroupBy
GROUP_BY_TYPE: GroupBy
GROUP_BY_PLACE: GroupBy
GROUP_BY_TYPE_AND_PLACE: GroupBy
CHART_UNSPECIFIED: Chart
CHART_TREND: Chart
CHART_PROFILE: Chart
FORMAT_UNSPECIFIED: Format
FORMAT_SVG: Format
FORMAT_PNG: Format

class GetAlarmTrendRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "types", "place_ids", "group_by", "language")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    PLACE_IDS_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    types: _containers.RepeatedScalarFieldContainer[str]
    place_ids: _containers.RepeatedScalarFieldContainer[str]
    group_by: GroupBy
    language: str
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ..., place_ids: _Optional[_Iterable[str]] = ..., group_by: _Optional[_Union[GroupBy, str]] = ..., language: _Optional[str] = ...) -> None: ...

class GetAlarmTrendResponse(_message.Message):
    __slots__ = ("trend",)
    TREND_FIELD_NUMBER: _ClassVar[int]
    trend: _resources_pb2.AlarmTrend
    def __init__(self, trend: _Optional[_Union[_resources_pb2.AlarmTrend, _Mapping]] = ...) -> None: ...

class GetDumpingProfileRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "place_ids", "cover_share", "max_extra_hours", "language")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    PLACE_IDS_FIELD_NUMBER: _ClassVar[int]
    COVER_SHARE_FIELD_NUMBER: _ClassVar[int]
    MAX_EXTRA_HOURS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    place_ids: _containers.RepeatedScalarFieldContainer[str]
    cover_share: float
    max_extra_hours: int
    language: str
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., place_ids: _Optional[_Iterable[str]] = ..., cover_share: _Optional[float] = ..., max_extra_hours: _Optional[int] = ..., language: _Optional[str] = ...) -> None: ...

class GetDumpingProfileResponse(_message.Message):
    __slots__ = ("rooms",)
    ROOMS_FIELD_NUMBER: _ClassVar[int]
    rooms: _containers.RepeatedCompositeFieldContainer[_resources_pb2.DumpingProfile]
    def __init__(self, rooms: _Optional[_Iterable[_Union[_resources_pb2.DumpingProfile, _Mapping]]] = ...) -> None: ...

class GetCrowdOccupancyRequest(_message.Message):
    __slots__ = ("zone_ids",)
    ZONE_IDS_FIELD_NUMBER: _ClassVar[int]
    zone_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, zone_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetCrowdOccupancyResponse(_message.Message):
    __slots__ = ("zones",)
    ZONES_FIELD_NUMBER: _ClassVar[int]
    zones: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ZoneOccupancy]
    def __init__(self, zones: _Optional[_Iterable[_Union[_resources_pb2.ZoneOccupancy, _Mapping]]] = ...) -> None: ...

class GetSlaComplianceRequest(_message.Message):
    __slots__ = ("start_date", "end_date", "case_types", "stages")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    CASE_TYPES_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    case_types: _containers.RepeatedScalarFieldContainer[str]
    stages: _containers.RepeatedScalarFieldContainer[_resources_pb2_1.Stage]
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., case_types: _Optional[_Iterable[str]] = ..., stages: _Optional[_Iterable[_Union[_resources_pb2_1.Stage, str]]] = ...) -> None: ...

class GetSlaComplianceResponse(_message.Message):
    __slots__ = ("rows",)
    ROWS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[_resources_pb2.SlaCompliance]
    def __init__(self, rows: _Optional[_Iterable[_Union[_resources_pb2.SlaCompliance, _Mapping]]] = ...) -> None: ...

class GetKpisRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetKpisResponse(_message.Message):
    __slots__ = ("kpis",)
    KPIS_FIELD_NUMBER: _ClassVar[int]
    kpis: _resources_pb2.Kpis
    def __init__(self, kpis: _Optional[_Union[_resources_pb2.Kpis, _Mapping]] = ...) -> None: ...

class RenderChartRequest(_message.Message):
    __slots__ = ("chart", "format", "language", "width", "height", "trend", "profile")
    CHART_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    chart: Chart
    format: Format
    language: str
    width: int
    height: int
    trend: GetAlarmTrendRequest
    profile: GetDumpingProfileRequest
    def __init__(self, chart: _Optional[_Union[Chart, str]] = ..., format: _Optional[_Union[Format, str]] = ..., language: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., trend: _Optional[_Union[GetAlarmTrendRequest, _Mapping]] = ..., profile: _Optional[_Union[GetDumpingProfileRequest, _Mapping]] = ...) -> None: ...

class RenderChartResponse(_message.Message):
    __slots__ = ("content_type", "data")
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    content_type: str
    data: bytes
    def __init__(self, content_type: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class ImportAlarmsRequest(_message.Message):
    __slots__ = ("alarms",)
    ALARMS_FIELD_NUMBER: _ClassVar[int]
    alarms: _containers.RepeatedCompositeFieldContainer[_alarms_pb2.AlarmRaised]
    def __init__(self, alarms: _Optional[_Iterable[_Union[_alarms_pb2.AlarmRaised, _Mapping]]] = ...) -> None: ...

class ImportAlarmsResponse(_message.Message):
    __slots__ = ("imported", "skipped")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    imported: int
    skipped: int
    def __init__(self, imported: _Optional[int] = ..., skipped: _Optional[int] = ...) -> None: ...

class RebuildRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RebuildResponse(_message.Message):
    __slots__ = ("stream", "done", "total", "counted", "at")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    stream: str
    done: int
    total: int
    counted: int
    at: _timestamp_pb2.Timestamp
    def __init__(self, stream: _Optional[str] = ..., done: _Optional[int] = ..., total: _Optional[int] = ..., counted: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
