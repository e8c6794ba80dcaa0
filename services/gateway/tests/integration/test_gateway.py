"""The gateway through real HTTP in front of real services: login and its rate limit, roles, grid isolation on
every route that returns a grid's data, case transitions with the user as actor, analytics, registry, and SSE with
Last-Event-ID resume."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from microbrain.alarms.v1 import alarms_pb2
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.common.v1 import common_pb2
from microbrain.registry.v1 import registry_service_pb2 as reg_pb
from microbrain.registry.v1 import registry_service_pb2_grpc as reg_grpc
from microbrain.registry.v1 import resources_pb2 as reg_res
from microbrain_kit.testing import eventually

pytestmark = pytest.mark.timeout(180)
PASSWORD = "correct horse battery"


def grid_routes(grid: str, case_id: str, key: str) -> list[tuple[str, str, dict | None]]:
    """Every route that names a grid: (method, path, json body)."""
    base = f"/api/v1/grids/{grid}"
    return [
        ("GET", f"{base}/cases", None),
        ("GET", f"{base}/cases/{case_id}", None),
        ("POST", f"{base}/cases/{case_id}/transition", {"to_state": "CASE_STATE_RESOLVED", "reason": "x"}),
        ("POST", f"{base}/cases/{case_id}/notes", {"text": "hi"}),
        ("GET", f"{base}/evidence/{key}?case_id={case_id}", None),
        ("GET", f"{base}/units", None),
        ("POST", f"{base}/calls", {"case_id": case_id}),
        ("GET", f"{base}/devices", None),
        ("GET", f"{base}/cameras", None),
        ("GET", f"{base}/alarms", None),
        ("GET", f"{base}/analytics/kpis", None),
        ("GET", f"{base}/analytics/trend", None),
        ("GET", f"{base}/analytics/profile", None),
        ("GET", f"{base}/analytics/crowd", None),
        ("GET", f"{base}/analytics/sla", None),
        ("GET", f"{base}/charts/trend.svg", None),
        ("GET", f"{base}/charts/profile.png", None),
        ("GET", f"/api/v1/events?grid={grid}", None),
    ]


async def case_with_evidence(stack, grid: str) -> tuple[str, str]:
    case_id = await stack.open_case(grid)
    reply = await stack.cases[grid].AddEvidence(
        cases_pb.AddEvidenceRequest(
            case_id=case_id,
            actor="test",
            upload=cases_pb.EvidenceUpload(data=b"\xff\xd8jpeg " + grid.encode(), content_type="image/jpeg"),
        )
    )
    return case_id, reply.evidence.key


async def test_docs_health_and_metrics(stack):
    async with stack.client() as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        assert "/api/v1/grids/{grid}/cases" in (await c.get("/openapi.json")).json()["paths"]
        assert (await c.get("/docs")).status_code == 200
        await c.get("/api/v1/me")
        metrics = (await c.get("/metrics")).text
    assert 'microbrain_gateway_request_duration_seconds_count{method="GET",route="/api/v1/me",status="401"}' in metrics


async def test_login_and_rate_limit(stack):
    async with stack.client() as c:
        ok = await c.post("/api/v1/auth/login", json={"username": "op-a", "password": PASSWORD})
        assert ok.status_code == 200
        body = ok.json()
        assert body["token_type"] == "bearer" and body["user"]["grids"] == [stack.grid_a]
        me = await c.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["role"] == "grid_operator"
        bad = await c.post("/api/v1/auth/login", json={"username": "op-a", "password": "wrong"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "UNAUTHENTICATED"
        assert (await c.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})).status_code == 401

        # per username: failures from many addresses lock the name, even for the right password
        for i in range(5):
            r = await c.post(
                "/api/v1/auth/login",
                json={"username": "viewer", "password": "wrong"},
                headers={"X-Forwarded-For": f"10.1.0.{i}"},
            )
            assert r.status_code == 401
        locked = await c.post(
            "/api/v1/auth/login",
            json={"username": "viewer", "password": PASSWORD},
            headers={"X-Forwarded-For": "10.1.1.1"},
        )
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
        assert locked.json()["error"]["code"] == "RESOURCE_EXHAUSTED"

        # per client address: failures on many names lock the address
        for i in range(5):
            r = await c.post(
                "/api/v1/auth/login",
                json={"username": f"nobody-{i}", "password": "wrong"},
                headers={"X-Forwarded-For": "10.2.0.1"},
            )
            assert r.status_code == 401
        r = await c.post(
            "/api/v1/auth/login",
            json={"username": "auditor", "password": PASSWORD},
            headers={"X-Forwarded-For": "10.2.0.1"},
        )
        assert r.status_code == 429 and "Retry-After" in r.headers
        other = await c.post(
            "/api/v1/auth/login",
            json={"username": "auditor", "password": PASSWORD},
            headers={"X-Forwarded-For": "10.2.0.2"},
        )
        assert other.status_code == 200


async def test_grid_operator_never_sees_another_grid(stack):
    a_case, a_key = await case_with_evidence(stack, stack.grid_a)
    b_case, b_key = await case_with_evidence(stack, stack.grid_b)
    async with stack.client("op-a") as c:
        grids = (await c.get("/api/v1/grids")).json()["grids"]
        assert [g["grid_id"] for g in grids] == [stack.grid_a]

        # every route naming grid B: 403 naming the grid, and no data
        for method, path, body in grid_routes(stack.grid_b, b_case, b_key):
            r = await c.request(method, path, json=body)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert stack.grid_b in r.json()["error"]["message"]
            assert b_case not in r.text

        # grid B's case asked for under grid A (the services share one database): never shown, never changed
        a = f"/api/v1/grids/{stack.grid_a}"
        listed = (await c.get(f"{a}/cases", params={"page_size": 500})).json()["cases"]
        ids = {x["case_id"] for x in listed}
        assert a_case in ids and b_case not in ids
        assert all(x["grid_id"] == stack.grid_a for x in listed)
        assert (await c.get(f"{a}/cases/{b_case}")).status_code == 404
        ev = await c.get(f"{a}/evidence/{b_key}", params={"case_id": b_case})
        assert ev.status_code in (403, 404) and b"jpeg" not in ev.content
        r = await c.post(f"{a}/cases/{b_case}/transition", json={"to_state": "CASE_STATE_RESOLVED"})
        assert r.status_code == 404
        assert (await c.post(f"{a}/cases/{b_case}/notes", json={"text": "x"})).status_code == 404
        assert (await c.post(f"{a}/calls", json={"case_id": b_case})).status_code == 404
        assert all(u["grid_id"] == stack.grid_a for u in (await c.get(f"{a}/units")).json()["units"])

        # and its own grid's evidence works, with its content type
        ev = await c.get(f"{a}/evidence/{a_key}", params={"case_id": a_case})
        assert ev.status_code == 200 and ev.headers["content-type"] == "image/jpeg"
        assert ev.content == b"\xff\xd8jpeg " + stack.grid_a.encode()
    b = await stack.cases[stack.grid_b].GetTimeline(cases_pb.GetTimelineRequest(case_id=b_case))
    assert all(ch.actor != "op-a" for ch in b.changes)


async def test_district_viewer_reads_all_grids_but_writes_nothing(stack):
    b_case = await stack.open_case(stack.grid_b)
    async with stack.client("viewer") as c:
        assert {g["grid_id"] for g in (await c.get("/api/v1/grids")).json()["grids"]} == {stack.grid_a, stack.grid_b}
        for grid in (stack.grid_a, stack.grid_b):
            assert (await c.get(f"/api/v1/grids/{grid}/cases")).status_code == 200
            assert (await c.get(f"/api/v1/grids/{grid}/analytics/kpis")).status_code == 200
        detail = await c.get(f"/api/v1/grids/{stack.grid_b}/cases/{b_case}")
        assert detail.status_code == 200 and detail.json()["case"]["case_id"] == b_case
        b = f"/api/v1/grids/{stack.grid_b}"
        for path, body in (
            (f"{b}/cases/{b_case}/transition", {"to_state": "CASE_STATE_RESOLVED"}),
            (f"{b}/cases/{b_case}/notes", {"text": "x"}),
            (f"{b}/calls", {"case_id": b_case}),
        ):
            r = await c.post(path, json=body)
            assert r.status_code == 403 and r.json()["error"]["code"] == "PERMISSION_DENIED"
        assert (await c.get("/api/v1/audit")).status_code == 403


async def test_transition_through_api_records_the_user_and_field_unit_limits(stack):
    grid = stack.grid_a
    case_id = await stack.open_case(grid, title="电动车进电梯")
    stub = stack.cases[grid]

    async def dispatched():  # dispatch offers every opened case; let it finish first
        case = (await stub.GetCase(cases_pb.GetCaseRequest(case_id=case_id))).case
        return case.state != 1 or None

    await eventually(dispatched, timeout=5)
    a = f"/api/v1/grids/{grid}/cases/{case_id}"
    async with stack.client("op-a") as op:
        r = await op.post(
            f"{a}/transition", json={"to_state": "CASE_STATE_ASSIGNED", "assignee": "unit-01", "reason": "nearest"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["case"]["assignee"] == "unit-01"
        bad = await op.post(f"{a}/transition", json={"to_state": "CASE_STATE_CLOSED"})
        assert bad.status_code == 409 and bad.json()["error"]["code"] == "FAILED_PRECONDITION"
        assert (await op.post(f"{a}/transition", json={"to_state": "NOPE"})).status_code == 400
        note = await op.post(f"{a}/notes", json={"text": "已通知物业"})
        assert note.status_code == 200 and note.json()["change"]["actor"] == "op-a"
    async with stack.client("unit-02") as other:
        r = await other.post(f"{a}/transition", json={"to_state": "CASE_STATE_ACKNOWLEDGED"})
        assert r.status_code == 403
        assert (await other.get(f"/api/v1/grids/{grid}/devices")).status_code == 403
        assert (await other.post(f"/api/v1/grids/{grid}/calls", json={"case_id": case_id})).status_code == 403
        assert (await other.get(f"/api/v1/grids/{stack.grid_b}/cases")).status_code == 403
        assert (await other.get("/api/v1/registry/projects")).status_code == 403
    async with stack.client("unit-01") as unit:
        r = await unit.post(f"{a}/transition", json={"to_state": "CASE_STATE_ACKNOWLEDGED"})
        assert r.status_code == 200, r.text
        detail = (await unit.get(a)).json()
    actors = [(ch.get("action"), ch.get("actor")) for ch in detail["timeline"]]
    assert ("note", "op-a") in actors or any(actor == "op-a" for _, actor in actors)
    assert any(actor == "unit-01" for _, actor in actors)
    assert detail["case"]["state"] == "CASE_STATE_ACKNOWLEDGED"
    assert "dispatch" in detail

    async with stack.client("auditor") as aud:
        entries = (await aud.get("/api/v1/audit", params={"username": "op-a"})).json()["entries"]
    assert any(e["path"] == f"{a}/transition" and e["status"] == 200 for e in entries)
    assert any(e["path"] == f"{a}/transition" and e["status"] == 409 for e in entries)


async def test_analytics_and_registry_return_data(stack):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.apps['registry'].port}") as ch:
        await reg_grpc.RegistryServiceStub(ch).CreateProject(
            reg_pb.CreateProjectRequest(
                project=reg_res.LivelihoodProject(
                    project_id=f"lp-{uuid.uuid4().hex[:6]}",
                    name="加装电梯",
                    category="住房",
                    owner="城建办",
                    year=2026,
                    target=reg_res.Target(value=60, stretch=65, unit="台"),
                    status=reg_res.PROJECT_STATUS_IN_PROGRESS,
                ),
                actor="test",
            )
        )
    g = f"/api/v1/grids/{stack.grid_a}"
    async with stack.client("op-a") as c:
        kpis = await c.get(f"{g}/analytics/kpis")
        assert kpis.status_code == 200 and "kpis" in kpis.json()
        trend = await c.get(f"{g}/analytics/trend", params={"start_date": "2026-01-01", "end_date": "2026-01-07"})
        assert trend.status_code == 200 and "trend" in trend.json(), trend.text
        for path, key in (("analytics/profile", "rooms"), ("analytics/crowd", "zones"), ("analytics/sla", "rows")):
            r = await c.get(f"{g}/{path}", params={"start_date": "2026-01-01", "end_date": "2026-01-07"})
            assert r.status_code == 200 and key in r.json(), r.text
        svg = await c.get(f"{g}/charts/trend.svg", params={"start_date": "2026-01-01", "end_date": "2026-01-07"})
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml"), svg.text
        assert (await c.get(f"{g}/charts/pie.svg")).status_code == 404
        assert (await c.get(f"{g}/analytics/trend", params={"group_by": "NOPE"})).status_code == 400
        projects = (await c.get("/api/v1/registry/projects")).json()["projects"]
        assert any(p["name"] == "加装电梯" for p in projects)
        # vision's configuration of the grid's cameras (deploy/vision/cameras.yaml)
        cameras = {cam["camera_id"]: cam for cam in (await c.get(f"{g}/cameras")).json()["cameras"]}
        assert cameras["cam-gdy-refuse-1"]["scenario"] == "SCENARIO_LITTER_OFF_HOURS", cameras
        for path in ("projects/progress", "targets", "stations", "circle", "partners", "buildings", "firms"):
            assert (await c.get(f"/api/v1/registry/{path}")).status_code == 200, path
        assert (await c.get("/api/v1/registry/nope")).status_code == 404
        assert (await c.get("/api/v1/grids/nowhere/cases")).status_code == 403
    async with stack.client("admin") as c:
        assert (await c.get("/api/v1/grids/nowhere/cases")).status_code == 404


# -- SSE ---------------------------------------------------------------------------------------------------------


class Events:
    """Reads SSE events from a streaming response; each {id, event, data}."""

    def __init__(self, response) -> None:
        self.lines = response.aiter_lines()

    async def read(self, count: int, kind: str = "alarm", timeout: float = 15) -> list[dict]:
        """The next count events of kind (others are skipped)."""
        out: list[dict] = []
        current: dict = {}

        async def run():
            async for line in self.lines:
                if not line:
                    if current.get("event") == kind:
                        out.append(dict(current))
                        if len(out) >= count:
                            return
                    current.clear()
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    current[field] = json.loads(value) if field == "data" else value

        await asyncio.wait_for(run(), timeout)
        return out


async def read_events(response, count: int, kind: str = "alarm") -> list[dict]:
    return await Events(response).read(count, kind)


async def raise_alarm(stack, grid: str) -> str:
    alarm_id = str(uuid.uuid4())
    meta = common_pb2.EventMeta(event_id=alarm_id, grid_id=grid, producer="test")
    meta.occurred_at.GetCurrentTime()
    place = f"p-{alarm_id[:8]}"
    alarm = alarms_pb2.AlarmRaised(meta=meta, type="sse_test", place_id=place, source="test", title="测试")
    await stack.bus.js.publish(f"mb.{grid}.alarms.raised", alarm.SerializeToString(), headers={"Nats-Msg-Id": alarm_id})
    return alarm_id


async def test_sse_delivers_alarms_and_resumes_without_gap_or_repeat(stack):
    grid = stack.grid_a
    token = stack.tokens["op-a"]
    async with stack.client() as c:
        assert (await c.get("/api/v1/events", params={"grid": stack.grid_b, "access_token": token})).status_code == 403
        assert (await c.get("/api/v1/events")).status_code == 401
        async with c.stream("GET", "/api/v1/events", params={"access_token": token}) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            await asyncio.sleep(0.5)  # subscriptions in place
            sent = [await raise_alarm(stack, grid) for _ in range(3)]
            got = await read_events(r, 3)
        assert [e["data"]["alarm"]["meta"]["event_id"] for e in got] == sent
        assert all(e["data"]["grid_id"] == grid for e in got)
        assert got[0]["id"].startswith(f"{grid}:alarms:")
        last_id = got[-1]["id"]

        missed = [await raise_alarm(stack, grid) for _ in range(2)]
        async with c.stream(
            "GET", "/api/v1/events", params={"access_token": token}, headers={"Last-Event-ID": last_id}
        ) as r:
            reader = Events(r)
            again = await reader.read(2)
            later = [await raise_alarm(stack, grid)]
            again += await reader.read(1)
        assert [e["data"]["alarm"]["meta"]["event_id"] for e in again] == [*missed, *later]

        # the single-stream cursor form resumes that stream too
        async with c.stream(
            "GET", "/api/v1/events", params={"access_token": token}, headers={"Last-Event-ID": last_id.split(",")[0]}
        ) as r:
            once_more = await read_events(r, 3)
        assert [e["data"]["alarm"]["meta"]["event_id"] for e in once_more] == [*missed, *later]
        bad = await c.get("/api/v1/events", params={"access_token": token}, headers={"Last-Event-ID": "garbage"})
        assert bad.status_code == 400


async def test_sse_sends_case_changes(stack):
    grid = stack.grid_b
    async with stack.client() as c:
        async with c.stream("GET", "/api/v1/events", params={"access_token": stack.tokens["op-b"]}) as r:
            await asyncio.sleep(0.5)
            case_id = await stack.open_case(grid)
            got = await read_events(r, 1, kind="case")
    assert got[0]["data"]["case"]["case_id"] == case_id
    assert got[0]["data"]["change"]["action"]
    assert got[0]["id"].startswith(f"{grid}:cases:")


async def test_registry_records_through_http_with_versions_imports_and_exports(stack):
    body = {
        "partner_id": f"pu-{uuid.uuid4().hex[:6]}",
        "name": "华润置地",
        "type": "央企",
        "joined_year": 2012,
        "joint_projects": ["心驿虹桥"],
    }
    pid = body["partner_id"]
    async with stack.client("admin") as admin, stack.client("op-a") as op:
        # Town lists are the town admin's: a grid operator reads them but may not change them.
        assert (await op.post("/api/v1/registry/partners", json=body)).status_code == 403
        created = await admin.post("/api/v1/registry/partners", json=body)
        assert created.status_code == 201, created.text
        partner = created.json()["partner"]
        assert (partner["meta"]["version"], partner["meta"]["created_by"]) == ("1", "admin")
        # Two edits from version 1: the second is refused, naming the versions, and the first is kept.
        first = await admin.put(f"/api/v1/registry/partners/{pid}", json={**partner, "contact_person": "王经理"})
        assert first.status_code == 200 and first.json()["partner"]["meta"]["version"] == "2"
        stale = await admin.put(f"/api/v1/registry/partners/{pid}", json={**partner, "contact_person": "李经理"})
        assert stale.status_code == 409 and "version" in stale.json()["error"]["message"], stale.text
        bad = await admin.post("/api/v1/registry/partners", json={**body, "partner_id": "x", "joined_year": "soon"})
        assert bad.status_code == 400
        # A spreadsheet with one good row and one bad row: the good one lands, the bad one is reported by row.
        csv = "partner_id,name,type,joined_year\npu-csv-1,云峰集团,国企,2015\npu-csv-2,,民企,abc\n"
        imported = await admin.post("/api/v1/registry/partners/import", params={"format": "csv"}, content=csv.encode())
        assert imported.status_code == 200, imported.text
        report = imported.json()
        assert report["created"] == 1 and {e["row"] for e in report["errors"]} == {3}
        exported = await op.get("/api/v1/registry/partners/export", params={"format": "csv"})
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        text = exported.content.decode("utf-8-sig")
        assert "王经理" in text and "pu-csv-1" in text
        gone = await admin.delete(f"/api/v1/registry/partners/{pid}", params={"version": 2})
        assert gone.status_code == 200
        assert (await admin.get("/api/v1/registry/partners", params={"query": "王经理"})).json()["partners"] == []


async def test_the_alarms_of_the_last_hours_newest_first(stack):
    grid = stack.grid_b
    now = datetime.now(UTC)
    for i, minutes in enumerate((90, 30, 5)):
        alarm = alarms_pb2.AlarmRaised(type="litter_off_hours", place_id=f"p-{i}", title=f"堆物 {i}")
        alarm.meta.event_id, alarm.meta.grid_id = f"feed-{uuid.uuid4().hex[:8]}", grid
        alarm.meta.occurred_at.FromDatetime(now - timedelta(minutes=minutes))
        await stack.bus.publish(f"mb.{grid}.alarms.raised", alarm, msg_id=alarm.meta.event_id)
    async with stack.client("op-b") as c:
        reply = await c.get(f"/api/v1/grids/{grid}/alarms", params={"limit": 2})
        assert reply.status_code == 200, reply.text
        assert [a["title"] for a in reply.json()["alarms"]] == ["堆物 2", "堆物 1"]
    async with stack.client("op-a") as c:
        assert (await c.get(f"/api/v1/grids/{grid}/alarms")).status_code == 403
