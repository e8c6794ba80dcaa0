"""Time helpers every service needs: stored times are UTC, protobuf wants Timestamps."""

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(dt: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands datetimes back naive; every stored time is UTC)."""
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


def timestamp(dt: datetime | None) -> Timestamp | None:
    """A protobuf Timestamp of a datetime (naive ones are UTC); None stays None."""
    if dt is None:
        return None
    out = Timestamp()
    out.FromDatetime(as_utc(dt))
    return out
