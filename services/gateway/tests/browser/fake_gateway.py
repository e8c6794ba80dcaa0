"""A stand-in for the gateway's /api/v1 routes (services/gateway/API.md) with canned Hongqiao data and a live SSE
stream, serving the real dashboard pages and static files, so the browser tests exercise the pages on their own.

Every JSON body is built as a dict, checked against its protobuf message (ParseDict) and rendered the way the
gateway does (MessageToDict, snake_case, enum names), so a field-name slip fails here rather than in the browser.

Tests drive it through ``POST /__test__/publish`` ({"event", "data"}) to push an SSE event to every listener.
Run it by hand to look at the pages: ``uv run --no-sync python services/gateway/tests/browser/fake_gateway.py``.
"""

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from google.protobuf.json_format import MessageToDict, ParseDict
from google.protobuf.message import Message
from microbrain.analytics.v1 import resources_pb2 as analytics
from microbrain.cases.v1 import resources_pb2 as cases
from microbrain.dispatch.v1 import dispatch_service_pb2 as dispatch_svc
from microbrain.dispatch.v1 import resources_pb2 as dispatch
from microbrain.ingest.v1 import resources_pb2 as ingest
from microbrain.registry.v1 import registry_service_pb2 as registry_svc
from microbrain.registry.v1 import resources_pb2 as registry
from microbrain_gateway.web import pages

GRIDS = [
    {"grid_id": "jinhui-shanghong", "name": "金汇、上虹区域处置网格"},
    {"grid_id": "longbai", "name": "龙柏区域处置网格"},
]
ALL = [g["grid_id"] for g in GRIDS]
USERS = {
    "admin": {"password": "admin-pass", "display_name": "镇城运中心", "role": "town_admin", "grids": ALL},
    "op-jinhui": {
        "password": "op-pass",
        "display_name": "李栋梁",
        "role": "grid_operator",
        "grids": ["jinhui-shanghong"],
    },
}


def render(message_type: type[Message], data: dict[str, Any]) -> dict[str, Any]:
    """The dict as the gateway would send that message (unknown field names raise)."""
    return MessageToDict(ParseDict(data, message_type()), preserving_proto_field_name=True)


def ts(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


SNAPSHOT_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400" viewBox="0 0 640 400">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3a4250"/>
<stop offset="1" stop-color="#1b2029"/></linearGradient></defs>
<rect width="640" height="400" fill="url(#g)"/>
<path d="M0 400 L180 150 H460 L640 400 Z" fill="#59606b"/>
<rect x="200" y="40" width="240" height="110" fill="#2a3038" stroke="#7a828e"/>
<rect x="{x}" y="{y}" width="150" height="170" fill="none" stroke="#ff3b3b" stroke-width="4"/>
<rect x="{x}" y="{ly}" width="150" height="24" fill="#ff3b3b"/>
<text x="{tx}" y="{ty}" font-family="sans-serif" font-size="16" fill="#fff">{label}</text>
<text x="16" y="28" font-family="monospace" font-size="16" fill="#e0e0e0">{cam}  {when}</text>
</svg>"""


class FakeGateway:
    """The canned world: cases, units, devices, zones, the registry; and the SSE listeners."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.listeners: list[asyncio.Queue] = []
        self.seq = itertools.count(1)
        self.cursor = itertools.count(100)
        self.calls = itertools.count(1)
        self.stopping = False
        self.cases: dict[str, dict[str, Any]] = {}
        self.timelines: dict[str, list[dict[str, Any]]] = {}
        self._seed()

    # ---- data ----
    def _seed(self) -> None:
        now = self.now
        self.devices = {
            "jinhui-shanghong": [
                self._device(
                    "lift-gdy22-a",
                    "DEVICE_KIND_ELEVATOR_CONTROLLER",
                    "耕读园 22 号 A 梯",
                    "gengduyuan-22",
                    31.1872,
                    121.3951,
                ),
                self._device(
                    "cam-gdy22-lift-a",
                    "DEVICE_KIND_CAMERA",
                    "耕读园 22 号 A 梯 轿厢摄像头",
                    "gengduyuan-22",
                    31.1872,
                    121.3951,
                ),
                self._device(
                    "cam-gdy-refuse-1",
                    "DEVICE_KIND_CAMERA",
                    "耕读园 垃圾厢房 1 摄像头",
                    "gengduyuan-refuse-1",
                    31.1868,
                    121.3946,
                ),
                self._device(
                    "cam-aegean-atrium",
                    "DEVICE_KIND_CAMERA",
                    "爱琴海购物公园 中庭摄像头",
                    "aegean-mall",
                    31.1805,
                    121.3905,
                ),
                self._device(
                    "wifi-aegean-1",
                    "DEVICE_KIND_WIFI_PROBE",
                    "爱琴海购物公园 中庭探针",
                    "aegean-mall",
                    31.1805,
                    121.3905,
                ),
                self._device(
                    "cam-seoul-street",
                    "DEVICE_KIND_CAMERA",
                    "首尔夜市 主街摄像头",
                    "seoul-night-market",
                    31.1833,
                    121.3985,
                    online=False,
                ),
                self._device(
                    "wifi-seoul-1",
                    "DEVICE_KIND_WIFI_PROBE",
                    "首尔夜市 主街探针",
                    "seoul-night-market",
                    31.1833,
                    121.3985,
                ),
            ],
            "longbai": [
                self._device(
                    "cam-longbai-1", "DEVICE_KIND_CAMERA", "龙柏新村 摄像头", "longbai-xincun", 31.1790, 121.3760
                )
            ],
        }
        self.units = {
            "unit-01": self._unit(
                "unit-01",
                "jinhui-shanghong",
                ["网格员 A"],
                ["property", "persuasion"],
                "UNIT_STATUS_AVAILABLE",
                31.1858,
                121.3930,
            ),
            "unit-02": self._unit(
                "unit-02", "jinhui-shanghong", ["网格员 B"], ["persuasion"], "UNIT_STATUS_AVAILABLE", 31.1840, 121.3965
            ),
            "unit-03": self._unit(
                "unit-03", "jinhui-shanghong", ["城管队员 C"], ["enforcement"], "UNIT_STATUS_ON_SITE", 31.1868, 121.3947
            ),
            "unit-04": self._unit(
                "unit-04", "longbai", ["网格员 D"], ["property"], "UNIT_STATUS_AVAILABLE", 31.1790, 121.3760
            ),
        }
        m = timedelta(minutes=1)
        self._case(
            "c-20261126-a1",
            "jinhui-shanghong",
            "ebike_in_elevator",
            "SEVERITY_CRITICAL",
            "CASE_STATE_OPENED",
            "电动车进入电梯 · 耕读园 22 号 A 梯",
            "gengduyuan-22",
            (31.1872, 121.3951),
            "cam-gdy22-lift-a",
            now - 1 * m,
            {"STAGE_ASSIGN": 3 * m, "STAGE_RESOLVE": 4 * m + timedelta(seconds=20)},
        )
        self._case(
            "c-20261126-b2",
            "jinhui-shanghong",
            "litter_off_hours",
            "SEVERITY_WARNING",
            "CASE_STATE_OPENED",
            "非投放时段投放 · 耕读园 垃圾厢房 1",
            "gengduyuan-refuse-1",
            (31.1868, 121.3946),
            "cam-gdy-refuse-1",
            now - 12 * m,
            {"STAGE_ASSIGN": 8 * m, "STAGE_RESOLVE": 48 * m},
        )
        self._case(
            "c-20261126-c3",
            "jinhui-shanghong",
            "litter_off_hours",
            "SEVERITY_WARNING",
            "CASE_STATE_ON_SITE",
            "非投放时段投放 · 耕读园 垃圾厢房 1",
            "gengduyuan-refuse-1",
            (31.1868, 121.3946),
            "cam-gdy-refuse-1",
            now - 35 * m,
            {"STAGE_RESOLVE": 25 * m},
            assignee="unit-03",
            occurrences=3,
        )
        self._case(
            "c-20261126-d4",
            "jinhui-shanghong",
            "crowd_over_threshold",
            "SEVERITY_MAJOR",
            "CASE_STATE_ASSIGNED",
            "客流超过预警 · 首尔夜市 主街",
            "seoul-night-market",
            (31.1833, 121.3985),
            "cam-seoul-street",
            now - 6 * m,
            {"STAGE_ACKNOWLEDGE": 2 * m, "STAGE_RESOLVE": 54 * m},
            assignee="unit-01",
        )
        self._case(
            "c-20261126-e5",
            "jinhui-shanghong",
            "device_offline",
            "SEVERITY_INFO",
            "CASE_STATE_ACKNOWLEDGED",
            "设备离线 · 首尔夜市 主街摄像头",
            "seoul-night-market",
            (31.1833, 121.3985),
            "cam-seoul-street",
            now - 90 * m,
            {"STAGE_RESOLVE": 150 * m},
            assignee="unit-02",
            evidence=False,
        )
        self._case(
            "c-20261126-f6",
            "jinhui-shanghong",
            "ebike_in_elevator",
            "SEVERITY_CRITICAL",
            "CASE_STATE_RESOLVED",
            "电动车进入电梯 · 耕读园 22 号 A 梯",
            "gengduyuan-22",
            (31.1872, 121.3951),
            "cam-gdy22-lift-a",
            now - 150 * m,
            {"STAGE_CLOSE": timedelta(days=7)},
            assignee="unit-01",
        )
        self._case(
            "c-20261126-l1",
            "longbai",
            "litter_off_hours",
            "SEVERITY_WARNING",
            "CASE_STATE_OPENED",
            "龙柏机密案件 · 龙柏新村 垃圾厢房",
            "longbai-xincun",
            (31.1790, 121.3760),
            "cam-longbai-1",
            now - 20 * m,
            {"STAGE_ASSIGN": 15 * m, "STAGE_RESOLVE": 40 * m},
        )
        self.kpis = {
            "jinhui-shanghong": {
                "open_cases": 5,
                "closed_last_7_days": 86,
                "closed_within_7_days_share": 0.965,
                "mean_time_to_resolve_s": 1420,
                "alarms_today": 23,
                "alarms_yesterday": 31,
            },
            "longbai": {
                "open_cases": 1,
                "closed_last_7_days": 41,
                "closed_within_7_days_share": 0.93,
                "mean_time_to_resolve_s": 2710,
                "alarms_today": 9,
                "alarms_yesterday": 12,
            },
        }
        self.zones = {
            "jinhui-shanghong": [
                self._zone("aegean-atrium", "aegean-mall", "爱琴海购物公园 中庭", 640, 800, 1200, "CROWD_LEVEL_NORMAL"),
                self._zone(
                    "seoul-main-street", "seoul-night-market", "首尔夜市 主街", 1710, 1500, 2200, "CROWD_LEVEL_WARNING"
                ),
            ],
            "longbai": [],
        }

    @staticmethod
    def _device(did, kind, name, place, lat, lon, online=True) -> dict[str, Any]:
        return render(
            ingest.Device,
            {
                "device_id": did,
                "kind": kind,
                "name": name,
                "place_id": place,
                "location": {"lat": lat, "lon": lon},
                "enabled": True,
                "online": online,
            },
        )

    def _unit(self, uid, grid, members, skills, status, lat, lon) -> dict[str, Any]:
        return render(
            dispatch.Unit,
            {
                "unit_id": uid,
                "grid_id": grid,
                "members": members,
                "skills": skills,
                "status": status,
                "position": {"lat": lat, "lon": lon},
                "position_at": ts(self.now),
                "radio_device_id": "radio-" + uid,
            },
        )

    @staticmethod
    def _zone(zid, place, name, est, warn, crit, level) -> dict[str, Any]:
        return render(
            analytics.ZoneOccupancy,
            {
                "zone_id": zid,
                "place_id": place,
                "name": name,
                "estimate": est,
                "warning": warn,
                "critical": crit,
                "level": level,
                "sources": "camera+wifi",
            },
        )

    def _case(
        self,
        cid,
        grid,
        ctype,
        sev,
        state,
        title,
        place,
        at,
        device,
        opened,
        dues,
        assignee="",
        occurrences=1,
        evidence=True,
    ) -> None:
        deadlines = [
            {
                "stage": "STAGE_DISCOVER",
                "due_at": ts(opened + timedelta(seconds=1)),
                "status": "STATUS_MET",
                "done_at": ts(opened),
            }
        ]
        deadlines += [{"stage": s, "due_at": ts(self.now + d), "status": "STATUS_PENDING"} for s, d in dues.items()]
        ev = (
            [
                {
                    "key": f"snapshots/2026/11/26/{cid}.svg",
                    "content_type": "image/svg+xml",
                    "size_bytes": "2048",
                    "captured_at": ts(opened),
                }
            ]
            if evidence
            else []
        )
        self.cases[cid] = render(
            cases.Case,
            {
                "case_id": cid,
                "grid_id": grid,
                "case_type": ctype,
                "severity": sev,
                "state": state,
                "place_id": place,
                "location": {"lat": at[0], "lon": at[1]},
                "device": {"grid_id": grid, "device_id": device},
                "title": title,
                "description": "由 vision 识别，置信度 0.91" if ctype == "ebike_in_elevator" else "",
                "occurred_at": ts(opened),
                "opened_at": ts(opened + timedelta(milliseconds=400)),
                "updated_at": ts(opened),
                "alarm_ids": [f"a-{cid}"],
                "occurrences": occurrences,
                "evidence": ev,
                "assignee": assignee,
                "deadlines": deadlines,
            },
        )
        timeline = [
            {"case_id": cid, "at": ts(opened), "actor": "cases", "action": "opened", "to_state": "CASE_STATE_OPENED"}
        ]
        if assignee:
            timeline.append(
                {
                    "case_id": cid,
                    "at": ts(opened + timedelta(seconds=40)),
                    "actor": "dispatch",
                    "action": "assigned",
                    "from_state": "CASE_STATE_OPENED",
                    "to_state": "CASE_STATE_ASSIGNED",
                }
            )
        self.timelines[cid] = [self._change(c) for c in timeline]

    def _change(self, data: dict[str, Any]) -> dict[str, Any]:
        return render(cases.CaseChange, {"cursor": str(next(self.cursor)), **data})

    # ---- events ----
    def publish(self, event: str, data: dict[str, Any]) -> None:
        grid = data.get("grid_id", "")
        domain = {"alarm": "alarms", "case": "cases", "unit": "units", "crowd": "crowd"}.get(event, event)
        frame = (
            f"id: {grid}:{domain}:{next(self.seq)}\nevent: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        )
        for queue in list(self.listeners):
            queue.put_nowait((grid, frame))

    def transition(self, cid: str, user: str, body: dict[str, Any]) -> dict[str, Any]:
        case = self.cases[cid]
        to = body.get("to_state", "")
        before = case["state"]
        now = datetime.now(UTC)
        case["state"] = to
        case["updated_at"] = ts(now)
        if to == "CASE_STATE_ASSIGNED":
            case["assignee"] = body.get("assignee", "")
            for d in case.get("deadlines", []):
                if d["stage"] == "STAGE_ASSIGN" and d["status"] == "STATUS_PENDING":
                    d["status"], d["done_at"] = "STATUS_MET", ts(now)
            case["deadlines"].append(
                {"stage": "STAGE_ACKNOWLEDGE", "due_at": ts(now + timedelta(minutes=2)), "status": "STATUS_PENDING"}
            )
        action = {
            "CASE_STATE_ASSIGNED": "assigned",
            "CASE_STATE_ACKNOWLEDGED": "acknowledged",
            "CASE_STATE_ON_SITE": "on_site",
            "CASE_STATE_RESOLVED": "resolved",
            "CASE_STATE_CLOSED": "closed",
            "CASE_STATE_CANCELLED": "cancelled",
            "CASE_STATE_REOPENED": "reopened",
        }.get(to, "note")
        change = self._change(
            {
                "case_id": cid,
                "at": ts(now),
                "actor": user,
                "action": action,
                "from_state": before,
                "to_state": to,
                "reason": body.get("reason", ""),
            }
        )
        self.timelines[cid].append(change)
        case = render(cases.Case, case)
        self.cases[cid] = case
        self.publish("case", {"grid_id": case["grid_id"], "change": change, "case": case})
        return case


def build_app(state: FakeGateway | None = None) -> FastAPI:
    """The fake gateway app, with the dashboard mounted the way the real app mounts it."""
    fake = state or FakeGateway()
    app = FastAPI()
    app.state.fake = fake

    def fail(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)

    def user_of(request: Request) -> dict[str, Any]:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = token or request.query_params.get("access_token", "")
        name = token.removeprefix("tok-")
        if not token.startswith("tok-") or name not in USERS:
            raise HTTPException(401, "no or bad token")
        return {"username": name, **USERS[name]}

    def allowed(request: Request, grid: str) -> dict[str, Any]:
        user = user_of(request)
        if grid not in user["grids"]:
            raise HTTPException(403, f"grid {grid} not allowed")
        return user

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        code = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}.get(exc.status_code, "UNKNOWN")
        return fail(exc.status_code, code, str(exc.detail))

    @app.post("/api/v1/auth/login")
    async def login(body: dict[str, str]) -> Any:
        user = USERS.get(body.get("username", ""))
        if not user or user["password"] != body.get("password"):
            return fail(401, "UNAUTHENTICATED", "wrong username or password")
        me = {k: v for k, v in user.items() if k != "password"}
        return {
            "access_token": "tok-" + body["username"],
            "token_type": "bearer",
            "expires_in": 43200,
            "user": {"username": body["username"], "language": "zh-CN", **me},
        }

    @app.get("/api/v1/me")
    async def me(request: Request) -> dict[str, Any]:
        user = user_of(request)
        return {k: v for k, v in user.items() if k != "password"} | {"language": "zh-CN"}

    @app.get("/api/v1/grids")
    async def grids(request: Request) -> dict[str, Any]:
        user = user_of(request)
        return {"grids": [g for g in GRIDS if g["grid_id"] in user["grids"]]}

    @app.get("/api/v1/grids/{grid}/cases")
    async def list_cases(request: Request, grid: str) -> dict[str, Any]:
        allowed(request, grid)
        states = request.query_params.getlist("state")
        rows = [c for c in fake.cases.values() if c["grid_id"] == grid and (not states or c["state"] in states)]
        return {"cases": rows, "next_page_token": ""}

    @app.get("/api/v1/grids/{grid}/cases/{cid}")
    async def get_case(request: Request, grid: str, cid: str) -> dict[str, Any]:
        allowed(request, grid)
        case = fake.cases.get(cid)
        if not case or case["grid_id"] != grid:
            raise HTTPException(404, f"case {cid} not found")
        assignments = []
        if case.get("assignee"):
            assignments.append(
                {
                    "assignment_id": "as-1",
                    "case_id": cid,
                    "unit_id": case["assignee"],
                    "reason": "nearest available with skill property: 230 m (walking ×1.3)",
                    "status": "offered",
                    "step": 0,
                }
            )
        reply = {"assignments": assignments}
        if case["case_type"] == "ebike_in_elevator":
            reply["linkages"] = [{"case_id": cid, "device_id": "lift-gdy22-a", "command": "STOP", "status": "acked"}]
        return {
            "case": case,
            "timeline": fake.timelines[cid],
            "dispatch": render(dispatch_svc.GetCaseDispatchResponse, reply),
        }

    @app.post("/api/v1/grids/{grid}/cases/{cid}/transition")
    async def transition(request: Request, grid: str, cid: str, body: dict[str, Any]) -> Any:
        user = allowed(request, grid)
        if cid not in fake.cases or fake.cases[cid]["grid_id"] != grid:
            raise HTTPException(404, f"case {cid} not found")
        return {"case": fake.transition(cid, user["username"], body)}

    @app.post("/api/v1/grids/{grid}/cases/{cid}/notes")
    async def note(request: Request, grid: str, cid: str, body: dict[str, Any]) -> Any:
        user = allowed(request, grid)
        change = fake._change(
            {
                "case_id": cid,
                "at": ts(datetime.now(UTC)),
                "actor": user["username"],
                "action": "note",
                "note": body.get("text", ""),
            }
        )
        fake.timelines[cid].append(change)
        return {"change": change}

    @app.get("/api/v1/grids/{grid}/evidence/{key:path}")
    async def evidence(request: Request, grid: str, key: str) -> Response:
        allowed(request, grid)
        cid = key.rsplit("/", 1)[-1].split(".")[0]
        case = fake.cases.get(cid, {})
        label = {"ebike_in_elevator": "ebike 0.91", "litter_off_hours": "litter 0.87"}.get(
            case.get("case_type"), "person"
        )
        x, y = (250, 190) if "ebike" in label else (330, 170)
        svg = SNAPSHOT_SVG.format(
            x=x,
            y=y,
            ly=y - 24,
            tx=x + 6,
            ty=y - 7,
            label=label,
            cam=(case.get("device") or {}).get("device_id", "cam"),
            when=case.get("occurred_at", ""),
        )
        return Response(svg, media_type="image/svg+xml")

    @app.get("/api/v1/grids/{grid}/units")
    async def units(request: Request, grid: str) -> dict[str, Any]:
        allowed(request, grid)
        return {"units": [u for u in fake.units.values() if u["grid_id"] == grid]}

    @app.get("/api/v1/grids/{grid}/devices")
    async def devices(request: Request, grid: str) -> dict[str, Any]:
        allowed(request, grid)
        return {"devices": fake.devices.get(grid, [])}

    @app.post("/api/v1/grids/{grid}/calls")
    async def calls(request: Request, grid: str, body: dict[str, Any]) -> dict[str, Any]:
        user = allowed(request, grid)
        unit_ids = body.get("unit_ids") or [
            u["unit_id"] for u in fake.units.values() if u["grid_id"] == grid and u["status"] == "UNIT_STATUS_AVAILABLE"
        ]
        call = {
            "call_id": f"call-{next(fake.calls)}",
            "case_id": body.get("case_id", ""),
            "caller": "desk:" + user["display_name"],
            "unit_ids": unit_ids,
            "state": "ringing",
            "started_at": ts(datetime.now(UTC)),
        }
        return render(dispatch_svc.StartCallResponse, {"call": call})

    @app.get("/api/v1/grids/{grid}/analytics/kpis")
    async def kpis(request: Request, grid: str) -> dict[str, Any]:
        allowed(request, grid)
        return {"kpis": render(analytics.Kpis, {"grid_id": grid, "as_of": ts(datetime.now(UTC)), **fake.kpis[grid]})}

    @app.get("/api/v1/grids/{grid}/analytics/crowd")
    async def crowd(request: Request, grid: str) -> dict[str, Any]:
        allowed(request, grid)
        return {"zones": fake.zones.get(grid, [])}

    @app.get("/api/v1/grids/{grid}/charts/trend.svg")
    async def trend_svg(request: Request, grid: str, language: str = "zh-CN") -> Response:
        allowed(request, grid)
        return Response(_trend_chart(grid, language), media_type="image/svg+xml")

    @app.get("/api/v1/registry/projects")
    async def projects(request: Request) -> dict[str, Any]:
        user_of(request)
        return {"projects": [render(registry.LivelihoodProject, p) for p in _PROJECTS]}

    @app.get("/api/v1/registry/projects/progress")
    async def progress(request: Request) -> dict[str, Any]:
        user_of(request)
        return {"projects": [render(registry.ProjectProgress, p) for p in _progress()]}

    @app.get("/api/v1/registry/targets")
    async def targets(request: Request) -> dict[str, Any]:
        user_of(request)
        return {"targets": [render(registry.TownTarget, t) for t in _TARGETS]}

    @app.get("/api/v1/registry/stations")
    async def stations(request: Request) -> dict[str, Any]:
        user_of(request)
        return {"stations": [render(registry.ServiceStation, s) for s in _STATIONS]}

    @app.get("/api/v1/registry/circle")
    async def circle(request: Request) -> dict[str, Any]:
        user_of(request)
        return render(registry_svc.GetServiceCircleResponse, _circle())

    @app.get("/api/v1/events")
    async def events(request: Request) -> StreamingResponse:
        user = user_of(request)
        wanted = set(request.query_params.getlist("grid") or user["grids"]) & set(user["grids"])
        queue: asyncio.Queue = asyncio.Queue()
        fake.listeners.append(queue)

        async def stream():
            try:
                yield ": connected\n\n"
                while not fake.stopping:
                    try:
                        grid, frame = await asyncio.wait_for(queue.get(), timeout=0.5)
                    except TimeoutError:
                        continue
                    if grid in wanted:
                        yield frame
            finally:
                fake.listeners.remove(queue)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/__test__/publish")
    async def test_publish(body: dict[str, Any]) -> dict[str, Any]:
        fake.publish(body["event"], body["data"])
        return {"listeners": len(fake.listeners)}

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    return app


def _trend_chart(grid: str, language: str) -> bytes:
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=13 - i)).isoformat() for i in range(14)]
    litter = [6, 8, 5, 9, 12, 7, 6, 10, 8, 5, 7, 9, 6, 11]
    ebike = [2, 1, 3, 0, 2, 4, 1, 2, 3, 1, 0, 2, 3, 2]
    crowd = [0, 0, 1, 0, 0, 2, 3, 0, 0, 0, 1, 0, 2, 1]
    if grid != "jinhui-shanghong":
        litter, ebike, crowd = [x // 2 for x in litter], [x // 2 for x in ebike], [0] * 14
    series = [
        ("litter_off_hours", "耕读园小区 垃圾厢房 1 · 非投放时段投放", litter),
        ("ebike_in_elevator", "耕读园小区 22 号 · 电动车进电梯", ebike),
        ("crowd_over_threshold", "首尔夜市 · 客流超限", crowd),
    ]
    totals = [sum(x) for x in zip(litter, ebike, crowd, strict=True)]
    trend = analytics.AlarmTrend(days=days, totals=totals, total=sum(totals), previous_total=int(sum(totals) * 1.2))
    for t, label, counts in series:
        trend.series.add(type=t, label=label, counts=counts, total=sum(counts))
    try:
        from microbrain_analytics.charts import render_trend

        return render_trend(
            trend, fmt="svg", language=language if language in ("zh-CN", "en") else "zh-CN", width=900, height=420
        )
    except Exception:  # analytics' renderer unavailable: a plain stand-in
        return (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="420"><text x="20" y="40">trend</text></svg>'
        )


_PROJECTS = [
    {"project_id": "lp-2026-lifts", "name": '"上下楼"工程 既有多层住宅加装电梯', "category": "住房", "year": 2026},
    {"project_id": "lp-2026-meals", "name": '"一顿饭"工程 社区食堂 2.0', "category": "养老助餐", "year": 2026},
    {"project_id": "lp-2026-talent", "name": '"人才安居"工程 人才公寓', "category": "住房", "year": 2026},
    {"project_id": "lp-2026-museum", "name": '"人文虹桥"工程 虹桥历史陈列馆', "category": "文化", "year": 2026},
    {"project_id": "lp-2026-health", "name": '"健康虹桥"工程 社区卫生服务中心改扩建', "category": "卫生", "year": 2026},
    {"project_id": "lp-2026-school", "name": '"教育强镇"工程 上虹中学改扩建', "category": "教育", "year": 2026},
]


def _progress() -> list[dict[str, Any]]:
    as_of = datetime.now(UTC).date().isoformat()
    rows = [
        ("lp-2026-lifts", 52, {"value": 60, "stretch": 65, "unit": "台"}, 54.2, True, 14),
        ("lp-2026-meals", 86000, {"value": 100000, "unit": "份/年"}, 90410, True, 3),
        ("lp-2026-talent", 540, {"value": 500, "unit": "人", "at_least": True}, 452, False, 9),
        ("lp-2026-museum", 0, {"value": 1, "unit": "馆"}, 0.9, True, 2),
        ("lp-2026-health", 1, {"value": 1, "unit": "项"}, 0.9, False, 5),
        ("lp-2026-school", 0.6, {"value": 1, "unit": "项"}, 0.9, True, 4),
    ]
    out = []
    for pid, value, target, planned, behind, entries in rows:
        share = value / target["value"]
        out.append(
            {
                "project_id": pid,
                "as_of": as_of,
                "value": value,
                "target": target,
                "share_of_target": share,
                "share_of_stretch": value / target.get("stretch", 0) if target.get("stretch") else 0,
                "planned_value": planned,
                "behind_plan": behind and value < planned,
                "target_met": share >= 1,
                "entries": entries,
                "overdue_milestones": [{"name": "主体结构封顶", "due_date": "2026-09-30"}]
                if pid == "lp-2026-museum"
                else [],
            }
        )
    return out


_TARGETS = [
    {
        "target_id": "fiscal_revenue_total",
        "year": 2026,
        "name": "财政总收入",
        "target": 66.5,
        "unit": "亿元",
        "comparison": "COMPARISON_AT_LEAST",
        "actual": 58.9,
        "actual_as_of": "2026-10-31",
        "share": 0.886,
    },
    {
        "target_id": "district_level_revenue",
        "year": 2026,
        "name": "区级收入",
        "target": 27.08,
        "unit": "亿元",
        "comparison": "COMPARISON_AT_LEAST",
        "actual": 24.1,
        "actual_as_of": "2026-10-31",
        "share": 0.89,
    },
    {
        "target_id": "billion_yuan_buildings",
        "year": 2026,
        "name": "亿元楼",
        "target": 12,
        "unit": "幢",
        "comparison": "COMPARISON_AT_LEAST",
        "actual": 12,
        "actual_as_of": "2026-11-26",
        "met": True,
        "share": 1.0,
    },
    {
        "target_id": "collective_income",
        "year": 2026,
        "name": "村级集体经济收入",
        "target": 17.8,
        "unit": "亿元",
        "comparison": "COMPARISON_AT_LEAST",
        "actual": 16.2,
        "actual_as_of": "2026-10-31",
        "share": 0.91,
    },
    {
        "target_id": "livelihood_spending_share",
        "year": 2026,
        "name": "民生支出占比",
        "target": 65,
        "unit": "%",
        "comparison": "COMPARISON_AT_LEAST",
        "actual": 67.3,
        "actual_as_of": "2026-10-31",
        "met": True,
        "share": 1.035,
    },
]
_STATIONS = [
    {
        "station_id": "st-cbd",
        "name": "心驿虹桥·金虹桥站",
        "location": {"lat": 31.1915, "lon": 121.3990},
        "brand": "心驿虹桥",
        "services": ["党员活动", "法律咨询"],
    },
    {
        "station_id": "st-wanxiang",
        "name": "心驿虹桥·万象城站",
        "location": {"lat": 31.1840, "lon": 121.3900},
        "brand": "心驿虹桥",
        "services": ["职工之家"],
    },
    {
        "station_id": "st-gaoxin",
        "name": "高新大厦站",
        "location": {"lat": 31.1795, "lon": 121.4010},
        "brand": "心驿虹桥",
        "services": ["党员活动"],
    },
]


def _circle() -> dict[str, Any]:
    def b(bid, name, lat, lon):
        return {
            "building_id": bid,
            "name": name,
            "kind": "BUILDING_KIND_RESIDENTIAL_COMPOUND",
            "location": {"lat": lat, "lon": lon},
        }

    return {
        "at": ts(datetime.now(UTC)),
        "radius_m": 400,
        "open_station_ids": ["st-cbd", "st-wanxiang"],
        "covered": [
            {
                "building": b("b-gdy", "耕读园小区", 31.1870, 121.3950),
                "station_id": "st-cbd",
                "station_name": "心驿虹桥·金虹桥站",
                "distance_m": 380,
            },
            {
                "building": b("b-jxjn", "锦绣江南", 31.1852, 121.3925),
                "station_id": "st-wanxiang",
                "station_name": "心驿虹桥·万象城站",
                "distance_m": 240,
            },
            {
                "building": b("b-sh", "上虹新村", 31.1825, 121.3880),
                "station_id": "st-wanxiang",
                "station_name": "心驿虹桥·万象城站",
                "distance_m": 260,
            },
        ],
        "gaps": [
            {
                "building": b("b-jh", "金汇花园", 31.1800, 121.3990),
                "station_id": "st-gaoxin",
                "station_name": "高新大厦站",
                "distance_m": 180,
                "reason": "高新大厦站 180 m，但此刻未开放",
            },
            {
                "building": b("b-lb", "龙柏新村", 31.1760, 121.3900),
                "station_id": "st-wanxiang",
                "station_name": "心驿虹桥·万象城站",
                "distance_m": 910,
                "reason": "最近的开放站点 910 m",
            },
        ],
    }


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(build_app(), host="127.0.0.1", port=8080)
