"""The worker: APScheduler ticks, each tick runs one poll cycle; stops cleanly on request."""

from __future__ import annotations

import asyncio
import logging
from typing import Self

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from syndicate.config import Config
from syndicate.errors import SyndicateError
from syndicate.fetch import Fetcher
from syndicate.pipeline import Clock, CycleReport, run_cycle, utcnow
from syndicate.storage import Storage

__all__ = ["TICK_SECONDS", "Worker"]

log = logging.getLogger("syndicate.scheduler")

#: how often the worker looks for due sources; each source keeps its own interval
TICK_SECONDS = 30.0


class Worker:
    """Runs poll cycles on a schedule, one at a time, in the running event loop."""

    def __init__(
        self, config: Config, storage: Storage, *, clock: Clock = utcnow, tick: float = TICK_SECONDS
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.tick = tick
        self.cycles = 0
        self.last_report: CycleReport | None = None
        self._fetcher: Fetcher | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._current: asyncio.Task[CycleReport] | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start(self) -> None:
        """Start ticking now: the first cycle runs at once."""
        self._fetcher = Fetcher(self.config.fetch)
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.tick,
            id="poll",
            next_run_time=self.clock(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def _tick(self) -> None:
        if self._lock.locked() or self._fetcher is None:
            return
        async with self._lock:
            self._current = asyncio.create_task(
                run_cycle(self.config, self.storage, self._fetcher, clock=self.clock)
            )
            try:
                self.last_report = await self._current
                self.cycles += 1
            except asyncio.CancelledError:
                log.info("cycle cancelled by shutdown")
            except SyndicateError as exc:
                log.error("cycle failed: %s", exc)
            finally:
                self._current = None

    async def stop(self, grace: float = 2.0) -> None:
        """Stop ticking; let a running cycle finish for ``grace`` seconds, then cancel it.

        Cancelling is safe: each source's articles and validators are stored in one
        transaction (committed or not at all), and feeds are replaced by rename.
        """
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        current = self._current
        if current is not None and not current.done():
            done, _ = await asyncio.wait({current}, timeout=grace)
            if not done:
                current.cancel()
                await asyncio.gather(current, return_exceptions=True)
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
