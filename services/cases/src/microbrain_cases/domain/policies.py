"""SLA policies per case type: a deadline for each stage (from the time the fact happened) and the
escalation chain a breach walks along. Defaults are the seed's promise; a YAML file can override them."""

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml
from microbrain.cases.v1 import resources_pb2 as res

S = res.Stage
STAGE_NAMES = {
    "discover": S.STAGE_DISCOVER,
    "assign": S.STAGE_ASSIGN,
    "acknowledge": S.STAGE_ACKNOWLEDGE,
    "arrive": S.STAGE_ARRIVE,
    "resolve": S.STAGE_RESOLVE,
    "close": S.STAGE_CLOSE,
}
TIMED_STAGES = (S.STAGE_ASSIGN, S.STAGE_ACKNOWLEDGE, S.STAGE_ARRIVE, S.STAGE_RESOLVE, S.STAGE_CLOSE)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | int | float) -> timedelta:
    """'1s', '5m', '1h', '7d' (or plain seconds) as a timedelta."""
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    text = text.strip()
    try:
        return (
            timedelta(seconds=float(text[:-1]) * UNITS[text[-1]])
            if text[-1] in UNITS
            else timedelta(seconds=float(text))
        )
    except (ValueError, IndexError):
        raise ValueError(f"not a duration: {text!r} (use e.g. 1s, 5m, 1h, 7d)") from None


@dataclass(frozen=True)
class Policy:
    """The SLA of one case type."""

    deadlines: dict[int, timedelta]
    escalation: tuple[str, ...] = ("grid_leader", "town_centre", "enforcement")


def _policy(resolve: str, assign: str = "2m", acknowledge: str = "5m", arrive: str = "15m", **kw) -> Policy:
    stages = {
        "discover": "1s",
        "assign": assign,
        "acknowledge": acknowledge,
        "arrive": arrive,
        "resolve": resolve,
        "close": "7d",
    }
    return Policy({STAGE_NAMES[k]: parse_duration(v) for k, v in stages.items()}, **kw)


# 1 秒发现问题，1 小时解决问题，7 天完成闭环 — with the seed's lift (5 min) and garbage-room (1 h) scenarios.
DEFAULT_POLICIES = {
    "ebike_in_elevator": _policy("5m", assign="30s", acknowledge="1m", arrive="3m"),
    "litter_off_hours": _policy(
        "1h", assign="5m", acknowledge="10m", arrive="30m", escalation=("city_enforcement", "town_centre")
    ),
    "crowd_over_threshold": _policy("30m", assign="1m", acknowledge="2m", arrive="10m"),
    "device_offline": _policy("4h", assign="15m", acknowledge="30m", arrive="2h"),
    "device_fault": _policy("1h"),
    "manual_report": _policy("1h"),
    "external_report": _policy("1h"),
}


@dataclass
class Policies:
    """Policies by case type; unknown types get the fallback (the 1-hour promise)."""

    by_type: dict[str, Policy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    fallback: Policy = field(default_factory=lambda: _policy("1h"))

    def for_type(self, case_type: str) -> Policy:
        return self.by_type.get(case_type, self.fallback)

    @classmethod
    def load(cls, path: str) -> "Policies":
        """Defaults, overridden per type by a YAML file: {type: {resolve: 1h, ..., escalation: [a, b]}}."""
        policies = cls()
        if not path:
            return policies
        data = yaml.safe_load(Path(path).read_text()) or {}
        for case_type, spec in data.items():
            base = policies.for_type(case_type)
            deadlines = dict(base.deadlines)
            for name, value in spec.items():
                if name == "escalation":
                    continue
                if name not in STAGE_NAMES:
                    raise ValueError(f"{path}: {case_type}: unknown stage {name!r} (use {', '.join(STAGE_NAMES)})")
                deadlines[STAGE_NAMES[name]] = parse_duration(value)
            policies.by_type[case_type] = Policy(deadlines, tuple(spec.get("escalation", base.escalation)))
        return policies
