"""Storage functions on SQLAlchemy Core, the same code for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from syndicate.errors import StorageError
from syndicate.models import (
    Article,
    Mention,
    RoutedArticle,
    SourceState,
    SourceUpdate,
    StoredArticle,
    UpsertResult,
)
from syndicate.storage.database import write_transaction
from syndicate.storage.schema import (
    article_terms,
    article_topics,
    articles,
    feed_state,
    sources,
)

__all__ = ["SqlStorage"]

#: (id, url, language, enabled) of a configured source
ConfiguredSource = tuple[str, str, str | None, bool]

# What a changed URL resets: the new URL is a new feed as far as polling knows.
_FRESH_START: dict[str, Any] = {
    "final_url": None,
    "etag": None,
    "last_modified": None,
    "body_hash": None,
    "error_count": 0,
    "last_error": None,
    "last_error_kind": None,
    "next_poll_at": None,
    "disabled_reason": None,
    "retry_until": None,
    "moved_to": None,
    "moved_count": 0,
    "entries_fingerprint": None,
}


class SqlStorage:
    """The storage of syndicate on one SQLAlchemy engine. See :class:`syndicate.storage.Storage`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time: the threads of this process take turns here.
        self._lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    def _write(self) -> AbstractContextManager[sa.Connection]:
        return write_transaction(self.engine, self._lock)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with _errors("ping"), self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    # -- sources ---------------------------------------------------------------------------

    def sync_sources(self, configured: Iterable[ConfiguredSource]) -> None:
        """Make the rows match the config: one per (id, url, language, enabled).

        A changed URL starts the source afresh (validators, errors, redirects, disabling);
        a source no longer configured is kept, with its articles, but disabled.
        """
        configured = list(configured)
        with _errors("sync sources"), self._write() as conn:
            rows = {r.id: r for r in conn.execute(sa.select(sources.c.id, sources.c.url))}
            for source_id, url, language, enabled in configured:
                row = rows.get(source_id)
                values: dict[str, Any] = {"language": language, "enabled": enabled}
                if row is None:  # another worker may be adding it right now: theirs wins
                    conn.execute(
                        _insert(conn, sources)
                        .values(id=source_id, url=url, **values)
                        .on_conflict_do_nothing(index_elements=["id"])
                    )
                    continue
                if row.url != url:
                    values |= {"url": url, **_FRESH_START}
                conn.execute(sources.update().where(sources.c.id == source_id).values(values))
            gone = set(rows) - {source_id for source_id, *_ in configured}
            if gone:
                conn.execute(
                    sources.update().where(sources.c.id.in_(sorted(gone))).values(enabled=False)
                )

    def source_states(
        self, ids: Iterable[str] | None = None, *, counts: bool = True
    ) -> list[SourceState]:
        if counts:  # a scan of the articles: for status pages, not for every claim
            per_source = (
                sa.select(articles.c.source_id, sa.func.count().label("n"))
                .group_by(articles.c.source_id)
                .subquery()
            )
            query = sa.select(
                sources, sa.func.coalesce(per_source.c.n, 0).label("article_count")
            ).outerjoin(per_source, per_source.c.source_id == sources.c.id)
        else:
            query = sa.select(sources, sa.literal(0).label("article_count"))
        query = query.order_by(sources.c.id)
        if ids is not None:
            query = query.where(sources.c.id.in_(list(ids)))
        with _errors("read sources"), self.engine.connect() as conn:
            return [_source_state(row._mapping) for row in conn.execute(query)]

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
        """Lease up to ``limit`` due sources to ``owner`` and return them.

        Due: enabled, not disabled, past any Retry-After, not leased by a live worker, and
        past its next poll time (any time with ``force``). ``not_polled_since`` keeps one
        cycle from polling a source twice. On PostgreSQL the rows are locked with
        ``FOR UPDATE SKIP LOCKED``, so workers claiming at once never get the same source.
        """
        c = sources.c
        due = (
            c.enabled.is_(True)
            & c.disabled_reason.is_(None)
            & (c.retry_until.is_(None) | (c.retry_until <= now))
            & (c.lease_until.is_(None) | (c.lease_until < now))
        )
        if not force:
            due &= c.next_poll_at.is_(None) | (c.next_poll_at <= now)
        if not_polled_since is not None:
            due &= c.last_polled_at.is_(None) | (c.last_polled_at < not_polled_since)
        if only is not None:
            due &= c.id.in_(list(only))
        query = sa.select(c.id).where(due).order_by(c.next_poll_at.asc().nulls_first(), c.id)
        query = query.limit(limit)
        with _errors("claim sources"), self._write() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = [row.id for row in conn.execute(query)]
            if ids:
                conn.execute(
                    sources.update()
                    .where(c.id.in_(ids))
                    .values(lease_owner=owner, lease_until=lease_until)
                )
        return self.source_states(ids, counts=False) if ids else []

    def release_leases(self, owner: str) -> None:
        """Give back every source ``owner`` holds (a clean shutdown)."""
        with _errors("release leases"), self._write() as conn:
            conn.execute(
                sources.update()
                .where(sources.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def record_poll(
        self,
        source_id: str,
        update: SourceUpdate,
        *,
        owner: str | None = None,
        routed: Sequence[RoutedArticle] = (),
        routing_version: str = "",
    ) -> UpsertResult:
        """Store one poll's outcome and its articles in ONE transaction, and end the lease.

        New validators (ETag, Last-Modified, body hash) are saved only together with the
        articles of that body: if the process dies before commit, neither is saved and the
        next poll fetches the body again, so no article is ever hidden behind a 304.
        """
        values: dict[str, Any] = {
            "last_polled_at": update.last_polled_at,
            "next_poll_at": update.next_poll_at,
            "last_status": update.last_status,
            "error_count": update.error_count,
            "last_error_kind": update.last_error_kind,
            "last_error": update.last_error,
            "retry_until": update.retry_until,
            "disabled_reason": update.disabled_reason,
            "moved_to": update.moved_to,
            "moved_count": update.moved_count,
            "interval_seconds": update.interval_seconds,
            "interval_reason": update.interval_reason,
        }
        if update.final_url is not None:
            values |= {"final_url": update.final_url}
        if update.validators is not None:
            values |= dict(
                zip(("etag", "last_modified", "body_hash"), update.validators, strict=True)
            )
            values["entries_fingerprint"] = update.entries_fingerprint
        where = sources.c.id == source_id
        with _errors("store poll"), self._write() as conn:
            outcome = _upsert(conn, source_id, routed, update.last_polled_at, routing_version)
            conn.execute(sources.update().where(where).values(values))
            if owner is not None:
                conn.execute(
                    sources.update()
                    .where(where & (sources.c.lease_owner == owner))
                    .values(lease_owner=None, lease_until=None)
                )
        return outcome

    def enable_source(self, source_id: str) -> bool:
        """Undo a disabling (e.g. after 410 Gone): the source is due at once. False if unknown."""
        with _errors("enable source"), self._write() as conn:
            done = conn.execute(
                sources.update()
                .where(sources.c.id == source_id)
                .values(disabled_reason=None, error_count=0, retry_until=None, next_poll_at=None)
            ).rowcount
        return bool(done)

    def publishing_dates(self, source_id: str, since: datetime) -> list[datetime]:
        """When the source's articles since ``since`` appeared: published, else first seen."""
        when = sa.func.coalesce(articles.c.published, articles.c.first_seen)
        query = sa.select(when.label("when")).where(
            (articles.c.source_id == source_id) & (when >= since)
        )
        with _errors("read dates"), self.engine.connect() as conn:
            return [_as_utc(row.when) for row in conn.execute(query)]

    # -- articles --------------------------------------------------------------------------

    def upsert_articles(
        self,
        source_id: str,
        routed: Sequence[RoutedArticle],
        now: datetime,
        routing_version: str = "",
    ) -> UpsertResult:
        with _errors("store articles"), self._write() as conn:
            return _upsert(conn, source_id, routed, now, routing_version)

    def articles_to_reroute(self, routing_version: str, limit: int) -> list[StoredArticle]:
        """Up to ``limit`` articles whose topics and mentions predate ``routing_version``."""
        query = (
            sa.select(articles)
            .where(articles.c.routing_version != routing_version)
            .order_by(articles.c.id)
            .limit(limit)
        )
        with _errors("read articles"), self.engine.connect() as conn:
            return [_stored_article(row._mapping) for row in conn.execute(query)]

    def reroute(self, items: Sequence[tuple[int, RoutedArticle]], routing_version: str) -> None:
        """Replace the topics and mentions of stored articles, stamping ``routing_version``."""
        with _errors("reroute articles"), self._write() as conn:
            _write_links(conn, items, replace=True)
            ids = [article_id for article_id, _ in items]
            for chunk in _chunks(ids, 500):
                conn.execute(
                    articles.update()
                    .where(articles.c.id.in_(chunk))
                    .values(routing_version=routing_version)
                )

    def mentions_with_status(self, status: str, limit: int = 200) -> list[tuple[str, str, Mention]]:
        """(source id, article title, mention) of mentions with ``status``, newest first."""
        query = (
            sa.select(articles.c.source_id, articles.c.title, article_terms)
            .join(articles, articles.c.id == article_terms.c.article_id)
            .where(article_terms.c.status == status)
            .order_by(articles.c.first_seen.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with _errors("read mentions"), self.engine.connect() as conn:
            return [(r.source_id, r.title, _mention(r._mapping)) for r in conn.execute(query)]

    def articles_for_feed(
        self, language: str | Sequence[str], topic: str | None, limit: int
    ) -> list[StoredArticle]:
        """Newest first (published, else updated, else first seen), ``limit`` at most.

        ``language`` is one language, or several (a feed that shows other languages' articles).
        """
        sort = sa.func.coalesce(articles.c.published, articles.c.updated, articles.c.first_seen)
        languages = [language] if isinstance(language, str) else list(language)
        query = sa.select(articles).where(articles.c.language.in_(languages))
        if topic is not None:
            query = query.where(
                articles.c.id.in_(
                    sa.select(article_topics.c.article_id).where(article_topics.c.topic_id == topic)
                )
            )
        query = query.order_by(sort.desc(), articles.c.id.desc()).limit(limit)
        with _errors("read articles"), self.engine.connect() as conn:
            rows = list(conn.execute(query))
            ids = [row.id for row in rows]
            topics = _topics_of(conn, ids)
            mentions = _mentions_of(conn, ids)
        return [
            _stored_article(row._mapping, topics.get(row.id, ()), mentions.get(row.id, ()))
            for row in rows
        ]

    def article_hashes(self, source_id: str, guids: Sequence[str]) -> dict[str, str]:
        """guid -> content hash of the stored articles among ``guids``."""
        with _errors("read articles"), self.engine.connect() as conn:
            return {
                guid: value[1] for guid, value in _existing(conn, source_id, list(guids)).items()
            }

    def count_articles(self, source_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(articles)
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        with _errors("count articles"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def duplicate_guids(self) -> list[tuple[str, str, int]]:
        """(source_id, guid, count) seen more than once; always empty unless something is broken."""
        query = (
            sa.select(articles.c.source_id, articles.c.guid, sa.func.count())
            .group_by(articles.c.source_id, articles.c.guid)
            .having(sa.func.count() > 1)
        )
        with _errors("check duplicates"), self.engine.connect() as conn:
            return [(r[0], r[1], int(r[2])) for r in conn.execute(query)]

    # -- feed state ------------------------------------------------------------------------

    def feed_hashes(self) -> dict[tuple[str, str, str], str]:
        with _errors("read feed state"), self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    feed_state.c.lang,
                    feed_state.c.topic,
                    feed_state.c.format,
                    feed_state.c.content_hash,
                )
            )
            return {(r.lang, r.topic, r.format): r.content_hash for r in rows}

    def save_feed_hash(self, key: tuple[str, str, str], content_hash: str, now: datetime) -> None:
        lang, topic, fmt = key
        match = (
            (feed_state.c.lang == lang)
            & (feed_state.c.topic == topic)
            & (feed_state.c.format == fmt)
        )
        with _errors("save feed state"), self._write() as conn:
            done = conn.execute(
                feed_state.update().where(match).values(content_hash=content_hash, updated=now)
            ).rowcount
            if not done:
                conn.execute(
                    feed_state.insert().values(
                        lang=lang, topic=topic, format=fmt, content_hash=content_hash, updated=now
                    )
                )


def _upsert(
    conn: sa.Connection,
    source_id: str,
    routed: Sequence[RoutedArticle],
    now: datetime,
    version: str = "",
) -> UpsertResult:
    """Insert new articles, update changed ones in place, leave the rest; never duplicate.

    New articles go in one batch with ``ON CONFLICT DO NOTHING RETURNING``: a row another
    writer inserted meanwhile is not returned, and is then compared like any stored one.
    Topics and mentions are written with new and changed articles, stamped ``version``.
    """
    unique: dict[str, RoutedArticle] = {}
    for item in routed:  # the same entry twice in one feed: the first one wins
        unique.setdefault(item.article.guid, item)
    existing = _existing(conn, source_id, list(unique))
    fresh = [
        {
            "source_id": source_id,
            "first_seen": now,
            "last_changed": now,
            "routing_version": version,
            **_article_values(item.article),
        }
        for guid, item in unique.items()
        if guid not in existing
    ]
    inserted: dict[str, int] = {}
    if fresh:
        statement = (
            _insert(conn, articles)
            .on_conflict_do_nothing(index_elements=["source_id", "guid"])
            .returning(articles.c.id, articles.c.guid)
        )
        inserted = {row.guid: int(row.id) for row in conn.execute(statement, fresh)}
    links: list[tuple[int, RoutedArticle]] = []
    updated = unchanged = 0
    for guid, item in unique.items():
        if guid in inserted:
            links.append((inserted[guid], item))
            continue
        article_id, old_hash = existing.get(guid) or _lookup(conn, source_id, guid)
        if old_hash == item.article.content_hash:
            unchanged += 1
            continue
        conn.execute(
            articles.update()
            .where(articles.c.id == article_id)
            .values(last_changed=now, routing_version=version, **_article_values(item.article))
        )
        links.append((article_id, item))
        updated += 1
    _write_links(conn, links, replace=bool(updated))
    return UpsertResult(len(inserted), updated, unchanged)


def _write_links(
    conn: sa.Connection, links: Sequence[tuple[int, RoutedArticle]], *, replace: bool
) -> None:
    """Write the topics and mentions of articles (replacing what they had, if ``replace``)."""
    ids = [article_id for article_id, _ in links]
    if replace and ids:
        for chunk in _chunks(ids, 500):
            conn.execute(article_topics.delete().where(article_topics.c.article_id.in_(chunk)))
            conn.execute(article_terms.delete().where(article_terms.c.article_id.in_(chunk)))
    topics = [
        {"article_id": article_id, "topic_id": topic, "reason": reason.value}
        for article_id, item in links
        for topic, reason in dict(item.topics).items()
    ]
    if topics:
        conn.execute(article_topics.insert(), topics)
    terms = [
        {
            "article_id": article_id,
            "concept_id": m.concept,
            "term": m.term,
            "status": m.status,
            "in_title": m.in_title,
            "count": m.count,
        }
        for article_id, item in links
        for m in {(m.concept, m.term): m for m in item.mentions}.values()
    ]
    if terms:
        conn.execute(article_terms.insert(), terms)


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL have it)."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def _existing(conn: sa.Connection, source_id: str, guids: list[str]) -> dict[str, tuple[int, str]]:
    """guid -> (id, content_hash) of the stored articles among ``guids``."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(guids, 500):
        query = sa.select(articles.c.id, articles.c.guid, articles.c.content_hash).where(
            (articles.c.source_id == source_id) & articles.c.guid.in_(chunk)
        )
        found |= {row.guid: (int(row.id), str(row.content_hash)) for row in conn.execute(query)}
    return found


def _lookup(conn: sa.Connection, source_id: str, guid: str) -> tuple[int, str]:
    query = sa.select(articles.c.id, articles.c.content_hash).where(
        (articles.c.source_id == source_id) & (articles.c.guid == guid)
    )
    row = conn.execute(query).one()
    return int(row.id), str(row.content_hash)


def _article_values(article: Article) -> dict[str, Any]:
    return {
        "guid": article.guid,
        "link": article.link,
        "title": article.title,
        "summary": article.summary,
        "content": article.content,
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "categories": json.dumps(list(article.categories), ensure_ascii=False),
        "published": article.published,
        "updated": article.updated,
        "language": article.language,
        "content_hash": article.content_hash,
    }


def _topics_of(conn: sa.Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for chunk in _chunks(ids, 500):
        query = (
            sa.select(article_topics.c.article_id, article_topics.c.topic_id)
            .where(article_topics.c.article_id.in_(chunk))
            .order_by(article_topics.c.topic_id)
        )
        for row in conn.execute(query):
            out.setdefault(row.article_id, []).append(row.topic_id)
    return {key: tuple(value) for key, value in out.items()}


def _mentions_of(conn: sa.Connection, ids: list[int]) -> dict[int, tuple[Mention, ...]]:
    out: dict[int, list[Mention]] = {}
    for chunk in _chunks(ids, 500):
        query = (
            sa.select(article_terms)
            .where(article_terms.c.article_id.in_(chunk))
            .order_by(article_terms.c.article_id, article_terms.c.concept_id, article_terms.c.term)
        )
        for row in conn.execute(query):
            out.setdefault(row.article_id, []).append(_mention(row._mapping))
    return {key: tuple(value) for key, value in out.items()}


def _mention(row: Any) -> Mention:
    return Mention(
        row["concept_id"], row["term"], row["status"], bool(row["in_title"]), int(row["count"])
    )


def _stored_article(
    row: Any, topics: tuple[str, ...] = (), mentions: tuple[Mention, ...] = ()
) -> StoredArticle:
    article = Article(
        source_id=row["source_id"],
        guid=row["guid"],
        link=row["link"],
        title=row["title"],
        summary=row["summary"],
        content=row["content"],
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
        published=row["published"],
        updated=row["updated"],
        language=row["language"],
        content_hash=row["content_hash"],
    )
    return StoredArticle(
        row["id"], article, row["first_seen"], row["last_changed"], topics, mentions
    )


def _source_state(row: Any) -> SourceState:
    return SourceState(**{f.name: row[f.name] for f in dataclasses.fields(SourceState)})


def _as_utc(value: Any) -> datetime:
    """coalesce() of two UTC columns loses the column type; mark the naive value UTC."""
    if isinstance(value, str):  # SQLite returns the stored text for an expression
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _errors:
    """Map database failures that are not bugs (connection lost, locked) to StorageError."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            raise StorageError(f"{self.action}: {getattr(exc, 'orig', exc)}") from exc
