"""Initial schema: sources, articles, article_topics, translations, feed_state."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0001", None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("final_url", sa.Text),
        sa.Column("language", sa.String(35)),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("body_hash", sa.String(64)),
        sa.Column("last_status", sa.Integer),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("next_poll_at", sa.DateTime),
        sa.Column("last_polled_at", sa.DateTime),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("disabled_reason", sa.Text),
    )
    op.create_table(
        "articles",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(200), sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("guid", sa.Text, nullable=False),
        sa.Column("link", sa.Text),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("authors", sa.Text, nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("published", sa.DateTime),
        sa.Column("updated", sa.DateTime),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_changed", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source_id", "guid", name="uq_articles_source_guid"),
    )
    op.create_index("ix_articles_language", "articles", ["language"])
    op.create_table(
        "article_topics",
        sa.Column(
            "article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("topic_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "topic_id", name="pk_article_topics"),
    )
    op.create_index("ix_article_topics_topic", "article_topics", ["topic_id"])
    op.create_table(
        "translations",
        sa.Column(
            "article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("target_lang", sa.String(35), nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("glossary_version", sa.String(64), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("content", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("chars_billed", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("article_id", "target_lang", name="pk_translations"),
    )
    op.create_table(
        "feed_state",
        sa.Column("lang", sa.String(35), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("etag", sa.String(100)),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("lang", "topic", "format", name="pk_feed_state"),
    )


def downgrade() -> None:
    for table in ("feed_state", "translations", "article_topics", "articles", "sources"):
        op.drop_table(table)
