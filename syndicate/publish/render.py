"""One entry point per rendering step, whatever the format: a whole document, one entry,
or a document assembled from entries rendered apart (archive pages, see ``archives.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.models import FeedFormat, StoredArticle
from syndicate.publish.document import FeedDocument, LeftOut
from syndicate.publish.feedgen_adapter import assemble_feed, render_entry, render_feed
from syndicate.publish.jsonfeed import assemble_json_feed, render_item, render_json_feed

__all__ = ["assemble", "render", "render_one"]


def render(doc: FeedDocument, left_out: list[LeftOut] | None = None) -> bytes:
    """The whole document; an entry that cannot be rendered is left out (``left_out``)."""
    if doc.format is FeedFormat.JSON:
        return render_json_feed(doc, left_out)
    return render_feed(doc, left_out)


def render_one(doc: FeedDocument, stored: StoredArticle) -> bytes:
    """One entry as it appears in ``doc``; raises what the renderer raises for bad data."""
    if doc.format is FeedFormat.JSON:
        return render_item(doc, stored)
    return render_entry(doc, stored)


def assemble(doc: FeedDocument, entries: Sequence[bytes]) -> bytes:
    """``doc`` around ``entries`` rendered by :func:`render_one` for the same document."""
    if doc.format is FeedFormat.JSON:
        return assemble_json_feed(doc, entries)
    return assemble_feed(doc, entries)
