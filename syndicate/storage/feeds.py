"""Storage for publishing: what each feed was last written with, RFC 5005 archive documents
and their pages, WebSub pings to send."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from syndicate.models import ArchivePage
from syndicate.storage.common import StoreBase, as_utc, errors, insert
from syndicate.storage.protocols import FeedStorage
from syndicate.storage.schema import feed_archive_pages, feed_archives, feed_state, hub_pings

__all__ = ["FeedStore"]

#: (lang, topic, format, "YYYY-MM")
ArchiveKey = tuple[str, str, str, str]

#: the columns that name a feed (the key of ``feed_state``), and a month's archive of it
#: (the key of ``feed_archives``)
_FEED_KEY = ("lang", "topic", "format")
_ARCHIVE_KEY = (*_FEED_KEY, "month")


class FeedStore(StoreBase, FeedStorage):
    """Feed state, archives and hub pings: see :class:`syndicate.storage.FeedStorage` for the
    contracts."""

    def feed_hashes(self) -> dict[tuple[str, str, str], str]:
        with errors("read feed state"), self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    feed_state.c.lang,
                    feed_state.c.topic,
                    feed_state.c.format,
                    feed_state.c.content_hash,
                )
            )
            return {(r.lang, r.topic, r.format): r.content_hash for r in rows}

    def first_published(
        self, key: tuple[str, str, str], content_hash: str, now: datetime
    ) -> datetime:
        lang, topic, fmt = key
        c = feed_state.c
        with errors("save feed state"), self._write() as conn:
            statement = insert(conn, feed_state).values(
                lang=lang, topic=topic, format=fmt, content_hash=content_hash, updated=now
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=_FEED_KEY,
                    set_={"content_hash": content_hash, "updated": now},
                    where=c.content_hash != content_hash,
                )
            )
            return as_utc(
                conn.execute(
                    sa.select(c.updated).where(
                        (c.lang == lang) & (c.topic == topic) & (c.format == fmt)
                    )
                ).scalar_one()
            )

    def save_feed_hash(self, key: tuple[str, str, str], content_hash: str, now: datetime) -> None:
        self.save_feed_hashes([(key, content_hash)], now)

    def save_feed_hashes(
        self, items: Sequence[tuple[tuple[str, str, str], str]], now: datetime
    ) -> None:
        if not items:
            return
        rows = [
            {**dict(zip(_FEED_KEY, key, strict=True)), "content_hash": digest, "updated": now}
            for key, digest in items
        ]
        with errors("save feed state"), self._write() as conn:
            statement = insert(conn, feed_state)
            upsert = statement.on_conflict_do_update(
                index_elements=_FEED_KEY,
                set_={
                    "content_hash": statement.excluded.content_hash,
                    "updated": statement.excluded.updated,
                },
            )
            # executemany: one statement whatever the number of rows, compiled once per
            # process (a VALUES list of N rows is compiled again for each publish)
            conn.execute(upsert, rows)

    def missing_archives(
        self, feeds: Sequence[tuple[str, str, str]], months: Sequence[str]
    ) -> set[ArchiveKey]:
        if not feeds or not months:
            return set()
        # One grouped count answers for every complete feed; only incomplete ones have their
        # months read.
        c = feed_archives.c
        window = (c.month >= min(months)) & (c.month <= max(months))
        wanted = set(months)
        missing: set[ArchiveKey] = set()
        with errors("read archives"), self.engine.connect() as conn:
            counts = {
                (r.lang, r.topic, r.format): int(r.n)
                for r in conn.execute(
                    sa.select(c.lang, c.topic, c.format, sa.func.count().label("n"))
                    .where(window)
                    .group_by(c.lang, c.topic, c.format)
                )
            }
            for lang, topic, fmt in feeds:
                if counts.get((lang, topic, fmt), 0) >= len(wanted):
                    continue
                done = set(
                    conn.scalars(
                        sa.select(c.month).where(
                            window & (c.lang == lang) & (c.topic == topic) & (c.format == fmt)
                        )
                    )
                )
                missing.update((lang, topic, fmt, month) for month in wanted - done)
        return missing

    def save_archive(
        self, key: ArchiveKey, content_hash: str, now: datetime, pages: int = 1
    ) -> None:
        named = dict(zip(_ARCHIVE_KEY, key, strict=True))
        values = {**named, "content_hash": content_hash, "written_at": now, "pages": pages}
        with errors("save archive"), self._write() as conn:
            conn.execute(
                insert(conn, feed_archives)
                .values(values)
                .on_conflict_do_update(
                    index_elements=_ARCHIVE_KEY,
                    # a month written again (``publish --force`` after its files were lost)
                    set_={"content_hash": content_hash, "pages": pages},
                )
            )

    def archive_page_counts(self, months: Sequence[str]) -> dict[ArchiveKey, int]:
        if not months:
            return {}
        c = feed_archives.c
        query = sa.select(c.lang, c.topic, c.format, c.month, c.pages).where(
            c.month.in_(list(months))
        )
        with errors("read archives"), self.engine.connect() as conn:
            return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in conn.execute(query)}

    def archive_pages(self, lang: str, topic: str, month: str) -> list[ArchivePage]:
        return self._pages(lang, topic, month)

    def record_archive_page(self, page: ArchivePage, now: datetime) -> ArchivePage:
        values = {
            "lang": page.lang,
            "topic": page.topic,
            "month": page.month,
            "page": page.page,
            "entries": page.entries,
            "last_sort_date": page.last[0] if page.last else None,
            "last_id": page.last[1] if page.last else None,
            "more": page.more,
            "written_at": now,
        }
        with errors("save archive"), self._write() as conn:
            conn.execute(
                insert(conn, feed_archive_pages)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["lang", "topic", "month", "page"])
            )
        recorded = self._pages(page.lang, page.topic, page.month, page.page)
        return recorded[0] if recorded else page

    def _pages(
        self, lang: str, topic: str, month: str, page: int | None = None
    ) -> list[ArchivePage]:
        c = feed_archive_pages.c
        where = (c.lang == lang) & (c.topic == topic) & (c.month == month)
        if page is not None:
            where &= c.page == page
        query = sa.select(feed_archive_pages).where(where).order_by(c.page)
        with errors("read archives"), self.engine.connect() as conn:
            return [
                ArchivePage(
                    r.lang,
                    r.topic,
                    r.month,
                    int(r.page),
                    int(r.entries),
                    None
                    if r.last_sort_date is None
                    else (as_utc(r.last_sort_date), int(r.last_id)),
                    bool(r.more),
                )
                for r in conn.execute(query)
            ]

    def queue_pings(self, hub: str, feed_urls: Iterable[str], now: datetime) -> None:
        with errors("queue pings"), self._write() as conn:
            for url in feed_urls:
                statement = insert(conn, hub_pings).values(
                    feed_url=url, hub=hub, attempts=0, next_attempt_at=now, created_at=now
                )
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["feed_url"],
                        set_={"hub": hub, "next_attempt_at": now, "attempts": 0},
                    )
                )

    def due_pings(self, now: datetime, limit: int = 100) -> list[tuple[str, str, int]]:
        c = hub_pings.c
        query = (
            sa.select(c.feed_url, c.hub, c.attempts)
            .where(c.next_attempt_at <= now)
            .order_by(c.next_attempt_at, c.feed_url)
            .limit(limit)
        )
        with errors("read pings"), self.engine.connect() as conn:
            return [(r.feed_url, r.hub, int(r.attempts)) for r in conn.execute(query)]

    def ping_sent(self, feed_url: str, queued_before: datetime) -> None:
        c = hub_pings.c
        with errors("record ping"), self._write() as conn:
            conn.execute(
                hub_pings.delete().where(
                    (c.feed_url == feed_url) & (c.next_attempt_at <= queued_before)
                )
            )

    def ping_failed(self, feed_url: str, error: str, next_attempt_at: datetime) -> None:
        c = hub_pings.c
        with errors("record ping"), self._write() as conn:
            conn.execute(
                hub_pings.update()
                .where(c.feed_url == feed_url)
                .values(attempts=c.attempts + 1, last_error=error, next_attempt_at=next_attempt_at)
            )

    def pending_pings(self) -> list[tuple[str, str, int, str | None]]:
        c = hub_pings.c
        query = sa.select(c.feed_url, c.hub, c.attempts, c.last_error).order_by(c.feed_url)
        with errors("read pings"), self.engine.connect() as conn:
            return [(r[0], r[1], int(r[2]), r[3]) for r in conn.execute(query)]
