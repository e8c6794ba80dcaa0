"""Ingest's tables and value types."""

from dataclasses import dataclass
from datetime import datetime

from microbrain_kit.db import outbox_table
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class Device(Base):
    """A registered device; its secret is stored only as a SHA-256 hash."""

    __tablename__ = "ingest_devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    place_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    heartbeat_interval_s: Mapped[float] = mapped_column(Float, default=30.0)
    secret_hash: Mapped[str] = mapped_column(String(64))
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # last_seen_at + heartbeat interval × allowed misses: when silence makes the device offline.
    silent_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    last_transport: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CommandRecord(Base):
    """Every command sent to a device and how it ended (audit trail for linkage actions)."""

    __tablename__ = "ingest_commands"

    command_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="issued")  # issued | acked | timed_out
    outcome: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


outbox = outbox_table(Base.metadata, "ingest")


@dataclass(frozen=True)
class DeviceInfo:
    """What the hot path needs to know about an authenticated device."""

    device_id: str
    grid_id: str
    kind: int
    place_id: str
    lat: float | None
    lon: float | None
    credential_version: int
