"""Cases' Prometheus metrics. Stage durations are observed only once their transaction commits."""

from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

# Seconds from the fact to reaching each stage. Fine around 1 s (discover), minutes around 1 h (resolve),
# days up to the 7-day close.
STAGE_SECONDS = Histogram(
    "microbrain_cases_stage_seconds",
    "Time from the fact (alarm occurred_at) to the case reaching an SLA stage.",
    ["grid", "case_type", "stage"],
    buckets=(
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
        1.2,
        1.5,
        2,
        3,
        5,
        10,
        30,
        60,
        120,
        300,
        600,
        900,
        1200,
        1800,
        2400,
        2700,
        3000,
        3300,
        3600,
        3900,
        4500,
        5400,
        7200,
        14400,
        43200,
        86400,
        259200,
        604800,
        1209600,
    ),
)
BREACHES = Counter("microbrain_cases_sla_breaches_total", "SLA deadlines breached.", ["grid", "case_type", "stage"])
ALARMS = Counter(
    "microbrain_cases_alarms_total",
    "Alarms consumed, by what they did: opened a case, repeated an open one, or were already known.",
    ["grid", "outcome"],
)

_PENDING = "microbrain_cases_metrics"


def observe_on_commit(session, metric, labels: tuple, value: float = 1.0) -> None:
    """Records a metric sample when the session's transaction commits (dropped on rollback)."""
    session.info.setdefault(_PENDING, []).append((metric, labels, value))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for metric, labels, value in session.info.pop(_PENDING, []):
        child = metric.labels(*labels)
        child.observe(value) if isinstance(metric, Histogram) else child.inc(value)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
