"""The gateway's FastAPI app: lifespan (database, NATS, gRPC channels), the API and events routers, /healthz,
/metrics, the dashboard's pages when present, error bodies, request metrics, traces and the audit log."""

import logging
import secrets
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from microbrain_kit import telemetry
from microbrain_kit.bus import Bus
from microbrain_kit.db import create_engine, migrate, session_factory
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException

from microbrain_gateway import api, events, fusion
from microbrain_gateway.auth import ApiError, Authenticator, LoginLimiter
from microbrain_gateway.config import GatewaySettings, load_grids
from microbrain_gateway.metrics import REQUEST_SECONDS
from microbrain_gateway.models import AuditRow

log = logging.getLogger(__name__)
tracer = trace.get_tracer("microbrain_gateway")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
CODES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
CODES |= {405: "METHOD_NOT_ALLOWED", 409: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class Observe:
    """ASGI middleware: a span per request (trace context taken from the caller), the request histogram by route
    template, and an audit row for each mutating /api/v1 call."""

    def __init__(self, app, fastapi_app: FastAPI) -> None:
        self.app, self.fastapi_app = app, fastapi_app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def send_status(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method, path = scope["method"], scope["path"]
        start = time.perf_counter()
        token = otel_context.attach(telemetry.extract(headers))
        try:
            with tracer.start_as_current_span(f"{method} {path}", kind=trace.SpanKind.SERVER) as span:
                try:
                    await self.app(scope, receive, send_status)
                finally:
                    route = getattr(scope.get("route"), "path", "unmatched")
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.request.method", method)
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status["code"])
                    REQUEST_SECONDS.labels(method, route, str(status["code"])).observe(time.perf_counter() - start)
        finally:
            otel_context.detach(token)
        if method in MUTATING and path.startswith("/api/v1/") and not path.startswith("/api/v1/auth/"):
            user = scope.get("state", {}).get("user")
            await self._audit(user.username if user else "-", method, path, status["code"], scope)

    async def _audit(self, username: str, method: str, path: str, status: int, scope) -> None:
        sessions = getattr(self.fastapi_app.state, "sessions", None)
        if sessions is None:
            return
        detail = scope.get("query_string", b"").decode("latin-1")[:500]
        try:
            async with sessions() as session:
                session.add(
                    AuditRow(
                        at=datetime.now(UTC), username=username, method=method, path=path, status=status, detail=detail
                    )
                )
                await session.commit()
        except Exception:
            log.exception("audit row not written for %s %s by %s", method, path, username)


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway as an ASGI app; its lifespan opens (and closes) the database, NATS and the gRPC channels."""
    grids = load_grids(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = create_engine(settings.database_url, schema=settings.database_schema or None)
        await migrate(engine, MIGRATIONS, version_table="gateway_alembic_version")
        app.state.sessions = session_factory(engine)
        secret = settings.jwt_secret
        if not secret:
            secret = secrets.token_urlsafe(48)
            log.warning("MB_JWT_SECRET is not set: tokens are signed with a random key and will not survive a restart")
        app.state.auth = Authenticator(
            app.state.sessions, secret, settings.jwt_ttl_s, settings.oidc_issuer, settings.oidc_audience
        )
        app.state.limiter = LoginLimiter(settings.login_max_attempts, settings.login_window_s)
        app.state.clients = api.Clients(grids, settings.registry_target)
        app.state.units = events.UnitDirectory(app.state.clients)
        app.state.bus = await Bus.connect(settings.nats_url, name="gateway")
        app.state.deliveries = fusion.Deliveries(app.state.fusion, list(grids), app.state.bus, app.state.sessions)
        await app.state.deliveries.start()
        log.info("gateway ready for grids %s", ", ".join(grids))
        try:
            yield
        finally:
            await app.state.deliveries.stop()
            await app.state.clients.close()
            await app.state.bus.close()
            await engine.dispose()

    app = FastAPI(
        title="Microbrain gateway",
        version="1",
        description="REST/JSON and live events over Microbrain's services (see services/gateway/API.md).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.fusion = fusion.load_fusion(settings.fusion, settings.grid_id)

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, CODES.get(exc.status_code, "UNKNOWN"), str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return error(400, "INVALID_ARGUMENT", "; ".join(parts))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        ctx = trace.get_current_span().get_span_context()
        trace_id = format(ctx.trace_id, "032x") if ctx.is_valid else ""
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error(500, "INTERNAL", f"internal error (trace {trace_id or 'none'})")

    app.include_router(api.router)
    app.include_router(events.router)
    app.include_router(fusion.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    _add_pages(app)
    app.add_middleware(Observe, fastapi_app=app)
    return app


def _add_pages(app: FastAPI) -> None:
    """Serves the dashboard (microbrain_gateway.web.pages) when it is installed."""
    try:
        from microbrain_gateway.web import pages
    except ImportError as exc:
        log.info("dashboard pages not available: %s", exc)
        return
    from fastapi.staticfiles import StaticFiles

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
