"""Paged archives (issue 18): ``feed_archives.pages``, how many pages a month's archive
has (1 for every month archived before, whose single document stays the first page), and
``feed_archive_pages``, each page's span of articles, recorded before its files are written.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0011", "0010"


def upgrade() -> None:
    with op.batch_alter_table("feed_archives") as batch:
        batch.add_column(sa.Column("pages", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "feed_archive_pages",
        sa.Column("lang", sa.String(35), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("last_sort_date", sa.DateTime),
        sa.Column("last_id", sa.Integer),
        sa.Column("more", sa.Boolean, nullable=False),
        sa.Column("written_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("lang", "topic", "month", "page", name="pk_feed_archive_pages"),
    )


def downgrade() -> None:
    op.drop_table("feed_archive_pages")
    with op.batch_alter_table("feed_archives") as batch:
        batch.drop_column("pages")
