"""Crowd occupancy per zone: camera person counts and Wi-Fi probe counts fused into one estimate, and the
zone's level with hysteresis.

How the two are combined: a zone's cameras see part of it (each camera's `coverage`, the share of the zone's
area in its view, from the places file); in that part they count people well. The Wi-Fi probes hear the
whole zone, but only the phones (`phone_share` of the people), and a phone is counted once across the
zone's probes by its hashed id within a sliding window. So:

    camera_count  = sum of the fresh counts of the zone's cameras; coverage = sum of their coverages (≤ 1)
    wifi_estimate = distinct phone ids heard in the window / phone_share
    estimate      = camera_count + (1 - coverage) × wifi_estimate      (both fresh)
                  = camera_count / coverage                            (cameras only)
                  = wifi_estimate                                      (Wi-Fi only)

i.e. people seen where the cameras look, plus the Wi-Fi's density for the part they do not. A camera is
fresh for camera_stale_s after its last count; the Wi-Fi for its window after a probe's last report. A
probe that only reports a count (no hashes) adds its latest count.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from microbrain.analytics.v1 import resources_pb2 as res
from microbrain_kit.times import timestamp

from microbrain_analytics.places import Zone

L = res.CrowdLevel


def next_level(zone: Zone, level: int, estimate: float) -> int:
    """The zone's level after an estimate: up as soon as a threshold is reached, down only once the
    estimate is `hysteresis` below it (so a crowd hovering at the line does not flap)."""
    keep = 1 - zone.hysteresis
    if estimate >= zone.critical or (level == L.CROWD_LEVEL_CRITICAL and estimate >= zone.critical * keep):
        return L.CROWD_LEVEL_CRITICAL
    if estimate >= zone.warning or (
        level in (L.CROWD_LEVEL_WARNING, L.CROWD_LEVEL_CRITICAL) and estimate >= zone.warning * keep
    ):
        return L.CROWD_LEVEL_WARNING
    return L.CROWD_LEVEL_NORMAL


@dataclass
class _ZoneInputs:
    cameras: dict[str, tuple[float, datetime]] = field(default_factory=dict)  # camera → (count, at)
    phones: dict[str, datetime] = field(default_factory=dict)  # hashed id → last heard
    counting_probes: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # probe → (count, at)
    last_probe_at: datetime | None = None
    reports: int = 0


class CrowdTracker:
    """The live inputs of every zone; pure (times are passed in), so the same events give the same numbers."""

    def __init__(self, zones: dict[str, Zone], *, wifi_window_s: float = 300, camera_stale_s: float = 60) -> None:
        self.zones = zones
        self.window = timedelta(seconds=wifi_window_s)
        self.stale = timedelta(seconds=camera_stale_s)
        self.inputs = {z: _ZoneInputs() for z in zones}

    def camera(self, camera_id: str, counts: dict[str, float], at: datetime) -> list[str]:
        """A camera's person counts per zone; returns the zones it changed."""
        changed = []
        for zone_id, count in counts.items():
            zone = self.zones.get(zone_id)
            if zone is None or camera_id not in zone.cameras:
                continue  # a zone or camera the places file does not know: its coverage is unknown
            self.inputs[zone_id].cameras[camera_id] = (float(count), at)
            changed.append(zone_id)
        return changed

    def probe(self, probe_id: str, zone_id: str, hashes: list[str], unique_devices: int, at: datetime) -> list[str]:
        """A probe's report: the hashed phone ids it heard (or only how many)."""
        inputs = self.inputs.get(zone_id)
        if inputs is None:
            return []
        if hashes:
            for h in hashes:
                if inputs.phones.get(h, at) <= at:
                    inputs.phones[h] = at
            inputs.counting_probes.pop(probe_id, None)
        else:
            inputs.counting_probes[probe_id] = (unique_devices, at)
        inputs.last_probe_at = max(at, inputs.last_probe_at or at)
        inputs.reports += 1
        if inputs.reports % 50 == 0:  # forget phones long gone, now and then
            horizon = inputs.last_probe_at - self.window
            inputs.phones = {h: t for h, t in inputs.phones.items() if t >= horizon}
        return [zone_id]

    def occupancy(self, zone_id: str, now: datetime) -> res.ZoneOccupancy:
        """The zone's fused estimate at `now` (level fields are the caller's)."""
        zone, inputs = self.zones[zone_id], self.inputs[zone_id]
        fresh = {c: n for c, (n, at) in inputs.cameras.items() if now - at <= self.stale}
        camera_count = sum(fresh.values())
        coverage = min(1.0, sum(zone.cameras[c] for c in fresh))
        horizon = now - self.window
        distinct = sum(1 for t in inputs.phones.values() if horizon <= t <= now) + sum(
            n for n, at in inputs.counting_probes.values() if horizon <= at <= now
        )
        wifi_fresh = inputs.last_probe_at is not None and horizon <= inputs.last_probe_at
        wifi_estimate = distinct / zone.phone_share
        if fresh and wifi_fresh:
            estimate, sources = camera_count + (1 - coverage) * wifi_estimate, "camera+wifi"
        elif fresh:
            estimate, sources = camera_count / coverage, "camera"
        elif wifi_fresh:
            estimate, sources = wifi_estimate, "wifi"
        else:
            estimate, sources = 0.0, ""
        return res.ZoneOccupancy(
            zone_id=zone_id,
            place_id=zone.place_id,
            name=zone.name,
            estimate=round(estimate, 1),
            camera_count=camera_count,
            camera_coverage=coverage,
            wifi_distinct_devices=distinct,
            phone_share=zone.phone_share,
            wifi_estimate=round(wifi_estimate, 1),
            wifi_window_s=int(self.window.total_seconds()),
            sources=sources,
            warning=zone.warning,
            critical=zone.critical,
            updated_at=timestamp(now),
        )
