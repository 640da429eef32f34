"""The worker: APScheduler ticks, each tick runs one poll cycle; stops cleanly on request."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Self

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from syndicate.config import Config
from syndicate.errors import SyndicateError
from syndicate.fetch import Fetcher
from syndicate.metrics import record_cycle
from syndicate.models import WorkerCycle
from syndicate.pipeline import (
    Clock,
    CycleReport,
    make_owner,
    release_dead_leases,
    reroute_stored,
    run_cycle,
    sync_sources,
    utcnow,
)
from syndicate.publish import publish_feeds
from syndicate.storage import Storage
from syndicate.terms import TermBase
from syndicate.terms.load import load_glossary
from syndicate.translate import Translator, make_engine

__all__ = ["Worker"]

log = logging.getLogger("syndicate.scheduler")

#: the longest wait between cycles that failed as a whole (the database away), seconds
MAX_CYCLE_BACKOFF = 300.0


class Worker:
    """Runs poll cycles every ``schedule.tick``, one at a time, in the running event loop.

    Several workers (processes, machines) may share one PostgreSQL database: each cycle
    claims its sources with a lease, so no source is fetched twice for one due time.
    """

    def __init__(
        self, config: Config, storage: Storage, *, clock: Clock = utcnow, owner: str | None = None
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.owner = owner or make_owner()
        self.cycles = 0
        self.last_report: CycleReport | None = None
        self._fetcher: Fetcher | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._current: asyncio.Task[CycleReport] | None = None
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[object]] = set()
        self.terms = TermBase()
        self.translator: Translator | None = None
        #: the next cycle checks every feed: the first one (a crash before this start may
        #: have stored articles it never published), and any after a failed publish
        self.republish = True
        #: why the last cycle failed as a whole, while it is the last one
        self.last_error: str | None = None
        #: cycles failed in a row (the database away), and no cycle before this time
        self._failures = 0
        self._retry_at = 0.0

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Sync the sources with the config, load the glossary, start ticking (the first cycle
        runs at once); articles routed under an older glossary are rerouted meanwhile."""
        await asyncio.to_thread(sync_sources, self.config, self.storage)
        await asyncio.to_thread(release_dead_leases, self.storage)
        self.terms = await asyncio.to_thread(load_glossary, self.config)
        self._in_background(asyncio.to_thread(self._reroute, self.config, self.terms))
        self._fetcher = Fetcher(self.config.fetch)
        self.translator = self._make_translator(self.config)
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self.config.schedule.tick,
            id="poll",
            next_run_time=self.clock(),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()
        log.info("worker %s started", self.owner)

    def reload(self, config: Config) -> None:
        """Use ``config`` from the next cycle on (sources, topics, schedule, publish)."""
        tick_changed = config.schedule.tick != self.config.schedule.tick
        if config.translation != self.config.translation and self._scheduler is not None:
            old, self.translator = self.translator, self._make_translator(config)
            if old is not None:
                self._in_background(old.engine.aclose())
        elif self.translator is not None:
            self.translator.config = config  # same engine; sources' fields may have changed
        self.config = config
        self._in_background(asyncio.to_thread(self._resync, config))
        if self._scheduler is not None:
            if tick_changed:
                self._scheduler.reschedule_job(
                    "poll", trigger="interval", seconds=config.schedule.tick
                )
            # Look for due sources soon, so a source just added is polled without waiting a tick
            # (after the sync above has given it a row).
            self._scheduler.modify_job("poll", next_run_time=self.clock() + timedelta(seconds=1))

    def _resync(self, config: Config) -> None:
        """After a reload, in a thread: sources, then the glossary, then rerouting."""
        sync_sources(config, self.storage)
        terms = load_glossary(config)
        self.terms = terms  # one assignment: a cycle sees the old or the new term base
        self._reroute(config, terms)

    def _reroute(self, config: Config, terms: TermBase) -> None:
        """Reroute articles of an older glossary or topic setup; republish if any changed."""
        try:
            if reroute_stored(config, self.storage, terms):
                publish_feeds(config, self.storage, self.clock(), glossary=terms.glossary)
        except SyndicateError as exc:
            log.error("rerouting failed: %s", exc)

    def _make_translator(self, config: Config) -> Translator | None:
        engine = make_engine(config, self.storage, lambda: self.terms)
        if engine is None:
            return None
        log.info("translation engine: %s", engine.name)
        return Translator(config, self.storage, engine, owner=self.owner, clock=self.clock)

    def _in_background(self, work: Coroutine[Any, Any, object]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _tick(self) -> None:
        if self._lock.locked() or self._fetcher is None:
            return
        if time.monotonic() < self._retry_at:  # backing off after failed cycles
            return
        async with self._lock:
            if self._failures:  # a cycle cut short (the database away) left its leases
                await self._release_leases()
            self._current = asyncio.create_task(
                run_cycle(
                    self.config,
                    self.storage,
                    self._fetcher,
                    clock=self.clock,
                    owner=self.owner,
                    terms=self.terms,
                    translator=self.translator,
                    republish=self.republish,
                )
            )
            started = self.clock()
            try:
                report = self.last_report = await self._current
                self.cycles += 1
            except asyncio.CancelledError:
                log.info("cycle cancelled by shutdown")
            except SyndicateError as exc:
                await self._failed(started, exc)
            else:
                await self._finished(report)
            finally:
                self._current = None

    async def _failed(self, started: datetime, exc: SyndicateError) -> None:
        """A cycle failed as a whole (the database away): back off, and say so."""
        self._failures += 1
        self.last_error = str(exc)
        wait = min(self.config.schedule.tick * 2 ** (self._failures - 1), MAX_CYCLE_BACKOFF)
        self._retry_at = time.monotonic() + wait
        log.error("cycle failed (%d in a row; next try in %.0f s): %s", self._failures, wait, exc)
        await self._record(WorkerCycle(self.owner, started, self.clock(), 0.0, False, str(exc)))

    async def _finished(self, report: CycleReport) -> None:
        """Metrics and the cycle's record; a failed publish makes the next cycle publish
        every feed, and counts as a failure for /healthz (the feeds are falling behind)."""
        self._failures, self._retry_at, self.last_error = 0, 0.0, None
        # a failed publish, or a feed that could not be rendered, is tried again in full
        self.republish = report.publish_error is not None or bool(
            report.published and report.published.failed
        )
        record_cycle(report, engine=self.translator.engine.name if self.translator else None)
        finished = self.clock()
        ok = report.publish_error is None
        await self._record(
            WorkerCycle(
                self.owner,
                report.started,
                finished,
                report.seconds,
                ok,
                None if ok else f"publishing failed: {report.publish_error}",
                polled=len(report.sources),
                failed=len(report.failed),
                new_articles=sum(o.result.inserted for o in report.sources),
                last_success_at=finished if ok else None,
            )
        )

    async def _release_leases(self) -> None:
        try:
            await asyncio.to_thread(self.storage.release_leases, self.owner)
        except SyndicateError as exc:
            log.warning("could not release leases: %s", exc)

    async def _record(self, cycle: WorkerCycle) -> None:
        """Keep the cycle for /healthz and /status; a database that is down is logged."""
        try:
            await asyncio.to_thread(self.storage.record_cycle, cycle)
        except SyndicateError as exc:
            log.warning("could not record the cycle: %s", exc)

    async def stop(self, grace: float = 2.0) -> None:
        """Stop ticking; let a running cycle finish for ``grace`` seconds, then cancel it.

        Cancelling is safe: each source's articles and validators are stored in one
        transaction (committed or not at all), and feeds are replaced by rename. The
        leases still held are given back so other workers need not wait for them to expire.
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
        if self.translator is not None:
            await self.translator.engine.aclose()
            self.translator = None
        await self._release_leases()
