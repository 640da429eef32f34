"""Topic scores (issue 16): ``article_topics.score``, the concept score that routed an
article (NULL for other reasons and for rows routed before), and ``article_terms.weight``,
what a mention's term weighs (1, or 0.5 for a ``generic`` term). Existing rows are routed
again anyway: the routing version changed with the rules.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0010", "0009"


def upgrade() -> None:
    with op.batch_alter_table("article_topics") as batch:
        batch.add_column(sa.Column("score", sa.Float))
    with op.batch_alter_table("article_terms") as batch:
        batch.add_column(sa.Column("weight", sa.Float, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("article_terms") as batch:
        batch.drop_column("weight")
    with op.batch_alter_table("article_topics") as batch:
        batch.drop_column("score")
