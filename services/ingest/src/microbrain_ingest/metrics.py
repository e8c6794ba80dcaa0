"""Ingest's Prometheus metrics."""

from microbrain.ingest.v1 import resources_pb2
from prometheus_client import Counter, Histogram

TRANSPORT_LABEL = {resources_pb2.TRANSPORT_GRPC: "grpc", resources_pb2.TRANSPORT_MQTT: "mqtt"}

# Receive to durable in JetStream: the first stage of "1 秒发现问题".
EVENT_STORE_SECONDS = Histogram(
    "microbrain_ingest_event_store_seconds",
    "Time from receiving a valid device event to JetStream confirming it stored (or already had) it.",
    ["transport", "outcome"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
REFUSED = Counter(
    "microbrain_ingest_events_refused_total",
    "Device messages refused, by transport and gRPC status code name.",
    ["transport", "code"],
)
COMMAND_SECONDS = Histogram(
    "microbrain_ingest_command_seconds",
    "Time from issuing a device command to its ack or timeout.",
    ["command", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
