"""Spreadsheets ↔ registry records: every kind survives an export and an import in CSV and XLSX, bad cells come
back as RowErrors with the row numbers a spreadsheet shows, and a file that is not a spreadsheet is refused."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_registry import tabular
from microbrain_registry.tabular import COLUMNS, CONTENT_TYPES, filename, parse, render

# What a file leaves out: who changed a record when, and what the service works out.
OUTPUTS = ("meta", "entry_id", "recorded_by", "recorded_at", "tax_band", "billion_yuan_building", "met", "share")
FORMATS = [pytest.param(pb.FORMAT_CSV, id="csv"), pytest.param(pb.FORMAT_XLSX, id="xlsx")]
META = res.RecordMeta(version=3, created_by="ops-1", updated_by="ops-2", created_at=Timestamp(seconds=1_790_000_000))


def _records() -> dict[int, list[res.Record]]:
    """Per kind, records with every column filled (lists of several items, text that needs quoting) and one
    with the least; meta and output-only fields set, which the files leave out."""
    project = res.LivelihoodProject(
        project_id="lp-2026-lifts",
        name="“上下楼”工程 既有多层住宅加装电梯",
        category="住房",
        owner="镇建设管理办公室",
        year=2026,
        target=res.Target(value=60, stretch=65, unit="台", at_least=False),
        status=res.PROJECT_STATUS_IN_PROGRESS,
        description='加装电梯 60 台, 力争 65 台\n"第二行"',
        milestones=[
            res.Milestone(name="首批 20 台", due_date="2026-04-30", done_date="2026-04-22"),
            res.Milestone(name="全部竣工", due_date="2026-12-20"),
            res.Milestone(name="没有日期"),
        ],
        meta=META,
    )
    talent = res.LivelihoodProject(
        project_id="lp-2026-talent",
        name="人才安居",
        year=2026,
        target=res.Target(value=500, unit="人", at_least=True),
        status=res.PROJECT_STATUS_PLANNED,
    )
    bare_project = res.LivelihoodProject(project_id="lp-bare", name="只有名字", target=res.Target())
    progress = [
        res.ProgressEntry(
            entry_id="e-1",
            project_id="lp-2026-lifts",
            date="2026-04-22",
            kind=res.PROGRESS_KIND_ADD,
            value=14,
            note="首批验收",
            evidence=[common_pb2.EvidenceRef(key="evidence/a.pdf"), common_pb2.EvidenceRef(key="evidence/b.jpg")],
            recorded_by="ops-1",
            recorded_at=Timestamp(seconds=1_790_000_000),
        ),
        res.ProgressEntry(project_id="lp-2026-meals", date="2026-10-15", kind=res.PROGRESS_KIND_SET, value=76000.5),
    ]
    station = res.ServiceStation(
        station_id="st-wanxiangcheng",
        name="心驿虹桥·万象城站",
        brand="心驿虹桥",
        building_id="bd-wanxiangcheng",
        location=common_pb2.GeoPoint(lat=31.1812, lon=121.3872),
        address="吴中路 1599 号, L1",
        services=["党员活动", "职工之家"],
        opening_hours=[
            res.OpeningHours(weekdays=[1, 2, 3, 4, 5], opens="09:00", closes="18:00"),
            res.OpeningHours(weekdays=[6, 7], opens="10:00", closes="16:00"),
            res.OpeningHours(weekdays=[1, 3, 5], opens="19:00", closes="21:30"),
        ],
        partner_ids=["pt-crland", "pt-spic"],
        meta=META,
    )
    unopened = res.ServiceStation(station_id="st-new", name="筹建中")
    partner = res.PartnerUnit(
        partner_id="pt-crland",
        name="华润置地",
        type="央企",
        contact_person="林晓雯",
        contact_phone="021-0000-0102",
        joined_year=2012,
        joint_projects=["人才公寓", "心驿虹桥站点"],
        meta=META,
    )
    building = res.Building(
        building_id="bd-wanxiangcheng",
        name="上海万象城",
        kind=res.BUILDING_KIND_MIXED_USE,
        location=common_pb2.GeoPoint(lat=31.1812, lon=121.3872),
        address="吴中路 1599 号",
        tax=[res.TaxYear(year=2025, amount_yuan=168_000_000), res.TaxYear(year=2026, amount_yuan=186_500_000.5)],
        tax_band="≥1亿",
        billion_yuan_building=True,
        meta=META,
    )
    compound = res.Building(
        building_id="gengduyuan",
        name="耕读园小区",
        kind=res.BUILDING_KIND_RESIDENTIAL_COMPOUND,
        location=common_pb2.GeoPoint(lat=31.187, lon=121.3948),
    )
    firm = res.Firm(
        firm_id="fm-estee-lauder-rd",
        name="雅诗兰黛全球创新研发中心",
        building_id="bd-caokai-park",
        industry="研发创新",
        signed_date="2026-01-20",
        contact_person="吴倩",
        contact_phone="13800000000",
        follow_ups=[
            res.FollowUp(date="2026-03-02", by="王敏", note="人才公寓需求 | 约 12 套"),
            res.FollowUp(date="2026-06-18", by="王敏"),
            res.FollowUp(date="2026-07-01"),
        ],
        meta=META,
    )
    target = res.TownTarget(
        target_id="fiscal_revenue_total",
        year=2026,
        name="财政总收入",
        target=66.5,
        unit="亿元",
        comparison=res.COMPARISON_AT_LEAST,
        actual=57.9,
        actual_as_of="2026-10-31",
        met=False,
        share=0.87,
        note="=示例, not a formula",
        meta=META,
    )
    cap = res.TownTarget(target_id="cap", year=2026, name="上限", target=5, comparison=res.COMPARISON_AT_MOST)
    return {
        res.KIND_PROJECT: [res.Record(project=p) for p in (project, talent, bare_project)],
        res.KIND_PROGRESS: [res.Record(progress=e) for e in progress],
        res.KIND_STATION: [res.Record(station=s) for s in (station, unopened)],
        res.KIND_PARTNER: [res.Record(partner=partner), res.Record(partner=res.PartnerUnit(partner_id="p", name="n"))],
        res.KIND_BUILDING: [res.Record(building=b) for b in (building, compound)],
        res.KIND_FIRM: [res.Record(firm=firm), res.Record(firm=res.Firm(firm_id="f", name="n"))],
        res.KIND_TARGET: [res.Record(target=t) for t in (target, cap)],
    }


def _without_outputs(record: res.Record) -> res.Record:
    """What a file keeps of a record: no meta, no output-only fields."""
    out = res.Record()
    out.CopyFrom(record)
    message = getattr(out, out.WhichOneof("record"))
    for field in OUTPUTS:
        if field in message.DESCRIPTOR.fields_by_name:
            message.ClearField(field)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", list(COLUMNS), ids=lambda k: tabular.KIND_NAMES[k])
def test_export_then_import_gives_the_same_records(kind, fmt):
    records = _records()[kind]

    content = render(kind, fmt, records)
    parsed, errors = parse(kind, fmt, content)

    assert errors == []
    assert [n for n, _ in parsed] == list(range(2, len(records) + 2))
    assert [r for _, r in parsed] == [_without_outputs(r) for r in records]
    # And again: what an import gives exports to the same file (CSV byte for byte).
    if fmt == pb.FORMAT_CSV:
        assert render(kind, fmt, [r for _, r in parsed]) == content


def test_columns_are_the_documented_header_rows():
    assert COLUMNS == {
        res.KIND_PROJECT: ["project_id", "name", "category", "owner", "year", "target", "stretch", "unit", "at_least",
                           "status", "description", "milestones"],
        res.KIND_PROGRESS: ["project_id", "date", "kind", "value", "note", "evidence_urls"],
        res.KIND_STATION: ["station_id", "name", "brand", "building_id", "lat", "lon", "address", "services",
                           "opening_hours", "partner_ids"],
        res.KIND_PARTNER: ["partner_id", "name", "type", "contact_person", "contact_phone", "joined_year",
                           "joint_projects"],
        res.KIND_BUILDING: ["building_id", "name", "kind", "lat", "lon", "address", "tax"],
        res.KIND_FIRM: ["firm_id", "name", "building_id", "industry", "signed_date", "contact_person",
                        "contact_phone", "follow_ups"],
        res.KIND_TARGET: ["target_id", "year", "name", "target", "unit", "comparison", "actual", "actual_as_of",
                          "note"],
    }  # fmt: skip


def test_a_csv_export_is_what_a_person_would_type():
    content = render(res.KIND_STATION, pb.FORMAT_CSV, _records()[res.KIND_STATION])

    assert content.startswith("\ufeff".encode())  # so Excel reads it as UTF-8
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(COLUMNS[res.KIND_STATION])
    assert lines[1] == (
        'st-wanxiangcheng,心驿虹桥·万象城站,心驿虹桥,bd-wanxiangcheng,31.1812,121.3872,"吴中路 1599 号, L1",'
        '党员活动;职工之家,"1-5 09:00-18:00;6-7 10:00-16:00;1,3,5 19:00-21:30",pt-crland;pt-spic'
    )
    assert lines[2] == "st-new,筹建中,,,,,,,,"
    building = render(res.KIND_BUILDING, pb.FORMAT_CSV, _records()[res.KIND_BUILDING]).decode("utf-8-sig")
    assert "2025:168000000;2026:186500000.5" in building and ",mixed_use," in building


def test_an_xlsx_export_has_a_bold_frozen_header_and_readable_widths():
    content = render(res.KIND_TARGET, pb.FORMAT_XLSX, _records()[res.KIND_TARGET])

    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "targets"
    assert [c.value for c in sheet[1]] == COLUMNS[res.KIND_TARGET]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].value == 2026 and sheet["D2"].value == 66.5  # numbers are numbers
    assert sheet["I2"].value == "=示例, not a formula" and sheet["I2"].data_type == "s"
    assert 8 <= sheet.column_dimensions["C"].width <= 60
    assert sheet.column_dimensions["I"].width > sheet.column_dimensions["B"].width


BAD_PROJECTS = """\
project_id,name,category,owner,year,target,stretch,unit,at_least,status,description,milestones
lp-ok,好的,住房,镇房管办,2026,"1,234.5",,台,是,进行中,"第一行
第二行",首批|2026/4/30|2026-04-22
lp-bad-number,数不对,,,2026,六十,,台,,,,
lp-bad-date,日期不对,,,2026,1,,,,,,开馆|2026-13-01
,,,,,,,,,,,
lp-bad-enum,状态不对,,,2026,1,,,,done,,
,没有编号,,,2026,1,,,,,,
lp-ok,又一个,,,2026,1,,,,,,
lp-ok-2,也好,,,２０２６,１２,,,,PROJECT_STATUS_COMPLETED,,
lp-two-bad,两处不对,,,twenty,1,,,maybe,,,
"""


def test_bad_rows_come_back_with_the_rows_a_spreadsheet_shows_and_good_rows_are_kept():
    records, errors = parse(res.KIND_PROJECT, pb.FORMAT_CSV, BAD_PROJECTS.encode())

    # Row 2 spans two lines of the file (a line break in a cell) but is one row in a spreadsheet.
    assert [(e.row, e.column) for e in errors] == [
        (3, "target"),
        (4, "milestones"),
        (6, "status"),
        (7, "project_id"),
        (8, "project_id"),
        (10, "year"),
        (10, "at_least"),
    ]
    messages = {(e.row, e.column): e.message for e in errors}
    assert messages[(3, "target")] == "'六十' is not a number"
    assert "'2026-13-01' is not a date" in messages[(4, "milestones")]
    assert messages[(6, "status")] == "unknown status 'done': use one of planned, in_progress, completed, suspended"
    assert messages[(7, "project_id")] == "project_id is empty: every row needs one"
    assert messages[(8, "project_id")] == "project_id 'lp-ok' is on row 2 already"
    assert messages[(10, "year")] == "'twenty' is not a whole number"
    assert messages[(10, "at_least")] == "'maybe' is not yes or no: use true or false"

    assert [(n, r.project.project_id) for n, r in records] == [(2, "lp-ok"), (9, "lp-ok-2")]
    ok = records[0][1].project
    assert ok.target == res.Target(value=1234.5, unit="台", at_least=True)
    assert ok.status == res.PROJECT_STATUS_IN_PROGRESS
    assert ok.description == "第一行\n第二行"
    assert list(ok.milestones) == [res.Milestone(name="首批", due_date="2026-04-30", done_date="2026-04-22")]
    ok2 = records[1][1].project
    assert (ok2.year, ok2.target.value, ok2.status) == (2026, 12, res.PROJECT_STATUS_COMPLETED)


def test_a_required_column_missing_from_the_header_is_a_row_1_error():
    content = b"project_id,date,value\nlp-a,2026-01-01,1\n"

    records, errors = parse(res.KIND_PROGRESS, pb.FORMAT_CSV, content)

    assert records == []
    assert [(e.row, e.column) for e in errors] == [(1, "kind")]
    assert "the header has no kind column" in errors[0].message


def test_headers_are_read_leniently_and_columns_of_ones_own_are_ignored():
    content = "\ufeffPartner ID , Name,备注,joined-year\npt-a,甲,随便写,２０１２\n\n\n".encode()

    records, errors = parse(res.KIND_PARTNER, pb.FORMAT_CSV, content)

    assert errors == []
    assert records == [(2, res.Record(partner=res.PartnerUnit(partner_id="pt-a", name="甲", joined_year=2012)))]


def test_cells_that_say_the_same_thing_differently():
    content = """\
building_id,name,kind,lat,lon,address,tax
b1,一,OFFICE_BUILDING,31.19,121.39,,"2025：1,200,000,000；2026:1.3e9"
b2,二,写字楼,,,,
b3,三,residential compound,31.18,,,
b4,四,Residential-Building,abc,121.4,,2026
""".encode()

    records, errors = parse(res.KIND_BUILDING, pb.FORMAT_CSV, content)

    assert [(e.row, e.column, e.message) for e in errors] == [
        (4, "lon", "lon is empty but lat is not: give both, or neither"),
        (5, "lat", "'abc' is not a number"),
        (5, "tax", "'2026' is not a year's tax: write year:yuan, for example 2026:145000000"),
    ]
    b1, b2 = (r.building for _, r in records)
    assert b1.kind == b2.kind == res.BUILDING_KIND_OFFICE_BUILDING
    assert list(b1.tax) == [res.TaxYear(year=2025, amount_yuan=1.2e9), res.TaxYear(year=2026, amount_yuan=1.3e9)]
    assert not b2.HasField("location")


def test_opening_hours_and_follow_ups():
    stations = """\
station_id,name,opening_hours
s1,一,"1-5 9:00-18:00；6,7 10:00～16:00"
s2,二,周一到周五 9 点到 6 点
s3,三,1-8 09:00-18:00
""".encode()
    records, errors = parse(res.KIND_STATION, pb.FORMAT_CSV, stations)

    assert list(records[0][1].station.opening_hours) == [
        res.OpeningHours(weekdays=[1, 2, 3, 4, 5], opens="09:00", closes="18:00"),
        res.OpeningHours(weekdays=[6, 7], opens="10:00", closes="16:00"),
    ]
    assert [(e.row, e.column) for e in errors] == [(3, "opening_hours"), (4, "opening_hours")]
    assert "write days and times like 1-5 09:00-18:00" in errors[0].message
    assert "1 = Monday … 7 = Sunday" in errors[1].message

    firms = "firm_id,name,follow_ups\nf1,一,2026-03-02|张三|走访;2026/3/9\nf2,二,昨天|张三|走访\n".encode()
    records, errors = parse(res.KIND_FIRM, pb.FORMAT_CSV, firms)
    assert list(records[0][1].firm.follow_ups) == [
        res.FollowUp(date="2026-03-02", by="张三", note="走访"),
        res.FollowUp(date="2026-03-09"),
    ]
    assert [(e.row, e.column) for e in errors] == [(3, "follow_ups")]
    assert "follow-up '昨天|张三|走访': '昨天' is not a date" in errors[0].message


def test_progress_needs_its_kind_value_and_date():
    content = """\
project_id,date,kind,value,note,evidence_urls
lp-a,2026-04-22,add,14,,a.jpg；b.jpg
lp-a,2026-04-23,,1,,
lp-a,,set,1,,
lp-a,2026-04-24,subtract,1,,
lp-a,2026-04-25,PROGRESS_KIND_SET,,,
""".encode()

    records, errors = parse(res.KIND_PROGRESS, pb.FORMAT_CSV, content)

    assert [(e.row, e.column) for e in errors] == [(3, "kind"), (4, "date"), (5, "kind"), (6, "value")]
    assert "use one of add, set" in errors[2].message
    entry = records[0][1].progress
    assert [e.key for e in entry.evidence] == ["a.jpg", "b.jpg"]


def test_a_hand_made_workbook_with_number_and_date_cells_parses():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["target_id", "year", "name", "target", "unit", "comparison", "actual", "actual_as_of", "备注"])
    sheet.append(["fiscal_revenue_total", 2026, "财政总收入", 66.5, "亿元", "at_least", 57.9, date(2026, 10, 31), "x"])
    sheet.append([None] * 9)
    sheet.append(["billion_yuan_buildings", 2026.0, "亿元楼", 12, "栋", "至少", 12, datetime(2026, 10, 31, 0, 0)])
    sheet.append(["bad", "2026年", "坏", "很多", None, None, None, datetime(2026, 10, 31, 9, 30)])
    other = workbook.create_sheet("second sheet")  # only the first sheet is read
    other.append(["target_id"])
    other.append(["ignored"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    records, errors = parse(res.KIND_TARGET, pb.FORMAT_XLSX, buffer.getvalue())

    assert [(n, r.target.target_id) for n, r in records] == [(2, "fiscal_revenue_total"), (4, "billion_yuan_buildings")]
    fiscal, billion = records[0][1].target, records[1][1].target
    assert (fiscal.year, fiscal.target, fiscal.actual, fiscal.actual_as_of) == (2026, 66.5, 57.9, "2026-10-31")
    assert (billion.year, billion.target, billion.comparison, billion.actual_as_of) == (
        2026,
        12,
        res.COMPARISON_AT_LEAST,
        "2026-10-31",
    )
    # A date cell with a time of day still gives its date; the bad cells are named.
    assert [(e.row, e.column) for e in errors] == [(5, "year"), (5, "target")]


def test_a_workbook_phone_number_typed_as_a_number_stays_whole():
    workbook = openpyxl.Workbook()
    workbook.active.append(["partner_id", "name", "contact_phone", "joined_year"])
    workbook.active.append(["pt-a", "甲", 13800000000, 2012.0])
    buffer = io.BytesIO()
    workbook.save(buffer)

    (_, record), *_ = parse(res.KIND_PARTNER, pb.FORMAT_XLSX, buffer.getvalue())[0]

    assert (record.partner.contact_phone, record.partner.joined_year) == ("13800000000", 2012)


@pytest.mark.parametrize(
    ("fmt", "content", "message"),
    [
        (pb.FORMAT_CSV, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not UTF-8 text"),
        (pb.FORMAT_CSV, "project_id,name\n".encode("gb18030") + "上下楼".encode("gb18030"), "save the sheet as"),
        (pb.FORMAT_CSV, b"PK\x03\x04rest of a zip", "this is an XLSX workbook, not CSV"),
        (pb.FORMAT_CSV, b"a,b\x00c\n", "binary data"),
        (pb.FORMAT_CSV, b"", "the file is empty: no header row"),
        (pb.FORMAT_CSV, b"\xef\xbb\xbf\r\n , \r\n", "the file is empty: no header row"),
        (pb.FORMAT_CSV, "名称,数量\n上下楼,60\n".encode(), "no header row: row 1 names none of the projects columns"),
        (pb.FORMAT_CSV, b"project_id,name,project_id\n", "column project_id is in the header twice"),
        (pb.FORMAT_XLSX, b"\x89PNG\r\n\x1a\n\x00\x00garbage", "not an XLSX workbook"),
        (pb.FORMAT_XLSX, b"project_id,name\nlp-a,x\n", "not an XLSX workbook"),
        (pb.FORMAT_XLSX, b"PK\x03\x04 but not really a zip", "not an XLSX workbook"),
        (pb.FORMAT_XLSX, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .xls", "old Excel .xls workbook"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_reason(fmt, content, message):
    with pytest.raises(ValueError, match=message):
        parse(res.KIND_PROJECT, fmt, content)


def test_unknown_kind_or_format_is_refused():
    with pytest.raises(ValueError, match="unknown kind 0"):
        parse(res.KIND_UNSPECIFIED, pb.FORMAT_CSV, b"a\n")
    with pytest.raises(ValueError, match="unknown format 0"):
        render(res.KIND_PROJECT, pb.FORMAT_UNSPECIFIED, [])
    with pytest.raises(ValueError, match="a station record cannot go in a projects file"):
        render(res.KIND_PROJECT, pb.FORMAT_CSV, [res.Record(station=res.ServiceStation(station_id="s"))])


def test_file_names_and_content_types():
    day = date(2026, 11, 26)
    assert filename(res.KIND_PROJECT, pb.FORMAT_CSV, day) == "projects-2026-11-26.csv"
    assert filename(res.KIND_PROGRESS, pb.FORMAT_XLSX, day) == "progress-2026-11-26.xlsx"
    assert filename(res.KIND_BUILDING, pb.FORMAT_CSV, day) == "buildings-2026-11-26.csv"
    assert CONTENT_TYPES == {
        pb.FORMAT_CSV: "text/csv; charset=utf-8",
        pb.FORMAT_XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_an_empty_export_is_a_header_that_imports_to_nothing():
    for fmt in (pb.FORMAT_CSV, pb.FORMAT_XLSX):
        content = render(res.KIND_FIRM, fmt, [])
        assert parse(res.KIND_FIRM, fmt, content) == ([], [])
