"""Analytics' tables: roll-ups (hourly and daily counts, SLA histograms), a projection of each case's state
for the KPIs, the crowd zones' levels, the ids of counted events, and the outbox."""

from datetime import date, datetime

from microbrain_kit.db import outbox_table
from sqlalchemy import JSON, BigInteger, Date, DateTime, Float, Index, Integer, MetaData, SmallInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class Seen(Base):
    """An event already counted (stream domain + event id); a redelivery finds it here and counts nothing."""

    __tablename__ = "analytics_seen"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Hourly(Base):
    """Events per metric × type × place × local hour. `hour` is the hour's start in the grid's local time."""

    __tablename__ = "analytics_hourly"

    grid_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=False), primary_key=True)
    hour_of_day: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(BigInteger)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)


class Daily(Base):
    """Events per metric × type × place × local day."""

    __tablename__ = "analytics_daily"
    __table_args__ = (Index("ix_analytics_daily_grid_metric_day", "grid_id", "metric", "day"),)

    grid_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)


class SlaBucket(Base):
    """Cases that reached an SLA stage on a local day, by log-spaced bucket of seconds from the fact."""

    __tablename__ = "analytics_sla"

    grid_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
    within: Mapped[int] = mapped_column(BigInteger)
    sum_s: Mapped[float] = mapped_column(Float)


class SlaTarget(Base):
    """The latest target seen per case type and stage."""

    __tablename__ = "analytics_sla_targets"

    grid_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    target_s: Mapped[float] = mapped_column(Float)


class CaseRow(Base):
    """Where each case is (the newest change wins, by cursor): open cases, closures, time to resolve."""

    __tablename__ = "analytics_cases"
    __table_args__ = (
        Index("ix_analytics_cases_grid_state", "grid_id", "state"),
        Index("ix_analytics_cases_grid_closed", "grid_id", "closed_at"),
        Index("ix_analytics_cases_grid_resolved", "grid_id", "resolved_at"),
    )

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(64))
    case_type: Mapped[str] = mapped_column(String(64))
    place_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[int] = mapped_column(SmallInteger)
    cursor: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolve_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    close_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class ZoneLevel(Base):
    """A crowd zone's level; changed only by compare-and-set, so one replica raises each alarm."""

    __tablename__ = "analytics_zone_levels"

    zone_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grid_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The alarms of the current episode (warning, then critical); cleared together when it ends.
    alarm_ids: Mapped[list] = mapped_column(JSON, default=list)
    estimate: Mapped[float] = mapped_column(Float)


outbox = outbox_table(Base.metadata, "analytics")
