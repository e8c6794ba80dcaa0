import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.cases.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CrowdLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CROWD_LEVEL_UNSPECIFIED: _ClassVar[CrowdLevel]
    CROWD_LEVEL_NORMAL: _ClassVar[CrowdLevel]
    CROWD_LEVEL_WARNING: _ClassVar[CrowdLevel]
    CROWD_LEVEL_CRITICAL: _ClassVar[CrowdLevel]
CROWD_LEVEL_UNSPECIFIED: CrowdLevel
CROWD_LEVEL_NORMAL: CrowdLevel
CROWD_LEVEL_WARNING: CrowdLevel
CROWD_LEVEL_CRITICAL: CrowdLevel

class AlarmTrend(_message.Message):
    __slots__ = ("days", "series", "totals", "total", "previous_total", "change", "previous_start_date", "previous_end_date")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_START_DATE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_END_DATE_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedScalarFieldContainer[str]
    series: _containers.RepeatedCompositeFieldContainer[TrendSeries]
    totals: _containers.RepeatedScalarFieldContainer[int]
    total: int
    previous_total: int
    change: float
    previous_start_date: str
    previous_end_date: str
    def __init__(self, days: _Optional[_Iterable[str]] = ..., series: _Optional[_Iterable[_Union[TrendSeries, _Mapping]]] = ..., totals: _Optional[_Iterable[int]] = ..., total: _Optional[int] = ..., previous_total: _Optional[int] = ..., change: _Optional[float] = ..., previous_start_date: _Optional[str] = ..., previous_end_date: _Optional[str] = ...) -> None: ...

class TrendSeries(_message.Message):
    __slots__ = ("type", "place_id", "label", "counts", "total", "previous_total", "change")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    type: str
    place_id: str
    label: str
    counts: _containers.RepeatedScalarFieldContainer[int]
    total: int
    previous_total: int
    change: float
    def __init__(self, type: _Optional[str] = ..., place_id: _Optional[str] = ..., label: _Optional[str] = ..., counts: _Optional[_Iterable[int]] = ..., total: _Optional[int] = ..., previous_total: _Optional[int] = ..., change: _Optional[float] = ...) -> None: ...

class HourWindow(_message.Message):
    __slots__ = ("start_hour", "end_hour")
    START_HOUR_FIELD_NUMBER: _ClassVar[int]
    END_HOUR_FIELD_NUMBER: _ClassVar[int]
    start_hour: int
    end_hour: int
    def __init__(self, start_hour: _Optional[int] = ..., end_hour: _Optional[int] = ...) -> None: ...

class DumpingProfile(_message.Message):
    __slots__ = ("place_id", "name", "current_windows", "hour_counts", "total", "start_date", "end_date", "suggestion")
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    HOUR_COUNTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    SUGGESTION_FIELD_NUMBER: _ClassVar[int]
    place_id: str
    name: str
    current_windows: _containers.RepeatedCompositeFieldContainer[HourWindow]
    hour_counts: _containers.RepeatedScalarFieldContainer[int]
    total: int
    start_date: str
    end_date: str
    suggestion: WindowSuggestion
    def __init__(self, place_id: _Optional[str] = ..., name: _Optional[str] = ..., current_windows: _Optional[_Iterable[_Union[HourWindow, _Mapping]]] = ..., hour_counts: _Optional[_Iterable[int]] = ..., total: _Optional[int] = ..., start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., suggestion: _Optional[_Union[WindowSuggestion, _Mapping]] = ...) -> None: ...

class WindowSuggestion(_message.Message):
    __slots__ = ("extra_window", "suggested_windows", "covered", "covered_share", "reaches_target", "cover_share", "max_extra_hours", "summary")
    EXTRA_WINDOW_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_WINDOWS_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    COVERED_SHARE_FIELD_NUMBER: _ClassVar[int]
    REACHES_TARGET_FIELD_NUMBER: _ClassVar[int]
    COVER_SHARE_FIELD_NUMBER: _ClassVar[int]
    MAX_EXTRA_HOURS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    extra_window: HourWindow
    suggested_windows: _containers.RepeatedCompositeFieldContainer[HourWindow]
    covered: int
    covered_share: float
    reaches_target: bool
    cover_share: float
    max_extra_hours: int
    summary: str
    def __init__(self, extra_window: _Optional[_Union[HourWindow, _Mapping]] = ..., suggested_windows: _Optional[_Iterable[_Union[HourWindow, _Mapping]]] = ..., covered: _Optional[int] = ..., covered_share: _Optional[float] = ..., reaches_target: _Optional[bool] = ..., cover_share: _Optional[float] = ..., max_extra_hours: _Optional[int] = ..., summary: _Optional[str] = ...) -> None: ...

class ZoneOccupancy(_message.Message):
    __slots__ = ("zone_id", "place_id", "name", "estimate", "camera_count", "camera_coverage", "wifi_distinct_devices", "phone_share", "wifi_estimate", "wifi_window_s", "sources", "warning", "critical", "level", "level_since", "alarm_id", "updated_at")
    ZONE_ID_FIELD_NUMBER: _ClassVar[int]
    PLACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    CAMERA_COUNT_FIELD_NUMBER: _ClassVar[int]
    CAMERA_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    WIFI_DISTINCT_DEVICES_FIELD_NUMBER: _ClassVar[int]
    PHONE_SHARE_FIELD_NUMBER: _ClassVar[int]
    WIFI_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    WIFI_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    LEVEL_SINCE_FIELD_NUMBER: _ClassVar[int]
    ALARM_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    zone_id: str
    place_id: str
    name: str
    estimate: float
    camera_count: float
    camera_coverage: float
    wifi_distinct_devices: int
    phone_share: float
    wifi_estimate: float
    wifi_window_s: int
    sources: str
    warning: float
    critical: float
    level: CrowdLevel
    level_since: _timestamp_pb2.Timestamp
    alarm_id: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, zone_id: _Optional[str] = ..., place_id: _Optional[str] = ..., name: _Optional[str] = ..., estimate: _Optional[float] = ..., camera_count: _Optional[float] = ..., camera_coverage: _Optional[float] = ..., wifi_distinct_devices: _Optional[int] = ..., phone_share: _Optional[float] = ..., wifi_estimate: _Optional[float] = ..., wifi_window_s: _Optional[int] = ..., sources: _Optional[str] = ..., warning: _Optional[float] = ..., critical: _Optional[float] = ..., level: _Optional[_Union[CrowdLevel, str]] = ..., level_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alarm_id: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SlaCompliance(_message.Message):
    __slots__ = ("case_type", "stage", "count", "within_target", "share", "p50_s", "p90_s", "p95_s", "mean_s", "target_s")
    CASE_TYPE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    WITHIN_TARGET_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    P50_S_FIELD_NUMBER: _ClassVar[int]
    P90_S_FIELD_NUMBER: _ClassVar[int]
    P95_S_FIELD_NUMBER: _ClassVar[int]
    MEAN_S_FIELD_NUMBER: _ClassVar[int]
    TARGET_S_FIELD_NUMBER: _ClassVar[int]
    case_type: str
    stage: _resources_pb2.Stage
    count: int
    within_target: int
    share: float
    p50_s: float
    p90_s: float
    p95_s: float
    mean_s: float
    target_s: float
    def __init__(self, case_type: _Optional[str] = ..., stage: _Optional[_Union[_resources_pb2.Stage, str]] = ..., count: _Optional[int] = ..., within_target: _Optional[int] = ..., share: _Optional[float] = ..., p50_s: _Optional[float] = ..., p90_s: _Optional[float] = ..., p95_s: _Optional[float] = ..., mean_s: _Optional[float] = ..., target_s: _Optional[float] = ...) -> None: ...

class Kpis(_message.Message):
    __slots__ = ("grid_id", "open_cases", "closed_last_7_days", "closed_within_7_days_share", "mean_time_to_resolve_s", "alarms_today", "alarms_yesterday", "as_of")
    GRID_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_CASES_FIELD_NUMBER: _ClassVar[int]
    CLOSED_LAST_7_DAYS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_WITHIN_7_DAYS_SHARE_FIELD_NUMBER: _ClassVar[int]
    MEAN_TIME_TO_RESOLVE_S_FIELD_NUMBER: _ClassVar[int]
    ALARMS_TODAY_FIELD_NUMBER: _ClassVar[int]
    ALARMS_YESTERDAY_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    grid_id: str
    open_cases: int
    closed_last_7_days: int
    closed_within_7_days_share: float
    mean_time_to_resolve_s: float
    alarms_today: int
    alarms_yesterday: int
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, grid_id: _Optional[str] = ..., open_cases: _Optional[int] = ..., closed_last_7_days: _Optional[int] = ..., closed_within_7_days_share: _Optional[float] = ..., mean_time_to_resolve_s: _Optional[float] = ..., alarms_today: _Optional[int] = ..., alarms_yesterday: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
