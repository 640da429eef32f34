"""RFC 5005 archives of past months, in pages of bounded size, each written once.

A feed's month becomes pages 1, 2, …: page 1 holds the month's oldest entries and keeps the
URL a month's single document always had (``it/archive/energy/2026-10.atom``), page 2 is
``…/2026-10-p2.atom`` (``paths.archive_relpath``). A page holds at most
``publish.archive_page_entries`` entries and at most :data:`PAGE_BYTES` bytes, newest first.
Its links: ``current`` (the subscription document), ``prev-archive`` (the page before, or the
previous month's last page) and ``next-archive`` (the page after, or the next month's first
page, whose URL is known in advance). The three formats of a feed share their page breaks.

A language's month streams from the database once, oldest first, for all the language's
feeds; memory holds one open page per feed and format, and the page files waiting to be
put in place (at most ``_BATCH_FILES``). Before a page's files are written, the span of
articles it holds is recorded (``feed_archive_pages``): a crash after that leaves a recorded
page without its files, written from the same span next time, while a page whose files
exist is never written again. Entries too large are shortened (``document.bounded``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from syndicate.config import MAX_ARCHIVE_PAGE_ENTRIES, Config
from syndicate.errors import PublishError
from syndicate.i18n import archive_title
from syndicate.models import ArchivePage, FeedFormat, FeedKey, FeedSpec, StoredArticle
from syndicate.publish.atomic import AtomicWriter
from syndicate.publish.document import ENTRY_BYTES, EPOCH, FeedDocument, LeftOut, shortened
from syndicate.publish.entries import FeedEntries, month_span, next_month
from syndicate.publish.feeds import feed_document
from syndicate.publish.paths import archive_relpath, feed_url
from syndicate.publish.render import assemble, render_one
from syndicate.storage import Storage

__all__ = ["PAGE_BYTES", "ArchiveWriter"]

#: no archive page is larger than this (bytes, in any format)
PAGE_BYTES = 2 * 1024 * 1024
#: what a page's own elements (title, links, dates) may take besides its entries
_HEAD_ROOM = 32 * 1024
#: rendered bytes waiting to be written at most, while rendering goes on
_PENDING_BYTES = 64 * 1024 * 1024
#: files put in place at once: a month's batch holds at most this many pending writes
_BATCH_FILES = 600
#: tries to write a month whose pages another writer records at the same time
_TRIES = 3
log = logging.getLogger("syndicate.publish")


@dataclass
class _Page:
    """A page being filled: its entries rendered in each format, newest last."""

    number: int
    formats: tuple[FeedFormat, ...]
    parts: dict[FeedFormat, list[bytes]] = field(default_factory=dict)
    sizes: dict[FeedFormat, int] = field(default_factory=dict)
    entries: int = 0
    last: tuple[datetime, int] | None = None
    changed: datetime = EPOCH
    images: bool = False

    def __post_init__(self) -> None:
        self.parts = {f: [] for f in self.formats}
        self.sizes = dict.fromkeys(self.formats, 0)

    def fits(self, rendered: dict[FeedFormat, bytes], most: int) -> bool:
        return self.entries < most and all(
            self.sizes[f] + len(data) + 2 <= PAGE_BYTES - _HEAD_ROOM for f, data in rendered.items()
        )

    def add(self, stored: StoredArticle, rendered: dict[FeedFormat, bytes]) -> None:
        """Add an entry (``rendered`` is empty when it was left out: it still counts, so
        that the page's span is the same when it is written again)."""
        for fmt, data in rendered.items():
            self.parts[fmt].append(data)
            self.sizes[fmt] += len(data) + 2
        self.entries += 1
        self.last = (stored.sort_date, stored.id)
        if rendered:
            self.changed = max(self.changed, stored.last_changed)
            self.images = self.images or bool(stored.article.image)


class _Conflict(PublishError):
    """Another writer recorded the page first, with another span."""


@dataclass
class _Chain:
    """One feed's archive of the month being written: its formats' specs and progress."""

    specs: list[FeedSpec]
    #: each format's URL of the previous month's last page
    prev_links: dict[FeedFormat, str]
    written: list[str] = field(default_factory=list)
    #: formats with a page that could not be rendered: their month stays unmarked
    broken: set[FeedFormat] = field(default_factory=set)
    digests: dict[FeedFormat, Any] = field(default_factory=dict)
    #: the newest entry of the pages before ``page``
    after: tuple[datetime, int] | None = None
    #: the number of the last page recorded, and whether a later one follows
    number: int = 0
    more: bool = True
    page: _Page | None = None

    @property
    def topic(self) -> str:
        return self.specs[0].topic

    @property
    def formats(self) -> tuple[FeedFormat, ...]:
        return tuple(spec.format for spec in self.specs)


def _chains(
    feeds: dict[str, list[FeedSpec]], prev_links: dict[str, dict[FeedFormat, str]]
) -> dict[str, _Chain]:
    """A fresh page chain per topic of a month, each starting from its previous month's link."""
    return {
        topic: _Chain(
            specs,
            prev_links.get(topic, {}),
            digests={spec.format: hashlib.sha256() for spec in specs},
        )
        for topic, specs in feeds.items()
    }


class ArchiveWriter:
    """Writes the missing archive months of feeds, page by page.

    A language's month is read once for all its feeds (``all`` and each topic): each
    article is rendered once per format and added to the open page of every feed that
    shows it. Memory holds one open page per feed and format, each at most
    :data:`PAGE_BYTES`."""

    def __init__(
        self,
        config: Config,
        storage: Storage,
        entries: FeedEntries,
        now: datetime,
        left_out: list[LeftOut],
        failed: list[tuple[str, str]],
    ) -> None:
        self.config = config
        self.storage = storage
        self.entries = entries
        self.now = now
        self.left_out = left_out
        self.failed = failed
        #: the archive months written and marked written, (lang, topic, format, month)
        self.saved: list[tuple[str, str, str, str]] = []
        self._private = set(config.private_topics)

    def write_month(
        self,
        lang: str,
        month: str,
        feeds: dict[str, list[FeedSpec]],
        prev_links: dict[str, dict[FeedFormat, str]],
    ) -> dict[str, tuple[int, list[str]]]:
        """Write the pages of ``month`` of the feeds of ``lang`` in ``feeds`` (topic ->
        the specs whose archive of the month is missing); ``prev_links``: per topic, each
        format's URL of the previous month's last page. Each format's month is marked
        written (with its number of pages) unless one of its pages could not be rendered.
        Returns, per topic, the pages and the paths written."""
        for _ in range(_TRIES):
            try:
                return self._month(lang, month, _chains(feeds, prev_links))
            except _Conflict:
                log.info(
                    "archive %s of %s: pages recorded meanwhile, written as recorded", month, lang
                )
        return self._month(lang, month, _chains(feeds, prev_links))

    def _month(
        self, lang: str, month: str, chains: dict[str, _Chain]
    ) -> dict[str, tuple[int, list[str]]]:
        formats = tuple(dict.fromkeys(f for chain in chains.values() for f in chain.formats))
        docs = {f: self._entry_document(lang, f, month) for f in formats}
        with AtomicWriter(max_pending_bytes=_PENDING_BYTES) as writer:
            for chain in chains.values():
                self._resume(writer, lang, month, chain, docs)
            going = [chain for chain in chains.values() if chain.more]
            for chain in going:
                chain.page = _Page(chain.number + 1, chain.formats)
            if going:
                starts = [chain.after for chain in going]
                start = None if None in starts else min(s for s in starts if s is not None)
                for stored in self.entries.month(lang, None, month, after=start):
                    position = (stored.sort_date, stored.id)
                    targets = [
                        chain
                        for chain in going
                        if self._shows(chain.topic, stored)
                        and (chain.after is None or position > chain.after)
                    ]
                    if not targets:
                        continue
                    needed = tuple(dict.fromkeys(f for c in targets for f in c.formats))
                    rendered = self._rendered([docs[f] for f in needed], stored)
                    for chain in targets:
                        page = chain.page
                        assert page is not None
                        mine = {f: rendered[f] for f in chain.formats if f in rendered}
                        if not page.fits(mine, self.config.publish.archive_page_entries):
                            self._close(writer, lang, month, chain, more=True)
                            page = chain.page = _Page(page.number + 1, chain.formats)
                        page.add(stored, mine)
                for chain in going:
                    self._close(writer, lang, month, chain, more=False)
        for chain in chains.values():
            for spec in chain.specs:
                if spec.format not in chain.broken:
                    key = (*spec.key, month)
                    digest = chain.digests[spec.format].hexdigest()
                    self.storage.save_archive(key, digest, self.now, pages=chain.number)
                    self.saved.append(key)
        return {topic: (chain.number, chain.written) for topic, chain in chains.items()}

    def _shows(self, topic: str, stored: StoredArticle) -> bool:
        """Whether the feed of ``topic`` shows the article: a private topic's articles are
        in its own feeds only, not in ``all`` or public topics."""
        if topic in self._private:
            return topic in stored.topics
        if self._private.intersection(stored.topics):
            return False
        return topic == "all" or topic in stored.topics

    def _resume(
        self,
        writer: AtomicWriter,
        lang: str,
        month: str,
        chain: _Chain,
        docs: dict[FeedFormat, FeedDocument],
    ) -> None:
        """Go through the pages already recorded for the feed's month: those whose files
        are missing (a crash came between) are written from their recorded span, whole
        (articles may have arrived in it since) as long as it fits in :data:`PAGE_BYTES`."""
        for recorded in self.storage.archive_pages(lang, chain.topic, month):
            chain.number, chain.more = recorded.page, recorded.more
            missing = [s for s in chain.specs if not self._exists(s, month, recorded.page)]
            if missing:
                stream: Iterable[StoredArticle] = (
                    self.entries.month(
                        lang, chain.topic, month, after=chain.after, upto=recorded.last
                    )
                    if recorded.last
                    else ()
                )
                page = _Page(recorded.page, tuple(s.format for s in missing))
                for stored in stream:
                    rendered = self._rendered([docs[s.format] for s in missing], stored)
                    if not page.fits(rendered, MAX_ARCHIVE_PAGE_ENTRIES):
                        log.warning(
                            "archive %s of %s/%s page %d: more entries in its span "
                            "than a page holds now, the rest left out",
                            month,
                            lang,
                            chain.topic,
                            recorded.page,
                        )
                        break
                    page.add(stored, rendered)
                self._write(writer, month, chain, missing, page, recorded.more)
            for spec in chain.specs:
                if spec not in missing:
                    path = self.config.output_dir / archive_relpath(spec.key, month, recorded.page)
                    chain.digests[spec.format].update(hashlib.sha256(path.read_bytes()).digest())
            chain.after = recorded.last or chain.after
            if not chain.more:
                break

    def _close(
        self, writer: AtomicWriter, lang: str, month: str, chain: _Chain, *, more: bool
    ) -> None:
        """Record the chain's open page (full, or the month's last), then write its files."""
        page = chain.page
        assert page is not None
        ours = ArchivePage(lang, chain.topic, month, page.number, page.entries, page.last, more)
        if self.storage.record_archive_page(ours, self.now) != ours:
            raise _Conflict
        chain.number, chain.more = page.number, more
        chain.after = page.last or chain.after
        self._write(writer, month, chain, chain.specs, page, more)

    def _write(
        self,
        writer: AtomicWriter,
        month: str,
        chain: _Chain,
        specs: Sequence[FeedSpec],
        page: _Page,
        more: bool,
    ) -> None:
        """Hand the page's files to ``writer``; a format that cannot be rendered is
        reported and its month left unmarked (tried again next time)."""
        for spec in specs:
            relpath = archive_relpath(spec.key, month, page.number)
            doc = self._document(spec, month, page, more, chain.prev_links)
            try:
                data = assemble(doc, page.parts[spec.format][::-1])  # newest first
            except Exception as exc:  # a bug or bad data must not stop the other pages
                log.exception("archive page %s not written: it could not be rendered", relpath)
                self.failed.append((relpath, f"{type(exc).__name__}: {exc}"[:300]))
                chain.broken.add(spec.format)
                continue
            chain.digests[spec.format].update(hashlib.sha256(data).digest())
            writer.add(self.config.output_dir / relpath, data, gzip_twin=True, modified=doc.updated)
            chain.written.append(relpath)
        if writer.pending >= _BATCH_FILES:  # recorded pages: putting them in place is safe
            writer.commit()

    def _document(
        self,
        spec: FeedSpec,
        month: str,
        page: _Page,
        more: bool,
        prev_links: dict[FeedFormat, str],
    ) -> FeedDocument:
        links = {"current": feed_url(self.config.service.base_url, spec.relpath)}
        if page.number > 1:
            links["prev-archive"] = self._url(spec.key, month, page.number - 1)
        elif spec.format in prev_links:
            links["prev-archive"] = prev_links[spec.format]
        if more:
            links["next-archive"] = self._url(spec.key, month, page.number + 1)
        else:
            following = next_month(month_span(month)[0].date())
            links["next-archive"] = self._url(spec.key, f"{following:%Y-%m}", 1)
        title = archive_title(spec.lang, spec.title, month_span(month)[0].date())
        doc = feed_document(
            self.config,
            replace(spec, title=title),
            (),
            links,
            relpath=archive_relpath(spec.key, month, page.number),
            is_archive=True,
        )
        return replace(doc, entries_changed=page.changed, entries_images=page.images)

    def _rendered(
        self, docs: Sequence[FeedDocument], stored: StoredArticle
    ) -> dict[FeedFormat, bytes]:
        """The entry in each of ``docs``' formats, shortened when too large; those that
        cannot be rendered (or are too large even shortened) are left out and reported."""
        rendered = self._render(docs, stored)
        if any(len(data) > ENTRY_BYTES for data in rendered.values()):
            rendered = self._render(docs, shortened(stored))
            for doc in docs:
                if len(rendered.get(doc.format, b"")) > ENTRY_BYTES:
                    self._leave_out(doc, stored, f"larger than {ENTRY_BYTES} bytes, even shortened")
                    del rendered[doc.format]
        return rendered

    def _render(
        self, docs: Sequence[FeedDocument], stored: StoredArticle
    ) -> dict[FeedFormat, bytes]:
        out = {}
        for doc in docs:
            try:
                out[doc.format] = render_one(doc, stored)
            except Exception as exc:  # lxml, feedgen or an encoder refusing this entry's data
                self._leave_out(doc, stored, f"{type(exc).__name__}: {exc}"[:300])
        return out

    def _leave_out(self, doc: FeedDocument, stored: StoredArticle, reason: str) -> None:
        note = LeftOut(stored.id, doc.self_url, reason)
        log.warning("%s", note)
        self.left_out.append(note)

    def _entry_document(self, lang: str, fmt: FeedFormat, month: str) -> FeedDocument:
        """What rendering an entry reads of its document (format, language, topic names:
        the same in every feed of the language)."""
        spec = FeedSpec(lang, "all", fmt, "", "")
        relpath = archive_relpath(spec.key, month)
        return feed_document(self.config, spec, (), {}, relpath=relpath, is_archive=True)

    def _exists(self, spec: FeedSpec, month: str, page: int) -> bool:
        return (self.config.output_dir / archive_relpath(spec.key, month, page)).exists()

    def _url(self, key: FeedKey, month: str, page: int) -> str:
        return feed_url(self.config.service.base_url, archive_relpath(key, month, page))
