"""article_terms: the glossary concepts each article mentions; articles.routing_version."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "article_terms",
        sa.Column(
            "article_id", BigId, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("concept_id", sa.String(200), nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("in_title", sa.Boolean, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("article_id", "concept_id", "term", name="pk_article_terms"),
    )
    op.create_index("ix_article_terms_status", "article_terms", ["status"])
    with op.batch_alter_table("articles") as batch:
        batch.add_column(
            sa.Column("routing_version", sa.String(64), nullable=False, server_default="")
        )
    op.create_index("ix_articles_routing_version", "articles", ["routing_version"])


def downgrade() -> None:
    op.drop_index("ix_articles_routing_version", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("routing_version")
    op.drop_index("ix_article_terms_status", "article_terms")
    op.drop_table("article_terms")
