"""Several nodes, one database (issue 19): ``feed_generation`` numbers the changes to what
the feeds hold and ``feed_changes`` lists them, so that every node, whatever its own
output directory holds, finds what it has to write again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0012", "0011"


def upgrade() -> None:
    generation = op.create_table(
        "feed_generation",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(generation, [{"id": 1, "n": 0}])
    op.create_table(
        "feed_changes",
        sa.Column("n", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("topics", sa.Text),
        sa.Column("at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_changes")
    op.drop_table("feed_generation")
