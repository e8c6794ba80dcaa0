"""Cases' tables."""

from datetime import datetime

from microbrain_kit.db import outbox_table
from sqlalchemy import BigInteger, DateTime, Float, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class Case(Base):
    """A case and its current state; its history is in CaseChangeRow."""

    __tablename__ = "cases_cases"
    __table_args__ = (
        Index("ix_cases_cases_grid_state", "grid_id", "state"),
        Index("ix_cases_cases_opened", "grid_id", "opened_at"),
    )

    case_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(64))
    case_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[int] = mapped_column(Integer)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_to: Mapped[str] = mapped_column(String(64), default="")
    place_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    device_id: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    last_occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    video_url: Mapped[str] = mapped_column(String(500), default="")
    assignee: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
    # "<type>|<place or device>" while the case is open, NULL otherwise: the unique index makes a second
    # alarm of the same problem attach to the open case instead of racing to open another.
    open_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)


class CaseAlarm(Base):
    """Every alarm (or manual request id) that fed a case: a redelivered alarm finds its case here."""

    __tablename__ = "cases_alarms"

    alarm_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseEvidence(Base):
    """A snapshot or clip attached to a case."""

    __tablename__ = "cases_evidence"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    video_url: Mapped[str] = mapped_column(String(500), default="")


class CaseChangeRow(Base):
    """The append-only history: one row per change, with the case as it was right after it.
    The cursor orders every change of the grid (WatchCases resumes from it)."""

    __tablename__ = "cases_changes"

    cursor: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    change: Mapped[bytes] = mapped_column(LargeBinary)  # microbrain.cases.v1.CaseChange
    snapshot: Mapped[bytes] = mapped_column(LargeBinary)  # microbrain.cases.v1.Case after the change


class Deadline(Base):
    """One SLA stage's deadline of one case: a durable timer that fires once, in whichever replica."""

    __tablename__ = "cases_deadlines"
    __table_args__ = (Index("ix_cases_deadlines_due", "status", "due_at"),)

    case_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stage: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[int] = mapped_column(Integer)
    reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


outbox = outbox_table(Base.metadata, "cases")
