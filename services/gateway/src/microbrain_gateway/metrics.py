"""The gateway's Prometheus metrics (served at /metrics on the HTTP port)."""

from prometheus_client import Histogram

REQUEST_SECONDS = Histogram(
    "microbrain_gateway_request_duration_seconds",
    "HTTP requests by method, route template and status (SSE streams: until the stream ends).",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
