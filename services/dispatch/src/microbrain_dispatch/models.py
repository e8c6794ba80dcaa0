"""Dispatch's tables."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class Unit(Base):
    """A field unit (单兵) with its skills, status and last known position."""

    __tablename__ = "dispatch_units"

    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(64))
    members: Mapped[list] = mapped_column(JSON, default=list)
    skills: Mapped[list] = mapped_column(JSON, default=list)
    radio_device_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    status: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    case_id: Mapped[str] = mapped_column(String(40), default="")


class DispatchCase(Base):
    """A case dispatch has taken on. Its primary key is the claim: two replicas never both take a case."""

    __tablename__ = "dispatch_cases"

    case_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(64))
    place_id: Mapped[str] = mapped_column(String(64), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    alarm_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Alarms vision has reported clear; the car is clear (cleared = 1) once every alarm of the case is.
    cleared_ids: Mapped[list] = mapped_column(JSON, default=list)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    cleared: Mapped[int] = mapped_column(Integer, default=0)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Assignment(Base):
    """One offer of a case to a unit (or, last, to the grid leader); a durable ack timer while offered."""

    __tablename__ = "dispatch_assignments"
    __table_args__ = (Index("ix_dispatch_assignments_due", "status", "ack_due_at"),)

    assignment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    unit_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(300))
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ack_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # offered | acknowledged | timed_out
    step: Mapped[int] = mapped_column(Integer)


class Linkage(Base):
    """A machine action taken for a case (STOP / RESUME to a lift) and how it went."""

    __tablename__ = "dispatch_linkages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    command: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # acked | failed
    message: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Call(Base):
    """A one-click call session and its record."""

    __tablename__ = "dispatch_calls"

    call_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    caller: Mapped[str] = mapped_column(String(100))
    unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16))  # ringing | connected | ended
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str] = mapped_column(String(64), default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_by: Mapped[str] = mapped_column(String(100), default="")
    media_url: Mapped[str] = mapped_column(String(300), default="")


class Shift(Base):
    """One shift of the duty rota (轮值): the desk, or the grid leader."""

    __tablename__ = "dispatch_shifts"
    __table_args__ = (Index("ix_dispatch_shifts_when", "role", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(16))
    person: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
