"""Publishing: article enclosures and image, RFC 5005 archive documents, WebSub pings."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0006", "0005"


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("enclosures", sa.Text))
        batch.add_column(sa.Column("image", sa.Text))
    op.create_table(
        "feed_archives",
        sa.Column("lang", sa.String(35), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("written_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("lang", "topic", "format", "month", name="pk_feed_archives"),
    )
    op.create_table(
        "hub_pings",
        sa.Column("feed_url", sa.Text, primary_key=True),
        sa.Column("hub", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hub_pings")
    op.drop_table("feed_archives")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("image")
        batch.drop_column("enclosures")
