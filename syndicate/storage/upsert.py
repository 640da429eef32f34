"""Writing a source's articles: the upsert that never duplicates, and their topics and mentions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syndicate.models import Article, RoutedArticle, TopicReason, UpsertResult
from syndicate.safe import ENTRY_TAG, default_entry_id, own_entry_id, safe_article
from syndicate.storage.common import chunks, insert
from syndicate.storage.schema import article_terms, article_topics, articles

__all__ = ["find_stored", "upsert", "write_links"]


def upsert(
    conn: sa.Connection,
    source_id: str,
    routed: Sequence[RoutedArticle],
    now: datetime,
    version: str = "",
) -> UpsertResult:
    """Insert new articles, update changed ones in place, leave the rest; never duplicate.
    The caller notes the change (``changes.note_change``) last in its transaction.

    New articles go in one batch with ``ON CONFLICT DO NOTHING RETURNING``: a row another
    writer inserted meanwhile is not returned, and is then compared like any stored one.
    Topics and mentions are written with new and changed articles, stamped ``version``.

    Every article is made safe on its way in (:func:`syndicate.safe.safe_article`), whatever
    parsed it, so that no stored article can fail to render. A new article whose guid is
    an entry id another source already publishes gets an id of its own source's.
    """
    unique: dict[str, RoutedArticle] = {}
    for item in routed:  # the same entry twice in one feed: the first one wins
        safe, _ = safe_article(item.article)
        if safe is not item.article:
            item = replace(item, article=safe)
        unique.setdefault(item.article.guid, item)
    existing = find_stored(conn, source_id, list(unique))
    new = [guid for guid in unique if guid not in existing]
    taken = _taken_ids(conn, source_id, new)
    fresh = [
        {
            "source_id": source_id,
            "first_seen": now,
            "last_changed": now,
            "routing_version": version,
            "sort_date": unique[guid].article.published or unique[guid].article.updated or now,
            "entry_id": own_entry_id(source_id, guid) if guid in taken else None,
            **_article_values(unique[guid].article),
        }
        for guid in new
    ]
    inserted: dict[str, int] = {}
    if fresh:
        statement = (
            insert(conn, articles)
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
            .values(
                last_changed=now,
                routing_version=version,
                sort_date=item.article.published or item.article.updated or articles.c.first_seen,
                **_article_values(item.article),
            )
        )
        links.append((article_id, item))
        updated += 1
    topics = write_links(conn, links, replace=bool(updated))
    return UpsertResult(len(inserted), updated, unchanged, topics)


def write_links(
    conn: sa.Connection, links: Sequence[tuple[int, RoutedArticle]], *, replace: bool
) -> frozenset[str]:
    """Write the topics and mentions of articles (replacing what they had, if ``replace``);
    returns every topic involved, the ones replaced included."""
    ids = [article_id for article_id, _ in links]
    involved = {topic for _, item in links for topic, _ in item.topics}
    if replace and ids:
        for chunk in chunks(ids, 500):
            old = sa.select(article_topics.c.topic_id).where(article_topics.c.article_id.in_(chunk))
            involved |= set(conn.execute(old).scalars())
            conn.execute(article_topics.delete().where(article_topics.c.article_id.in_(chunk)))
            conn.execute(article_terms.delete().where(article_terms.c.article_id.in_(chunk)))
    topics = []
    for article_id, item in links:
        scores = dict(item.scores)
        topics += [
            {
                "article_id": article_id,
                "topic_id": topic,
                "reason": reason.value,
                "score": scores.get(topic) if reason is TopicReason.CONCEPT else None,
            }
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
            "weight": m.weight,
        }
        for article_id, item in links
        for m in {(m.concept, m.term): m for m in item.mentions}.values()
    ]
    if terms:
        conn.execute(article_terms.insert(), terms)
    return frozenset(involved)


def find_stored(
    conn: sa.Connection, source_id: str, guids: list[str]
) -> dict[str, tuple[int, str]]:
    """guid -> (id, content_hash) of the stored articles among ``guids``."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunks(guids, 500):
        query = sa.select(articles.c.id, articles.c.guid, articles.c.content_hash).where(
            (articles.c.source_id == source_id) & articles.c.guid.in_(chunk)
        )
        found |= {row.guid: (int(row.id), str(row.content_hash)) for row in conn.execute(query)}
    return found


def _taken_ids(conn: sa.Connection, source_id: str, guids: list[str]) -> set[str]:
    """The guids among ``guids`` that would publish an entry id this source may not take:
    one in syndicate's own tag space, or one another source's article already has."""
    taken = {guid for guid in guids if guid.startswith(ENTRY_TAG)}
    ids = [g for g in guids if g not in taken and default_entry_id(source_id, g) == g]
    for chunk in chunks(ids, 500):
        query = sa.select(articles.c.guid).where(
            articles.c.guid.in_(chunk) & (articles.c.source_id != source_id)
        )
        taken |= set(conn.execute(query).scalars())
    return taken


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
        "enclosures": json.dumps([[e.url, e.type, e.length] for e in article.enclosures])
        if article.enclosures
        else None,
        "image": article.image,
    }
