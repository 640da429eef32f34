"""One source's poll: fetch it, parse what changed, route and store it, and decide when
to poll it next (the decisions themselves are pure, in :mod:`syndicate.run.polling`).

Blocking work (parsing, the database) runs in threads; the polls that brought no article
are written together (:mod:`syndicate.run._group_commit`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from syndicate.config import Config
from syndicate.errors import FailureKind, FetchError, StorageError
from syndicate.ingest import (
    EntryChange,
    Fetcher,
    Fingerprint,
    ParsedFeed,
    compare_entries,
    parse_feed,
    split_feed,
)
from syndicate.models import Article, FetchResult, SourceState, SourceUpdate, UpsertResult
from syndicate.retry import backoff_seconds, parse_retry_after
from syndicate.run._group_commit import GroupCommit
from syndicate.run.polling import (
    HISTORY,
    Interval,
    choose_interval,
    interval_in_force,
    jittered,
    redirect_step,
)
from syndicate.storage import Storage
from syndicate.terms import TermBase, route

__all__ = ["Clock", "Outcome", "PollContext", "SourceOutcome", "poll_source", "utcnow"]

log = logging.getLogger("syndicate.pipeline")

#: what the cycle and a poll read the time from (tests pass their own)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The clock in force when none is passed in."""
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


@dataclass
class PollContext:
    config: Config
    storage: Storage
    fetcher: Fetcher
    owner: str
    clock: Clock
    rng: random.Random
    terms: TermBase
    routing_version: str
    #: the polls that brought no article, written together (group commit)
    plain_polls: GroupCommit[tuple[str, SourceUpdate]]


async def poll_source(ctx: PollContext, state: SourceState) -> SourceOutcome:
    try:
        fetched = await ctx.fetcher.fetch(state)
        return await _store(ctx, state, fetched)
    except FetchError as exc:
        return await _fail(ctx, state, exc)
    except StorageError:
        raise
    except Exception as exc:  # a bug in one source's processing must not stop the others
        log.exception("source %s: unexpected error", state.id)
        error = FetchError(
            state.id,
            f"internal error: {type(exc).__name__}: {exc}",
            kind=FailureKind.INTERNAL,
            status=0,
        )
        return await _fail(ctx, state, error)


async def _store(ctx: PollContext, state: SourceState, fetched: FetchResult) -> SourceOutcome:
    config = ctx.config
    source = config.source(state.id)
    body_hash = hashlib.sha256(fetched.body).hexdigest() if fetched.body is not None else None
    articles: Sequence[Article] = ()
    whole = False  # the body was parsed in full
    fingerprint = state.entries_fingerprint
    if fetched.not_modified or body_hash == state.body_hash:
        outcome = Outcome.NOT_MODIFIED if fetched.not_modified else Outcome.SAME_BODY
    else:
        assert fetched.body is not None
        parsed, partial, fingerprint = await asyncio.to_thread(
            _parse_changed,
            fetched.body,
            state.entries_fingerprint,
            source_id=state.id,
            headers=fetched.headers,
            language=source.language,
            languages=config.service.languages,
            fallback_language=config.service.languages[0],
            base_url=fetched.url,
        )
        if not partial and not parsed.articles and not parsed.version:
            raise FetchError(
                state.id,
                f"not a feed: {parsed.problem or 'no feed format recognised'}",
                kind=FailureKind.NOT_A_FEED,
                status=fetched.status,
            )
        if parsed.bozo:
            log.info(
                "source %s: malformed feed, %d entries recovered (%s)",
                state.id,
                len(parsed.articles),
                parsed.problem,
            )
        if parsed.refused_urls:
            log.info(
                "source %s: %d entry URLs dropped (not http(s) or mailto, or not URLs)",
                state.id,
                parsed.refused_urls,
            )
        articles = parsed.articles
        whole = not partial
        outcome = Outcome.NEW
    now = ctx.clock()
    interval = await _interval(ctx, state, articles, now)
    moved_to, moved_count, adopt = redirect_step(
        state.moved_to, state.moved_count, fetched.permanent_redirect
    )
    if adopt:
        log.info("source %s: permanently moved to %s", state.id, fetched.permanent_redirect)
    update = SourceUpdate(
        last_polled_at=now,
        next_poll_at=now
        + timedelta(seconds=jittered(interval.seconds, config.schedule.jitter, ctx.rng)),
        last_status=fetched.status,
        moved_to=moved_to,
        moved_count=moved_count,
        final_url=fetched.permanent_redirect if adopt else None,
        interval_seconds=interval.seconds,
        interval_reason=interval.reason,
        validators=None
        if fetched.not_modified
        else (fetched.etag, fetched.last_modified, body_hash),
        entries_fingerprint=fingerprint,
    )
    if not articles:
        await ctx.plain_polls.submit((state.id, update))
        return SourceOutcome(state.id, outcome, fetched.status, UpsertResult())
    result = await asyncio.to_thread(_record, ctx, state.id, update, articles, whole)
    return SourceOutcome(state.id, outcome, fetched.status, result)


def _record(
    ctx: PollContext,
    source_id: str,
    update: SourceUpdate,
    articles: Sequence[Article],
    whole: bool = False,
) -> UpsertResult:
    """Route the new and changed articles (CPU) and store them with the poll (one
    transaction); in a thread. Of a ``whole`` feed (parsed in full), the entries stored
    unchanged are found first and not routed again; a partial parse holds only entries
    whose bytes changed, so it is not worth the extra read."""
    same = 0
    if articles and whole:
        stored = ctx.storage.article_hashes(source_id, [a.guid for a in articles])
        compared = compare_entries(articles, stored)
        articles = [c.article for c in compared if c.change is not EntryChange.SAME]
        same = len(compared) - len(articles)
    routed = [route(a, ctx.config, ctx.terms.matcher) for a in articles]
    result = ctx.storage.record_poll(
        source_id, update, owner=ctx.owner, routed=routed, routing_version=ctx.routing_version
    )
    return replace(result, unchanged=result.unchanged + same) if same else result


def _parse_changed(
    body: bytes, previous: str | None, **options: Any
) -> tuple[ParsedFeed, bool, str | None]:
    """Parse only the entries new since ``previous`` when the body allows it, else all of it.

    Returns the parsed feed, whether it was a partial parse, and the body's new fingerprint.
    """
    split = split_feed(body)
    document = split.changed_since(Fingerprint.loads(previous)) if split else None
    parsed = parse_feed(document if document is not None else body, **options)
    return parsed, document is not None, split.fingerprint().dumps() if split else None


async def _interval(
    ctx: PollContext, state: SourceState, articles: Sequence[Article], now: datetime
) -> Interval:
    source = ctx.config.source(state.id)
    dates: set[datetime] = set()
    if source.interval is None and ctx.config.schedule.adaptive:
        dates = set(await asyncio.to_thread(ctx.storage.publishing_dates, state.id, now - HISTORY))
        dates |= {a.published for a in articles if a.published}
    return choose_interval(ctx.config, source, sorted(dates), now)


async def _fail(ctx: PollContext, state: SourceState, exc: FetchError) -> SourceOutcome:
    config = ctx.config
    now = ctx.clock()
    failures = state.error_count + 1
    source = config.source(state.id)
    base = interval_in_force(config, source, state.interval_seconds, None).seconds
    delay = backoff_seconds(base, failures, config.schedule.max_backoff, ctx.rng)
    next_poll = now + timedelta(seconds=delay)
    retry_until = None
    if exc.status in (429, 503):
        asked = parse_retry_after(exc.retry_after, now)
        if asked is not None:
            retry_until = min(asked, now + timedelta(seconds=config.schedule.max_backoff))
            next_poll = max(next_poll, retry_until)
    disabled = None
    if exc.status == 410:
        disabled = (
            f"410 Gone on {now:%Y-%m-%d %H:%M} UTC: the publisher removed this feed; "
            f"fix its url in the config or run `syndicate sources enable {state.id}`"
        )
    log.warning(
        "source %s: %s (failure %d, next try %s)",
        state.id,
        exc.reason,
        failures,
        "never" if disabled else f"{next_poll:%H:%M:%S}",
    )
    update = SourceUpdate(
        last_polled_at=now,
        next_poll_at=next_poll,
        last_status=exc.status or 0,
        error_count=failures,
        last_error_kind=exc.kind.value,
        last_error=exc.reason,
        retry_until=retry_until,
        disabled_reason=disabled,
        moved_to=state.moved_to,
        moved_count=state.moved_count,
        interval_seconds=state.interval_seconds,
        interval_reason=state.interval_reason,
    )
    await ctx.plain_polls.submit((state.id, update))
    return SourceOutcome(state.id, Outcome.ERROR, exc.status or 0, error=exc.reason)
