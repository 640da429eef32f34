"""articles.sort_date (published, else updated, else first seen), indexed: feeds read the
newest N articles by walking the index instead of sorting the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0007", "0006"


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("sort_date", sa.DateTime))
    op.execute("UPDATE articles SET sort_date = coalesce(published, updated, first_seen)")
    op.create_index("ix_articles_sort_date", "articles", ["sort_date"])
    # With it, the language index only misleads SQLite's planner away from the sort order.
    op.drop_index("ix_articles_language", "articles")


def downgrade() -> None:
    op.create_index("ix_articles_language", "articles", ["language"])
    op.drop_index("ix_articles_sort_date", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("sort_date")
