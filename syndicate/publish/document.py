"""FeedDocument: everything one feed file says, whatever its format.

The publisher builds one per file; the renderers (``feedgen_adapter.py`` for Atom and RSS,
``jsonfeed.py`` for JSON Feed) turn it into bytes. Same document, same bytes.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from syndicate.htmltext import plain_text
from syndicate.models import FeedFormat, StoredArticle

__all__ = [
    "ENTRY_BYTES",
    "EPOCH",
    "EXCERPT",
    "FeedDocument",
    "LeftOut",
    "bounded",
    "render_entries",
    "shortened",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: an entry larger than this (bytes, in its format) is shortened: its summary cut to
#: :data:`EXCERPT` characters of text, its link leading to the rest; left out if even that
#: is larger. No document can then grow without bound, however long an article is.
ENTRY_BYTES = 256 * 1024
#: characters of text a shortened entry keeps
EXCERPT = 1000
#: characters of an article's text looked at to cut an excerpt
_EXCERPT_SOURCE = 50_000
log = logging.getLogger("syndicate.publish")


@dataclass(frozen=True)
class LeftOut:
    """An entry left out of one feed file because it could not be rendered. Sent by the
    renderers to the publisher's report."""

    #: the stored article's id
    article_id: int
    #: the feed file's URL
    feed: str
    #: what went wrong, as the renderer said it
    reason: str

    def __str__(self) -> str:
        return f"article {self.article_id} left out of {self.feed}: {self.reason}"


def render_entries(
    doc: FeedDocument,
    render: Callable[[StoredArticle], bytes],
    left_out: list[LeftOut] | None = None,
) -> list[bytes]:
    """Each entry of ``doc`` rendered by ``render``, in order. An entry that fails to
    render is left out (logged, and added to ``left_out``): one bad entry must never cost
    the whole feed, or every feed that holds it."""
    parts = []
    for stored in doc.entries:
        try:
            parts.append(render(stored))
        except Exception as exc:  # lxml, feedgen or an encoder refusing this entry's data
            note = LeftOut(stored.id, doc.self_url, f"{type(exc).__name__}: {exc}"[:300])
            log.warning("%s", note)
            if left_out is not None:
                left_out.append(note)
    return parts


def bounded(render: Callable[[StoredArticle], bytes], stored: StoredArticle) -> bytes:
    """``render(stored)``, or of its :func:`shortened` form when larger than
    :data:`ENTRY_BYTES`; ValueError when even that is larger."""
    data = render(stored)
    if len(data) > ENTRY_BYTES:
        data = render(shortened(stored))
        if len(data) > ENTRY_BYTES:
            raise ValueError(f"larger than {ENTRY_BYTES} bytes, even shortened")
    return data


def shortened(stored: StoredArticle) -> StoredArticle:
    """The article with its text cut to an excerpt of :data:`EXCERPT` characters, for a
    document that cannot carry it whole; its link leads to the rest."""
    article = stored.article
    source = (article.summary or article.content)[:_EXCERPT_SOURCE]
    excerpt = plain_text(source, EXCERPT)
    summary = f"<p>{html.escape(excerpt, quote=False)}</p>" if excerpt else ""
    return replace(stored, article=replace(article, summary=summary, content=summary))


@dataclass(frozen=True)
class FeedDocument:
    """Everything a feed file says, independent of its format. Sent by publisher to renderers."""

    format: FeedFormat
    #: feed id (a stable URL)
    id: str
    title: str
    subtitle: str
    #: BCP 47 language of the feed
    language: str
    #: the URL of this file
    self_url: str
    #: an HTML page for humans
    home_url: str
    #: (hreflang, url) of the same feed in the other languages
    alternates: tuple[tuple[str, str], ...]
    #: newest first
    entries: tuple[StoredArticle, ...]
    #: localized topic names for category labels: topic id -> name
    topic_names: dict[str, str] = field(default_factory=dict)
    #: a WebSub hub to advertise (rel="hub"), if one is configured
    hub: str | None = None
    #: RFC 5005 links: rel ("current", "prev-archive", "next-archive") -> URL
    archive_links: dict[str, str] = field(default_factory=dict)
    #: an RFC 5005 archive document (Atom gets <fh:archive/>)
    is_archive: bool = False
    #: when the entries are rendered apart (an archive page): their newest change, and
    #: whether any has an image; else both are read from ``entries``
    entries_changed: datetime | None = None
    entries_images: bool | None = None

    def metadata(self) -> tuple[object, ...]:
        """Everything but the entries that shapes the file, in a fixed order (hashable, and
        JSON-serializable as arrays)."""
        return (
            self.format.value,
            self.id,
            self.title,
            self.subtitle,
            self.language,
            self.self_url,
            self.home_url,
            self.alternates,
            tuple(sorted(self.topic_names.items())),
            self.hub,
            tuple(sorted(self.archive_links.items())),
        )

    @property
    def updated(self) -> datetime:
        """When the feed's content last changed: the newest change among its entries."""
        if self.entries_changed is not None:
            return self.entries_changed
        return max((e.last_changed for e in self.entries), default=EPOCH)

    @property
    def images(self) -> bool:
        """Whether an entry has a main image (the feed then declares Media RSS)."""
        if self.entries_images is not None:
            return self.entries_images
        return any(s.article.image for s in self.entries)
