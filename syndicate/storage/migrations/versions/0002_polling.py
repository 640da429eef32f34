"""Polling state: enabled flag, Retry-After, redirect tracking, chosen interval, error kind."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("retry_until", sa.DateTime))
        batch.add_column(sa.Column("moved_to", sa.Text))
        batch.add_column(sa.Column("moved_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("interval_seconds", sa.Float))
        batch.add_column(sa.Column("interval_reason", sa.Text))
        batch.add_column(sa.Column("last_error_kind", sa.String(40)))
    op.create_index("ix_sources_next_poll_at", "sources", ["next_poll_at"])


def downgrade() -> None:
    op.drop_index("ix_sources_next_poll_at", "sources")
    with op.batch_alter_table("sources") as batch:
        for name in (
            "last_error_kind",
            "interval_reason",
            "interval_seconds",
            "moved_count",
            "moved_to",
            "retry_until",
            "enabled",
        ):
            batch.drop_column(name)
