"""Registry's tables: one per kind of record, plus the outbox.

The protobuf record is the source of truth of a record's content: `data` holds it whole (without its meta and
output-only fields), and the other columns are copies of what lists filter, sort and search on. `version`,
created_* and updated_* are the record's meta, kept only in their columns. `search` is the lowercased text a
list's `query` looks in. References to buildings, partners and projects are plain indexed columns: the service
checks them (a database foreign key could not name the field in its error)."""

from datetime import datetime

from microbrain_kit.db import outbox_table
from sqlalchemy import BigInteger, DateTime, Float, Integer, LargeBinary, MetaData, SmallInteger, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


class RecordRow:
    """The columns every versioned record has."""

    # sort_order: id and name first, the kind's own columns next, then these.
    id: Mapped[str] = mapped_column(String(64), primary_key=True, sort_order=-2)
    name: Mapped[str] = mapped_column(String(500), sort_order=-1)
    search: Mapped[str] = mapped_column(Text, sort_order=1)
    version: Mapped[int] = mapped_column(BigInteger, sort_order=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), sort_order=1)
    created_by: Mapped[str] = mapped_column(String(200), sort_order=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), sort_order=1)
    updated_by: Mapped[str] = mapped_column(String(200), sort_order=1)
    data: Mapped[bytes] = mapped_column(LargeBinary, sort_order=1)


class Project(RecordRow, Base):
    """A livelihood project (民生工程)."""

    __tablename__ = "registry_projects"

    category: Mapped[str] = mapped_column(String(100), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[int] = mapped_column(SmallInteger, index=True)


class Progress(Base):
    """A progress entry of a project. `seq` keeps the order entries were recorded in (ties on a date)."""

    __tablename__ = "registry_progress"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10))
    kind: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Station(RecordRow, Base):
    """A party and community service station (党群服务站点). `services` and `partner_ids` are the lists with a
    line break before and after each item, so "offers X" is a substring match."""

    __tablename__ = "registry_stations"

    building_id: Mapped[str] = mapped_column(String(64), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    services: Mapped[str] = mapped_column(Text)
    partner_ids: Mapped[str] = mapped_column(Text)


class Partner(RecordRow, Base):
    """A partner unit of 区域化党建."""

    __tablename__ = "registry_partners"

    type: Mapped[str] = mapped_column(String(100), index=True)


class Building(RecordRow, Base):
    """A building or residential compound, with its latest tax year (for the 亿元楼 filter)."""

    __tablename__ = "registry_buildings"

    kind: Mapped[int] = mapped_column(SmallInteger, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    latest_tax_year: Mapped[int] = mapped_column(Integer)
    latest_tax_yuan: Mapped[float] = mapped_column(Float, index=True)


class Firm(RecordRow, Base):
    """A firm in a building; `signed_date` is empty for firms that did not newly sign."""

    __tablename__ = "registry_firms"

    building_id: Mapped[str] = mapped_column(String(64), index=True)
    industry: Mapped[str] = mapped_column(String(100))
    signed_date: Mapped[str] = mapped_column(String(10), index=True)


class Target(RecordRow, Base):
    """A town target of a year."""

    __tablename__ = "registry_targets"

    year: Mapped[int] = mapped_column(Integer, index=True)


outbox = outbox_table(Base.metadata, "registry")
