"""Analytics' Prometheus metrics."""

from prometheus_client import Counter, Gauge, Histogram

COUNTED = Counter(
    "microbrain_analytics_events_counted_total",
    "Events folded into the roll-ups, by stream domain (redeliveries and replays of counted events excluded).",
    ["grid_id", "domain"],
)
QUERY_SECONDS = Histogram(
    "microbrain_analytics_query_seconds",
    "Time to answer an analytics query from the roll-ups.",
    ["query"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
OCCUPANCY = Gauge("microbrain_analytics_zone_occupancy", "Fused people estimate per crowd zone.", ["grid_id", "zone"])
LEVEL = Gauge(
    "microbrain_analytics_zone_level", "Crowd level per zone: 1 normal, 2 warning, 3 critical.", ["grid_id", "zone"]
)
