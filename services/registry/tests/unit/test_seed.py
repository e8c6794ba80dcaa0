"""The seed data set (deploy/registry) that `make run` loads: every file imports without a bad row, what one file
refers to is in another, and the article's figures are there."""

from pathlib import Path

import pytest
from microbrain.registry.v1 import registry_service_pb2 as pb
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_registry import tabular

SEED = Path(__file__).resolve().parents[4] / "deploy" / "registry"
FILES = {name: kind for kind, name in tabular.KIND_NAMES.items()}
RESIDENTIAL = {res.BUILDING_KIND_RESIDENTIAL_COMPOUND, res.BUILDING_KIND_RESIDENTIAL_BUILDING}


def _load(name: str) -> list:
    records, errors = tabular.parse(FILES[name], pb.FORMAT_CSV, (SEED / f"{name}.csv").read_bytes())
    assert errors == [], f"{name}.csv: {[(e.row, e.column, e.message) for e in errors]}"
    return [getattr(record, record.WhichOneof("record")) for _, record in records]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_seed_file_parses_without_a_bad_row(name):
    records = _load(name)

    assert records
    header = (SEED / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == tabular.COLUMNS[FILES[name]]


def test_what_the_files_refer_to_is_there():
    buildings = {b.building_id for b in _load("buildings")}
    partners = {p.partner_id for p in _load("partners")}
    projects = {p.project_id for p in _load("projects")}
    stations = _load("stations")
    firms = _load("firms")

    assert {s.building_id for s in stations} <= buildings
    assert {f.building_id for f in firms} <= buildings
    assert {p for s in stations for p in s.partner_ids} <= partners
    assert {e.project_id for e in _load("progress")} <= projects


def test_stations_are_in_office_buildings_and_residential_places_are_there_to_cover():
    buildings = {b.building_id: b for b in _load("buildings")}
    offices = {res.BUILDING_KIND_OFFICE_BUILDING, res.BUILDING_KIND_MIXED_USE}

    assert all(buildings[s.building_id].kind in offices for s in _load("stations"))
    assert all(b.HasField("location") for b in buildings.values())
    residential = [b for b in buildings.values() if b.kind in RESIDENTIAL]
    assert {"gengduyuan", "gengduyuan-22", "jinxiu-jiangnan"} <= {b.building_id for b in residential}
    assert len(residential) >= 6


def test_there_are_at_least_12_billion_yuan_buildings_in_2026():
    billion = [b.name for b in _load("buildings") if any(t.year == 2026 and t.amount_yuan >= 1e8 for t in b.tax)]

    assert len(billion) >= 12
    assert "上海万象城" in billion


def test_the_six_projects_have_the_articles_targets():
    projects = {p.project_id: p for p in _load("projects")}

    assert {p.year for p in projects.values()} == {2026}
    targets = {pid: (p.target.value, p.target.stretch, p.target.at_least) for pid, p in projects.items()}
    assert targets == {
        "lp-2026-lifts": (60, 65, False),  # 加装电梯 60 台，力争 65 台
        "lp-2026-meals": (100_000, 0, False),  # 年 10 万份智慧餐食供应能力
        "lp-2026-talent-housing": (500, 0, True),  # 500 人以上签约入住
        "lp-2026-history-museum": (1, 0, False),  # 虹桥历史陈列馆
        "lp-2026-health-centre": (1, 0, False),  # 社区卫生服务中心改扩建
        "lp-2026-shanghong-school": (1, 0, False),  # 上虹中学改扩建
    }
    assert projects["lp-2026-lifts"].target.unit == "台"
    assert "上虹中学" in projects["lp-2026-shanghong-school"].name


def test_the_town_targets_are_the_articles():
    targets = {t.target_id: t for t in _load("targets")}

    assert {tid: (t.target, t.unit) for tid, t in targets.items()} == {
        "fiscal_revenue_total": (66.5, "亿元"),
        "district_level_revenue": (27.08, "亿元"),
        "billion_yuan_buildings": (12, "栋"),
        "collective_income": (17.8, "亿元"),
        "livelihood_spending_share": (65, "%"),
    }
    assert all(t.year == 2026 and t.actual_as_of == "2026-10-31" for t in targets.values())
    assert targets["livelihood_spending_share"].comparison == res.COMPARISON_AT_LEAST
    assert "6.5%" in targets["collective_income"].note


def test_the_named_partners_and_newly_signed_firms_are_there():
    partners = {p.name for p in _load("partners")}
    firms = {f.name: f for f in _load("firms")}

    assert {"中电投", "华润置地", "康师傅控股", "广汇汽车", "云峰集团"} <= partners
    assert len(partners) >= 18
    named = ("雅诗兰黛全球创新研发中心", "上海电气数科", "韩国艺匠", "德同资本", "叶檀财经")
    assert all(firms[name].signed_date.startswith("2026-") for name in named)
    assert sum(len(f.follow_ups) for f in firms.values()) >= 2
