"""One poll cycle: due sources -> fetch -> parse -> route -> store -> publish.

The decisions (is a source due? when is it due next?) are pure functions; the cycle does
the I/O around them. Blocking work (parsing, the database, writing files) runs in threads
so that the built-in server keeps answering during a cycle.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from syndicate.config import Config
from syndicate.errors import FetchError, StorageError
from syndicate.fetch import Fetcher
from syndicate.models import FetchResult, SourceState, UpsertResult
from syndicate.parse import parse_feed
from syndicate.publish import PublishReport, publish_feeds
from syndicate.storage import Storage
from syndicate.terms import route_article

__all__ = [
    "CycleReport",
    "Outcome",
    "SourceOutcome",
    "is_due",
    "next_poll_after",
    "run_cycle",
    "utcnow",
]

log = logging.getLogger("syndicate.pipeline")

#: the longest a failing source waits before it is tried again
MAX_BACKOFF = timedelta(hours=6)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Outcome(StrEnum):
    NEW = "new"  # the body changed and was parsed
    SAME_BODY = "same-body"  # 200 with a byte-identical body: nothing parsed
    NOT_MODIFIED = "not-modified"  # 304
    ERROR = "error"


@dataclass(frozen=True)
class SourceOutcome:
    """What one source did in a cycle."""

    source_id: str
    outcome: Outcome
    status: int
    result: UpsertResult = field(default_factory=UpsertResult)
    error: str | None = None


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did. Sent by the cycle to the scheduler and CLI."""

    started: datetime
    seconds: float
    sources: tuple[SourceOutcome, ...]
    published: PublishReport | None

    @property
    def changed(self) -> bool:
        return any(s.result.changed for s in self.sources)

    @property
    def failed(self) -> tuple[SourceOutcome, ...]:
        return tuple(s for s in self.sources if s.outcome is Outcome.ERROR)


def is_due(state: SourceState, now: datetime, *, force: bool = False) -> bool:
    """Whether to poll a source now. A disabled source is never due, even when forced."""
    if state.disabled_reason:
        return False
    return force or state.next_poll_at is None or state.next_poll_at <= now


def next_poll_after(now: datetime, interval: float, error_count: int = 0) -> datetime:
    """When to poll next: the interval, doubled for each consecutive failure up to MAX_BACKOFF."""
    seconds = interval * (2 ** min(error_count, 16)) if error_count else interval
    return now + min(timedelta(seconds=seconds), max(MAX_BACKOFF, timedelta(seconds=interval)))


async def run_cycle(
    config: Config,
    storage: Storage,
    fetcher: Fetcher,
    *,
    clock: Clock = utcnow,
    force: bool = False,
    only: Collection[str] | None = None,
    publish: bool = True,
) -> CycleReport:
    """Poll every due configured source once, store what changed, publish if anything did."""
    started = clock()
    t0 = time.monotonic()
    configured = [s for s in config.sources if only is None or s.id in only]
    await asyncio.to_thread(
        storage.sync_sources, [(s.id, s.url, s.language) for s in config.sources]
    )
    states = await asyncio.to_thread(storage.source_states, [s.id for s in configured])
    due = [state for state in states if is_due(state, started, force=force)]
    outcomes = await asyncio.gather(*(_poll(config, storage, fetcher, s, clock) for s in due))
    report: PublishReport | None = None
    if publish and any(o.result.changed for o in outcomes):
        report = await asyncio.to_thread(publish_feeds, config, storage, clock())
    cycle = CycleReport(started, time.monotonic() - t0, tuple(outcomes), report)
    log.info(
        "cycle: %d due, %d new, %d updated, %d failed, %d feeds written in %.2fs",
        len(due),
        sum(o.result.inserted for o in outcomes),
        sum(o.result.updated for o in outcomes),
        len(cycle.failed),
        len(report.written) if report else 0,
        cycle.seconds,
    )
    return cycle


async def _poll(
    config: Config, storage: Storage, fetcher: Fetcher, state: SourceState, clock: Clock
) -> SourceOutcome:
    source = config.source(state.id)
    interval = config.interval_of(source)
    try:
        fetched = await fetcher.fetch(state)
        return await _store(config, storage, state, fetched, interval, clock)
    except FetchError as exc:
        error, status = exc.reason, exc.status or 0
    except StorageError:
        raise
    except Exception as exc:  # a bug in one source's processing must not stop the others
        log.exception("source %s: unexpected error", state.id)
        error, status = f"internal error: {type(exc).__name__}: {exc}", 0
    now = clock()
    log.warning("source %s: %s", state.id, error)
    await asyncio.to_thread(
        storage.record_failure,
        state.id,
        status=status,
        error=error,
        now=now,
        next_poll_at=next_poll_after(now, interval, state.error_count + 1),
    )
    return SourceOutcome(state.id, Outcome.ERROR, status, error=error)


async def _store(
    config: Config,
    storage: Storage,
    state: SourceState,
    fetched: FetchResult,
    interval: float,
    clock: Clock,
) -> SourceOutcome:
    body_hash = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
    if fetched.not_modified or body_hash == state.body_hash:
        now = clock()
        await asyncio.to_thread(
            storage.record_fetch,
            fetched,
            body_hash=body_hash,
            now=now,
            next_poll_at=next_poll_after(now, interval),
        )
        kind = Outcome.NOT_MODIFIED if fetched.not_modified else Outcome.SAME_BODY
        return SourceOutcome(state.id, kind, fetched.status)
    assert fetched.body is not None
    source = config.source(state.id)
    parsed = await asyncio.to_thread(
        parse_feed,
        fetched.body,
        source_id=state.id,
        headers=fetched.headers,
        language=source.language,
        languages=config.service.languages,
        fallback_language=config.service.languages[0],
    )
    if not parsed.articles and parsed.bozo:
        raise FetchError(state.id, f"not a feed: {parsed.problem}", status=fetched.status)
    if parsed.bozo:
        log.info(
            "source %s: malformed feed, %d entries recovered (%s)",
            state.id,
            len(parsed.articles),
            parsed.problem,
        )
    routed = [(a, route_article(a, config.topics, source.topics)) for a in parsed.articles]
    now = clock()
    result = await asyncio.to_thread(
        storage.record_fetch,
        fetched,
        body_hash=body_hash,
        now=now,
        next_poll_at=next_poll_after(now, interval),
        routed=routed,
    )
    return SourceOutcome(state.id, Outcome.NEW, fetched.status, result)
