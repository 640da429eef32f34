"""worker_cycles: each worker's last poll cycle, for /healthz and the status page."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0008", "0007"


def upgrade() -> None:
    op.create_table(
        "worker_cycles",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("polled", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("new_articles", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_success_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("worker_cycles")
