"""Storage: the database schema, its migrations, and the functions the pipeline calls.

A newcomer's map: ``schema.py`` is the data model, ``migrations/`` evolves it,
``repository.py`` reads and writes it, ``database.py`` opens it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from syndicate.models import (
    Article,
    FetchResult,
    SourceState,
    StoredArticle,
    TopicReason,
    UpsertResult,
)
from syndicate.storage.database import create_engine, upgrade
from syndicate.storage.repository import SqlStorage

__all__ = ["SqlStorage", "Storage", "open_storage"]


class Storage(Protocol):
    """What the pipeline needs from a database. Every method raises StorageError when the
    database fails for a reason that is not a bug (unreachable, locked past the timeout)."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise StorageError unless the database answers."""

    def sync_sources(self, configured: Iterable[tuple[str, str, str | None]]) -> None:
        """Ensure a row per configured (id, url, language); a changed URL resets its validators."""

    def source_states(self, ids: Iterable[str] | None = None) -> list[SourceState]:
        """Every source (or those in ``ids``), ordered by id, with article counts."""

    def record_fetch(
        self,
        result: FetchResult,
        *,
        body_hash: str | None,
        now: datetime,
        next_poll_at: datetime,
        routed: Sequence[tuple[Article, Sequence[tuple[str, TopicReason]]]] = (),
    ) -> UpsertResult:
        """Store a successful fetch and its routed articles atomically."""

    def record_failure(
        self,
        source_id: str,
        *,
        status: int,
        error: str,
        now: datetime,
        next_poll_at: datetime,
        disable: str | None = None,
    ) -> None:
        """Count a failed fetch on its source; nothing else changes."""

    def articles_for_feed(
        self,
        language: str,
        topic: str | None,
        limit: int,
    ) -> list[StoredArticle]:
        """The newest ``limit`` articles in ``language`` (and ``topic``), newest first."""

    def count_articles(self, source_id: str | None = None) -> int: ...

    def feed_hashes(self) -> dict[tuple[str, str, str], str]:
        """(lang, topic, format) -> hash of the content last published."""

    def save_feed_hash(
        self, key: tuple[str, str, str], content_hash: str, now: datetime
    ) -> None: ...


def open_storage(url: str, *, migrate: bool = True) -> SqlStorage:
    """Open the database at ``url`` and (by default) migrate it to the newest schema."""
    engine = create_engine(url)
    try:
        if migrate:
            upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStorage(engine)
