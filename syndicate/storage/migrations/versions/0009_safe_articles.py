"""Articles safe to publish by construction (issue 15), and entry ids a source cannot take.

- ``articles.entry_id``: the id feeds publish for an article when it is not the default
  (the source's guid when that is a URI, else a tag URI of source and guid). A new article
  whose URI guid another source's article already has gets a tag URI of its own source
  instead, so one source cannot replace another's entries in the ``all`` feeds. NULL for
  every existing row: entries already published keep their ids, since readers key on them.
- ``ix_articles_guid``: that check looks guids up across sources.
- Existing rows are brought under the rules of :mod:`syndicate.safe` that new ones meet on
  their way in: a guid XML cannot carry or longer than the index allows becomes a hash of
  itself (what the parser now makes of the same entry, so it is not stored twice; a long
  guid that was published keeps its published id in ``entry_id``); links, enclosures and
  images that are not followable http(s)/mailto URLs are dropped; a language tag loses the
  characters XML cannot carry. Before this, one such row made every feed holding it
  unwritable.

This migration uses the rules as they are in :mod:`syndicate.safe` when it runs.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from syndicate.safe import bounded_guid, default_entry_id, link_url, media_url, xml_safe

revision, down_revision = "0009", "0008"

_BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("entry_id", sa.Text))
    conn = op.get_bind()
    table = sa.table(
        "articles",
        sa.column("id", sa.BigInteger),
        sa.column("source_id", sa.String),
        sa.column("guid", sa.Text),
        sa.column("link", sa.Text),
        sa.column("enclosures", sa.Text),
        sa.column("image", sa.Text),
        sa.column("language", sa.String),
        sa.column("entry_id", sa.Text),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            values = _fixes(row._mapping)
            if values:
                conn.execute(table.update().where(table.c.id == row.id).values(**values))
    op.create_index("ix_articles_guid", "articles", ["guid"])


def _fixes(row: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    guid = bounded_guid(row["guid"])
    if guid != row["guid"]:
        values["guid"] = guid
        if xml_safe(row["guid"]) == row["guid"]:  # publishable before: keep its id
            values["entry_id"] = default_entry_id(row["source_id"], row["guid"])
    if row["link"] is not None and link_url(row["link"]) is None:
        values["link"] = None
    if row["image"] is not None and media_url(row["image"]) is None:
        values["image"] = None
    if row["enclosures"]:
        kept = [
            [url, xml_safe(str(kind))[:100], length]
            for url, kind, length in json.loads(row["enclosures"])
            if media_url(url)
        ]
        if kept != json.loads(row["enclosures"]):
            values["enclosures"] = json.dumps(kept) if kept else None
    if xml_safe(row["language"]) != row["language"]:
        values["language"] = xml_safe(row["language"])
    return values


def downgrade() -> None:
    op.drop_index("ix_articles_guid", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("entry_id")
