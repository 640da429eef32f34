"""The change log of what the feeds hold, shared by every node on one database.

Whatever changes the content of a feed (articles new or changed, a translation stored,
articles routed again) notes a change in the same transaction: a number from
``feed_generation`` (the row stays locked until commit, so numbers commit in order) and
the topics touched. A node remembers the last number its output directory reflects and
asks for what came after (:meth:`ChangeStore.feed_changes_since`): the changes of every
node, missed by none, whichever node stored them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from syndicate.models import FeedChanges
from syndicate.storage.common import StoreBase, errors
from syndicate.storage.protocols import ChangeStorage
from syndicate.storage.schema import feed_changes, feed_generation

__all__ = ["ChangeStore", "note_change"]

#: changes kept: a node further behind than this publishes every feed again
KEEP_CHANGES = 20_000
#: the log is trimmed each time its number crosses a multiple of this
_TRIM_EVERY = 500


def note_change(conn: sa.Connection, topics: Collection[str] | None, now: datetime) -> int:
    """Note, in the caller's transaction, that the feeds of ``topics`` (and ``all``) may have
    changed; None: any feed may have. Returns the change's number."""
    n = conn.execute(
        feed_generation.update()
        .where(feed_generation.c.id == 1)
        .values(n=feed_generation.c.n + 1)
        .returning(feed_generation.c.n)
    ).scalar_one_or_none()
    if n is None:  # a database whose counter row was lost: start it again
        conn.execute(feed_generation.insert().values(id=1, n=1))
        n = 1
    listed = None if topics is None else json.dumps(sorted(topics))
    conn.execute(feed_changes.insert().values(n=n, topics=listed, at=now))
    if n % _TRIM_EVERY == 0:
        conn.execute(feed_changes.delete().where(feed_changes.c.n <= n - KEEP_CHANGES))
    return int(n)


class ChangeStore(StoreBase, ChangeStorage):
    """The change log: see :class:`syndicate.storage.ChangeStorage` for the contracts."""

    def note_feed_change(self, topics: Collection[str] | None, now: datetime) -> int:
        with errors("note a change"), self._write() as conn:
            return note_change(conn, topics, now)

    def feed_changes_since(self, after: int | None) -> FeedChanges:
        with errors("read changes"), self.engine.connect() as conn:
            latest = conn.execute(
                sa.select(feed_generation.c.n).where(feed_generation.c.id == 1)
            ).scalar_one_or_none()
            latest = int(latest or 0)
            if after == latest:
                return FeedChanges(latest, frozenset())
            if after is None or after > latest:  # a node that knows none, or another database
                return FeedChanges(latest, None)
            rows = conn.execute(
                sa.select(feed_changes.c.topics).where(
                    (feed_changes.c.n > after) & (feed_changes.c.n <= latest)
                )
            ).all()
        if len(rows) != latest - after:  # trimmed meanwhile
            return FeedChanges(latest, None)
        topics: set[str] = set()
        for (listed,) in rows:
            if listed is None:
                return FeedChanges(latest, None)
            topics.update(json.loads(listed))
        return FeedChanges(latest, frozenset(topics))
