"""Presence: remembers when each device last spoke (cheap, in memory) and every interval saves it,
brings devices online, and takes silent ones offline."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from microbrain_kit.db import OutboxRelay
from microbrain_kit.times import utcnow
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microbrain_ingest.domain import service

log = logging.getLogger(__name__)


class Presence:
    """The presence loop of one replica."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        relay: OutboxRelay,
        *,
        interval_s: float,
        misses: int,
        on_offline: Callable[[list[str]], None] = lambda ids: None,
    ) -> None:
        self.sessions, self.relay = sessions, relay
        self.interval_s, self.misses = interval_s, misses
        self.on_offline = on_offline
        self._seen: dict[str, tuple[float, int]] = {}
        self._task: asyncio.Task | None = None

    def seen(self, device_id: str, transport: int) -> None:
        """Notes traffic from a device (hot path: a dict write)."""
        self._seen[device_id] = (time.time(), transport)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="presence")

    async def tick(self) -> None:
        """Saves what was seen, then takes silent devices offline."""
        seen, self._seen = self._seen, {}
        if seen:
            batch = {d: (datetime.fromtimestamp(t, UTC), tr) for d, (t, tr) in seen.items()}
            async with self.sessions() as session:
                online = await service.save_presence(session=session, seen=batch, misses=self.misses)
                await session.commit()
            if online:
                log.info("devices online: %s", ", ".join(online))
                self.relay.notify()
        async with self.sessions() as session:
            offline = await service.mark_silent_offline(session=session, now=utcnow(), misses=self.misses)
            await session.commit()
        if offline:
            log.warning("devices offline: %s", ", ".join(offline))
            self.relay.notify()
            self.on_offline(offline)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("presence tick failed; will retry")

    async def stop(self) -> None:
        """Stops the loop and saves the last-seen times still in memory."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.tick()
        except Exception:
            log.exception("final presence save failed")
