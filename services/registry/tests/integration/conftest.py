"""Shared set-up of the registry integration tests: registry replicas on the test database and nats-server, a
client for each, and record builders."""

import math
import uuid
from zoneinfo import ZoneInfo

import grpc
import pytest
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2_grpc as pb_grpc
from microbrain.registry.v1 import resources_pb2 as res
from microbrain_registry.app import App
from microbrain_registry.config import RegistrySettings

GRID = "jinhui-shanghong"
SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = (31.19, 121.40)
M_PER_DEG = 6_371_000 * math.pi / 180


def at(north_m: float = 0, east_m: float = 0) -> common_pb2.GeoPoint:
    """A point north_m north and east_m east of a spot in Hongqiao."""
    return common_pb2.GeoPoint(
        lat=BASE[0] + north_m / M_PER_DEG,
        lon=BASE[1] + east_m / (M_PER_DEG * math.cos(math.radians(BASE[0]))),
    )


def project(project_id: str = "lp-2026-lifts", **kw) -> res.LivelihoodProject:
    fields = dict(
        name='"上下楼"工程 既有多层住宅加装电梯',
        category="住房",
        owner="城建办",
        year=2026,
        target=res.Target(value=60, stretch=65, unit="台"),
        status=res.PROJECT_STATUS_IN_PROGRESS,
    )
    return res.LivelihoodProject(project_id=project_id, **{**fields, **kw})


def building(building_id: str = "b-wanxiang", **kw) -> res.Building:
    fields = dict(name="万象城", kind=res.BUILDING_KIND_OFFICE_BUILDING, location=at(), address="吴中路 1599 号")
    return res.Building(building_id=building_id, **{**fields, **kw})


def station(station_id: str = "s-wanxiang", **kw) -> res.ServiceStation:
    fields = dict(
        name="心驿虹桥·万象城站",
        location=at(),
        services=["党员活动", "法律咨询"],
        opening_hours=[res.OpeningHours(weekdays=[1, 2, 3, 4, 5, 6, 7], opens="09:00", closes="21:00")],
        brand="心驿虹桥",
    )
    return res.ServiceStation(station_id=station_id, **{**fields, **kw})


def partner(partner_id: str = "p-huarun", **kw) -> res.PartnerUnit:
    fields = dict(name="华润置地", type="央企", contact_person="王经理", joined_year=2012)
    return res.PartnerUnit(partner_id=partner_id, **{**fields, **kw})


def firm(firm_id: str = "f-estee", **kw) -> res.Firm:
    fields = dict(name="雅诗兰黛全球创新研发中心", industry="研发", signed_date="2026-03-01")
    return res.Firm(firm_id=firm_id, **{**fields, **kw})


def target(target_id: str = "fiscal-revenue-2026", **kw) -> res.TownTarget:
    fields = dict(name="财政总收入", year=2026, target=66.5, unit="亿元", comparison=res.COMPARISON_AT_LEAST)
    return res.TownTarget(target_id=target_id, **{**fields, **kw})


@pytest.fixture
def settings(nats_url, database) -> RegistrySettings:
    """A fresh grid id (its own stream on the shared nats-server) on this test's database."""
    return RegistrySettings(
        grid_id=f"{GRID}-{uuid.uuid4().hex[:6]}",
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
    )


@pytest.fixture
async def replicas(settings):
    """Starts registry replicas on the same database and stream: `await replicas(n)` → [(app, stub), …]."""
    started: list[tuple[App, grpc.aio.Channel]] = []

    async def start(n: int = 1):
        out = []
        for _ in range(n):
            app = App(settings, SHANGHAI)
            await app.start()
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{app.port}")
            started.append((app, channel))
            out.append((app, pb_grpc.RegistryServiceStub(channel)))
        return out

    yield start
    for app, channel in reversed(started):
        await channel.close()
        await app.stop()


@pytest.fixture
async def registry(replicas):
    """One registry replica and a client."""
    (pair,) = await replicas(1)
    return pair
