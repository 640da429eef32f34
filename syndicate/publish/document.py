"""FeedDocument: everything one feed file says, whatever its format.

The publisher builds one per file; the renderers (``feedgen_adapter.py`` for Atom and RSS,
``jsonfeed.py`` for JSON Feed) turn it into bytes. Same document, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from syndicate.models import FeedFormat, StoredArticle

__all__ = ["EPOCH", "FeedDocument"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
        return max((e.last_changed for e in self.entries), default=EPOCH)
