"""The worker: APScheduler ticks; each tick starts a poll cycle, a translation pass when
none runs, and a publish that brings this node's files up to the database.

Nothing waits on anything else: a cycle still polling a slow source does not stop the next
tick's cycle from polling what fell due meanwhile (the cycles share the worker's poll
lanes), translation runs beside the cycles, and publishes run one at a time, a publish
asked for while one runs being done once more when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Self

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from syndicate.config import Config
from syndicate.errors import SyndicateError
from syndicate.ingest import Fetcher
from syndicate.metrics import record_cycle
from syndicate.models import WorkerCycle
from syndicate.retry import backoff_seconds
from syndicate.run import cycle
from syndicate.run._poll import Clock, utcnow
from syndicate.run.cycle import CycleReport, Lanes, Published
from syndicate.run.leases import make_owner
from syndicate.storage import Storage
from syndicate.terms import TermBase
from syndicate.terms.load import load_glossary
from syndicate.translate import TranslateReport, Translator, make_engine

__all__ = ["Worker"]

log = logging.getLogger("syndicate.scheduler")

#: the longest wait between cycles that failed as a whole (the database away), seconds
MAX_CYCLE_BACKOFF = 300.0
#: idle cycles (nothing due, nothing written) are recorded at most this often (and four
#: times per server.health_max_age), seconds: /healthz still sees a live worker, and the
#: database is not written at every tick
IDLE_RECORD_EVERY = 60.0


class Worker:
    """Runs a poll cycle every ``schedule.tick`` in the running event loop, and publishes.

    Several workers (processes, machines) may share one PostgreSQL database: each cycle
    claims its sources with a lease, so no source is fetched twice for one due time, and
    every worker writes its own output directory from the database, whoever polled.
    ``poll=False``: a node that only publishes (``syndicate serve``).
    """

    def __init__(
        self,
        config: Config,
        storage: Storage,
        *,
        clock: Clock = utcnow,
        owner: str | None = None,
        poll: bool = True,
    ) -> None:
        self.config = config
        self.storage = storage
        self.clock = clock
        self.owner = owner or make_owner()
        self.polling = poll
        #: cycles finished (polls, then a publish)
        self.cycles = 0
        self.last_report: CycleReport | None = None
        self._fetcher: Fetcher | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._lanes = Lanes(config.fetch.concurrency)
        self._publishing = asyncio.Lock()
        self._publish_again = False
        self._translating: asyncio.Task[TranslateReport | None] | None = None
        self._translated: TranslateReport | None = None
        self._background: set[asyncio.Task[object]] = set()
        self.terms = TermBase()
        self.translator: Translator | None = None
        #: why the last cycle failed as a whole, while it is the last one
        self.last_error: str | None = None
        #: cycles failed in a row (the database away), and no cycle before this time
        self._failures = 0
        self._retry_at = 0.0
        #: when the last cycle was recorded (time.monotonic), for idle ticks
        self._recorded = float("-inf")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, terms: TermBase | None = None) -> None:
        """Sync the sources with the config, load the glossary (unless the caller loaded it:
        ``terms``), start ticking (the first cycle runs at once); articles routed under an
        older glossary are rerouted meanwhile."""
        if self.polling:
            await asyncio.to_thread(cycle.sync_sources, self.config, self.storage)
            await asyncio.to_thread(cycle.release_dead_leases, self.storage)
        if terms is None:
            terms = await asyncio.to_thread(load_glossary, self.config)
        self.terms = terms
        if self.polling:
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
        log.info("worker %s started%s", self.owner, "" if self.polling else " (publishing only)")

    def reload(self, config: Config) -> None:
        """Use ``config`` from the next cycle on (sources, topics, schedule, publish)."""
        tick_changed = config.schedule.tick != self.config.schedule.tick
        if (
            self.polling
            and config.translation != self.config.translation
            and self._scheduler is not None
        ):
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
        if self.polling:
            cycle.sync_sources(config, self.storage)
        terms = load_glossary(config)
        self.terms = terms  # one assignment: a cycle sees the old or the new term base
        if self.polling:
            self._reroute(config, terms)

    def _reroute(self, config: Config, terms: TermBase) -> None:
        """Reroute articles of an older glossary or topic setup (the next publish, on every
        node, writes what changed)."""
        try:
            cycle.reroute_stored(config, self.storage, terms)
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
        """Start this tick's cycle (and a translation pass if none runs); never waits for
        the cycles before, which may still be polling slow sources."""
        if time.monotonic() < self._retry_at:  # backing off after failed cycles
            return
        if self.polling and self._fetcher is None:
            return
        if len(self._running) > max(1, self._lanes.size):  # each holds a lane, or publishes
            return
        if self._failures and not self._running:  # a cycle cut short left its leases
            await self._release_leases()
        if self.translator is not None and (self._translating is None or self._translating.done()):
            self._translating = asyncio.create_task(self._translate(self.translator))
        task = asyncio.create_task(self._cycle())
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _translate(self, translator: Translator) -> TranslateReport | None:
        """A translation pass beside the cycles; what it stored is published at once."""
        report = self._translated = await cycle.translate_pass(translator, self.terms)
        if report is not None and report.changed:
            try:
                await self._publish()
            except SyndicateError as exc:  # the next cycle's publish tries again
                log.error("publishing the translations failed: %s", exc)
        return report

    async def _cycle(self) -> None:
        """Poll what is due, then publish; record the cycle."""
        started = self.clock()
        t0 = time.monotonic()
        try:
            if self.polling and self._fetcher is not None:
                report = await cycle.run_cycle(
                    self.config,
                    self.storage,
                    self._fetcher,
                    clock=self.clock,
                    owner=self.owner,
                    terms=self.terms,
                    publish=False,
                    lanes=self._lanes,
                )
            else:
                report = CycleReport(started, 0.0, (), None)
            published = await self._publish()
            translated, self._translated = self._translated, None
            report = self.last_report = replace(
                report,
                seconds=time.monotonic() - t0,
                published=published.report,
                translation=translated,
                publish_seconds=published.seconds,
                publish_error=published.error,
            )
            self.cycles += 1
            cycle.log_cycle(report)
        except asyncio.CancelledError:
            log.info("cycle cancelled by shutdown")
        except SyndicateError as exc:
            await self._failed(started, exc)
        else:
            await self._finished(report)

    async def _publish(self) -> Published:
        """Publish, one at a time: asked for while one runs, that one publishes once more
        when it ends (it may have read the database before this cycle's changes)."""
        if self._publishing.locked():
            self._publish_again = True
            return Published(None)
        async with self._publishing:
            while True:
                self._publish_again = False
                published = await cycle.publish_changes(
                    self.config, self.storage, self.clock, self.terms
                )
                if not self._publish_again or published.error is not None:
                    return published

    async def _failed(self, started: datetime, exc: SyndicateError) -> None:
        """A cycle failed as a whole (the database away): back off, and say so."""
        self._failures += 1
        self.last_error = str(exc)
        wait = backoff_seconds(self.config.schedule.tick, self._failures, MAX_CYCLE_BACKOFF)
        self._retry_at = time.monotonic() + wait
        log.error("cycle failed (%d in a row; next try in %.0f s): %s", self._failures, wait, exc)
        await self._record(WorkerCycle(self.owner, started, self.clock(), 0.0, False, str(exc)))

    async def _finished(self, report: CycleReport) -> None:
        """Metrics and the cycle's record; a failed publish counts as a failure for /healthz
        (the feeds are falling behind), and the next cycle's publish tries again."""
        self._failures, self._retry_at, self.last_error = 0, 0.0, None
        record_cycle(report, engine=self.translator.engine.name if self.translator else None)
        if not self.polling:  # not a worker: /healthz and /status list the workers
            return
        finished = self.clock()
        ok = report.publish_error is None
        quiet = ok and not report.sources and not (report.published and report.published.written)
        every = min(IDLE_RECORD_EVERY, self.config.server.health_max_age / 4)
        if quiet and time.monotonic() - self._recorded < every:
            return  # an idle tick: no row written for it (one a minute at most)
        self._recorded = time.monotonic()
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

    async def _record(self, done: WorkerCycle) -> None:
        """Keep the cycle for /healthz and /status; a database that is down is logged."""
        try:
            await asyncio.to_thread(self.storage.record_cycle, done)
        except SyndicateError as exc:
            log.warning("could not record the cycle: %s", exc)

    async def stop(self, grace: float = 2.0) -> None:
        """Stop ticking; let running cycles finish for ``grace`` seconds, then cancel them.

        Cancelling is safe: each source's articles and validators are stored in one
        transaction (committed or not at all), and feeds are replaced by rename. The
        leases still held are given back so other workers need not wait for them to expire.
        """
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        tasks: set[asyncio.Task[Any]] = {t for t in self._running if not t.done()}
        if self._translating is not None and not self._translating.done():
            tasks.add(self._translating)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self._fetcher is not None:
            await self._fetcher.aclose()
            self._fetcher = None
        if self.translator is not None:
            await self.translator.engine.aclose()
            self.translator = None
        if self.polling:
            await self._release_leases()
