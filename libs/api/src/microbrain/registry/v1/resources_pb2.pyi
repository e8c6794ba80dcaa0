import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProjectStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROJECT_STATUS_UNSPECIFIED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_PLANNED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_IN_PROGRESS: _ClassVar[ProjectStatus]
    PROJECT_STATUS_COMPLETED: _ClassVar[ProjectStatus]
    PROJECT_STATUS_SUSPENDED: _ClassVar[ProjectStatus]

class ProgressKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESS_KIND_UNSPECIFIED: _ClassVar[ProgressKind]
    PROGRESS_KIND_ADD: _ClassVar[ProgressKind]
    PROGRESS_KIND_SET: _ClassVar[ProgressKind]

class BuildingKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUILDING_KIND_UNSPECIFIED: _ClassVar[BuildingKind]
    BUILDING_KIND_RESIDENTIAL_COMPOUND: _ClassVar[BuildingKind]
    BUILDING_KIND_RESIDENTIAL_BUILDING: _ClassVar[BuildingKind]
    BUILDING_KIND_OFFICE_BUILDING: _ClassVar[BuildingKind]
    BUILDING_KIND_MIXED_USE: _ClassVar[BuildingKind]
    BUILDING_KIND_OTHER: _ClassVar[BuildingKind]

class Comparison(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARISON_UNSPECIFIED: _ClassVar[Comparison]
    COMPARISON_AT_LEAST: _ClassVar[Comparison]
    COMPARISON_AT_MOST: _ClassVar[Comparison]

class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KIND_UNSPECIFIED: _ClassVar[Kind]
    KIND_PROJECT: _ClassVar[Kind]
    KIND_PROGRESS: _ClassVar[Kind]
    KIND_STATION: _ClassVar[Kind]
    KIND_PARTNER: _ClassVar[Kind]
    KIND_BUILDING: _ClassVar[Kind]
    KIND_FIRM: _ClassVar[Kind]
    KIND_TARGET: _ClassVar[Kind]
PROJECT_STATUS_UNSPECIFIED: ProjectStatus
PROJECT_STATUS_PLANNED: ProjectStatus
PROJECT_STATUS_IN_PROGRESS: ProjectStatus
PROJECT_STATUS_COMPLETED: ProjectStatus
PROJECT_STATUS_SUSPENDED: ProjectStatus
PROGRESS_KIND_UNSPECIFIED: ProgressKind
PROGRESS_KIND_ADD: ProgressKind
PROGRESS_KIND_SET: ProgressKind
BUILDING_KIND_UNSPECIFIED: BuildingKind
BUILDING_KIND_RESIDENTIAL_COMPOUND: BuildingKind
BUILDING_KIND_RESIDENTIAL_BUILDING: BuildingKind
BUILDING_KIND_OFFICE_BUILDING: BuildingKind
BUILDING_KIND_MIXED_USE: BuildingKind
BUILDING_KIND_OTHER: BuildingKind
COMPARISON_UNSPECIFIED: Comparison
COMPARISON_AT_LEAST: Comparison
COMPARISON_AT_MOST: Comparison
KIND_UNSPECIFIED: Kind
KIND_PROJECT: Kind
KIND_PROGRESS: Kind
KIND_STATION: Kind
KIND_PARTNER: Kind
KIND_BUILDING: Kind
KIND_FIRM: Kind
KIND_TARGET: Kind

class RecordMeta(_message.Message):
    __slots__ = ("version", "created_at", "created_by", "updated_at", "updated_by")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    version: int
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ...) -> None: ...

class Target(_message.Message):
    __slots__ = ("value", "stretch", "unit", "at_least")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    STRETCH_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    AT_LEAST_FIELD_NUMBER: _ClassVar[int]
    value: float
    stretch: float
    unit: str
    at_least: bool
    def __init__(self, value: _Optional[float] = ..., stretch: _Optional[float] = ..., unit: _Optional[str] = ..., at_least: _Optional[bool] = ...) -> None: ...

class Milestone(_message.Message):
    __slots__ = ("name", "due_date", "done_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DONE_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    due_date: str
    done_date: str
    def __init__(self, name: _Optional[str] = ..., due_date: _Optional[str] = ..., done_date: _Optional[str] = ...) -> None: ...

class LivelihoodProject(_message.Message):
    __slots__ = ("project_id", "name", "category", "owner", "year", "target", "status", "milestones", "description", "meta")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MILESTONES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    category: str
    owner: str
    year: int
    target: Target
    status: ProjectStatus
    milestones: _containers.RepeatedCompositeFieldContainer[Milestone]
    description: str
    meta: RecordMeta
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., owner: _Optional[str] = ..., year: _Optional[int] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., status: _Optional[_Union[ProjectStatus, str]] = ..., milestones: _Optional[_Iterable[_Union[Milestone, _Mapping]]] = ..., description: _Optional[str] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class ProgressEntry(_message.Message):
    __slots__ = ("entry_id", "project_id", "date", "kind", "value", "note", "evidence", "recorded_by", "recorded_at")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    project_id: str
    date: str
    kind: ProgressKind
    value: float
    note: str
    evidence: _containers.RepeatedCompositeFieldContainer[_common_pb2.EvidenceRef]
    recorded_by: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, entry_id: _Optional[str] = ..., project_id: _Optional[str] = ..., date: _Optional[str] = ..., kind: _Optional[_Union[ProgressKind, str]] = ..., value: _Optional[float] = ..., note: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[_common_pb2.EvidenceRef, _Mapping]]] = ..., recorded_by: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProjectProgress(_message.Message):
    __slots__ = ("project_id", "as_of", "value", "target", "share_of_target", "share_of_stretch", "planned_value", "behind_plan", "target_met", "entries", "overdue_milestones")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    SHARE_OF_TARGET_FIELD_NUMBER: _ClassVar[int]
    SHARE_OF_STRETCH_FIELD_NUMBER: _ClassVar[int]
    PLANNED_VALUE_FIELD_NUMBER: _ClassVar[int]
    BEHIND_PLAN_FIELD_NUMBER: _ClassVar[int]
    TARGET_MET_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_MILESTONES_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    as_of: str
    value: float
    target: Target
    share_of_target: float
    share_of_stretch: float
    planned_value: float
    behind_plan: bool
    target_met: bool
    entries: int
    overdue_milestones: _containers.RepeatedCompositeFieldContainer[Milestone]
    def __init__(self, project_id: _Optional[str] = ..., as_of: _Optional[str] = ..., value: _Optional[float] = ..., target: _Optional[_Union[Target, _Mapping]] = ..., share_of_target: _Optional[float] = ..., share_of_stretch: _Optional[float] = ..., planned_value: _Optional[float] = ..., behind_plan: _Optional[bool] = ..., target_met: _Optional[bool] = ..., entries: _Optional[int] = ..., overdue_milestones: _Optional[_Iterable[_Union[Milestone, _Mapping]]] = ...) -> None: ...

class OpeningHours(_message.Message):
    __slots__ = ("weekdays", "opens", "closes")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    OPENS_FIELD_NUMBER: _ClassVar[int]
    CLOSES_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    opens: str
    closes: str
    def __init__(self, weekdays: _Optional[_Iterable[int]] = ..., opens: _Optional[str] = ..., closes: _Optional[str] = ...) -> None: ...

class ServiceStation(_message.Message):
    __slots__ = ("station_id", "name", "building_id", "location", "address", "services", "opening_hours", "partner_ids", "brand", "meta")
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_FIELD_NUMBER: _ClassVar[int]
    PARTNER_IDS_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    station_id: str
    name: str
    building_id: str
    location: _common_pb2.GeoPoint
    address: str
    services: _containers.RepeatedScalarFieldContainer[str]
    opening_hours: _containers.RepeatedCompositeFieldContainer[OpeningHours]
    partner_ids: _containers.RepeatedScalarFieldContainer[str]
    brand: str
    meta: RecordMeta
    def __init__(self, station_id: _Optional[str] = ..., name: _Optional[str] = ..., building_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., services: _Optional[_Iterable[str]] = ..., opening_hours: _Optional[_Iterable[_Union[OpeningHours, _Mapping]]] = ..., partner_ids: _Optional[_Iterable[str]] = ..., brand: _Optional[str] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class PartnerUnit(_message.Message):
    __slots__ = ("partner_id", "name", "type", "contact_person", "contact_phone", "joined_year", "joint_projects", "meta")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PERSON_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    JOINED_YEAR_FIELD_NUMBER: _ClassVar[int]
    JOINT_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    name: str
    type: str
    contact_person: str
    contact_phone: str
    joined_year: int
    joint_projects: _containers.RepeatedScalarFieldContainer[str]
    meta: RecordMeta
    def __init__(self, partner_id: _Optional[str] = ..., name: _Optional[str] = ..., type: _Optional[str] = ..., contact_person: _Optional[str] = ..., contact_phone: _Optional[str] = ..., joined_year: _Optional[int] = ..., joint_projects: _Optional[_Iterable[str]] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class TaxYear(_message.Message):
    __slots__ = ("year", "amount_yuan")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_YUAN_FIELD_NUMBER: _ClassVar[int]
    year: int
    amount_yuan: float
    def __init__(self, year: _Optional[int] = ..., amount_yuan: _Optional[float] = ...) -> None: ...

class Building(_message.Message):
    __slots__ = ("building_id", "name", "kind", "location", "address", "tax", "tax_band", "billion_yuan_building", "meta")
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TAX_FIELD_NUMBER: _ClassVar[int]
    TAX_BAND_FIELD_NUMBER: _ClassVar[int]
    BILLION_YUAN_BUILDING_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    building_id: str
    name: str
    kind: BuildingKind
    location: _common_pb2.GeoPoint
    address: str
    tax: _containers.RepeatedCompositeFieldContainer[TaxYear]
    tax_band: str
    billion_yuan_building: bool
    meta: RecordMeta
    def __init__(self, building_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[BuildingKind, str]] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., address: _Optional[str] = ..., tax: _Optional[_Iterable[_Union[TaxYear, _Mapping]]] = ..., tax_band: _Optional[str] = ..., billion_yuan_building: _Optional[bool] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class FollowUp(_message.Message):
    __slots__ = ("date", "by", "note")
    DATE_FIELD_NUMBER: _ClassVar[int]
    BY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    date: str
    by: str
    note: str
    def __init__(self, date: _Optional[str] = ..., by: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Firm(_message.Message):
    __slots__ = ("firm_id", "name", "building_id", "industry", "signed_date", "contact_person", "contact_phone", "follow_ups", "meta")
    FIRM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    SIGNED_DATE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PERSON_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UPS_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    firm_id: str
    name: str
    building_id: str
    industry: str
    signed_date: str
    contact_person: str
    contact_phone: str
    follow_ups: _containers.RepeatedCompositeFieldContainer[FollowUp]
    meta: RecordMeta
    def __init__(self, firm_id: _Optional[str] = ..., name: _Optional[str] = ..., building_id: _Optional[str] = ..., industry: _Optional[str] = ..., signed_date: _Optional[str] = ..., contact_person: _Optional[str] = ..., contact_phone: _Optional[str] = ..., follow_ups: _Optional[_Iterable[_Union[FollowUp, _Mapping]]] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class TownTarget(_message.Message):
    __slots__ = ("target_id", "year", "name", "target", "unit", "comparison", "actual", "actual_as_of", "met", "share", "note", "meta")
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_AS_OF_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    META_FIELD_NUMBER: _ClassVar[int]
    target_id: str
    year: int
    name: str
    target: float
    unit: str
    comparison: Comparison
    actual: float
    actual_as_of: str
    met: bool
    share: float
    note: str
    meta: RecordMeta
    def __init__(self, target_id: _Optional[str] = ..., year: _Optional[int] = ..., name: _Optional[str] = ..., target: _Optional[float] = ..., unit: _Optional[str] = ..., comparison: _Optional[_Union[Comparison, str]] = ..., actual: _Optional[float] = ..., actual_as_of: _Optional[str] = ..., met: _Optional[bool] = ..., share: _Optional[float] = ..., note: _Optional[str] = ..., meta: _Optional[_Union[RecordMeta, _Mapping]] = ...) -> None: ...

class Record(_message.Message):
    __slots__ = ("project", "progress", "station", "partner", "building", "firm", "target")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STATION_FIELD_NUMBER: _ClassVar[int]
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    FIRM_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    project: LivelihoodProject
    progress: ProgressEntry
    station: ServiceStation
    partner: PartnerUnit
    building: Building
    firm: Firm
    target: TownTarget
    def __init__(self, project: _Optional[_Union[LivelihoodProject, _Mapping]] = ..., progress: _Optional[_Union[ProgressEntry, _Mapping]] = ..., station: _Optional[_Union[ServiceStation, _Mapping]] = ..., partner: _Optional[_Union[PartnerUnit, _Mapping]] = ..., building: _Optional[_Union[Building, _Mapping]] = ..., firm: _Optional[_Union[Firm, _Mapping]] = ..., target: _Optional[_Union[TownTarget, _Mapping]] = ...) -> None: ...
