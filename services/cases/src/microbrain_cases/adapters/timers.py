"""The SLA timer loop: due deadlines live in the database, so they survive restarts and fire once in any
replica; this loop only looks for them."""

import asyncio
import logging
from datetime import UTC, datetime

from microbrain_cases.domain import service

log = logging.getLogger(__name__)


class SlaTimers:
    """Fires due SLA deadlines every interval."""

    def __init__(self, app, interval_s: float) -> None:  # app: microbrain_cases.wiring.App
        self.app, self.interval_s = app, interval_s
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sla-timers")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def tick(self) -> int:
        """Fires what is due now; returns how many deadlines fired."""
        fired_total = 0
        while True:
            async with self.app.sessions() as session:
                fired = await service.fire_due_deadlines(
                    session=session, now=datetime.now(UTC), policies=self.app.policies
                )
                await session.commit()
            if not fired:
                return fired_total
            fired_total += len(fired)
            for case_id, stage in fired:
                log.warning("SLA breached: case %s, stage %s", case_id, service.stage_name(stage))
            self.app.relay.notify()
            self.app.changed()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SLA timer tick failed; will retry")
            await asyncio.sleep(self.interval_s)
