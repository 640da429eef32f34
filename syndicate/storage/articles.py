"""Storage of articles: what feeds read (pages, spans, topics and mentions), rerouting;
writing them without duplicates is in ``upsert.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from syndicate.models import (
    Article,
    Enclosure,
    Mention,
    RoutedArticle,
    StoredArticle,
    UpsertResult,
)
from syndicate.storage.changes import note_change
from syndicate.storage.common import StoreBase, as_utc, chunks, errors, record
from syndicate.storage.protocols import ArticleStorage
from syndicate.storage.schema import article_terms, article_topics, articles
from syndicate.storage.upsert import find_stored, upsert, write_links

__all__ = ["STREAM_BATCH", "STREAM_CHARS", "ArticleKey", "ArticleStore"]

#: an article's place in sort order: (sort date, id)
ArticleKey = tuple[datetime, int]
#: article keys read per query when streaming a span of articles
STREAM_BATCH = 200
#: characters of text (title, summary, content) fetched at once when streaming
STREAM_CHARS = 8_000_000


class ArticleStore(StoreBase, ArticleStorage):
    """Articles: see :class:`syndicate.storage.ArticleStorage` for each method's contract."""

    def upsert_articles(
        self,
        source_id: str,
        routed: Sequence[RoutedArticle],
        now: datetime,
        routing_version: str = "",
    ) -> UpsertResult:
        with errors("store articles"), self._write() as conn:
            result = upsert(conn, source_id, routed, now, routing_version)
            if result.changed:  # every node learns which feeds to write again (changes.py)
                note_change(conn, result.topics, now)
            return result

    def articles_to_reroute(self, routing_version: str, limit: int) -> list[StoredArticle]:
        # < or > rather than !=, and no ORDER BY: two ranges of the column's index, so the
        # check at every start finds "nothing to do" without reading every article (SQLite
        # scanned all 35,000 in id order: 45 ms). Any batch will do, since each is stamped.
        version = articles.c.routing_version
        query = (
            sa.select(articles)
            .where((version < routing_version) | (version > routing_version))
            .limit(limit)
        )
        with errors("read articles"), self.engine.connect() as conn:
            found = [_stored_article(row._mapping) for row in conn.execute(query)]
        return sorted(found, key=lambda stored: stored.id)

    def reroute(self, items: Sequence[tuple[int, RoutedArticle]], routing_version: str) -> None:
        with errors("reroute articles"), self._write() as conn:
            write_links(conn, items, replace=True)
            ids = [article_id for article_id, _ in items]
            for chunk in chunks(ids, 500):
                conn.execute(
                    articles.update()
                    .where(articles.c.id.in_(chunk))
                    .values(routing_version=routing_version)
                )
            if items:
                note_change(conn, None, datetime.now(UTC))

    def mentions_with_status(self, status: str, limit: int = 200) -> list[tuple[str, str, Mention]]:
        query = (
            sa.select(articles.c.source_id, articles.c.title, article_terms)
            .join(articles, articles.c.id == article_terms.c.article_id)
            .where(article_terms.c.status == status)
            .order_by(articles.c.first_seen.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with errors("read mentions"), self.engine.connect() as conn:
            return [(r.source_id, r.title, _mention(r._mapping)) for r in conn.execute(query)]

    def articles_for_feed(
        self,
        language: str | Sequence[str],
        topic: str | None,
        limit: int | None,
        *,
        since: datetime | None = None,
        before: datetime | None = None,
        exclude_topics: Sequence[str] = (),
    ) -> list[StoredArticle]:
        sort = articles.c.sort_date
        languages = [language] if isinstance(language, str) else list(language)
        query = _feed_filter(sa.select(articles), languages, topic, exclude_topics)
        if since is not None:
            query = query.where(sort >= since)
        if before is not None:
            query = query.where(sort < before)
        query = query.order_by(sort.desc(), articles.c.id.desc()).limit(limit)
        with errors("read articles"), self.engine.connect() as conn:
            rows = list(conn.execute(query))
            ids = [row.id for row in rows]
            topics = _topics_of(conn, ids)
            mentions = _mentions_of(conn, ids)
        return [
            _stored_article(row._mapping, topics.get(row.id, ()), mentions.get(row.id, ()))
            for row in rows
        ]

    def stream_articles_for_feed(
        self,
        languages: Sequence[str],
        topic: str | None,
        *,
        since: datetime,
        before: datetime,
        after: ArticleKey | None = None,
        upto: ArticleKey | None = None,
        exclude_topics: Sequence[str] = (),
        without_mentions_in: str | None = None,
    ) -> Iterator[StoredArticle]:
        # Keys are read STREAM_BATCH at a time, articles fetched in groups of at most
        # STREAM_CHARS characters of text: memory holds one group whatever the span holds.
        sort = articles.c.sort_date
        keys = _feed_filter(
            sa.select(articles.c.id, sort, _text_size().label("size")),
            list(languages),
            topic,
            exclude_topics,
        ).where((sort >= since) & (sort < before))
        # Each key bound starts with a plain range on the sort date, which the index serves.
        if upto is not None:
            keys = keys.where((sort <= upto[0]) & ((sort < upto[0]) | (articles.c.id <= upto[1])))
        keys = keys.order_by(sort, articles.c.id).limit(STREAM_BATCH)
        while True:
            page = keys
            if after is not None:
                page = page.where(
                    (sort >= after[0]) & ((sort > after[0]) | (articles.c.id > after[1]))
                )
            with errors("read articles"), self.engine.connect() as conn:
                rows = conn.execute(page).all()
            if not rows:
                return
            for group in _groups_by_size([(int(r.id), int(r.size or 0)) for r in rows]):
                yield from self._articles_by_id(group, without_mentions_in)
            after = (as_utc(rows[-1].sort_date), int(rows[-1].id))
            if len(rows) < STREAM_BATCH:
                return

    def _articles_by_id(
        self, ids: list[int], without_mentions_in: str | None = None
    ) -> list[StoredArticle]:
        """The articles with ``ids``, with their topics and mentions (but those in
        ``without_mentions_in``), in the order given."""
        with errors("read articles"), self.engine.connect() as conn:
            rows = {
                r.id: r for r in conn.execute(sa.select(articles).where(articles.c.id.in_(ids)))
            }
            topics = _topics_of(conn, ids)
            wanted = [i for i, r in rows.items() if r.language != without_mentions_in]
            mentions = _mentions_of(conn, wanted)
        return [
            _stored_article(rows[i]._mapping, topics.get(i, ()), mentions.get(i, ()))
            for i in ids
            if i in rows  # deleted meanwhile
        ]

    def oldest_article_date(self, languages: Sequence[str]) -> datetime | None:
        sort = articles.c.sort_date
        query = sa.select(sa.func.min(sort)).where(articles.c.language.in_(list(languages)))
        with errors("read articles"), self.engine.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else as_utc(value)

    def article_hashes(self, source_id: str, guids: Sequence[str]) -> dict[str, str]:
        with errors("read articles"), self.engine.connect() as conn:
            return {
                guid: value[1] for guid, value in find_stored(conn, source_id, list(guids)).items()
            }

    def count_articles(self, source_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(articles)
        if source_id is not None:
            query = query.where(articles.c.source_id == source_id)
        with errors("count articles"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def duplicate_guids(self) -> list[tuple[str, str, int]]:
        """(source_id, guid, count) seen more than once; always empty unless something is broken."""
        query = (
            sa.select(articles.c.source_id, articles.c.guid, sa.func.count())
            .group_by(articles.c.source_id, articles.c.guid)
            .having(sa.func.count() > 1)
        )
        with errors("check duplicates"), self.engine.connect() as conn:
            return [(r[0], r[1], int(r[2])) for r in conn.execute(query)]


def _topics_of(conn: sa.Connection, ids: list[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for chunk in chunks(ids, 500):
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
    for chunk in chunks(ids, 500):
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
        row["concept_id"],
        row["term"],
        row["status"],
        bool(row["in_title"]),
        int(row["count"]),
        float(row["weight"]),
    )


def _stored_article(
    row: Any, topics: tuple[str, ...] = (), mentions: tuple[Mention, ...] = ()
) -> StoredArticle:
    article = record(
        Article,
        row,
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
        enclosures=tuple(Enclosure(*e) for e in json.loads(row["enclosures"] or "[]")),
    )
    return record(StoredArticle, row, article=article, topics=topics, mentions=mentions)


def _feed_filter(
    query: Any, languages: list[str], topic: str | None, exclude_topics: Sequence[str]
) -> Any:
    """``query`` limited to a feed's articles: its languages, its topic (None: every
    topic), none of ``exclude_topics`` (private topics, for public feeds)."""
    query = query.where(articles.c.language.in_(languages))
    if topic is not None:
        # EXISTS, not IN: the planner then walks the sort_date index and stops after
        # ``limit`` rows (measured 0.5 ms against 32 ms for 100k articles, bench/publish.py).
        query = query.where(
            sa.exists().where(
                (article_topics.c.article_id == articles.c.id)
                & (article_topics.c.topic_id == topic)
            )
        )
    if exclude_topics:
        query = query.where(
            ~sa.exists().where(
                (article_topics.c.article_id == articles.c.id)
                & article_topics.c.topic_id.in_(list(exclude_topics))
            )
        )
    return query


def _text_size() -> Any:
    """An article's characters of text (title, summary, content): what holding it costs."""
    c = articles.c
    return sa.func.length(c.title) + sa.func.length(c.summary) + sa.func.length(c.content)


def _groups_by_size(batch: list[tuple[int, int]], limit: int = STREAM_CHARS) -> Iterator[list[int]]:
    """The ids of ``batch`` ((id, size) pairs) in order, in groups of at most ``limit`` in
    total size (one larger article makes a group alone)."""
    group: list[int] = []
    size = 0
    for article_id, article_size in batch:
        if group and size + article_size > limit:
            yield group
            group, size = [], 0
        group.append(article_id)
        size += article_size
    if group:
        yield group
