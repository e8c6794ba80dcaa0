import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from microbrain.vision.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamFramesRequest(_message.Message):
    __slots__ = ("seq", "camera_id", "captured_at", "image")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ID_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_AT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    camera_id: str
    captured_at: _timestamp_pb2.Timestamp
    image: bytes
    def __init__(self, seq: _Optional[int] = ..., camera_id: _Optional[str] = ..., captured_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., image: _Optional[bytes] = ...) -> None: ...

class StreamFramesResponse(_message.Message):
    __slots__ = ("seq", "code", "message", "dropped", "detections", "finding", "model_version")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    FINDING_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    seq: int
    code: int
    message: str
    dropped: bool
    detections: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Detection]
    finding: _resources_pb2.Finding
    model_version: str
    def __init__(self, seq: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ..., dropped: _Optional[bool] = ..., detections: _Optional[_Iterable[_Union[_resources_pb2.Detection, _Mapping]]] = ..., finding: _Optional[_Union[_resources_pb2.Finding, _Mapping]] = ..., model_version: _Optional[str] = ...) -> None: ...

class DetectRequest(_message.Message):
    __slots__ = ("image",)
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: bytes
    def __init__(self, image: _Optional[bytes] = ...) -> None: ...

class DetectResponse(_message.Message):
    __slots__ = ("detections", "model_version", "width", "height")
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    detections: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Detection]
    model_version: str
    width: int
    height: int
    def __init__(self, detections: _Optional[_Iterable[_Union[_resources_pb2.Detection, _Mapping]]] = ..., model_version: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class ListCamerasRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCamerasResponse(_message.Message):
    __slots__ = ("cameras",)
    CAMERAS_FIELD_NUMBER: _ClassVar[int]
    cameras: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Camera]
    def __init__(self, cameras: _Optional[_Iterable[_Union[_resources_pb2.Camera, _Mapping]]] = ...) -> None: ...
