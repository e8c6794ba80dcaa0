"""gRPC server bootstrap: grpc.aio with health, reflection, and one interceptor for errors, metrics and traces."""

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Histogram

from microbrain_kit import telemetry
from microbrain_kit.errors import DomainError

log = logging.getLogger(__name__)
tracer = trace.get_tracer("microbrain_kit.server")

# Buckets aligned with the platform's SLAs: 1 s to see, seconds to command a device.
RPC_SECONDS = Histogram(
    "microbrain_grpc_server_handling_seconds",
    "Time to handle a gRPC call (whole stream for streaming calls).",
    ["service", "method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class _Interceptor(grpc.aio.ServerInterceptor):
    """Maps DomainError to its status, hides other errors behind INTERNAL, and records metrics and spans."""

    def __init__(self, service: str) -> None:
        self.service = service

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        method = handler_call_details.method
        parent = telemetry.extract(handler_call_details.invocation_metadata)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method, parent),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, method, parent),
                handler.request_deserializer,
                handler.response_serializer,
            )
        make = grpc.unary_stream_rpc_method_handler if handler.unary_stream else grpc.stream_stream_rpc_method_handler
        return make(
            self._streaming(handler.unary_stream or handler.stream_stream, method, parent),
            handler.request_deserializer,
            handler.response_serializer,
        )

    def _unary(self, behavior: Callable, method: str, parent):
        async def wrapper(request_or_iterator, ctx):
            with _Call(self.service, method, parent, ctx) as call:
                return await call.guard(behavior(request_or_iterator, ctx))

        return wrapper

    def _streaming(self, behavior: Callable, method: str, parent):
        async def wrapper(request_or_iterator, ctx):
            with _Call(self.service, method, parent, ctx) as call:
                result = behavior(request_or_iterator, ctx)
                if inspect.isasyncgen(result):
                    async for item in call.guard_iter(result):
                        yield item
                else:
                    await call.guard(result)

        return wrapper


class _Call:
    """One RPC: its span, its timing and the translation of what it raised."""

    def __init__(self, service: str, method: str, parent, ctx: grpc.aio.ServicerContext) -> None:
        self.service, self.method, self.parent, self.ctx = service, method, parent, ctx
        self.code = grpc.StatusCode.OK

    def __enter__(self) -> "_Call":
        self.start = time.perf_counter()
        self.token = otel_context.attach(self.parent)
        self.span_cm = tracer.start_as_current_span(
            self.method.lstrip("/"),
            kind=trace.SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": self.method},
        )
        self.span = self.span_cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.span.set_attribute("rpc.grpc.status_code", self.code.value[0])
        self.span_cm.__exit__(None, None, None)
        otel_context.detach(self.token)
        RPC_SECONDS.labels(self.service, self.method, self.code.name).observe(time.perf_counter() - self.start)

    async def guard(self, awaitable):
        try:
            return await awaitable
        except BaseException as exc:
            await self._translate(exc)

    async def guard_iter(self, agen):
        try:
            async for item in agen:
                yield item
        except BaseException as exc:
            await self._translate(exc)

    async def _translate(self, exc: BaseException):
        if isinstance(exc, DomainError):
            self.code = exc.code
            self.span.set_status(trace.StatusCode.ERROR, exc.message)
            await self.ctx.abort(exc.code, exc.message)
        if isinstance(exc, grpc.aio.AbortError):  # the servicer chose its own status
            self.code = self.ctx.code() or grpc.StatusCode.UNKNOWN
            raise exc
        if not isinstance(exc, Exception):  # cancelled by the client or by shutdown
            self.code = grpc.StatusCode.CANCELLED
            raise exc
        self.code = grpc.StatusCode.INTERNAL
        self.span.record_exception(exc)
        trace_id = format(self.span.get_span_context().trace_id, "032x")
        log.exception("unhandled error in %s", self.method)
        await self.ctx.abort(grpc.StatusCode.INTERNAL, f"internal error (trace {trace_id})")


@dataclass
class Registration:
    """A servicer and the generated function that adds it, with its full service name for reflection."""

    add: Callable[[Any, grpc.aio.Server], None]
    servicer: Any
    name: str


class GrpcServer:
    """A grpc.aio server with health, reflection and the kit interceptor."""

    def __init__(
        self,
        *,
        service: str,
        registrations: list[Registration],
        host: str = "0.0.0.0",
        port: int = 0,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.health = health.aio.HealthServicer()
        self.registrations = registrations
        self.address = f"{host}:{port}"
        self.server = grpc.aio.server(
            interceptors=[_Interceptor(service)],
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ],
        )
        self.port = 0

    async def start(self) -> int:
        """Binds, starts serving and marks every service SERVING; returns the bound port."""
        for reg in self.registrations:
            reg.add(reg.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [reg.name for reg in self.registrations]
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )
        self.port = self.server.add_insecure_port(self.address)
        await self.server.start()
        for name in ["", *names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("gRPC listening on port %d", self.port)
        return self.port

    async def stop(self, grace: float) -> None:
        """Reports NOT_SERVING, then lets in-flight calls finish for up to grace seconds."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
