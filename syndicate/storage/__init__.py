"""Storage: the database schema, its migrations, and the functions the pipeline calls.

A newcomer's map: ``schema.py`` is the data model, ``migrations/`` evolves it,
``database.py`` opens it; ``sources.py`` and ``articles.py`` read and write it (one mixin
each, on ``common.py``), combined in ``repository.py`` as :class:`SqlStorage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from syndicate.models import (
    Mention,
    RoutedArticle,
    SourceState,
    SourceUpdate,
    StoredArticle,
    UpsertResult,
)
from syndicate.storage.database import create_engine, upgrade
from syndicate.storage.repository import ConfiguredSource, SqlStorage

__all__ = ["ConfiguredSource", "SqlStorage", "Storage", "open_storage"]


class Storage(Protocol):
    """What the pipeline needs from a database. Every method raises StorageError when the
    database fails for a reason that is not a bug (unreachable, locked past the timeout)."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise StorageError unless the database answers."""

    def sync_sources(self, configured: Iterable[ConfiguredSource]) -> None:
        """Rows match the config: one per (id, url, language, enabled); a changed URL starts
        afresh; a source no longer configured is kept but disabled."""

    def source_states(
        self, ids: Iterable[str] | None = None, *, counts: bool = True
    ) -> list[SourceState]:
        """Every source (or those in ``ids``), ordered by id; article counts unless told not."""

    def claim_due(
        self,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        limit: int,
        force: bool = False,
        only: Sequence[str] | None = None,
        not_polled_since: datetime | None = None,
    ) -> list[SourceState]:
        """Lease up to ``limit`` due sources to ``owner``; no two owners get the same one."""

    def release_leases(self, owner: str) -> None:
        """Give back every source ``owner`` holds."""

    def record_poll(
        self,
        source_id: str,
        update: SourceUpdate,
        *,
        owner: str | None = None,
        routed: Sequence[RoutedArticle] = (),
        routing_version: str = "",
    ) -> UpsertResult:
        """Store a poll's outcome and its routed articles atomically; end ``owner``'s lease."""

    def articles_to_reroute(self, routing_version: str, limit: int) -> list[StoredArticle]:
        """Articles whose topics and mentions were computed for another routing version."""

    def reroute(self, items: Sequence[tuple[int, RoutedArticle]], routing_version: str) -> None:
        """Replace stored articles' topics and mentions."""

    def mentions_with_status(self, status: str, limit: int = 200) -> list[tuple[str, str, Mention]]:
        """(source id, article title, mention) of mentions with ``status``, newest first."""

    def enable_source(self, source_id: str) -> bool:
        """Clear a disabling; False when the source is unknown."""

    def publishing_dates(self, source_id: str, since: datetime) -> list[datetime]:
        """When the source's articles since ``since`` appeared (published, else first seen)."""

    def articles_for_feed(
        self,
        language: str | Sequence[str],
        topic: str | None,
        limit: int,
    ) -> list[StoredArticle]:
        """The newest ``limit`` articles in ``language`` (and ``topic``), newest first."""

    def count_articles(self, source_id: str | None = None) -> int: ...

    def article_hashes(self, source_id: str, guids: Sequence[str]) -> dict[str, str]:
        """guid -> content hash of the stored articles among ``guids``."""

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
