import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.common.v1 import common_pb2 as _common_pb2
from microbrain.registry.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Format(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FORMAT_UNSPECIFIED: _ClassVar[Format]
    FORMAT_CSV: _ClassVar[Format]
    FORMAT_XLSX: _ClassVar[Format]
FORMAT_UNSPECIFIED: Format
FORMAT_CSV: Format
FORMAT_XLSX: Format

class CreateProjectRequest(_message.Message):
    __slots__ = ("project", "actor")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    project: _resources_pb2.LivelihoodProject
    actor: str
    def __init__(self, project: _Optional[_Union[_resources_pb2.LivelihoodProject, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _resources_pb2.LivelihoodProject
    def __init__(self, project: _Optional[_Union[_resources_pb2.LivelihoodProject, _Mapping]] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _resources_pb2.LivelihoodProject
    def __init__(self, project: _Optional[_Union[_resources_pb2.LivelihoodProject, _Mapping]] = ...) -> None: ...

class ListProjectsRequest(_message.Message):
    __slots__ = ("page", "query", "category", "status", "year")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    category: str
    status: _resources_pb2.ProjectStatus
    year: int
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., category: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.ProjectStatus, str]] = ..., year: _Optional[int] = ...) -> None: ...

class ListProjectsResponse(_message.Message):
    __slots__ = ("projects", "page", "total_size")
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[_resources_pb2.LivelihoodProject]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, projects: _Optional[_Iterable[_Union[_resources_pb2.LivelihoodProject, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("project", "actor")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    project: _resources_pb2.LivelihoodProject
    actor: str
    def __init__(self, project: _Optional[_Union[_resources_pb2.LivelihoodProject, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _resources_pb2.LivelihoodProject
    def __init__(self, project: _Optional[_Union[_resources_pb2.LivelihoodProject, _Mapping]] = ...) -> None: ...

class DeleteProjectRequest(_message.Message):
    __slots__ = ("project_id", "version", "actor")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    version: int
    actor: str
    def __init__(self, project_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteProjectResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateStationRequest(_message.Message):
    __slots__ = ("station", "actor")
    STATION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    station: _resources_pb2.ServiceStation
    actor: str
    def __init__(self, station: _Optional[_Union[_resources_pb2.ServiceStation, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateStationResponse(_message.Message):
    __slots__ = ("station",)
    STATION_FIELD_NUMBER: _ClassVar[int]
    station: _resources_pb2.ServiceStation
    def __init__(self, station: _Optional[_Union[_resources_pb2.ServiceStation, _Mapping]] = ...) -> None: ...

class GetStationRequest(_message.Message):
    __slots__ = ("station_id",)
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    station_id: str
    def __init__(self, station_id: _Optional[str] = ...) -> None: ...

class GetStationResponse(_message.Message):
    __slots__ = ("station",)
    STATION_FIELD_NUMBER: _ClassVar[int]
    station: _resources_pb2.ServiceStation
    def __init__(self, station: _Optional[_Union[_resources_pb2.ServiceStation, _Mapping]] = ...) -> None: ...

class ListStationsRequest(_message.Message):
    __slots__ = ("page", "query", "building_id", "service")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    building_id: str
    service: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., building_id: _Optional[str] = ..., service: _Optional[str] = ...) -> None: ...

class ListStationsResponse(_message.Message):
    __slots__ = ("stations", "page", "total_size")
    STATIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    stations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ServiceStation]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, stations: _Optional[_Iterable[_Union[_resources_pb2.ServiceStation, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateStationRequest(_message.Message):
    __slots__ = ("station", "actor")
    STATION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    station: _resources_pb2.ServiceStation
    actor: str
    def __init__(self, station: _Optional[_Union[_resources_pb2.ServiceStation, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdateStationResponse(_message.Message):
    __slots__ = ("station",)
    STATION_FIELD_NUMBER: _ClassVar[int]
    station: _resources_pb2.ServiceStation
    def __init__(self, station: _Optional[_Union[_resources_pb2.ServiceStation, _Mapping]] = ...) -> None: ...

class DeleteStationRequest(_message.Message):
    __slots__ = ("station_id", "version", "actor")
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    station_id: str
    version: int
    actor: str
    def __init__(self, station_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteStationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreatePartnerRequest(_message.Message):
    __slots__ = ("partner", "actor")
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    partner: _resources_pb2.PartnerUnit
    actor: str
    def __init__(self, partner: _Optional[_Union[_resources_pb2.PartnerUnit, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreatePartnerResponse(_message.Message):
    __slots__ = ("partner",)
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    partner: _resources_pb2.PartnerUnit
    def __init__(self, partner: _Optional[_Union[_resources_pb2.PartnerUnit, _Mapping]] = ...) -> None: ...

class GetPartnerRequest(_message.Message):
    __slots__ = ("partner_id",)
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    def __init__(self, partner_id: _Optional[str] = ...) -> None: ...

class GetPartnerResponse(_message.Message):
    __slots__ = ("partner",)
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    partner: _resources_pb2.PartnerUnit
    def __init__(self, partner: _Optional[_Union[_resources_pb2.PartnerUnit, _Mapping]] = ...) -> None: ...

class ListPartnersRequest(_message.Message):
    __slots__ = ("page", "query", "type")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    type: str
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class ListPartnersResponse(_message.Message):
    __slots__ = ("partners", "page", "total_size")
    PARTNERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    partners: _containers.RepeatedCompositeFieldContainer[_resources_pb2.PartnerUnit]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, partners: _Optional[_Iterable[_Union[_resources_pb2.PartnerUnit, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdatePartnerRequest(_message.Message):
    __slots__ = ("partner", "actor")
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    partner: _resources_pb2.PartnerUnit
    actor: str
    def __init__(self, partner: _Optional[_Union[_resources_pb2.PartnerUnit, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdatePartnerResponse(_message.Message):
    __slots__ = ("partner",)
    PARTNER_FIELD_NUMBER: _ClassVar[int]
    partner: _resources_pb2.PartnerUnit
    def __init__(self, partner: _Optional[_Union[_resources_pb2.PartnerUnit, _Mapping]] = ...) -> None: ...

class DeletePartnerRequest(_message.Message):
    __slots__ = ("partner_id", "version", "actor")
    PARTNER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    partner_id: str
    version: int
    actor: str
    def __init__(self, partner_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeletePartnerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateBuildingRequest(_message.Message):
    __slots__ = ("building", "actor")
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    actor: str
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateBuildingResponse(_message.Message):
    __slots__ = ("building",)
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ...) -> None: ...

class GetBuildingRequest(_message.Message):
    __slots__ = ("building_id",)
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    building_id: str
    def __init__(self, building_id: _Optional[str] = ...) -> None: ...

class GetBuildingResponse(_message.Message):
    __slots__ = ("building",)
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ...) -> None: ...

class ListBuildingsRequest(_message.Message):
    __slots__ = ("page", "query", "kind", "billion_yuan_only")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BILLION_YUAN_ONLY_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    kind: _resources_pb2.BuildingKind
    billion_yuan_only: bool
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., kind: _Optional[_Union[_resources_pb2.BuildingKind, str]] = ..., billion_yuan_only: _Optional[bool] = ...) -> None: ...

class ListBuildingsResponse(_message.Message):
    __slots__ = ("buildings", "page", "total_size")
    BUILDINGS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    buildings: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Building]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, buildings: _Optional[_Iterable[_Union[_resources_pb2.Building, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateBuildingRequest(_message.Message):
    __slots__ = ("building", "actor")
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    actor: str
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdateBuildingResponse(_message.Message):
    __slots__ = ("building",)
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ...) -> None: ...

class DeleteBuildingRequest(_message.Message):
    __slots__ = ("building_id", "version", "actor")
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    building_id: str
    version: int
    actor: str
    def __init__(self, building_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteBuildingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateFirmRequest(_message.Message):
    __slots__ = ("firm", "actor")
    FIRM_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    actor: str
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateFirmResponse(_message.Message):
    __slots__ = ("firm",)
    FIRM_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ...) -> None: ...

class GetFirmRequest(_message.Message):
    __slots__ = ("firm_id",)
    FIRM_ID_FIELD_NUMBER: _ClassVar[int]
    firm_id: str
    def __init__(self, firm_id: _Optional[str] = ...) -> None: ...

class GetFirmResponse(_message.Message):
    __slots__ = ("firm",)
    FIRM_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ...) -> None: ...

class ListFirmsRequest(_message.Message):
    __slots__ = ("page", "query", "building_id", "newly_signed_only")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    BUILDING_ID_FIELD_NUMBER: _ClassVar[int]
    NEWLY_SIGNED_ONLY_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    building_id: str
    newly_signed_only: bool
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., building_id: _Optional[str] = ..., newly_signed_only: _Optional[bool] = ...) -> None: ...

class ListFirmsResponse(_message.Message):
    __slots__ = ("firms", "page", "total_size")
    FIRMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    firms: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Firm]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, firms: _Optional[_Iterable[_Union[_resources_pb2.Firm, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateFirmRequest(_message.Message):
    __slots__ = ("firm", "actor")
    FIRM_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    actor: str
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdateFirmResponse(_message.Message):
    __slots__ = ("firm",)
    FIRM_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ...) -> None: ...

class DeleteFirmRequest(_message.Message):
    __slots__ = ("firm_id", "version", "actor")
    FIRM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    firm_id: str
    version: int
    actor: str
    def __init__(self, firm_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteFirmResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateTargetRequest(_message.Message):
    __slots__ = ("target", "actor")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    target: _resources_pb2.TownTarget
    actor: str
    def __init__(self, target: _Optional[_Union[_resources_pb2.TownTarget, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class CreateTargetResponse(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: _resources_pb2.TownTarget
    def __init__(self, target: _Optional[_Union[_resources_pb2.TownTarget, _Mapping]] = ...) -> None: ...

class GetTargetRequest(_message.Message):
    __slots__ = ("target_id",)
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    target_id: str
    def __init__(self, target_id: _Optional[str] = ...) -> None: ...

class GetTargetResponse(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: _resources_pb2.TownTarget
    def __init__(self, target: _Optional[_Union[_resources_pb2.TownTarget, _Mapping]] = ...) -> None: ...

class ListTargetsRequest(_message.Message):
    __slots__ = ("page", "query", "year")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    query: str
    year: int
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., query: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class ListTargetsResponse(_message.Message):
    __slots__ = ("targets", "page", "total_size")
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedCompositeFieldContainer[_resources_pb2.TownTarget]
    page: _common_pb2.PageResponse
    total_size: int
    def __init__(self, targets: _Optional[_Iterable[_Union[_resources_pb2.TownTarget, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateTargetRequest(_message.Message):
    __slots__ = ("target", "actor")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    target: _resources_pb2.TownTarget
    actor: str
    def __init__(self, target: _Optional[_Union[_resources_pb2.TownTarget, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class UpdateTargetResponse(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: _resources_pb2.TownTarget
    def __init__(self, target: _Optional[_Union[_resources_pb2.TownTarget, _Mapping]] = ...) -> None: ...

class DeleteTargetRequest(_message.Message):
    __slots__ = ("target_id", "version", "actor")
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    target_id: str
    version: int
    actor: str
    def __init__(self, target_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteTargetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddProgressRequest(_message.Message):
    __slots__ = ("entry", "actor")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    entry: _resources_pb2.ProgressEntry
    actor: str
    def __init__(self, entry: _Optional[_Union[_resources_pb2.ProgressEntry, _Mapping]] = ..., actor: _Optional[str] = ...) -> None: ...

class AddProgressResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _resources_pb2.ProgressEntry
    def __init__(self, entry: _Optional[_Union[_resources_pb2.ProgressEntry, _Mapping]] = ...) -> None: ...

class ListProgressRequest(_message.Message):
    __slots__ = ("project_id",)
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    def __init__(self, project_id: _Optional[str] = ...) -> None: ...

class ListProgressResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ProgressEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_resources_pb2.ProgressEntry, _Mapping]]] = ...) -> None: ...

class GetProjectProgressRequest(_message.Message):
    __slots__ = ("project_ids", "as_of", "year")
    PROJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    project_ids: _containers.RepeatedScalarFieldContainer[str]
    as_of: str
    year: int
    def __init__(self, project_ids: _Optional[_Iterable[str]] = ..., as_of: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class GetProjectProgressResponse(_message.Message):
    __slots__ = ("projects",)
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    projects: _containers.RepeatedCompositeFieldContainer[_resources_pb2.ProjectProgress]
    def __init__(self, projects: _Optional[_Iterable[_Union[_resources_pb2.ProjectProgress, _Mapping]]] = ...) -> None: ...

class GetServiceCircleRequest(_message.Message):
    __slots__ = ("at", "radius_m", "kinds")
    AT_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    radius_m: float
    kinds: _containers.RepeatedScalarFieldContainer[_resources_pb2.BuildingKind]
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., radius_m: _Optional[float] = ..., kinds: _Optional[_Iterable[_Union[_resources_pb2.BuildingKind, str]]] = ...) -> None: ...

class CircleEntry(_message.Message):
    __slots__ = ("building", "station_id", "station_name", "distance_m", "reason")
    BUILDING_FIELD_NUMBER: _ClassVar[int]
    STATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATION_NAME_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    building: _resources_pb2.Building
    station_id: str
    station_name: str
    distance_m: float
    reason: str
    def __init__(self, building: _Optional[_Union[_resources_pb2.Building, _Mapping]] = ..., station_id: _Optional[str] = ..., station_name: _Optional[str] = ..., distance_m: _Optional[float] = ..., reason: _Optional[str] = ...) -> None: ...

class GetServiceCircleResponse(_message.Message):
    __slots__ = ("at", "radius_m", "covered", "gaps", "open_station_ids")
    AT_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    OPEN_STATION_IDS_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    radius_m: float
    covered: _containers.RepeatedCompositeFieldContainer[CircleEntry]
    gaps: _containers.RepeatedCompositeFieldContainer[CircleEntry]
    open_station_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., radius_m: _Optional[float] = ..., covered: _Optional[_Iterable[_Union[CircleEntry, _Mapping]]] = ..., gaps: _Optional[_Iterable[_Union[CircleEntry, _Mapping]]] = ..., open_station_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AddFollowUpRequest(_message.Message):
    __slots__ = ("firm_id", "follow_up", "version", "actor")
    FIRM_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    firm_id: str
    follow_up: _resources_pb2.FollowUp
    version: int
    actor: str
    def __init__(self, firm_id: _Optional[str] = ..., follow_up: _Optional[_Union[_resources_pb2.FollowUp, _Mapping]] = ..., version: _Optional[int] = ..., actor: _Optional[str] = ...) -> None: ...

class AddFollowUpResponse(_message.Message):
    __slots__ = ("firm",)
    FIRM_FIELD_NUMBER: _ClassVar[int]
    firm: _resources_pb2.Firm
    def __init__(self, firm: _Optional[_Union[_resources_pb2.Firm, _Mapping]] = ...) -> None: ...

class ImportRecordsRequest(_message.Message):
    __slots__ = ("kind", "format", "content", "actor", "dry_run")
    KIND_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    kind: _resources_pb2.Kind
    format: Format
    content: bytes
    actor: str
    dry_run: bool
    def __init__(self, kind: _Optional[_Union[_resources_pb2.Kind, str]] = ..., format: _Optional[_Union[Format, str]] = ..., content: _Optional[bytes] = ..., actor: _Optional[str] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class RowError(_message.Message):
    __slots__ = ("row", "column", "message")
    ROW_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    row: int
    column: str
    message: str
    def __init__(self, row: _Optional[int] = ..., column: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ImportRecordsResponse(_message.Message):
    __slots__ = ("created", "updated", "unchanged", "errors", "rows")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    created: int
    updated: int
    unchanged: int
    errors: _containers.RepeatedCompositeFieldContainer[RowError]
    rows: int
    def __init__(self, created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[RowError, _Mapping]]] = ..., rows: _Optional[int] = ...) -> None: ...

class ExportRecordsRequest(_message.Message):
    __slots__ = ("kind", "format")
    KIND_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    kind: _resources_pb2.Kind
    format: Format
    def __init__(self, kind: _Optional[_Union[_resources_pb2.Kind, str]] = ..., format: _Optional[_Union[Format, str]] = ...) -> None: ...

class ExportRecordsResponse(_message.Message):
    __slots__ = ("content", "content_type", "filename")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    content_type: str
    filename: str
    def __init__(self, content: _Optional[bytes] = ..., content_type: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...
