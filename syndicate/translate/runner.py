"""Translate pending articles: cache, batches, budget, retries, circuit breaker, QA.

One pass (:meth:`Translator.run_once`):

1. queue: every article that needs a translation into a target language and has none
   up to date gets a pending row (storage);
2. claim a bounded number of pending rows (leased, so workers never share one);
3. split each requested field at HTML block boundaries under the engine's size limit;
   look every piece up in the cache (a text is never paid for twice);
4. send the missing pieces in batches (per language pair, under the engine's limits),
   each after checking the budget and the circuit breaker; retry transient failures a
   couple of times, honouring Retry-After; cache every piece that came back;
5. an article whose every piece of every requested field came back is joined, checked
   against the glossary (fixes applied, problems flagged) and saved as done; any other
   stays pending with the reason and a time to try again, or fails after max_attempts.
   A deprecated term QA cannot replace without breaking agreement is sent back once to an
   engine that ``retranslates`` (the pieces that hold it, with the term to use and the one
   to avoid); the translation with fewer such terms is kept, and what happened recorded
   (``fixes``, ``retranslated``, ``flags``). Other engines get a flag.

Until an article is done, feeds show it under the untranslated policy. Nothing is saved
as translated unless every requested field is.

This module does the I/O (storage, engine, waits), every engine request through
:mod:`~syndicate.translate._calls` (breaker, budget, retries in the pass, counts); what is
sent and when is decided without it in :mod:`~syndicate.translate._pieces` (pieces, cache
keys, batches, who pays) and :mod:`~syndicate.translate._retry` (when a failure is tried
again).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from syndicate.config import Config
from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.htmltext import plain_text
from syndicate.ingest import MAX_TITLE, sanitize_html
from syndicate.models import Translation, TranslationStatus
from syndicate.storage import Storage
from syndicate.terms.load import TermBase
from syndicate.terms.matcher import Matcher
from syndicate.translate._calls import EngineCalls
from syndicate.translate._pieces import Field, Job, Piece, batches, prepare, usage_shares
from syndicate.translate._retry import next_attempt_delay
from syndicate.translate.budget import Budget, day_start, month_start
from syndicate.translate.circuit import CircuitBreaker
from syndicate.translate.engine import Engine, TranslationRequest
from syndicate.translate.entries import batch_entries
from syndicate.translate.qa import QAResult, check_translation

__all__ = ["TranslateReport", "Translator"]

log = logging.getLogger("syndicate.translate")

Clock = Callable[[], datetime]

#: how long a claimed job is leased
LEASE = 600.0


@dataclass(frozen=True)
class TranslateReport:
    """What one pass did. Sent to the scheduler, CLI and status."""

    queued: int = 0
    claimed: int = 0
    translated: int = 0
    postponed: int = 0
    failed: int = 0
    requests: int = 0
    chars_billed: int = 0
    cache_hits: int = 0
    #: why the pass stopped spending early (budget, circuit open), if it did
    stopped: str | None = None

    @property
    def changed(self) -> bool:
        return self.translated > 0


class Translator:
    """Runs translation passes for one engine; holds its circuit breaker between passes."""

    def __init__(
        self,
        config: Config,
        storage: Storage,
        engine: Engine,
        *,
        owner: str,
        clock: Clock | None = None,
        breaker: CircuitBreaker | None = None,
        batch_limit: int = 200,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.config = config
        self.storage = storage
        self.engine = engine
        self.owner = owner
        self.clock = clock or (lambda: datetime.now(UTC))
        self.breaker = breaker or CircuitBreaker()
        self.batch_limit = batch_limit
        self._sleep = sleep or asyncio.sleep

    def fields_of(self) -> dict[str, tuple[str, ...]]:
        """Source id -> the fields to translate (the source's own list, else the global)."""
        default = self.config.translation.fields
        return {
            s.id: s.translate if s.translate is not None else default for s in self.config.sources
        }

    async def run_once(self, terms: TermBase) -> TranslateReport:
        """Queue, claim and translate one bounded batch of pending articles."""
        config, storage, now = self.config, self.storage, self.clock()
        queued = await asyncio.to_thread(
            storage.queue_translations,
            config.translation.targets,
            self.fields_of(),
            self.engine.name,
            terms.version,
            now,
        )
        claimed = await asyncio.to_thread(
            storage.claim_translations,
            self.owner,
            now=now,
            lease_until=now + timedelta(seconds=LEASE),
            limit=self.batch_limit,
        )
        if not claimed:
            return TranslateReport(queued=queued)
        budget = Budget(
            config.translation.engine_config,
            await asyncio.to_thread(storage.chars_used, self.engine.name, day_start(now)),
            await asyncio.to_thread(storage.chars_used, self.engine.name, month_start(now)),
        )
        run = _Pass(self, terms, budget)
        engine = self.engine
        jobs = [prepare(job, engine.name, terms.version, engine.max_chars) for job in claimed]
        report = await run.translate(jobs)
        return TranslateReport(
            queued=queued,
            claimed=len(claimed),
            translated=report.translated,
            postponed=report.postponed,
            failed=report.failed,
            requests=run.calls.requests,
            chars_billed=run.calls.chars_billed,
            cache_hits=run.cache_hits,
            stopped=run.calls.stopped,
        )


@dataclass
class _Outcome:
    translated: int = 0
    postponed: int = 0
    failed: int = 0


class _Pass:
    """The state of one pass: its engine calls, and the cache hits."""

    def __init__(self, translator: Translator, terms: TermBase, budget: Budget) -> None:
        self.t = translator
        self.terms = terms
        self.matcher = terms.matcher or Matcher(terms.glossary)
        self.calls = EngineCalls(
            translator.engine, translator.breaker, budget, translator.clock, translator._sleep
        )
        self.cache_hits = 0

    async def translate(self, jobs: list[Job]) -> _Outcome:
        storage, engine = self.t.storage, self.t.engine
        pieces = [p for job in jobs for p in job.pieces()]
        cached = await asyncio.to_thread(storage.cached_segments, sorted({p.key for p in pieces}))
        for piece in pieces:
            piece.result = cached.get(piece.key)
        self.cache_hits = sum(1 for p in pieces if p.result is not None)
        # Unique missing pieces per language pair, in job order (newest articles first).
        missing: dict[tuple[str, str], dict[str, list[Piece]]] = defaultdict(dict)
        for job in jobs:
            pair = (job.job.source_lang, job.job.target_lang)
            for piece in job.pieces():
                if piece.result is None:
                    missing[pair].setdefault(piece.key, []).append(piece)
        for (source, target), by_key in missing.items():
            for batch in batches(list(by_key.values()), engine.max_chars, engine.max_texts):
                if self.calls.stopped:
                    break
                await self._send(source, target, batch)
        outcome = _Outcome()
        for job in jobs:
            await self._finish(job, outcome)
        return outcome

    async def _send(self, source: str, target: str, batch: list[list[Piece]]) -> None:
        """Translate one batch (each entry: the pieces sharing one text) or record why not."""
        texts = [same[0].text for same in batch]
        if self.calls.stop_before(sum(len(text) for text in texts), self.t.clock()):
            return
        try:
            reply = await self.calls.send(self._request(texts, source, target))
        except TranslationError as exc:
            log.warning("translation %s->%s: %s", source, target, exc)
            for same in batch:
                for piece in same:
                    piece.error = exc
            return
        for same, text in zip(batch, reply.texts, strict=True):
            for piece in same:
                piece.result = text
            same[0].paid = True
        await self._account(source, target, batch, reply.texts, reply.chars_billed, reply.tokens)

    def _request(
        self, texts: list[str], source: str, target: str, insist: tuple[tuple[str, str], ...] = ()
    ) -> TranslationRequest:
        """A request for ``texts`` with the glossary entries they need."""
        glossary = batch_entries(texts, source, target, self.terms.glossary, self.matcher)
        return TranslationRequest(
            tuple(texts), source, target, glossary, self.terms.version, insist
        )

    async def _account(
        self,
        source: str,
        target: str,
        batch: list[list[Piece]],
        texts: Sequence[str],
        billed: int,
        tokens: int | None,
    ) -> None:
        now = self.t.clock()
        engine = self.t.engine.name
        entries = [
            (same[0].key, engine, source, target, text, len(same[0].text))
            for same, text in zip(batch, texts, strict=True)
        ]
        await asyncio.to_thread(self.t.storage.cache_segments, entries, now)
        for source_id, chars, source_tokens, requests in usage_shares(batch, billed, tokens):
            await asyncio.to_thread(
                self.t.storage.record_usage,
                engine,
                source_id,
                day_start(now),
                chars,
                source_tokens,
                requests,
            )

    async def _finish(self, job: Job, outcome: _Outcome) -> None:
        t, now = self.t, self.t.clock()
        pieces = job.pieces()
        if all(p.result is not None for p in pieces):
            done = await self._translation(job)
            saved = await asyncio.to_thread(t.storage.save_translation, job.job, done, t.owner, now)
            outcome.translated += int(saved)
            return
        error = next((p.error for p in pieces if p.error is not None), None)
        give_up = False
        if error is None:  # not sent: budget or circuit
            kind = self.calls.stop_kind or TranslationErrorKind.DEFERRED
            reason = self.calls.stopped or "not sent in this pass"
            when = self.calls.resume_at
            attempt = False
        else:
            kind, reason, attempt = error.kind, error.reason, True
            attempts = job.job.attempts + 1
            give_up = attempts >= t.config.translation.max_attempts
            when = now + timedelta(seconds=next_attempt_delay(attempts, error.retry_after))
        await asyncio.to_thread(
            t.storage.postpone_translation,
            job.job,
            t.owner,
            kind=kind,
            error=reason,
            next_attempt_at=None if give_up else when,
            now=now,
            attempt=attempt,
            give_up=give_up,
        )
        if give_up:
            outcome.failed += 1
        else:
            outcome.postponed += 1

    async def _translation(self, job: Job) -> Translation:
        fixes: list[str] = []
        flags: list[str] = []
        retranslated: list[str] = []
        values: dict[str, str] = {}
        src, tgt = job.job.source_lang, job.job.target_lang
        for f in job.fields:
            joined = f.join([p.result or "" for p in f.pieces])
            qa = self._check(f.source, joined, src, tgt)
            if qa.unsafe:
                qa, note, better = await self._again(job, f, qa)
                (retranslated if better else flags).append(f"{f.name}: {note}")
            # An engine's output is hostile like a feed's (an LLM can be steered by the text
            # it translates): sanitized exactly as source HTML is.
            if f.name == "title":  # sent as escaped HTML, kept as plain text
                values[f.name] = plain_text(qa.text, MAX_TITLE)
            else:
                values[f.name] = sanitize_html(qa.text)
            fixes += [f"{f.name}: {x}" for x in qa.fixes]
            flags += [f"{f.name}: {x}" for x in qa.flags]
        return Translation(
            article_id=job.job.article_id,
            target_lang=tgt,
            status=TranslationStatus.DONE,
            engine=self.t.engine.name,
            glossary_version=self.terms.version,
            title=values.get("title"),
            summary=values.get("summary"),
            content=values.get("content"),
            fixes=tuple(fixes),
            flags=tuple(flags),
            chars_billed=sum(len(p.text) for p in job.pieces() if p.paid),
            retranslated=tuple(retranslated),
        )

    def _check(self, source: str, translated: str, src: str, tgt: str) -> QAResult:
        return check_translation(source, translated, src, tgt, self.terms.glossary, self.matcher)

    async def _again(self, job: Job, f: Field, qa: QAResult) -> tuple[QAResult, str, bool]:
        """Ask the engine once more for the pieces of ``f`` that hold a deprecated term QA
        left (see ``qa.unsafe``), insisting on the preferred terms: the better of the two
        translations, a note on what happened, and whether the second one is kept."""
        insist = tuple(dict.fromkeys((u.use, u.avoid) for u in qa.unsafe))
        wanted = ", ".join(f"“{use}” instead of “{avoid}”" for use, avoid in insist)
        if not self.t.engine.retranslates:
            return qa, f"{self.t.engine.name} cannot be asked for {wanted}; left to a human", False
        redo = [p for p in f.pieces if any(u.written in (p.result or "") for u in qa.unsafe)]
        again: dict[int, str] = {}
        engine = self.t.engine
        for batch in batches([[p] for p in redo or f.pieces], engine.max_chars, engine.max_texts):
            pieces = [same[0] for same in batch]
            results = await self._send_again(job, [p.text for p in pieces], insist)
            if results is None:
                return qa, f"asking the engine again for {wanted} failed; left to a human", False
            again.update(zip([id(p) for p in pieces], results, strict=True))
        joined = f.join([again.get(id(p), p.result or "") for p in f.pieces])
        second = self._check(f.source, joined, job.job.source_lang, job.job.target_lang)
        if _left(second) < _left(qa):
            return (
                second,
                f"asked the engine again for {wanted}; the second translation is kept",
                True,
            )
        return qa, f"asked the engine again for {wanted}; it did no better, first kept", False

    async def _send_again(
        self, job: Job, texts: list[str], insist: tuple[tuple[str, str], ...]
    ) -> list[str] | None:
        """One more request for ``texts`` with the terms to insist on (not cached: the
        answer depends on the instruction), paid and counted like any; None if it fails
        or the budget or the circuit does not allow it."""
        src, tgt, now = job.job.source_lang, job.job.target_lang, self.t.clock()
        if not self.calls.allows(sum(len(t) for t in texts), now):
            return None
        try:
            reply = await self.calls.send(self._request(texts, src, tgt, insist))
        except TranslationError as exc:
            log.warning("translation %s->%s, asked again: %s", src, tgt, exc)
            return None
        await asyncio.to_thread(
            self.t.storage.record_usage,
            self.t.engine.name,
            job.job.source_id,
            day_start(now),
            reply.chars_billed,
            reply.tokens or 0,
            1,
        )
        return list(reply.texts)


def _left(qa: QAResult) -> tuple[int, int]:
    """How far a checked translation is from the glossary: deprecated terms left, then
    flags (fewer is better)."""
    return len(qa.unsafe), len(qa.flags)
