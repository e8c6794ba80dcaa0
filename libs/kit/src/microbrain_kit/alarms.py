"""The shared alarm stream of a grid: every producer publishes microbrain.alarms.v1.AlarmRaised here,
and cases consumes it."""

from microbrain_kit.bus import Bus, stream_name, subject

DOMAIN = "alarms"


def alarm_subject(grid_id: str) -> str:
    """mb.<grid>.alarms.raised."""
    return subject(grid_id, DOMAIN, "raised")


async def ensure_alarm_stream(bus: Bus, grid_id: str) -> str:
    """Declares the grid's alarm stream (the same way from every producer and consumer); returns its name."""
    name = stream_name(grid_id, DOMAIN)
    await bus.ensure_stream(name, [f"mb.{grid_id}.{DOMAIN}.*"], duplicate_window_s=3600)
    return name
