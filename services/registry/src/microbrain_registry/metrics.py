"""Registry's Prometheus metrics."""

from prometheus_client import Counter

CHANGES = Counter(
    "microbrain_registry_record_changes_total",
    "Registry records changed, by kind (project, progress, station, …) and action (created, updated, deleted).",
    ["kind", "action"],
)
