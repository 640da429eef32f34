"""An article's fields as cache-keyed pieces, and those pieces in batches. Pure.

Each field to translate is split (:func:`~syndicate.translate.segments.split_html`) under
the engine's size limit; each piece gets a cache key that covers everything that shapes
its translation, so a text is never paid for twice. The runner sends the pieces missing
from the cache in :func:`batches` and charges each request to the sources whose text it
carried (:func:`usage_shares`).
"""

from __future__ import annotations

import hashlib
import html
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from syndicate.errors import TranslationError
from syndicate.models import TranslationJob
from syndicate.translate.segments import split_html

__all__ = ["Field", "Job", "Piece", "batches", "cache_key", "prepare", "usage_shares"]


def cache_key(engine: str, glossary_version: str, source: str, target: str, text: str) -> str:
    """The cache key of one piece: the text's hash with everything that shapes its translation."""
    digest = hashlib.sha256()
    for part in (engine, glossary_version, source, target, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass
class Piece:
    key: str
    text: str
    source_id: str
    result: str | None = None
    error: TranslationError | None = None
    #: paid for in this pass (the first piece of its text; the others shared it)
    paid: bool = False


@dataclass
class Field:
    name: str
    source: str
    pieces: list[Piece]
    join: Callable[[Sequence[str]], str]


@dataclass
class Job:
    job: TranslationJob
    fields: list[Field] = field(default_factory=list)

    def pieces(self) -> list[Piece]:
        return [p for f in self.fields for p in f.pieces]


def prepare(job: TranslationJob, engine: str, glossary_version: str, max_chars: int) -> Job:
    """``job``'s fields cut into pieces of at most ``max_chars``, with their cache keys (a
    title is sent as escaped HTML)."""
    prepared = Job(job)
    for name, text in job.fields.items():
        markup = html.escape(text, quote=False) if name == "title" else text
        split = split_html(markup, max_chars)
        pieces = [
            Piece(
                cache_key(engine, glossary_version, job.source_lang, job.target_lang, piece),
                piece,
                job.source_id,
            )
            for piece in split.pieces
        ]
        prepared.fields.append(Field(name, markup, pieces, split.join))
    return prepared


def batches(items: list[list[Piece]], max_chars: int, max_texts: int) -> list[list[list[Piece]]]:
    """Consecutive groups under both limits (a piece is never longer than max_chars)."""
    out: list[list[list[Piece]]] = []
    current: list[list[Piece]] = []
    size = 0
    for same in items:
        length = len(same[0].text)
        if current and (size + length > max_chars or len(current) >= max_texts):
            out.append(current)
            current, size = [], 0
        current.append(same)
        size += length
    if current:
        out.append(current)
    return out


def usage_shares(
    batch: list[list[Piece]], billed: int, tokens: int | None
) -> list[tuple[str, int, int, int]]:
    """What each source is charged for one request that sent ``batch``: (source id,
    characters billed, tokens, requests). Spending goes to the sources in proportion to the
    characters of theirs sent; the request itself to the source with the most."""
    sent: dict[str, int] = defaultdict(int)
    for same in batch:
        sent[same[0].source_id] += len(same[0].text)
    total = sum(sent.values()) or 1
    first = max(sent, key=lambda s: sent[s])
    return [
        (
            source_id,
            round(billed * chars / total),
            round((tokens or 0) * chars / total),
            1 if source_id == first else 0,
        )
        for source_id, chars in sent.items()
    ]
