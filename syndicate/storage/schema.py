"""The database schema (SQLAlchemy Core); the migrations in ``migrations/`` build exactly this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "article_terms",
    "article_topics",
    "articles",
    "engine_glossaries",
    "feed_archive_pages",
    "feed_archives",
    "feed_changes",
    "feed_generation",
    "feed_state",
    "hub_pings",
    "metadata",
    "sources",
    "translation_cache",
    "translation_usage",
    "translations",
    "worker_cycles",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite and PostgreSQL alike)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


# BIGINT on PostgreSQL, INTEGER on SQLite (so it stays an alias of ROWID and autoincrements).
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("final_url", Text),
    Column("language", String(35)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("last_status", Integer),
    Column("error_count", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("next_poll_at", UTCDateTime),
    Column("last_polled_at", UTCDateTime),
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("disabled_reason", Text),
    # 0002
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("retry_until", UTCDateTime),
    Column("moved_to", Text),
    Column("moved_count", Integer, nullable=False, server_default="0"),
    Column("interval_seconds", Float),
    Column("interval_reason", Text),
    Column("last_error_kind", String(40)),
    Index("ix_sources_next_poll_at", "next_poll_at"),
    # 0003
    Column("entries_fingerprint", Text),
)

articles = Table(
    "articles",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_id", String(200), ForeignKey("sources.id"), nullable=False),
    Column("guid", Text, nullable=False),
    Column("link", Text),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("authors", Text, nullable=False),  # JSON array of names
    Column("categories", Text, nullable=False),  # JSON array of terms
    Column("published", UTCDateTime),
    Column("updated", UTCDateTime),
    Column("language", String(35), nullable=False),
    Column("content_hash", String(64), nullable=False),
    #: JSON [[url, type, length], …] of attached files; the main image's URL
    Column("enclosures", Text),
    Column("image", Text),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_changed", UTCDateTime, nullable=False),
    UniqueConstraint("source_id", "guid", name="uq_articles_source_guid"),
    #: published, else updated, else first seen: what feeds sort by (indexed)
    Column("sort_date", UTCDateTime),
    Index("ix_articles_sort_date", "sort_date"),
    # 0004: the glossary + topics version the article's mentions and topics were computed with
    Column("routing_version", String(64), nullable=False, server_default=""),
    Index("ix_articles_routing_version", "routing_version"),
    # 0009: the id feeds publish when it is not the default one (see syndicate.safe)
    Column("entry_id", Text),
    Index("ix_articles_guid", "guid"),
)

article_topics = Table(
    "article_topics",
    metadata,
    Column("article_id", BigId, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("topic_id", String(200), nullable=False),
    Column("reason", String(20), nullable=False),
    #: the concept score that routed the article (reason ``concept``), else NULL
    Column("score", Float),
    PrimaryKeyConstraint("article_id", "topic_id", name="pk_article_topics"),
    Index("ix_article_topics_topic", "topic_id"),
)

article_terms = Table(
    "article_terms",
    metadata,
    Column("article_id", BigId, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("concept_id", String(200), nullable=False),
    Column("term", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("in_title", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
    Column("weight", Float, nullable=False, server_default="1"),
    PrimaryKeyConstraint("article_id", "concept_id", "term", name="pk_article_terms"),
    Index("ix_article_terms_status", "status"),
)

translations = Table(
    "translations",
    metadata,
    Column("article_id", BigId, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("target_lang", String(35), nullable=False),
    Column("engine", String(100), nullable=False),
    Column("glossary_version", String(64), nullable=False),
    Column("title", Text),
    Column("summary", Text),
    Column("content", Text),
    #: pending (waiting for an engine), done, or failed (gave up after max_attempts)
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    #: characters paid for this translation (segments from the cache cost nothing)
    Column("chars_billed", Integer, nullable=False, server_default="0"),
    Column("source_lang", String(35), nullable=False, server_default=""),
    #: the article's content_hash when translated: a changed article is translated again
    Column("source_hash", String(64), nullable=False, server_default=""),
    #: the fields asked for, comma-separated ("title,summary,content")
    Column("fields", String(100), nullable=False, server_default=""),
    #: JSON: the glossary QA outcome (fixes applied, problems flagged)
    Column("qa", Text),
    Column("error", Text),
    Column("error_kind", String(40)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime),
    Column("lease_owner", String(200)),
    Column("lease_until", UTCDateTime),
    Column("tokens", Integer, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime),
    PrimaryKeyConstraint("article_id", "target_lang", name="pk_translations"),
    Index("ix_translations_status", "status", "next_attempt_at"),
)

#: translated segments, keyed by sha256 of (engine, glossary version, languages, text)
translation_cache = Table(
    "translation_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("engine", String(100), nullable=False),
    Column("source_lang", String(35), nullable=False),
    Column("target_lang", String(35), nullable=False),
    Column("text", Text, nullable=False),
    Column("chars", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

#: characters, tokens and requests spent per engine, source and UTC day
translation_usage = Table(
    "translation_usage",
    metadata,
    Column("engine", String(100), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("day", Date, nullable=False),
    Column("chars", BigInteger, nullable=False, server_default="0"),
    Column("tokens", BigInteger, nullable=False, server_default="0"),
    Column("requests", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("engine", "source_id", "day", name="pk_translation_usage"),
)

#: an engine's remote glossary per language pair (DeepL), reused while the version holds
engine_glossaries = Table(
    "engine_glossaries",
    metadata,
    Column("engine", String(100), nullable=False),
    Column("source_lang", String(35), nullable=False),
    Column("target_lang", String(35), nullable=False),
    Column("glossary_version", String(64), nullable=False),
    Column("remote_id", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("engine", "source_lang", "target_lang", name="pk_engine_glossaries"),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("lang", String(35), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("format", String(10), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("etag", String(100)),
    Column("updated", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("lang", "topic", "format", name="pk_feed_state"),
)

#: RFC 5005 archive documents written (one per feed and month); never rewritten
feed_archives = Table(
    "feed_archives",
    metadata,
    Column("lang", String(35), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("format", String(10), nullable=False),
    #: "YYYY-MM"
    Column("month", String(7), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    #: how many pages the month's archive has (publish.archive_page_entries)
    Column("pages", Integer, nullable=False, server_default="1"),
    PrimaryKeyConstraint("lang", "topic", "format", "month", name="pk_feed_archives"),
)

#: each archive page's articles, recorded before the page's files are written: a page
#: interrupted by a crash is written again from the same span, a written one never again
feed_archive_pages = Table(
    "feed_archive_pages",
    metadata,
    Column("lang", String(35), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("month", String(7), nullable=False),
    Column("page", Integer, nullable=False),
    Column("entries", Integer, nullable=False),
    #: the page's newest entry (sort date, id); NULL for an empty month's only page
    Column("last_sort_date", UTCDateTime),
    Column("last_id", Integer),
    #: a later page of the same month follows
    Column("more", Boolean, nullable=False),
    Column("written_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("lang", "topic", "month", "page", name="pk_feed_archive_pages"),
)

#: the one row counting changes to what the feeds hold: taking the next number locks the
#: row until commit, so changes are numbered in the order they commit (every node reads
#: them in that order and misses none)
feed_generation = Table(
    "feed_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
)

#: each change to what the feeds hold, numbered by ``feed_generation``: the topics of the
#: new and changed articles (a JSON list), or NULL when any feed may have changed
feed_changes = Table(
    "feed_changes",
    metadata,
    Column("n", BigInteger, primary_key=True, autoincrement=False),
    Column("topics", Text),
    Column("at", UTCDateTime, nullable=False),
)

#: WebSub publish pings waiting to be sent (or retried) to the hub
hub_pings = Table(
    "hub_pings",
    metadata,
    Column("feed_url", Text, primary_key=True),
    Column("hub", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
)

#: each worker's last poll cycle (one row per worker process), for /healthz and /status
worker_cycles = Table(
    "worker_cycles",
    metadata,
    Column("owner", String(200), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
    Column("polled", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("new_articles", Integer, nullable=False, server_default="0"),
    Column("last_success_at", UTCDateTime),
)
