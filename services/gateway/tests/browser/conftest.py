"""Browser tests of the dashboard: Python Playwright driving Debian's chromium against the REAL gateway.

The stack is the one the gateway's integration tests build (tests/integration/conftest.py), with the demo's data:
two grids of deploy/scenarios/hongqiao.yaml (A = jinhui-shanghong, B = longbai), each with real ingest (the
scenario's devices and the field units' radios registered), cases, dispatch (the field units imported) and
analytics (the scenario's places and crowd zones); one registry loaded with deploy/registry/*.csv; the gateway
(`microbrain_gateway.app.create_app`) serving the API and the real pages on a free port; a town admin and a grid
operator of grid A. Alarms, radio GPS fixes and crowd levels reach the pages the way they do in production: over
NATS (mb.<grid>.alarms.raised, mb.<grid>.analytics.crowd_level_changed) and ingest's gRPC StreamEvents.

Everything asynchronous runs on an event loop of its own in a background thread, so the services keep serving
while the (synchronous) Playwright tests drive the browser. MB_TEST_DATABASE_URL selects PostgreSQL (a schema for
the module), SQLite otherwise. Chromium comes from scripts/install_browser.sh (`make browser`).
"""

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import httpx
import pytest
import uvicorn
from google.protobuf.json_format import MessageToDict, ParseDict
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import events_pb2 as analytics_events
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.common.v1 import common_pb2
from microbrain.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from microbrain.dispatch.v1 import dispatch_service_pb2_grpc as dispatch_grpc
from microbrain.ingest.v1 import ingest_service_pb2 as ingest_pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as ingest_grpc
from microbrain.ingest.v1 import resources_pb2 as ingest_res
from microbrain_analytics.app import App as AnalyticsApp
from microbrain_analytics.config import AnalyticsSettings
from microbrain_analytics.places import load_places
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App as CasesApp
from microbrain_cli import registry as registry_cli
from microbrain_cli.scenario import grid_scenario, load_scenario
from microbrain_dispatch.app import App as DispatchApp
from microbrain_dispatch.config import DispatchSettings
from microbrain_gateway import auth
from microbrain_gateway.app import create_app
from microbrain_gateway.config import GatewaySettings
from microbrain_ingest.config import IngestSettings
from microbrain_ingest.wiring import App as IngestApp
from microbrain_kit.bus import Bus
from microbrain_kit.db import create_engine, session_factory
from microbrain_kit.evidence import JetStreamEvidenceStore
from microbrain_kit.testing import free_port
from microbrain_registry.app import App as RegistryApp
from microbrain_registry.config import RegistrySettings
from sqlalchemy import text

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path("/tmp/mb-screens")
REPO = Path(__file__).resolve().parents[4]
SCENARIO = REPO / "deploy" / "scenarios" / "hongqiao.yaml"
REGISTRY_SEED = REPO / "deploy" / "registry"
SHANGHAI = ZoneInfo("Asia/Shanghai")
GRID_A, GRID_B = "jinhui-shanghong", "longbai"
USERS = {  # username: (password, role, grids, display name)
    "admin": ("admin-pass", "town_admin", [], "镇城运中心"),
    "op-jinhui": ("op-jinhui-pass", "grid_operator", [GRID_A], "李栋梁"),
}
UNIT_POSITIONS = {  # where grid A's units are when the day starts (made up, near the scenario's places)
    "unit-01": (31.1866, 121.3940),
    "unit-02": (31.1812, 121.3912),
    "unit-03": (31.1838, 121.3978),
    "unit-05": (31.1869, 121.3956),
}
# One more unit on duty in grid A than the scenario lists, so that one is still free (near 耕读园) when the desk
# rings units for a case: the scenario's three are all rung by dispatch for the day's cases.
EXTRA_UNIT = {"id": "unit-05", "grid": GRID_A, "members": ["城管队员 E"], "skills": ["enforcement"]}
SEED_ALARMS = {  # name: (grid, type, place, title, camera, severity)
    "ebike": (
        GRID_A,
        "ebike_in_elevator",
        "gengduyuan-22",
        "电动车进入电梯 · 耕读园 22 号 A 梯",
        "cam-gdy22-lift-a",
        "SEVERITY_CRITICAL",
    ),
    "crowd": (
        GRID_A,
        "crowd_over_threshold",
        "seoul-night-market",
        "客流超过预警 · 首尔夜市 主街",
        "cam-seoul-street",
        "SEVERITY_WARNING",
    ),
    "secret": (GRID_B, "manual_report", "longbai-xincun-7", "龙柏机密案件 · 楼道堆物", "", ""),
}
SNAPSHOT_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">
<rect width="640" height="400" fill="#262c36"/><path d="M0 400 L180 150 H460 L640 400 Z" fill="#59606b"/>
<rect x="250" y="190" width="150" height="170" fill="none" stroke="#ff3b3b" stroke-width="4"/>
<text x="256" y="183" font-family="sans-serif" font-size="16" fill="#fff">{label}</text>
<text x="16" y="28" font-family="monospace" font-size="16" fill="#e0e0e0">{camera} {when} {nonce}</text>
</svg>"""


def units_csv(scenario: dict, grid: str) -> str:
    """The scenario's field units of grid as dispatch's ImportUnits CSV (each with its radio)."""
    rows = ["unit_id,members,skills,radio_device_id"]
    for u in scenario.get("field_units", []):
        if u["grid"] == grid:
            rows.append(f"{u['id']},{';'.join(u.get('members', []))},{';'.join(u.get('skills', []))},radio-{u['id']}")
    return "\n".join(rows) + "\n"


class Loop:
    """An asyncio loop running in a daemon thread; run() waits for a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mb-stack", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_the_rest() -> None:  # what the services left running (ordered consumers' checks...)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_the_rest(), 15)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Stack:
    """The real services of two grids, the registry and the gateway, driven from the background loop."""

    def __init__(self, nats_url: str, workdir: Path) -> None:
        self.nats_url, self.workdir = nats_url, workdir
        self.grid_a, self.grid_b = GRID_A, GRID_B
        self.scenario = load_scenario(SCENARIO)
        self.scenario["field_units"].append(EXTRA_UNIT)
        self.started: list = []
        self.channels: list[grpc.aio.Channel] = []
        self.apps: dict[str, dict] = {}
        self.cases: dict[str, cases_grpc.CaseServiceStub] = {}
        self.ingest: dict[str, ingest_grpc.IngestServiceStub] = {}
        self.radio_secrets: dict[tuple[str, str], str] = {}
        self.databases: dict[str, tuple[str, str]] = {}
        self.seeded: dict[str, str] = {}

    # -- start and stop --------------------------------------------------------------------------------------
    async def start(self) -> None:
        # Each grid's services keep their tables in the grid's own database, as each micro-brain does; the town's
        # registry and the gateway in a third. (With one shared database grid B's dispatch rings grid A's units:
        # dispatch's unit table is not filtered by grid.)
        url = os.environ.get("MB_TEST_DATABASE_URL")
        for part in (GRID_A, GRID_B, "town"):
            if url:
                schema = f"t_{uuid.uuid4().hex[:12]}"
                admin = create_engine(url)
                async with admin.begin() as conn:
                    await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                await admin.dispose()
                self.databases[part] = (url, schema)
            else:
                self.databases[part] = (f"sqlite+aiosqlite:///{self.workdir / (part + '.db')}", "")
        self.bus = await Bus.connect(self.nats_url, name="browser-test")
        self.evidence = JetStreamEvidenceStore(self.bus.js)
        targets: dict[str, dict[str, str]] = {}
        for grid in (GRID_A, GRID_B):
            targets[grid] = await self._start_grid(grid)
        registry = await self._start(RegistryApp(RegistrySettings(**self._common(GRID_A, "town")), SHANGHAI))
        await registry_cli.seed(f"127.0.0.1:{registry.port}", REGISTRY_SEED, actor="browser-test")
        await self._start_gateway(targets, f"127.0.0.1:{registry.port}")
        await self._seed()

    async def _seed(self) -> None:
        """The day so far: the units' radios report where they are; cameras raised alarms in grid A, and a report
        came in for grid B; each opened a case (and dispatch rang a unit for it)."""
        for unit, (lat, lon) in UNIT_POSITIONS.items():
            await self.gps_fix({"grid_id": GRID_A, "unit_id": unit, "position": {"lat": lat, "lon": lon}})
        sent = {}
        for name, (grid, alarm_type, place, title, camera, severity) in SEED_ALARMS.items():
            sent[name] = (grid, await self.raise_alarm(self.alarm(grid, alarm_type, place, title, camera, severity)))
        self.seeded = {name: (await self.case_of_alarm(grid, aid)).case_id for name, (grid, aid) in sent.items()}

    def alarm(self, grid: str, alarm_type: str, place: str, title: str, camera: str = "", severity: str = "") -> dict:
        """{"grid_id", "alarm"} of an alarm at one of the scenario's places (its position from there)."""
        at = next((p["at"] for p in self.scenario["places"] if p["id"] == place), None)
        body = {"type": alarm_type, "source": "vision" if camera else "gateway", "place_id": place, "title": title}
        if at:
            body["location"] = {"lat": at[0], "lon": at[1]}
        if camera:
            body["device"] = {"device_id": camera}
        if severity:
            body["severity"] = severity
        return {"grid_id": grid, "alarm": body}

    def _common(self, grid: str, part: str = "") -> dict:
        url, schema = self.databases[part or grid]
        return dict(
            grid_id=grid,
            database_url=url,
            database_schema=schema,
            nats_url=self.nats_url,
            grpc_host="127.0.0.1",
            grpc_port=0,
            metrics_port=0,
        )

    async def _start(self, app):
        await app.start()
        self.started.append(app)
        return app

    def _channel(self, port: int) -> grpc.aio.Channel:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
        self.channels.append(channel)
        return channel

    async def _start_grid(self, grid: str) -> dict[str, str]:
        common = self._common(grid)
        await self.bus.ensure_stream(f"mb-{grid}-vision", [f"mb.{grid}.vision.*"])  # as vision declares it
        ingest = await self._start(IngestApp(IngestSettings(**common)))
        cases = await self._start(CasesApp(CasesSettings(**common, timer_interval_s=0.5)))
        dispatch = await self._start(
            DispatchApp(
                DispatchSettings(
                    **common,
                    ingest_target=f"127.0.0.1:{ingest.port}",
                    cases_target=f"127.0.0.1:{cases.port}",
                    ack_timeout_s=600,
                )
            )
        )
        places = load_places(str(SCENARIO), grid)
        analytics = await self._start(AnalyticsApp(AnalyticsSettings(**common), places, SHANGHAI))
        self.apps[grid] = dict(ingest=ingest, cases=cases, dispatch=dispatch, analytics=analytics)
        self.cases[grid] = cases_grpc.CaseServiceStub(self._channel(cases.port))
        self.ingest[grid] = ingest_grpc.IngestServiceStub(self._channel(ingest.port))
        await dispatch_grpc.DispatchServiceStub(self._channel(dispatch.port)).ImportUnits(
            dispatch_pb.ImportUnitsRequest(csv=units_csv(self.scenario, grid))
        )
        # the scenario's devices and the units' radios, as `make run`'s simulator registers them
        for spec in grid_scenario(self.scenario, grid).devices:
            reply = await self.ingest[grid].RegisterDevice(
                ingest_pb.RegisterDeviceRequest(
                    device_id=spec.device_id,
                    kind=spec.kind,
                    name=spec.name,
                    place_id=spec.place_id,
                    location=common_pb2.GeoPoint(lat=spec.lat, lon=spec.lon),
                    labels=spec.labels,
                )
            )
            self.radio_secrets[(grid, spec.device_id)] = reply.secret
        return dict(
            cases_target=f"127.0.0.1:{cases.port}",
            dispatch_target=f"127.0.0.1:{dispatch.port}",
            analytics_target=f"127.0.0.1:{analytics.port}",
            ingest_target=f"127.0.0.1:{ingest.port}",
        )

    async def _start_gateway(self, targets: dict[str, dict[str, str]], registry_target: str) -> None:
        names = {g["id"]: g.get("name", g["id"]) for g in self.scenario["grids"]}
        lines = []
        for grid, where in targets.items():
            lines.append(f"- grid_id: {grid}\n  name: {names[grid]}")
            lines += [f"  {k}: {v}" for k, v in where.items()]
        grids_file = self.workdir / "grids.yaml"
        grids_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        url, schema = self.databases["town"]
        settings = GatewaySettings(
            grid_id=GRID_A,
            database_url=url,
            database_schema=schema,
            nats_url=self.nats_url,
            grids=str(grids_file),
            registry_target=registry_target,
            jwt_secret="browser-test-secret-that-is-long-enough-for-hs256",
            sse_heartbeat_s=1,
        )
        port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        self.serving = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.serving.done():
                self.serving.result()
            await asyncio.sleep(0.05)
        self.url = f"http://127.0.0.1:{port}"
        engine = create_engine(url, schema=schema or None)
        async with session_factory(engine)() as session:
            for name, (password, role, grids, display) in USERS.items():
                await auth.add_user(
                    session, username=name, password=password, role=role, grids=grids, display_name=display
                )
            await session.commit()
        await engine.dispose()

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.serving, 30)
        for channel in self.channels:
            await channel.close()
        for app in reversed(self.started):
            await app.stop()
        await self.bus.close()
        for url, schema in self.databases.values():
            if schema:
                admin = create_engine(url)
                async with admin.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                await admin.dispose()

    # -- what the tests send ---------------------------------------------------------------------------------
    async def snapshot(self, grid: str, camera: str, label: str) -> common_pb2.EvidenceRef:
        """A camera snapshot put in the grid's evidence store, as vision does before it raises an alarm."""
        now = datetime.now(UTC)
        svg = SNAPSHOT_SVG.format(label=label, camera=camera, when=now.strftime("%H:%M:%S"), nonce=uuid.uuid4().hex[:6])
        return await self.evidence.put(grid, svg.encode(), content_type="image/svg+xml", captured_at=now)

    async def raise_alarm(self, data: dict) -> str:
        """Publishes {"grid_id", "alarm": AlarmRaised as a dict} on mb.<grid>.alarms.raised; returns the alarm id."""
        grid = data["grid_id"]
        alarm = ParseDict(data["alarm"], alarms_pb2.AlarmRaised())
        if not alarm.meta.event_id:
            alarm.meta.event_id = str(uuid.uuid4())
        alarm.meta.grid_id = grid
        if not alarm.meta.HasField("occurred_at"):
            alarm.meta.occurred_at.GetCurrentTime()
        if alarm.device.device_id and not alarm.evidence:
            alarm.evidence.append(await self.snapshot(grid, alarm.device.device_id, alarm.type))
        await self.bus.js.publish(
            f"mb.{grid}.alarms.raised", alarm.SerializeToString(), headers={"Nats-Msg-Id": alarm.meta.event_id}
        )
        return alarm.meta.event_id

    async def case_of_alarm(self, grid: str, alarm_id: str, timeout: float = 15):
        """The case cases opened for the alarm (waits for it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            reply = await self.cases[grid].ListCases(cases_pb.ListCasesRequest())
            for case in reply.cases:
                if alarm_id in case.alarm_ids:
                    return case
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"no case for alarm {alarm_id} in {grid} after {timeout} s")
            await asyncio.sleep(0.1)

    async def get_case(self, grid: str, case_id: str):
        return (await self.cases[grid].GetCase(cases_pb.GetCaseRequest(case_id=case_id))).case

    async def gps_fix(self, data: dict) -> None:
        """{"grid_id", "unit_id", "position": {"lat", "lon"}}: the unit's radio sends a GPS fix through ingest."""
        grid, device_id = data["grid_id"], data.get("device_id") or f"radio-{data['unit_id']}"
        secret = self.radio_secrets[(grid, device_id)]
        call = self.ingest[grid].StreamEvents(metadata=[("x-mb-device-id", device_id), ("x-mb-device-secret", secret)])
        fix = ingest_res.DeviceEvent(
            event_id=str(uuid.uuid4()),
            type="gps_fix",
            gps=ingest_res.GpsFix(position=common_pb2.GeoPoint(**data["position"])),
        )
        fix.occurred_at.FromDatetime(datetime.now(UTC))
        await call.write(ingest_pb.StreamEventsRequest(seq=1, event=fix))
        reply = await asyncio.wait_for(call.read(), 10)
        call.cancel()
        if not reply.acks or reply.acks[0].code != 0:
            raise RuntimeError(f"ingest did not take the GPS fix of {device_id}: {reply}")

    async def crowd_level(self, data: dict) -> None:
        """{"grid_id", "occupancy", "from_level", "to_level"} published as analytics' CrowdLevelChanged."""
        grid = data["grid_id"]
        event = ParseDict({k: v for k, v in data.items() if k != "grid_id"}, analytics_events.CrowdLevelChanged())
        event.meta.event_id, event.meta.grid_id, event.meta.producer = str(uuid.uuid4()), grid, "analytics"
        event.meta.occurred_at.GetCurrentTime()
        await self.bus.js.publish(
            f"mb.{grid}.analytics.crowd_level_changed",
            event.SerializeToString(),
            headers={"Nats-Msg-Id": event.meta.event_id},
        )


class Gateway:
    """What the tests use: the gateway's URL, the grids, the seeded cases' ids, publish() of a live event, and the
    services' view of the cases (as the API renders them) to compare the pages with."""

    def __init__(self, stack: Stack, loop: Loop) -> None:
        self.stack, self.loop = stack, loop
        self.url, self.grid_a, self.grid_b = stack.url, stack.grid_a, stack.grid_b
        self.seeded = stack.seeded
        self.alarm = stack.alarm

    def publish(self, event: str, data: dict) -> str | None:
        """A live event the real way: "alarm" (AlarmRaised on NATS; returns the alarm id), "unit" (a radio GPS fix
        through ingest), "crowd" (CrowdLevelChanged on NATS)."""
        handler = {"alarm": self.stack.raise_alarm, "unit": self.stack.gps_fix, "crowd": self.stack.crowd_level}[event]
        return self.loop.run(handler(data), 30)

    def case_of_alarm(self, grid: str, alarm_id: str, timeout: float = 15) -> dict:
        return _dict(self.loop.run(self.stack.case_of_alarm(grid, alarm_id, timeout), timeout + 5))

    def get_case(self, grid: str, case_id: str) -> dict:
        return _dict(self.loop.run(self.stack.get_case(grid, case_id)))

    def list_cases(self, grid: str) -> list[dict]:
        async def fetch():
            return await self.stack.cases[grid].ListCases(cases_pb.ListCasesRequest(page=common_pb2.PageRequest()))

        return [_dict(c) for c in self.loop.run(fetch()).cases]

    def api(self, user: tuple[str, str], path: str) -> dict:
        """GET of an API route as user (username, password)."""
        with httpx.Client(base_url=self.url, timeout=15) as client:
            login = client.post("/api/v1/auth/login", json={"username": user[0], "password": user[1]})
            login.raise_for_status()
            reply = client.get(path, headers={"Authorization": f"Bearer {login.json()['access_token']}"})
            reply.raise_for_status()
            return reply.json()


def _dict(message) -> dict:
    return MessageToDict(message, preserving_proto_field_name=True)


@pytest.fixture(scope="module")
def gateway(nats_url, tmp_path_factory) -> Iterator[Gateway]:
    loop = Loop()
    stack = Stack(nats_url, tmp_path_factory.mktemp("browser-stack"))
    try:
        loop.run(stack.start(), 120)
        yield Gateway(stack, loop)
    finally:
        try:
            loop.run(stack.stop(), 60)
        finally:
            loop.close()


@pytest.fixture(scope="module")  # not longer: sync Playwright keeps an event loop running while it lives
def browser():
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (scripts/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def shoot(tmp_path):
    """page.screenshot into tmp_path, copied to /tmp/mb-screens/ for a person to look at."""

    def take(page, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path))
        try:
            SCREENS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, SCREENS / path.name)
        except OSError:
            pass
        return path

    return take
