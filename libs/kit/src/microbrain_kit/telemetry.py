"""Tracing (OpenTelemetry), the Prometheus endpoint, and W3C context carried in gRPC metadata and NATS headers."""

import logging
import os
from collections.abc import Iterable, Mapping

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import start_http_server

log = logging.getLogger(__name__)


def setup_tracing(service: str) -> TracerProvider:
    """Installs the global tracer provider; spans go to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"microbrain-{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def start_metrics_server(port: int, host: str = "0.0.0.0"):
    """Serves /metrics for Prometheus on a thread; returns a callable that stops it (None when port is 0)."""
    if not port:
        return None
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)

    return stop


def inject(carrier: dict[str, str] | None = None) -> dict[str, str]:
    """Adds traceparent/tracestate of the current span to carrier (NATS headers, gRPC metadata)."""
    carrier = {} if carrier is None else carrier
    propagate.inject(carrier)
    return carrier


def grpc_metadata() -> list[tuple[str, str]]:
    """The current trace context as gRPC call metadata."""
    return list(inject().items())


def extract(carrier: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> context.Context:
    """The trace context found in NATS headers or gRPC invocation metadata (empty when none)."""
    if carrier is None:
        return context.Context()
    if not isinstance(carrier, Mapping):
        carrier = {k: v for k, v in carrier if isinstance(v, str)}
    return propagate.extract(carrier)
