"""Spreadsheets ↔ registry records: the CSV and XLSX files ops teams keep their lists in.

One row per record, a header row of English snake_case column names (COLUMNS), lists inside a cell separated by
";" ("党员活动;法律咨询"), and the parts of a list item by "|" (milestones "name|due|done", follow-ups
"date|by|note"). `parse` checks only the format of each cell (a number, a date, a known enum name, a required cell,
an id not repeated in the file) and reports every bad cell as a RowError with the row number a spreadsheet shows
(the header is row 1); what the values mean (a negative target, coordinates off the map, an unknown building) is
the service's to check. `render` writes the same columns, so an export imports again unchanged.
"""

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import resources_pb2 as res

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES: dict[int, str] = {pb.FORMAT_CSV: "text/csv; charset=utf-8", pb.FORMAT_XLSX: XLSX_CONTENT_TYPE}
SUFFIXES: dict[int, str] = {pb.FORMAT_CSV: "csv", pb.FORMAT_XLSX: "xlsx"}

# A cell as render writes it: text, a number, a yes/no, or nothing.
Cell = str | int | float | bool | None

_LIST_SPLIT = re.compile(r"[;；\n]")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_HOURS = re.compile(r"^(?P<days>[\d,\s-]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*[-~至到]\s*(?P<closes>\d{1,2}:\d{2})$")
_TRUE = {"true", "yes", "y", "t", "1", "x", "是", "✓"}
_FALSE = {"false", "no", "n", "f", "0", "否", ""}
_MAX_INT32 = 2**31 - 1


class _CellError(ValueError):
    """A cell that is not what its column holds; the message is for the person who typed it."""


# ---------------------------------------------------------------- cell values (text → value)


def _nfkc(text: str) -> str:
    # Full-width digits, colons, commas and minus signs typed with a Chinese input method become ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def _number(text: str) -> float:
    """A number, with thousands separators allowed: "1,234.5", "１２３"."""
    cleaned = re.sub(r"[,\s_']", "", _nfkc(text))
    try:
        value = float(cleaned)
    except ValueError:
        raise _CellError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _CellError(f"{text!r} is not a number")
    return value


def _integer(text: str) -> int:
    try:
        value = _number(text)
    except _CellError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or abs(value) > _MAX_INT32:
        raise _CellError(f"{text!r} is not a whole number")
    return int(value)


def _boolean(text: str) -> bool:
    key = _nfkc(text).lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _CellError(f"{text!r} is not yes or no: use true or false")


def _day(text: str) -> str:
    """A calendar date as "YYYY-MM-DD"; "2026/3/2", "2026-03-02 00:00" and "2026年3月2日" are read too."""
    cleaned = _nfkc(text)
    m = _DATE.match(cleaned) or _DATE_ZH.match(cleaned)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            pass
    raise _CellError(f"{text!r} is not a date: use YYYY-MM-DD, for example 2026-03-02")


def _items(text: str) -> list[str]:
    """The items of a list cell: separated by ";" (or "；", or line breaks), blanks dropped."""
    return [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]


@dataclass(frozen=True)
class _Enum:
    """An enum column: the short lowercase names ("in_progress"), the full proto names, and a few Chinese words."""

    column: str
    enum: Any  # the generated EnumTypeWrapper
    prefix: str
    aliases: dict[str, str]

    def short(self, value: int) -> str:
        if value == 0:
            return ""
        try:
            return self.enum.Name(value).removeprefix(self.prefix).lower()
        except ValueError:
            return str(value)

    def names(self) -> list[str]:
        return [self.short(v) for v in self.enum.values() if v != 0]

    def parse(self, text: str) -> int:
        key = re.sub(r"[\s-]+", "_", _nfkc(text)).lower()
        if not key:
            return 0
        key = self.aliases.get(key, key).removeprefix(self.prefix.lower())
        for value in self.enum.values():
            if value and self.short(value) == key:
                return value
        raise _CellError(f"unknown {self.column} {text!r}: use one of {', '.join(self.names())}")


_STATUS = _Enum(
    "status",
    res.ProjectStatus,
    "PROJECT_STATUS_",
    {
        "计划": "planned",
        "计划中": "planned",
        "未开工": "planned",
        "进行中": "in_progress",
        "推进中": "in_progress",
        "在建": "in_progress",
        "完成": "completed",
        "已完成": "completed",
        "竣工": "completed",
        "暂停": "suspended",
        "中止": "suspended",
    },
)
_PROGRESS_KIND = _Enum(
    "kind",
    res.ProgressKind,
    "PROGRESS_KIND_",
    {"增加": "add", "新增": "add", "累加": "add", "设为": "set", "实测": "set"},
)
_BUILDING_KIND = _Enum(
    "kind",
    res.BuildingKind,
    "BUILDING_KIND_",
    {
        "小区": "residential_compound",
        "住宅小区": "residential_compound",
        "住宅楼": "residential_building",
        "居民楼": "residential_building",
        "办公楼": "office_building",
        "写字楼": "office_building",
        "商务楼宇": "office_building",
        "楼宇": "office_building",
        "综合体": "mixed_use",
        "商住": "mixed_use",
        "其他": "other",
    },
)
_COMPARISON = _Enum(
    "comparison",
    res.Comparison,
    "COMPARISON_",
    {
        "至少": "at_least",
        "不低于": "at_least",
        "≥": "at_least",
        ">=": "at_least",
        "至多": "at_most",
        "不高于": "at_most",
        "≤": "at_most",
        "<=": "at_most",
    },
)


def _time_of_day(text: str) -> str:
    h, m = (int(p) for p in text.split(":"))
    if not (h < 24 and m < 60) and (h, m) != (24, 0):
        raise _CellError(f"{text!r} is not a time of day")
    return f"{h:02d}:{m:02d}"


def _weekdays(text: str) -> list[int]:
    days: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        first, _, last = part.partition("-")
        if not first.strip().isdigit() or (last and not last.strip().isdigit()):
            raise _CellError(f"{part!r} is not days of the week")
        lo, hi = int(first), int(last or first)
        if not 1 <= lo <= hi <= 7:
            raise _CellError(f"{part!r} is not days of the week: 1 = Monday … 7 = Sunday")
        days.update(range(lo, hi + 1))
    return sorted(days)


def _opening_hours(text: str) -> list[res.OpeningHours]:
    """ "1-5 09:00-18:00;6-7 10:00-16:00" (days 1 = Monday … 7 = Sunday)."""
    out = []
    for item in _items(text):
        m = _HOURS.match(_nfkc(item).replace("–", "-").replace("—", "-"))
        try:
            if not m:
                raise _CellError("")
            out.append(
                res.OpeningHours(
                    weekdays=_weekdays(m.group("days")),
                    opens=_time_of_day(m.group("opens")),
                    closes=_time_of_day(m.group("closes")),
                )
            )
        except _CellError as e:
            why = f" ({e})" if str(e) else ""
            raise _CellError(
                f"{item!r} is not opening hours{why}: write days and times like 1-5 09:00-18:00 "
                "(1 = Monday … 7 = Sunday), several separated by ;"
            ) from None
    return out


def _milestones(text: str) -> list[res.Milestone]:
    """ "name|due|done;…" (done empty until reached)."""
    out = []
    for item in _items(text):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) > 3 or not parts[0]:
            raise _CellError(f"{item!r} is not a milestone: write name|due date|done date, several separated by ;")
        parts += [""] * (3 - len(parts))
        try:
            due, done = (_day(p) if p else "" for p in parts[1:])
        except _CellError as e:
            raise _CellError(f"milestone {item!r}: {e}") from None
        out.append(res.Milestone(name=parts[0], due_date=due, done_date=done))
    return out


def _follow_ups(text: str) -> list[res.FollowUp]:
    """ "2026-03-02|张三|note;…" (the note may hold "|")."""
    out = []
    for item in _items(text):
        parts = [p.strip() for p in item.split("|", 2)]
        parts += [""] * (3 - len(parts))
        if not parts[0]:
            raise _CellError(f"{item!r} is not a follow-up: write date|by|note, several separated by ;")
        try:
            day = _day(parts[0])
        except _CellError as e:
            raise _CellError(f"follow-up {item!r}: {e}") from None
        out.append(res.FollowUp(date=day, by=parts[1], note=parts[2]))
    return out


def _tax(text: str) -> list[res.TaxYear]:
    """ "2025:132000000;2026:145000000" (yuan per year)."""
    out = []
    for item in _items(text):
        year, sep, amount = _nfkc(item).partition(":")
        if not sep or not year.strip() or not amount.strip():
            raise _CellError(f"{item!r} is not a year's tax: write year:yuan, for example 2026:145000000")
        try:
            out.append(res.TaxYear(year=_integer(year), amount_yuan=_number(amount)))
        except _CellError as e:
            raise _CellError(f"tax {item!r}: {e}") from None
    return out


# ---------------------------------------------------------------- value → cell


def _num(value: float) -> int | float:
    """A number as a cell holds it: whole numbers without ".0"."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def _opt_num(value: float) -> int | float | None:
    return _num(value) if value else None


def _join(items: Iterable[str]) -> str:
    return ";".join(items)


def _days_text(days: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for d in sorted(set(days)):
        if runs and d == runs[-1][1] + 1:
            runs[-1][1] = d
        else:
            runs.append([d, d])
    return ",".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)


def _hours_text(hours: Iterable[res.OpeningHours]) -> str:
    return _join(f"{_days_text(h.weekdays)} {h.opens}-{h.closes}" for h in hours)


def _trim(parts: Sequence[str]) -> str:
    parts = list(parts)
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return "|".join(parts)


def _milestones_text(milestones: Iterable[res.Milestone]) -> str:
    return _join(_trim([m.name, m.due_date, m.done_date]) for m in milestones)


def _follow_ups_text(follow_ups: Iterable[res.FollowUp]) -> str:
    return _join(_trim([f.date, f.by, f.note]) for f in follow_ups)


def _tax_text(tax: Iterable[res.TaxYear]) -> str:
    return _join(f"{t.year}:{_text(_num(t.amount_yuan))}" for t in tax)


def _text(value: Cell) -> str:
    """A cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# ---------------------------------------------------------------- a row being read


class _Row:
    """The cells of one data row by column name; every bad cell is noted, with a default in its place."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.errors: list[tuple[str, str]] = []

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.values.get(column, "")
        if required and not value:
            self.errors.append((column, f"{column} is empty: every row needs one"))
        return value

    def _read(self, column: str, read: Callable[[str], Any], default: Any, *, required: bool = False) -> Any:
        value = self.text(column, required=required)
        if not value:
            return default
        try:
            return read(value)
        except _CellError as e:
            self.errors.append((column, str(e)))
            return default

    def number(self, column: str, *, required: bool = False) -> float:
        return self._read(column, _number, 0.0, required=required)

    def integer(self, column: str, *, required: bool = False) -> int:
        return self._read(column, _integer, 0, required=required)

    def boolean(self, column: str) -> bool:
        return self._read(column, _boolean, False)

    def day(self, column: str, *, required: bool = False) -> str:
        return self._read(column, _day, "", required=required)

    def enum(self, e: _Enum, *, required: bool = False) -> int:
        return self._read(e.column, e.parse, 0, required=required)

    def items(self, column: str) -> list[str]:
        return _items(self.text(column))

    def parsed(self, column: str, read: Callable[[str], list]) -> list:
        return self._read(column, read, [])

    def location(self) -> common_pb2.GeoPoint | None:
        lat, lon = self.text("lat"), self.text("lon")
        if not lat and not lon:
            return None
        for column, value, other in (("lat", lat, "lon"), ("lon", lon, "lat")):
            if not value:
                self.errors.append((column, f"{column} is empty but {other} is not: give both, or neither"))
        return common_pb2.GeoPoint(lat=self.number("lat"), lon=self.number("lon"))


# ---------------------------------------------------------------- the kinds


@dataclass(frozen=True)
class _Spec:
    name: str  # "projects": the file name and the sheet title
    field: str  # the Record oneof field
    columns: list[str]
    required: tuple[str, ...]  # columns the header must have, and cells every row must fill
    id_column: str | None  # unique within a file
    read: Callable[[_Row], Any]
    write: Callable[[Any], list[Cell]]


def _read_project(r: _Row) -> res.LivelihoodProject:
    return res.LivelihoodProject(
        project_id=r.text("project_id", required=True),
        name=r.text("name", required=True),
        category=r.text("category"),
        owner=r.text("owner"),
        year=r.integer("year"),
        target=res.Target(
            value=r.number("target"), stretch=r.number("stretch"), unit=r.text("unit"), at_least=r.boolean("at_least")
        ),
        status=r.enum(_STATUS),
        description=r.text("description"),
        milestones=r.parsed("milestones", _milestones),
    )


def _write_project(p: res.LivelihoodProject) -> list[Cell]:
    return [
        p.project_id,
        p.name,
        p.category,
        p.owner,
        p.year or None,
        _num(p.target.value),
        _opt_num(p.target.stretch),
        p.target.unit,
        p.target.at_least,
        _STATUS.short(p.status),
        p.description,
        _milestones_text(p.milestones),
    ]


def _read_progress(r: _Row) -> res.ProgressEntry:
    return res.ProgressEntry(
        project_id=r.text("project_id", required=True),
        date=r.day("date", required=True),
        kind=r.enum(_PROGRESS_KIND, required=True),
        value=r.number("value", required=True),
        note=r.text("note"),
        evidence=[common_pb2.EvidenceRef(key=url) for url in r.items("evidence_urls")],
    )


def _write_progress(e: res.ProgressEntry) -> list[Cell]:
    return [
        e.project_id,
        e.date,
        _PROGRESS_KIND.short(e.kind),
        _num(e.value),
        e.note,
        _join(ev.key or ev.video_url for ev in e.evidence if ev.key or ev.video_url),
    ]


def _read_station(r: _Row) -> res.ServiceStation:
    station = res.ServiceStation(
        station_id=r.text("station_id", required=True),
        name=r.text("name", required=True),
        brand=r.text("brand"),
        building_id=r.text("building_id"),
        address=r.text("address"),
        services=r.items("services"),
        opening_hours=r.parsed("opening_hours", _opening_hours),
        partner_ids=r.items("partner_ids"),
    )
    location = r.location()
    if location is not None:
        station.location.CopyFrom(location)
    return station


def _lat_lon(message: Any) -> list[Cell]:
    if not message.HasField("location"):
        return [None, None]
    return [_num(message.location.lat), _num(message.location.lon)]


def _write_station(s: res.ServiceStation) -> list[Cell]:
    return [
        s.station_id,
        s.name,
        s.brand,
        s.building_id,
        *_lat_lon(s),
        s.address,
        _join(s.services),
        _hours_text(s.opening_hours),
        _join(s.partner_ids),
    ]


def _read_partner(r: _Row) -> res.PartnerUnit:
    return res.PartnerUnit(
        partner_id=r.text("partner_id", required=True),
        name=r.text("name", required=True),
        type=r.text("type"),
        contact_person=r.text("contact_person"),
        contact_phone=r.text("contact_phone"),
        joined_year=r.integer("joined_year"),
        joint_projects=r.items("joint_projects"),
    )


def _write_partner(p: res.PartnerUnit) -> list[Cell]:
    return [
        p.partner_id,
        p.name,
        p.type,
        p.contact_person,
        p.contact_phone,
        p.joined_year or None,
        _join(p.joint_projects),
    ]


def _read_building(r: _Row) -> res.Building:
    building = res.Building(
        building_id=r.text("building_id", required=True),
        name=r.text("name", required=True),
        kind=r.enum(_BUILDING_KIND),
        address=r.text("address"),
        tax=r.parsed("tax", _tax),
    )
    location = r.location()
    if location is not None:
        building.location.CopyFrom(location)
    return building


def _write_building(b: res.Building) -> list[Cell]:
    return [b.building_id, b.name, _BUILDING_KIND.short(b.kind), *_lat_lon(b), b.address, _tax_text(b.tax)]


def _read_firm(r: _Row) -> res.Firm:
    return res.Firm(
        firm_id=r.text("firm_id", required=True),
        name=r.text("name", required=True),
        building_id=r.text("building_id"),
        industry=r.text("industry"),
        signed_date=r.day("signed_date"),
        contact_person=r.text("contact_person"),
        contact_phone=r.text("contact_phone"),
        follow_ups=r.parsed("follow_ups", _follow_ups),
    )


def _write_firm(f: res.Firm) -> list[Cell]:
    return [
        f.firm_id,
        f.name,
        f.building_id,
        f.industry,
        f.signed_date,
        f.contact_person,
        f.contact_phone,
        _follow_ups_text(f.follow_ups),
    ]


def _read_target(r: _Row) -> res.TownTarget:
    return res.TownTarget(
        target_id=r.text("target_id", required=True),
        year=r.integer("year", required=True),
        name=r.text("name", required=True),
        target=r.number("target", required=True),
        unit=r.text("unit"),
        comparison=r.enum(_COMPARISON),
        actual=r.number("actual"),
        actual_as_of=r.day("actual_as_of"),
        note=r.text("note"),
    )


def _write_target(t: res.TownTarget) -> list[Cell]:
    return [
        t.target_id,
        t.year or None,
        t.name,
        _num(t.target),
        t.unit,
        _COMPARISON.short(t.comparison),
        _num(t.actual),
        t.actual_as_of,
        t.note,
    ]


_SPECS: dict[int, _Spec] = {
    res.KIND_PROJECT: _Spec(
        "projects",
        "project",
        ["project_id", "name", "category", "owner", "year", "target", "stretch", "unit", "at_least", "status",
         "description", "milestones"],
        ("project_id", "name"),
        "project_id",
        _read_project,
        _write_project,
    ),
    res.KIND_PROGRESS: _Spec(
        "progress",
        "progress",
        ["project_id", "date", "kind", "value", "note", "evidence_urls"],
        ("project_id", "date", "kind", "value"),
        None,  # entries have no id of their own in a file
        _read_progress,
        _write_progress,
    ),
    res.KIND_STATION: _Spec(
        "stations",
        "station",
        ["station_id", "name", "brand", "building_id", "lat", "lon", "address", "services", "opening_hours",
         "partner_ids"],
        ("station_id", "name"),
        "station_id",
        _read_station,
        _write_station,
    ),
    res.KIND_PARTNER: _Spec(
        "partners",
        "partner",
        ["partner_id", "name", "type", "contact_person", "contact_phone", "joined_year", "joint_projects"],
        ("partner_id", "name"),
        "partner_id",
        _read_partner,
        _write_partner,
    ),
    res.KIND_BUILDING: _Spec(
        "buildings",
        "building",
        ["building_id", "name", "kind", "lat", "lon", "address", "tax"],
        ("building_id", "name"),
        "building_id",
        _read_building,
        _write_building,
    ),
    res.KIND_FIRM: _Spec(
        "firms",
        "firm",
        ["firm_id", "name", "building_id", "industry", "signed_date", "contact_person", "contact_phone",
         "follow_ups"],
        ("firm_id", "name"),
        "firm_id",
        _read_firm,
        _write_firm,
    ),
    res.KIND_TARGET: _Spec(
        "targets",
        "target",
        ["target_id", "year", "name", "target", "unit", "comparison", "actual", "actual_as_of", "note"],
        ("target_id", "year", "name", "target"),
        "target_id",
        _read_target,
        _write_target,
    ),
}  # fmt: skip

COLUMNS: dict[int, list[str]] = {kind: list(spec.columns) for kind, spec in _SPECS.items()}
"""Per kind, the header row, in order."""
REQUIRED: dict[int, tuple[str, ...]] = {kind: spec.required for kind, spec in _SPECS.items()}
"""Per kind, the columns the header must have and every row must fill."""
KIND_NAMES: dict[int, str] = {kind: spec.name for kind, spec in _SPECS.items()}
"""Per kind, its plural name: the file name ("projects.csv") and the sheet title."""


def _spec(kind: int) -> _Spec:
    try:
        return _SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind}: one of {', '.join(KIND_NAMES.values())}") from None


def _check_format(fmt: int) -> None:
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown format {fmt}: CSV or XLSX")


def filename(kind: int, fmt: int, today: date) -> str:
    """The name an export goes by: "projects-2026-11-26.csv"."""
    _check_format(fmt)
    return f"{_spec(kind).name}-{today.isoformat()}.{SUFFIXES[fmt]}"


# ---------------------------------------------------------------- reading files


def _csv_rows(content: bytes) -> list[list[str]]:
    if content.startswith(b"PK\x03\x04"):
        raise ValueError("this is an XLSX workbook, not CSV: import it as XLSX")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"not UTF-8 text (byte {e.start} is {content[e.start : e.start + 1]!r}): save the sheet as "
            "“CSV UTF-8”, or import the XLSX workbook"
        ) from None
    if "\x00" in text:
        raise ValueError("not CSV text: the file holds binary data")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [[cell.strip() for cell in row] for row in reader]
    except csv.Error as e:
        raise ValueError(f"not readable as CSV at line {reader.line_num}: {e}") from None


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return _text(_num(value))
    return str(value).strip()


def _xlsx_rows(content: bytes) -> list[list[str]]:
    # Imported here: CSV work does not pay for openpyxl.
    import openpyxl

    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValueError("this is an old Excel .xls workbook: save it as .xlsx (or CSV UTF-8) and import that")
    if not content.startswith(b"PK"):
        raise ValueError("not an XLSX workbook: the file is not a zip package as .xlsx files are")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as e:  # openpyxl fails on a broken file in many ways
        raise ValueError(f"not an XLSX workbook ({type(e).__name__}: {e})") from None
    try:
        if not workbook.worksheets:
            raise ValueError("the workbook has no sheets")
        sheet = workbook.worksheets[0]
        # Some writers leave a wrong size in the sheet; read every row there is.
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        return [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except ValueError:
        raise
    except Exception as e:
        raise ValueError(f"cannot read the workbook's first sheet ({type(e).__name__}: {e})") from None
    finally:
        workbook.close()


def _header_key(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", _nfkc(cell.replace("\ufeff", ""))).lower()


def parse(kind: int, fmt: int, content: bytes) -> tuple[list[tuple[int, res.Record]], list[pb.RowError]]:
    """The records in a CSV or XLSX file of one kind, each with its row number (the header is row 1), and the
    bad rows: every bad cell as a RowError, its row left out. Blank rows are skipped. Raises ValueError, with a
    message for a person, when the file as a whole cannot be read."""
    spec = _spec(kind)
    _check_format(fmt)
    rows = _csv_rows(content) if fmt == pb.FORMAT_CSV else _xlsx_rows(content)

    # The header is the first row with anything in it; rows keep the numbers the spreadsheet shows.
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(cell for cell in row)]
    if not numbered:
        raise ValueError(f"the file is empty: no header row (a {spec.name} file starts with {', '.join(spec.columns)})")
    header_row, header = numbered[0]
    positions: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = _header_key(cell)
        if key not in spec.columns:
            continue  # columns of its own (remarks, …) are the sheet keeper's business
        if key in positions:
            raise ValueError(f"column {key} is in the header twice (columns {positions[key] + 1} and {i + 1})")
        positions[key] = i
    if not positions:
        raise ValueError(
            f"no header row: row {header_row} names none of the {spec.name} columns ({', '.join(spec.columns)})"
        )
    missing = [c for c in spec.required if c not in positions]
    if missing:
        return [], [
            pb.RowError(row=header_row, column=c, message=f"the header has no {c} column: a {spec.name} file needs one")
            for c in missing
        ]

    records: list[tuple[int, res.Record]] = []
    errors: list[pb.RowError] = []
    first_seen: dict[str, int] = {}
    for number, row in numbered[1:]:
        values = {c: (row[i] if i < len(row) else "") for c, i in positions.items()}
        if not any(values.values()):
            continue
        r = _Row(values)
        message = spec.read(r)
        if spec.id_column is not None:
            record_id = values[spec.id_column]
            if record_id and record_id in first_seen:
                r.errors.append(
                    (spec.id_column, f"{spec.id_column} {record_id!r} is on row {first_seen[record_id]} already")
                )
            if record_id:
                first_seen.setdefault(record_id, number)
        if r.errors:
            r.errors.sort(key=lambda error: spec.columns.index(error[0]))  # left to right, as the row reads
            errors.extend(pb.RowError(row=number, column=c, message=m) for c, m in r.errors)
            continue
        records.append((number, res.Record(**{spec.field: message})))
    return records, errors


# ---------------------------------------------------------------- writing files


def _cells(spec: _Spec, records: Iterable[res.Record]) -> list[list[Cell]]:
    out = []
    for record in records:
        which = record.WhichOneof("record")
        if which != spec.field:
            raise ValueError(f"a {which or 'empty'} record cannot go in a {spec.name} file")
        out.append(spec.write(getattr(record, spec.field)))
    return out


def _render_csv(spec: _Spec, rows: list[list[Cell]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(spec.columns)
    writer.writerows([_text(cell) for cell in row] for row in rows)
    # With the BOM, Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _width(value: Cell) -> int:
    text = _text(value)
    longest = max((line for line in text.splitlines() or [""]), key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _render_xlsx(spec: _Spec, rows: list[list[Cell]]) -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = spec.name
    sheet.append(spec.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        # Control characters cannot go in a workbook; they are dropped.
        sheet.append(
            [None if v == "" else ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        )
    # Text that starts with "=" is text here, not a formula.
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for i, column in enumerate(spec.columns):
        widest = max([_width(column), *(_width(row[i]) for row in rows)])
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(max(widest + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(kind: int, fmt: int, records: list[res.Record]) -> bytes:
    """The records as a CSV (UTF-8 with a BOM) or XLSX file of COLUMNS[kind], one row each, in the order given;
    `parse` reads it back to the same records (less RecordMeta and output-only fields)."""
    spec = _spec(kind)
    _check_format(fmt)
    rows = _cells(spec, records)
    return _render_csv(spec, rows) if fmt == pb.FORMAT_CSV else _render_xlsx(spec, rows)
