"""What translation is doing, for operators: `syndicate translations status` and /status.

Counts per target language and status, spending per engine and source (today, this
month) against the caps, and every pending or failed article with its reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from syndicate.config import Config
from syndicate.models import TranslationStatus
from syndicate.storage import Storage
from syndicate.translate.budget import day_start, month_start

__all__ = [
    "QAOutcome",
    "TranslationStatusReport",
    "Waiting",
    "translation_status",
    "usage_by_source",
]


class QAOutcome(StrEnum):
    """What glossary QA did about a term, in the order status prints them."""

    #: a deprecated term replaced in place
    FIXED = "fixed"
    #: the engine asked again, for the preferred terms
    RETRANSLATED = "re-translated"
    #: left to a human
    FLAGGED = "flagged"


@dataclass(frozen=True)
class Waiting:
    """A pending or failed translation, with why."""

    source_id: str
    article_id: int
    title: str
    target: str
    status: TranslationStatus
    attempts: int
    kind: str | None
    reason: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class TranslationStatusReport:
    engine: str
    #: target language -> status -> count
    counts: dict[str, dict[str, int]]
    chars_today: int
    chars_month: int
    daily_cap: int | None
    monthly_cap: int | None
    #: source id -> (chars today, chars this month, requests this month)
    per_source: dict[str, tuple[int, int, int]]
    tokens_month: int
    waiting: list[Waiting] = field(default_factory=list)
    #: done translations whose QA flagged something, newest first: (source, title, target, flags)
    flagged: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)
    #: glossary QA outcomes in the newest done translations: target -> outcome -> count
    qa: dict[str, dict[QAOutcome, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "counts": self.counts,
            "chars_today": self.chars_today,
            "chars_month": self.chars_month,
            "daily_cap": self.daily_cap,
            "monthly_cap": self.monthly_cap,
            "tokens_month": self.tokens_month,
            "per_source": {
                s: {"chars_today": d, "chars_month": m, "requests_month": r}
                for s, (d, m, r) in sorted(self.per_source.items())
            },
            "waiting": [
                {
                    "source": w.source_id,
                    "article_id": w.article_id,
                    "title": w.title,
                    "target": w.target,
                    "status": w.status.value,
                    "attempts": w.attempts,
                    "kind": w.kind,
                    "reason": w.reason,
                    "next_attempt_at": w.next_attempt_at.isoformat() if w.next_attempt_at else None,
                }
                for w in self.waiting
            ],
            "flagged": [
                {"source": s, "title": t, "target": g, "flags": list(f)}
                for s, t, g, f in self.flagged
            ],
            "qa": {
                target: {outcome.value: n for outcome, n in by.items()}
                for target, by in self.qa.items()
            },
        }


def usage_by_source(storage: Storage, now: datetime) -> dict[str, tuple[int, int, int]]:
    """source id -> (chars today, chars this month, requests this month), all engines."""
    return _per_source(storage.usage(None, month_start(now)), day_start(now))


def _per_source(
    rows: Iterable[tuple[str, str, date, int, int, int]], today: date
) -> dict[str, tuple[int, int, int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _engine, source_id, day, chars, _tokens, requests in rows:
        row = out[source_id]
        row[1] += chars
        row[2] += requests
        if day == today:
            row[0] += chars
    return {s: (v[0], v[1], v[2]) for s, v in out.items()}


def translation_status(
    config: Config, storage: Storage, now: datetime, limit: int = 100
) -> TranslationStatusReport:
    translation = config.translation
    engine_config = translation.engine_config
    engine = translation.engine.value
    rows = storage.usage(None, month_start(now))
    names = {r[0] for r in rows if r[0] == engine or r[0].startswith(f"{engine}:")}
    today = day_start(now)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for (target, status), n in storage.translation_counts().items():
        counts[target][status] = n
    waiting = [
        Waiting(
            source_id,
            t.article_id,
            title,
            t.target_lang,
            t.status,
            t.attempts,
            t.error_kind,
            t.error,
            t.next_attempt_at,
        )
        for source_id, title, t in storage.translation_rows(
            [TranslationStatus.PENDING, TranslationStatus.FAILED], limit
        )
    ]
    done = storage.translation_rows([TranslationStatus.DONE], limit)
    flagged = [
        (source_id, title, t.target_lang, t.flags) for source_id, title, t in done if t.flags
    ]
    qa: dict[str, dict[QAOutcome, int]] = defaultdict(lambda: dict.fromkeys(QAOutcome, 0))
    for _, _, t in done:
        for outcome, entries in zip(QAOutcome, (t.fixes, t.retranslated, t.flags), strict=True):
            qa[t.target_lang][outcome] += len(entries)
    return TranslationStatusReport(
        engine=engine,
        counts=dict(counts),
        chars_today=sum(r[3] for r in rows if r[0] in names and r[2] == today),
        chars_month=sum(r[3] for r in rows if r[0] in names),
        daily_cap=engine_config.daily_char_budget,
        monthly_cap=engine_config.monthly_char_budget,
        per_source=_per_source(rows, today),
        tokens_month=sum(r[4] for r in rows if r[0] in names),
        waiting=waiting,
        flagged=flagged,
        qa=dict(qa),
    )
