"""One poll cycle: claim due sources -> fetch -> parse -> route -> store -> publish.

The decisions (when next, how long to back off, which URL) live in :mod:`syndicate.run.polling`
as pure functions; the cycle does the I/O around them. Blocking work (parsing, the database,
writing files) runs in threads so that the built-in server keeps answering during a cycle.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from asyncio import FIRST_COMPLETED
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from syndicate.config import Config
from syndicate.errors import PublishError, StorageError
from syndicate.ingest import Fetcher
from syndicate.publish import PublishReport, publish_feeds
from syndicate.publish.websub import send_pings
from syndicate.run._group_commit import GroupCommit
from syndicate.run._poll import Clock, Outcome, PollContext, SourceOutcome, poll_source, utcnow
from syndicate.run.leases import dead_owners, make_owner
from syndicate.storage import ArticleStorage, SourceStorage, Storage, WorkerStorage
from syndicate.terms import TermBase, route
from syndicate.translate import TranslateReport, Translator

__all__ = [
    "CycleReport",
    "Lanes",
    "Published",
    "log_cycle",
    "publish_changes",
    "release_dead_leases",
    "reroute_stored",
    "run_cycle",
    "sync_sources",
    "translate_pass",
]

log = logging.getLogger("syndicate.pipeline")


def release_dead_leases(storage: WorkerStorage) -> list[str]:
    """Give back the leases of dead processes of this host (``leases.py``), so that a worker
    restarted after SIGKILL polls at once what its earlier self held; the owners freed."""
    dead = dead_owners(storage.lease_owners())
    for owner in dead:
        storage.release_leases(owner)
        log.info("released the leases of %s, a process of this host that is gone", owner)
    return dead


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did. Sent by the cycle to the scheduler and CLI."""

    started: datetime
    seconds: float
    sources: tuple[SourceOutcome, ...]
    published: PublishReport | None
    #: what the translation pass did (None without an engine)
    translation: TranslateReport | None = None
    #: time spent publishing, within ``seconds``
    publish_seconds: float = 0.0
    #: why publishing failed (the previous files stay; the next cycle publishes again)
    publish_error: str | None = None

    @property
    def changed(self) -> bool:
        return any(s.result.changed for s in self.sources)

    @property
    def failed(self) -> tuple[SourceOutcome, ...]:
        return tuple(s for s in self.sources if s.outcome is Outcome.ERROR)


#: the longest a free poll lane waits for others to be refilled with it in one claim
REFILL_WAIT = 0.05


@dataclass
class Lanes:
    """Poll lanes: how many sources may be polled at once (``size``), and how many are
    (``busy``). A worker's cycles share one, so a slow source holds one lane, not a cycle."""

    size: int
    busy: int = 0

    def free(self) -> int:
        return self.size - self.busy

    @property
    def refill(self) -> int:
        """How many free lanes are claimed for at once (or fewer after REFILL_WAIT)."""
        return max(1, self.size // 5)


def sync_sources(config: Config, storage: SourceStorage) -> None:
    """Make the database's source rows match the config (run at start and on reload)."""
    storage.sync_sources([(s.id, s.url, s.language, s.enabled) for s in config.sources])


async def run_cycle(
    config: Config,
    storage: Storage,
    fetcher: Fetcher,
    *,
    owner: str | None = None,
    clock: Clock = utcnow,
    rng: random.Random | None = None,
    force: bool = False,
    only: Collection[str] | None = None,
    publish: bool = True,
    terms: TermBase | None = None,
    translator: Translator | None = None,
    lanes: Lanes | None = None,
) -> CycleReport:
    """Poll every due source once (claiming it, so workers never share one); translate what
    waits for it (with a ``translator``); with ``publish``, bring the output directory up
    to the database (:func:`publish_changes`). ``lanes``: the poll lanes, when shared with
    other cycles running at the same time."""
    terms = terms or TermBase()
    owner = owner or make_owner()
    ctx = PollContext(
        config,
        storage,
        fetcher,
        owner,
        clock,
        rng or random.Random(),
        terms,
        terms.routing_version(config),
        GroupCommit(partial(storage.record_polls, owner=owner)),
    )
    started = clock()
    t0 = time.monotonic()
    # Claims skip the sources the config disabled or dropped (sync_sources marked them);
    # with ``only`` they are also limited to those ids.
    wanted = None if only is None else sorted(set(only) & {s.id for s in config.sources})
    if lanes is None:
        lanes = Lanes(
            min(config.fetch.concurrency, len(config.sources if wanted is None else wanted))
        )
    outcomes: list[SourceOutcome] = []

    # Claim only as many sources as there are free lanes, and refill lanes as polls end: a
    # lease runs only while its source is being polled, and one slow source never holds up
    # the others. The lanes may be shared with other cycles of the same worker, still
    # running their slow sources.
    running: set[asyncio.Task[SourceOutcome]] = set()
    exhausted = False
    waited = False  # a lane has been free for REFILL_WAIT
    try:
        while True:
            free = lanes.free()
            if free > 0 and not exhausted and (waited or not running or free >= lanes.refill):
                now = clock()
                claimed = await asyncio.to_thread(
                    storage.claim_due,
                    ctx.owner,
                    now=now,
                    lease_until=now + timedelta(seconds=config.schedule.lease),
                    limit=free,
                    force=force,
                    only=wanted,
                    not_polled_since=started,
                )
                exhausted = not claimed
                lanes.busy += len(claimed)
                running |= {asyncio.create_task(poll_source(ctx, state)) for state in claimed}
            if not running:
                break
            # Free lanes are refilled a batch at a time (a claim is a transaction), so a
            # free lane waits for more to end, at most REFILL_WAIT.
            idle = lanes.free() > 0 and not exhausted
            done, running = await asyncio.wait(
                running, timeout=REFILL_WAIT if idle else None, return_when=FIRST_COMPLETED
            )
            waited = not done
            lanes.busy -= len(done)
            outcomes += [task.result() for task in done]
    finally:
        lanes.busy -= len(running)
        for task in running:  # cancelled, or a storage failure: stop the other polls too
            task.cancel()
    translated: TranslateReport | None = None
    if translator is not None:
        translated = await translate_pass(translator, terms)
    published = Published(None)
    if publish:
        published = await publish_changes(config, storage, clock, terms)
    cycle = CycleReport(
        started,
        time.monotonic() - t0,
        tuple(outcomes),
        published.report,
        translated,
        published.seconds,
        published.error,
    )
    if publish:  # else the caller publishes, and says so
        log_cycle(cycle)
    return cycle


def log_cycle(cycle: CycleReport) -> None:
    """One line per cycle: what it polled, stored and wrote."""
    log.info(
        "cycle: %d polled, %d new, %d updated articles, %d failed, %d feeds written in %.2fs",
        len(cycle.sources),
        sum(o.result.inserted for o in cycle.sources),
        sum(o.result.updated for o in cycle.sources),
        len(cycle.failed),
        len(cycle.published.written) if cycle.published else 0,
        cycle.seconds,
    )


@dataclass(frozen=True)
class Published:
    """What one publish did: its report, or why it failed (the previous files stay, and
    the next publish tries again), and how long it took."""

    report: PublishReport | None
    seconds: float = 0.0
    error: str | None = None


async def publish_changes(
    config: Config, storage: Storage, clock: Clock, terms: TermBase
) -> Published:
    """Bring this node's output directory up to the database (whichever node stored the
    changes: one query when nothing changed), then send the hub the pings due. A failed
    publish is returned, not raised: the articles are stored, and the next one retries."""
    started = time.monotonic()
    report: PublishReport | None = None
    error: str | None = None
    try:
        report = await asyncio.to_thread(
            partial(publish_feeds, glossary=terms.glossary), config, storage, clock()
        )
    except PublishError as exc:
        error = str(exc)
        log.error("publishing failed, the feeds stay as they were until a retry: %s", exc)
    except StorageError:
        raise
    except Exception as exc:  # a bug in publishing must not stop polling: retried next time
        error = f"internal error: {type(exc).__name__}: {exc}"
        log.exception("publishing failed, the feeds stay as they were until a retry")
    seconds = time.monotonic() - started
    if config.publish.hub:  # changed feeds' pings, and earlier ones the hub refused
        await asyncio.to_thread(send_pings, storage, clock(), user_agent=config.fetch.user_agent)
    return Published(report, seconds, error)


async def translate_pass(translator: Translator, terms: TermBase) -> TranslateReport | None:
    """One translation pass; a failure of it never stops the cycle (articles stay pending)."""
    try:
        report = await translator.run_once(terms)
    except StorageError:
        raise
    except Exception:  # a bug in translation must not stop polling and publishing
        log.exception("translation pass failed")
        return None
    if report.claimed:
        log.info(
            "translation: %d translated, %d waiting, %d failed; %d requests, %d characters, "
            "%d segments from the cache%s",
            report.translated,
            report.postponed,
            report.failed,
            report.requests,
            report.chars_billed,
            report.cache_hits,
            f"; stopped: {report.stopped}" if report.stopped else "",
        )
    return report


def reroute_stored(
    config: Config, storage: ArticleStorage, terms: TermBase, batch: int = 500
) -> int:
    """Recompute mentions and topics of the articles routed under another glossary or topic
    configuration; returns how many. Blocking: run it in a thread."""
    version = terms.routing_version(config)
    done = 0
    while stored := storage.articles_to_reroute(version, batch):
        storage.reroute([(s.id, route(s.article, config, terms.matcher)) for s in stored], version)
        done += len(stored)
    if done:
        log.info("rerouted %d articles for glossary %s", done, terms.version)
    return done
