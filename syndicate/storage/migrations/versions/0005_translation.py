"""Translation: job state on translations, the segment cache, usage, remote glossaries."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"


def upgrade() -> None:
    with op.batch_alter_table("translations") as batch:
        batch.add_column(sa.Column("source_lang", sa.String(35), nullable=False, server_default=""))
        batch.add_column(sa.Column("source_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("fields", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("qa", sa.Text))
        batch.add_column(sa.Column("error", sa.Text))
        batch.add_column(sa.Column("error_kind", sa.String(40)))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime))
        batch.add_column(sa.Column("lease_owner", sa.String(200)))
        batch.add_column(sa.Column("lease_until", sa.DateTime))
        batch.add_column(sa.Column("tokens", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("updated_at", sa.DateTime))
    op.create_index("ix_translations_status", "translations", ["status", "next_attempt_at"])
    op.create_table(
        "translation_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("source_lang", sa.String(35), nullable=False),
        sa.Column("target_lang", sa.String(35), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "translation_usage",
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("chars", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("tokens", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("requests", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("engine", "source_id", "day", name="pk_translation_usage"),
    )
    op.create_table(
        "engine_glossaries",
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("source_lang", sa.String(35), nullable=False),
        sa.Column("target_lang", sa.String(35), nullable=False),
        sa.Column("glossary_version", sa.String(64), nullable=False),
        sa.Column("remote_id", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint(
            "engine", "source_lang", "target_lang", name="pk_engine_glossaries"
        ),
    )


def downgrade() -> None:
    op.drop_table("engine_glossaries")
    op.drop_table("translation_usage")
    op.drop_table("translation_cache")
    op.drop_index("ix_translations_status", "translations")
    with op.batch_alter_table("translations") as batch:
        for name in (
            "updated_at",
            "tokens",
            "lease_until",
            "lease_owner",
            "next_attempt_at",
            "attempts",
            "error_kind",
            "error",
            "qa",
            "fields",
            "source_hash",
            "source_lang",
        ):
            batch.drop_column(name)
