"""`microbrain up` (what `make run` does) as a user runs it: its own nats-server from the wheel, ingest, vision,
cases and dispatch as processes, the simulator's devices streaming into JetStream and its cameras streaming frames made
from real photos to vision, the e-bike vision sees in the lift car and the devices' alarms becoming cases, a command to
the lift, the seed's lift scenario end to end (dispatch stops the lift, a simulated field unit acknowledges, goes there
and resolves the case), and a clean Ctrl-C."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import grpc
import httpx
import nats
import pytest
from google.protobuf.duration_pb2 import Duration
from grpc_health.v1 import health_pb2, health_pb2_grpc
from microbrain.alarms.v1 import alarms_pb2
from microbrain.analytics.v1 import analytics_service_pb2 as analytics_pb
from microbrain.analytics.v1 import analytics_service_pb2_grpc as analytics_grpc
from microbrain.cases.v1 import cases_service_pb2 as cases_pb
from microbrain.cases.v1 import cases_service_pb2_grpc as cases_grpc
from microbrain.cases.v1 import resources_pb2 as case_res
from microbrain.ingest.v1 import events_pb2
from microbrain.ingest.v1 import ingest_service_pb2 as pb
from microbrain.ingest.v1 import ingest_service_pb2_grpc as pb_grpc
from microbrain.ingest.v1 import resources_pb2 as res
from microbrain.registry.v1 import registry_service_pb2 as registry_pb
from microbrain.registry.v1 import registry_service_pb2_grpc as registry_grpc
from microbrain_kit.testing import free_port, stream_messages

REPO = Path(__file__).resolve().parents[2]
GRID = "jinhui-shanghong"
STREAM, SUBJECT = f"mb-{GRID}-ingest", f"mb.{GRID}.ingest.device_event"
LIFT = "lift-gdy22-a"
LIFT_CAMERA = "cam-gdy22-lift-a"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
# The simulator raises an alarm about every 45 s by default; --alarm-every makes it one a second here.
ALARM_EVERY_S = "1"
# The cameras show an e-bike (or a bag) about once a minute by default; every ~2 s here (the lift car then stays
# empty at least 4 s between two e-bikes, so vision's alarm clears in between).
SCENE_EVERY_S = "2"
# The field units acknowledge every offer here (by default ~15% let it ring) and walk to the case in ~2 s, not ~15 s.
UNIT_ACK_RATE, UNIT_TRAVEL_S = "1", "2"
# After the first e-bike case: stop, offer, acknowledge (1-3 s), walk (~2 s), on site, resolved (after the scene).
LIFT_SCENARIO_TIMEOUT_S = 40.0

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads child processes from /proc")


def _children(pid: int) -> dict[int, str]:
    """The live child processes of pid: pid -> command line."""
    found: dict[int, str] = {}
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:  # gone since
                continue
            found[int(child)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def _tail(log: Path) -> str:
    """The end of what microbrain up printed, for failure messages."""
    return log.read_text(errors="replace")[-4000:]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def local_run(tmp_path):
    """Starts `microbrain up` on free ports; yields (process, state dir, targets by service, its log)."""
    state, log_path = tmp_path / "state", tmp_path / "microbrain-up.log"
    targets = {}
    env = dict(os.environ)
    for service in ("ingest", "vision", "cases", "analytics", "dispatch", "registry"):
        port = free_port()
        targets[service] = f"127.0.0.1:{port}"
        env[f"MB_{service.upper()}_GRPC_PORT"] = str(port)
        env[f"MB_{service.upper()}_METRICS_PORT"] = str(free_port())
    # Run from elsewhere than the repository, so vision's model and cameras are given as a user would move them.
    env["MB_MODEL_PATH"] = str(REPO / "models" / "nanodet-m.onnx")
    env["MB_CAMERAS"] = str(REPO / "deploy" / "vision" / "cameras.yaml")
    env["MB_REGISTRY_SEED_DIR"] = str(REPO / "deploy" / "registry")
    gateway_port = free_port()
    targets["gateway"] = f"http://127.0.0.1:{gateway_port}"
    env["MB_GATEWAY_HTTP_PORT"] = str(gateway_port)
    # No MB_NATS_URL: the runner starts its own nats-server. No MQTT bridge either.
    for name in ("MB_NATS_URL", "MB_MQTT_URL"):
        env.pop(name, None)
    # COLUMNS: the log lines the test reads are not folded mid-word.
    env.update(MB_SIM_UNIT_ACK_RATE=UNIT_ACK_RATE, MB_SIM_UNIT_TRAVEL=UNIT_TRAVEL_S, COLUMNS="200")
    cmd = [sys.executable, "-m", "microbrain_cli", "up", "--state-dir", str(state), "--alarm-every", ALARM_EVERY_S]
    cmd += ["--scene-every", SCENE_EVERY_S, "--scenario", str(REPO / "deploy" / "scenarios" / "hongqiao.yaml")]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        yield proc, state, targets, log_path
    finally:
        if proc.poll() is None:  # the test failed before stopping it: leave nothing behind
            children = _children(proc.pid)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for pid in children:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)


async def _until(what: str, check: Callable[[], Awaitable[object]], proc: subprocess.Popen, log: Path, deadline: float):
    """Polls check until it returns something true; fails with the runner's output if it exits or time runs out."""
    loop = asyncio.get_running_loop()
    while True:
        result = await check()
        if result:
            return result
        tail = _tail(log)
        assert proc.poll() is None, f"microbrain up exited with {proc.returncode} before {what}:\n{tail}"
        assert loop.time() < deadline, f"no {what} in time; microbrain up said:\n{tail}"
        await asyncio.sleep(0.5)


def _serving(channel: grpc.aio.Channel) -> Callable[[], Awaitable[bool]]:
    health = health_pb2_grpc.HealthStub(channel)

    async def serving() -> bool:
        try:
            reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    return serving


async def test_microbrain_up_streams_the_grid_into_jetstream_takes_commands_and_stops_cleanly(local_run):
    proc, state, targets, log = local_run
    target, cases_target = targets["ingest"], targets["cases"]
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S

    async with grpc.aio.insecure_channel(target) as channel:
        await _until("SERVING ingest", _serving(channel), proc, log, deadline)

        # The runner writes the URL of the nats-server it started to <state-dir>/nats.url.
        nats_url = (state / "nats.url").read_text().strip()
        assert nats_url.startswith("nats://127.0.0.1:")
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            events: dict[str, events_pb2.DeviceEventRecorded] = {}  # by device id, the latest
            next_seq = 1

            async def devices_seen() -> bool:
                nonlocal next_seq
                try:
                    info = await js.stream_info(STREAM)
                except nats.js.errors.NotFoundError:
                    return False
                for seq in range(max(next_seq, info.state.first_seq), info.state.last_seq + 1):
                    msg = await js.get_msg(STREAM, seq)
                    if msg.subject == SUBJECT:
                        recorded = events_pb2.DeviceEventRecorded.FromString(msg.data)
                        assert msg.headers["Nats-Msg-Id"] == recorded.event.event_id
                        events[recorded.device.device_id] = recorded
                next_seq = info.state.last_seq + 1
                kinds = {r.kind for r in events.values()}
                return LIFT in events and {res.DEVICE_KIND_WIFI_PROBE, res.DEVICE_KIND_FIELD_UNIT_RADIO} <= kinds

            await _until("events from the lift, a Wi-Fi probe and a radio", devices_seen, proc, log, deadline)
        finally:
            await nc.close()
        lift = events[LIFT]
        assert (lift.kind, lift.event.type, lift.device.grid_id) == (
            res.DEVICE_KIND_ELEVATOR_CONTROLLER,
            "car_state",
            GRID,
        )
        assert any(r.event.type == "probe_count" and r.event.wifi.zone_id for r in events.values())
        assert any(r.event.type == "gps_fix" and r.event.gps.position.lat for r in events.values())

        timeout = Duration()
        timeout.FromTimedelta(timedelta(seconds=10))
        reply = await pb_grpc.IngestServiceStub(channel).SendCommand(
            pb.SendCommandRequest(device_id=LIFT, name="STOP", args={"reason": "ebike_in_elevator"}, timeout=timeout)
        )
        assert reply.ack.outcome == res.CommandAck.OUTCOME_DONE, reply.ack.message

    async with grpc.aio.insecure_channel(targets["vision"]) as channel:
        await _until("SERVING vision", _serving(channel), proc, log, deadline)

    # Cases runs too. Vision sees the e-bike the lift camera shows (frames from the real motorcycle photo) and its
    # alarm becomes a case with the snapshot; the lift's door faults (through ingest) become cases too.
    async with grpc.aio.insecure_channel(cases_target) as channel:
        await _until("SERVING cases", _serving(channel), proc, log, deadline)
        stub = cases_grpc.CaseServiceStub(channel)
        cases: list = []

        async def ebike_case():
            cases[:] = (await stub.ListCases(cases_pb.ListCasesRequest(), timeout=5)).cases
            return next((c for c in cases if c.case_type == "ebike_in_elevator"), None)

        ebike = await _until("an e-bike case from vision", ebike_case, proc, log, deadline)
    assert {c.case_type for c in cases} <= {
        "ebike_in_elevator",
        "litter_off_hours",
        "device_fault",
        "crowd_over_threshold",
    }
    assert all(c.grid_id == GRID and c.device.device_id for c in cases)
    assert (ebike.device.device_id, ebike.place_id) == (LIFT_CAMERA, "gengduyuan-22")
    # Vision's alarm brings the camera's live video and a snapshot of the frame (the camera through ingest would not).
    assert ebike.video_url == f"rtsp://127.0.0.1/{LIFT_CAMERA}"
    assert ebike.evidence and ebike.evidence[0].content_type == "image/jpeg"
    # The case is vision's; while vision watches the frames, the cameras no longer raise these alarms through ingest.
    nc = await nats.connect(nats_url)
    try:
        raised = [
            alarms_pb2.AlarmRaised.FromString(m.data)
            for m in await stream_messages(nc.jetstream(), f"mb-{GRID}-alarms")
        ]
    finally:
        await nc.close()
    assert {(a.source, a.device.device_id) for a in raised if a.type == "ebike_in_elevator"} == {
        ("vision", LIFT_CAMERA)
    }
    assert {a.source for a in raised if a.type == "litter_off_hours"} <= {"vision"}
    assert ebike.alarm_ids[0] in {a.meta.event_id for a in raised if a.source == "vision"}
    # What a user types to see them.
    shown = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "microbrain_cli", "cases", "list", "--target", cases_target),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dict(os.environ, COLUMNS="250"),
    )
    out = (await asyncio.wait_for(shown.communicate(), 30))[0].decode()
    assert shown.returncode == 0, out
    assert cases[0].case_id in out and cases[0].case_type in out, out

    # The seed's lift scenario: dispatch stops the lift at the case's place (through ingest; the simulated lift
    # acks), offers the case to the nearest able field unit, which acknowledges, walks there, reports on site and
    # resolves it once the e-bike is out; dispatch then resumes the lift (the car is clear and the case resolved).
    async with grpc.aio.insecure_channel(targets["dispatch"]) as channel:
        await _until("SERVING dispatch", _serving(channel), proc, log, deadline)
    lift_deadline = asyncio.get_running_loop().time() + LIFT_SCENARIO_TIMEOUT_S
    async with grpc.aio.insecure_channel(cases_target) as channel:
        stub = cases_grpc.CaseServiceStub(channel)

        async def resolved_ebike_case():
            listed = (await stub.ListCases(cases_pb.ListCasesRequest(), timeout=5)).cases
            return next(
                (
                    c
                    for c in listed
                    if c.case_type == "ebike_in_elevator"
                    and c.state in (case_res.CASE_STATE_RESOLVED, case_res.CASE_STATE_CLOSED)
                ),
                None,
            )

        done = await _until("a resolved e-bike case", resolved_ebike_case, proc, log, lift_deadline)
        timeline: list = []

        async def resumed() -> bool:
            timeline[:] = (await stub.GetTimeline(cases_pb.GetTimelineRequest(case_id=done.case_id), timeout=5)).changes
            return any("RESUME" in c.note for c in timeline if c.action == "note")

        # RESUME follows the resolution once vision has seen the car clear; give it a few seconds, no more.
        with contextlib.suppress(AssertionError):
            await _until("RESUME", resumed, proc, log, min(lift_deadline, asyncio.get_running_loop().time() + 5))
    tail = _tail(log)
    steps = [c.action for c in timeline]
    notes = [c.note for c in timeline if c.action == "note"]
    for action in ("assigned", "acknowledged", "on_site", "resolved"):
        assert action in steps, (steps, tail)
    assert steps.index("assigned") < steps.index("acknowledged") < steps.index("on_site") < steps.index("resolved")
    unit = done.assignee
    assert unit.startswith("unit-"), done
    assert {c.actor for c in timeline if c.action in ("acknowledged", "on_site", "resolved")} == {unit}, timeline
    assert any("STOP" in n and LIFT in n and "acked" in n for n in notes), (notes, tail)
    if any("RESUME" in n for n in notes):
        assert any("RESUME" in n and "acked" in n for n in notes), notes
    # The simulator said what the unit did, one line a step.
    said = " ".join(log.read_text(errors="replace").split())
    assert f"{unit} acknowledged case {done.case_id} (e-bike in lift)" in said, tail
    assert f"{unit} on site (case {done.case_id})" in said and f"{unit} resolved case {done.case_id}" in said, tail

    # Analytics: the runner imported 60 days of history, so the trend has something to show; the live alarms of
    # this run are counted from the alarm stream on top (today); the chart comes through the API.
    async with grpc.aio.insecure_channel(targets["analytics"]) as channel:
        await _until("SERVING analytics", _serving(channel), proc, log, deadline)
        stub = analytics_grpc.AnalyticsServiceStub(channel)

        async def trend_with_today():
            t = (await stub.GetAlarmTrend(analytics_pb.GetAlarmTrendRequest(), timeout=5)).trend
            return t if t.totals and t.totals[-1] > 0 and sum(t.totals[:-1]) > 0 else None

        trend = await _until("a 30-day trend with history and today", trend_with_today, proc, log, deadline)
        assert len(trend.days) == 30 and {s.type for s in trend.series} >= {"litter_off_hours", "ebike_in_elevator"}
        (room,) = (await stub.GetDumpingProfile(analytics_pb.GetDumpingProfileRequest(), timeout=5)).rooms
        assert room.place_id == "gengduyuan-refuse-1" and room.suggestion.reaches_target, room
        chart = await stub.RenderChart(
            analytics_pb.RenderChartRequest(chart=analytics_pb.CHART_TREND, format=analytics_pb.FORMAT_PNG), timeout=30
        )
        assert chart.data[:8] == b"\x89PNG\r\n\x1a\n"
        (tmp_log_dir := log.parent / "charts").mkdir(exist_ok=True)
        (tmp_log_dir / "trend.png").write_bytes(chart.data)  # to look at after a run

    # The registry holds the seed data set: the six livelihood projects against target, the town targets (the
    # 亿元楼 counted from the buildings' tax), and the 5-minute service circle with its gaps.
    async with grpc.aio.insecure_channel(targets["registry"]) as channel:
        await _until("SERVING registry", _serving(channel), proc, log, deadline)
        stub = registry_grpc.RegistryServiceStub(channel)

        async def seeded():
            reply = await stub.GetProjectProgress(registry_pb.GetProjectProgressRequest(), timeout=5)
            return reply.projects if len(reply.projects) == 6 else None

        projects = await _until("the six livelihood projects", seeded, proc, log, deadline)
        assert all(p.target.value > 0 for p in projects)
        listed = await stub.ListTargets(registry_pb.ListTargetsRequest(), timeout=5)
        towns = {t.target_id: t for t in listed.targets}
        assert towns["billion_yuan_buildings"].target == 12 and towns["billion_yuan_buildings"].actual >= 12
        circle = await stub.GetServiceCircle(registry_pb.GetServiceCircleRequest(), timeout=5)
        assert circle.covered or circle.gaps
        assert all(g.reason for g in circle.gaps)

    # The gateway: the admin the runner made logs in, and the API shows the grid's cases, KPIs and the dashboard.
    password = (state / "admin.password").read_text().strip()
    async with httpx.AsyncClient(base_url=targets["gateway"], timeout=10) as http:
        login = await http.post("/api/v1/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        listed = await http.get(f"/api/v1/grids/{GRID}/cases", headers=auth)
        assert listed.status_code == 200 and listed.json()["cases"], listed.text
        kpis = await http.get(f"/api/v1/grids/{GRID}/analytics/kpis", headers=auth)
        assert kpis.status_code == 200 and int(kpis.json()["kpis"]["open_cases"]) >= 0, kpis.text
        assert (await http.get(f"/api/v1/grids/{GRID}/cases")).status_code == 401
        page = await http.get("/town")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    children = _children(proc.pid)
    commands = list(children.values())
    assert any("nats-server" in c for c in commands), children
    assert any("-m microbrain_ingest" in c for c in commands), children
    assert any("-m microbrain_vision" in c for c in commands), children
    assert any("-m microbrain_cases" in c for c in commands), children
    assert any("-m microbrain_dispatch" in c for c in commands), children
    assert any("-m microbrain_analytics" in c for c in commands), children
    assert any("-m microbrain_registry" in c for c in commands), children
    assert any("-m microbrain_gateway" in c for c in commands), children
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"microbrain up still running {STOP_TIMEOUT_S:.0f}s after SIGINT:\n{_tail(log)}")
    assert rc == 0, _tail(log)
    assert not [pid for pid in children if _alive(pid)], f"left running: {children}"
    assert not (state / "nats.url").exists()
