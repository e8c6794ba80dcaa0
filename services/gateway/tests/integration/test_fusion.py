"""Platform fusion through real HTTP: an outside platform's signed alarm becomes a case (real cases service, once
per external id; bad signatures, stale timestamps and bad bodies refused), and case events go out to webhooks,
signed, retried with backoff until taken, and dead-lettered when never taken."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

import grpc
import httpx
import pytest
from fastapi import FastAPI, Request, Response
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain_cases.config import CasesSettings
from microbrain_cases.wiring import App as CasesApp
from microbrain_gateway import auth
from microbrain_gateway.app import create_app
from microbrain_gateway.config import GatewaySettings
from microbrain_kit.db import create_engine, session_factory
from microbrain_kit.testing import eventually

from .conftest import serve

ADAPTER_SECRET = "police-platform-shared-secret"
HOOK_SECRET = "city-command-webhook-secret"


class Receiver:
    """An outside platform's webhook endpoint: records what arrives, refuses the first `fail` attempts."""

    def __init__(self, fail: int) -> None:
        self.fail, self.seen = fail, []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.seen.append((dict(request.headers), await request.body()))
            if len(self.seen) <= self.fail:
                return Response("busy", status_code=503)
            return Response(status_code=204)


@pytest.fixture
async def fused(nats_url, database, tmp_path):
    grid = f"fusion-{uuid.uuid4().hex[:6]}"
    common = dict(
        grid_id=grid,
        database_url=database.url,
        database_schema=database.schema or "",
        nats_url=nats_url,
        grpc_host="127.0.0.1",
        grpc_port=0,
        metrics_port=0,
    )
    cases = CasesApp(CasesSettings(**common))
    await cases.start()
    flaky, dead = Receiver(fail=2), Receiver(fail=100)
    servers = [await serve(flaky.app), await serve(dead.app)]
    fusion = tmp_path / "fusion.yaml"
    fusion.write_text(
        f"""
adapters:
  - name: police-video
    secret: {ADAPTER_SECRET}
    types: {{"非机动车进电梯": ebike_in_elevator}}
webhooks:
  - name: city-command
    url: {servers[0][2]}/hook
    secret: {HOOK_SECRET}
    events: [case_opened]
    backoff_s: [0.2, 0.4]
  - name: broken-platform
    url: {servers[1][2]}/hook
    secret: {HOOK_SECRET}
    events: [case_opened]
    max_attempts: 3
    backoff_s: [0.2]
""",
        encoding="utf-8",
    )
    settings = GatewaySettings(
        **{k: v for k, v in common.items() if k not in ("grpc_host", "grpc_port", "metrics_port")},
        cases_target=f"127.0.0.1:{cases.port}",
        jwt_secret="test-secret-that-is-long-enough-for-hs256",
        fusion=str(fusion),
    )
    gateway = await serve(create_app(settings))
    engine = create_engine(database.url, schema=database.schema)
    async with session_factory(engine)() as session:
        await auth.add_user(session, username="admin", password="correct horse", role="town_admin", grids=[])
        await session.commit()
    await engine.dispose()
    async with httpx.AsyncClient(base_url=gateway[2], timeout=10) as http:
        token = (await http.post("/api/v1/auth/login", json={"username": "admin", "password": "correct horse"})).json()
        http.headers["Authorization"] = f"Bearer {token['access_token']}"
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}")
        yield grid, http, cases_grpc.CaseServiceStub(channel), flaky, dead
        await channel.close()
    for server, task, _ in (gateway, *servers):
        server.should_exit = True
        await task
    await cases.stop()


def signed(body: dict, secret: str = ADAPTER_SECRET, at: float | None = None) -> tuple[bytes, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    timestamp = str(int(at if at is not None else time.time()))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {
        "Content-Type": "application/json",
        "X-Microbrain-Timestamp": timestamp,
        "X-Microbrain-Signature": f"sha256={mac}",
    }


def police_alarm(grid: str, external_id: str) -> dict:
    return {
        "external_id": external_id,
        "type": "非机动车进电梯",
        "occurred_at": datetime.now(UTC).isoformat(),
        "grid_id": grid,
        "place_id": "gengduyuan-22",
        "lat": 31.1872,
        "lon": 121.3951,
        "title": "公安视频平台：非机动车进电梯",
        "severity": "critical",
    }


async def test_a_signed_outside_alarm_opens_one_case_and_bad_requests_are_refused(fused):
    grid, http, cases, _, _ = fused
    raw, headers = signed(police_alarm(grid, "PV-20261126-0001"))
    first = await http.post("/api/v1/adapters/police-video/alarms", content=raw, headers=headers)
    assert first.status_code == 202, first.text
    assert first.json() == {
        "alarm_id": "police-video-PV-20261126-0001",
        "grid_id": grid,
        "type": "ebike_in_elevator",
        "duplicate": False,
    }
    again = await http.post("/api/v1/adapters/police-video/alarms", content=raw, headers=headers)
    assert again.status_code == 202 and again.json()["duplicate"] is True

    async def opened():
        listed = (await cases.ListCases(cases_pb.ListCasesRequest())).cases
        return listed or None

    (case,) = await eventually(opened)
    assert (case.case_type, case.place_id, case.title) == (
        "ebike_in_elevator",
        "gengduyuan-22",
        "公安视频平台：非机动车进电梯",
    )
    assert list(case.alarm_ids) == ["police-video-PV-20261126-0001"]

    wrong, headers = signed(police_alarm(grid, "PV-2"), secret="someone-elses-secret-value")
    reply = await http.post("/api/v1/adapters/police-video/alarms", content=wrong, headers=headers)
    assert reply.status_code == 401 and "Signature" in reply.json()["error"]["message"]
    stale, headers = signed(police_alarm(grid, "PV-3"), at=time.time() - 3600)
    reply = await http.post("/api/v1/adapters/police-video/alarms", content=stale, headers=headers)
    assert reply.status_code == 401 and "off" in reply.json()["error"]["message"]
    bad, headers = signed({"external_id": "PV-4", "type": "x", "occurred_at": "yesterday"})
    reply = await http.post("/api/v1/adapters/police-video/alarms", content=bad, headers=headers)
    assert reply.status_code == 400 and "occurred_at" in reply.json()["error"]["message"]
    unknown = await http.post("/api/v1/adapters/nobody/alarms", content=raw, headers=headers)
    assert unknown.status_code == 404


async def test_case_events_go_out_signed_retried_and_dead_lettered(fused):
    grid, http, cases, flaky, dead = fused
    opened = await cases.OpenCase(
        cases_pb.OpenCaseRequest(request_id="r-1", case_type="manual_report", place_id="p-1", title="堆物")
    )
    case_id = opened.case.case_id

    async def delivered():
        return len(flaky.seen) == 3 or None  # two refusals (503), then taken

    assert await eventually(delivered, timeout=15)
    headers, body = flaky.seen[-1]
    payload = json.loads(body)
    assert (payload["event"], payload["grid_id"], payload["case"]["case_id"]) == ("case_opened", grid, case_id)
    assert headers["x-microbrain-event-id"] == payload["event_id"] == flaky.seen[0][0]["x-microbrain-event-id"]
    mac = hmac.new(HOOK_SECRET.encode(), headers["x-microbrain-timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["x-microbrain-signature"] == f"sha256={mac.hexdigest()}"

    async def dead_lettered():
        reply = await http.get("/api/v1/webhooks/dead-letters")
        letters = [d for d in reply.json()["dead_letters"] if d["webhook"] == "broken-platform"]
        return letters or None

    (letter,) = await eventually(dead_lettered, timeout=15)
    assert (letter["event"], letter["attempts"]) == ("case_opened", 3) and "HTTP 503" in letter["error"]
    assert len(dead.seen) == 3
    dead.fail = 0  # the platform is back: a person retries the letter
    retried = await http.post(f"/api/v1/webhooks/dead-letters/{letter['id']}/retry")
    assert retried.status_code == 200 and len(dead.seen) == 4
    assert (await http.get("/api/v1/webhooks/dead-letters")).json()["dead_letters"] == []
