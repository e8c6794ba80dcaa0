"""Rows to protobuf messages."""

from microbrain.common.v1 import common_pb2
from microbrain.ingest.v1 import resources_pb2
from microbrain_kit.times import timestamp

from microbrain_ingest.domain.models import Device


def device_to_proto(device: Device) -> resources_pb2.Device:
    """The API view of a device (never its secret)."""
    out = resources_pb2.Device(
        device_id=device.device_id,
        grid_id=device.grid_id,
        kind=device.kind,
        name=device.name,
        place_id=device.place_id,
        enabled=device.enabled,
        online=device.online,
        last_transport=device.last_transport,
        labels=device.labels or {},
        credential_version=device.credential_version,
        created_at=timestamp(device.created_at),
        updated_at=timestamp(device.updated_at),
    )
    if device.lat is not None:
        out.location.CopyFrom(common_pb2.GeoPoint(lat=device.lat, lon=device.lon))
    out.heartbeat_interval.FromMilliseconds(int(device.heartbeat_interval_s * 1000))
    if device.last_seen_at is not None:
        out.last_seen_at.CopyFrom(timestamp(device.last_seen_at))
    return out
