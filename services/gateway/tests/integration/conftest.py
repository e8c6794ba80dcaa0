"""The gateway over HTTP (uvicorn in-process on a free port) in front of real services of two grids — ingest,
cases, dispatch and analytics per grid, one registry — on the session's nats-server and one database."""

import asyncio
import os
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import httpx
import pytest
import uvicorn
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as dispatch_grpc
from microbrain_analytics.app import App as AnalyticsApp
from microbrain_analytics.config import AnalyticsSettings
from microbrain_analytics.places import Places
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App as CasesApp
from microbrain_dispatch.app import App as DispatchApp
from microbrain_dispatch.config import DispatchSettings
from microbrain_gateway import auth
from microbrain_gateway.app import create_app
from microbrain_gateway.config import GatewaySettings
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import App as IngestApp
from microbrain_kit.bus import Bus
from microbrain_kit.db import create_engine, session_factory
from microbrain_kit.testing import free_port
from microbrain_registry.app import App as RegistryApp
from microbrain_registry.config import RegistrySettings
from microbrain_vision.config import VisionSettings
from microbrain_vision.wiring import App as VisionApp
from sqlalchemy import text

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[4]
PASSWORD = "correct horse battery"
UNITS_CSV = """unit_id,members,skills,radio_device_id
unit-01,网格员 A,property;persuasion,radio-unit-01
unit-02,网格员 B,persuasion,radio-unit-02
"""


async def serve(app) -> tuple[uvicorn.Server, asyncio.Task, str]:
    """Serves an ASGI app with uvicorn on a free port in this event loop: (server, its task, base URL). Stop it with
    `server.should_exit = True` and await the task."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    return server, task, f"http://127.0.0.1:{port}"


class Stack:
    """What the tests use: the grids, the gateway's URL, tokens per user, gRPC stubs of each grid's cases."""

    grid_a: str
    grid_b: str
    url: str
    tokens: dict[str, str]
    cases: dict[str, cases_grpc.CaseServiceStub]
    apps: dict
    bus: Bus

    def client(self, user: str | None = None, **kw) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=15, **kw)

    async def open_case(self, grid: str, title: str = "堆物") -> str:
        """Opens a manual case in grid through cases' gRPC API; returns its id."""
        reply = await self.cases[grid].OpenCase(
            cases_pb.OpenCaseRequest(
                request_id=str(uuid.uuid4()),
                case_type="manual_report",
                place_id=f"place-{uuid.uuid4().hex[:8]}",  # cases' open key has no grid: keep grids' cases apart
                title=title,
            )
        )
        return reply.case.case_id


@pytest.fixture(scope="module")
async def module_db(tmp_path_factory):
    """One database for the module's services (PostgreSQL schema when MB_TEST_DATABASE_URL is set)."""
    url = os.environ.get("MB_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gw') / 'test.db'}", ""
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture(scope="module")
async def stack(nats_url, module_db, tmp_path_factory):
    url, schema = module_db
    suffix = uuid.uuid4().hex[:6]
    grid_a, grid_b = f"ga-{suffix}", f"gb-{suffix}"
    started: list = []
    bus = await Bus.connect(nats_url, name="test")

    def common(grid: str) -> dict:
        return dict(
            grid_id=grid,
            database_url=url,
            database_schema=schema,
            nats_url=nats_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
        )

    async def start(app):
        await app.start()
        started.append(app)
        return app

    targets: dict[str, dict[str, str]] = {}
    stubs: dict[str, cases_grpc.CaseServiceStub] = {}
    channels = []
    apps: dict = {}
    for grid in (grid_a, grid_b):
        await bus.ensure_stream(f"mb-{grid}-vision", [f"mb.{grid}.vision.*"])  # as vision declares it
        ingest = await start(IngestApp(IngestSettings(**common(grid))))
        cases = await start(CasesApp(CasesSettings(**common(grid), timer_interval_s=0.5)))
        dispatch = await start(
            DispatchApp(
                DispatchSettings(
                    **common(grid),
                    ingest_target=f"127.0.0.1:{ingest.port}",
                    cases_target=f"127.0.0.1:{cases.port}",
                    ack_timeout_s=600,
                )
            )
        )
        analytics = await start(AnalyticsApp(AnalyticsSettings(**common(grid), kpi_interval_s=0), Places(), SHANGHAI))
        apps[grid] = dict(ingest=ingest, cases=cases, dispatch=dispatch, analytics=analytics)
        targets[grid] = dict(
            cases_target=f"127.0.0.1:{cases.port}",
            dispatch_target=f"127.0.0.1:{dispatch.port}",
            analytics_target=f"127.0.0.1:{analytics.port}",
            ingest_target=f"127.0.0.1:{ingest.port}",
        )
        if grid == grid_a:  # vision (its camera configuration) for grid A only: a model load is not free
            vision = await start(
                VisionApp(
                    VisionSettings(
                        **common(grid),
                        model_path=str(REPO / "models" / "nanodet-m.onnx"),
                        cameras=str(REPO / "deploy" / "vision" / "cameras.yaml"),
                    )
                )
            )
            targets[grid]["vision_target"] = f"127.0.0.1:{vision.port}"
        channel = grpc.aio.insecure_channel(targets[grid]["cases_target"])
        channels.append(channel)
        stubs[grid] = cases_grpc.CaseServiceStub(channel)
        ch = grpc.aio.insecure_channel(targets[grid]["dispatch_target"])
        channels.append(ch)
        await dispatch_grpc.DispatchServiceStub(ch).ImportUnits(dispatch_pb.ImportUnitsRequest(csv=UNITS_CSV))
    registry = await start(RegistryApp(RegistrySettings(**common(grid_a)), SHANGHAI))
    apps["registry"] = registry

    grids_file = Path(tmp_path_factory.mktemp("gwcfg")) / "grids.yaml"
    lines = []
    for grid, name in ((grid_a, "金汇/上虹"), (grid_b, "虹桥北")):
        lines.append(f"- grid_id: {grid}\n  name: {name}")
        lines += [f"  {k}: {v}" for k, v in targets[grid].items()]
    grids_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = GatewaySettings(
        grid_id=grid_a,
        database_url=url,
        database_schema=schema,
        nats_url=nats_url,
        grids=str(grids_file),
        registry_target=f"127.0.0.1:{registry.port}",
        jwt_secret="test-secret-that-is-long-enough-for-hs256",
        sse_heartbeat_s=1,
    )
    server, serving, base_url = await serve(create_app(settings))

    engine = create_engine(url, schema=schema or None)
    users = {
        "admin": ("town_admin", []),
        "op-a": ("grid_operator", [grid_a]),
        "op-b": ("grid_operator", [grid_b]),
        "viewer": ("district_viewer", []),
        "auditor": ("auditor", []),
        "unit-01": ("field_unit", [grid_a]),
        "unit-02": ("field_unit", [grid_a]),
    }
    async with session_factory(engine)() as session:
        for name, (role, grids) in users.items():
            await auth.add_user(session, username=name, password=PASSWORD, role=role, grids=grids)
        await session.commit()
    await engine.dispose()

    s = Stack()
    s.grid_a, s.grid_b, s.url, s.cases, s.apps, s.bus = grid_a, grid_b, base_url, stubs, apps, bus
    s.tokens = {}
    async with httpx.AsyncClient(base_url=s.url) as client:
        for name in users:
            reply = await client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            s.tokens[name] = reply.json()["access_token"]
    yield s
    server.should_exit = True
    await asyncio.wait_for(serving, 30)
    for ch in channels:
        await ch.close()
    for app in reversed(started):
        await app.stop()
    await bus.close()
