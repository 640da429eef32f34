"""Render JSON Feed 1.1 documents (https://www.jsonfeed.org/version/1.1/).

The JSON counterpart of ``feedgen_adapter.py``: the same entry ids, links, content choice and
categories as the Atom feed, every date taken from the data (never "now"), entries in the
document's order and keys in a fixed order, so the same FeedDocument renders byte-identical
output (stable HTTP validators for partner sites).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from syndicate.htmltext import plain_text
from syndicate.models import Enclosure, StoredArticle
from syndicate.publish.document import FeedDocument, LeftOut, bounded, render_entries
from syndicate.publish.feedgen_adapter import GENERATOR, entry_id, entry_tags
from syndicate.publish.render_cache import FragmentCache

__all__ = ["VERSION", "assemble_json_feed", "render_item", "render_json_feed"]

VERSION = "https://jsonfeed.org/version/1.1"
#: an attachment's MIME type is required; this one when the source did not say
UNKNOWN_MIME = "application/octet-stream"
#: rendered items, by (feed language, topic names, stored article)
ITEMS = FragmentCache(8192)
_EMPTY_ITEMS = b'"items": []\n}'


def render_json_feed(doc: FeedDocument, left_out: list[LeftOut] | None = None) -> bytes:
    """The JSON Feed 1.1 document as UTF-8 bytes (two-space indent, trailing newline). An
    item that cannot be rendered is left out (``left_out``)."""
    # As json.dumps(indent=2) of the whole would write it, each item rendered once (ITEMS).
    names = tuple(sorted(doc.topic_names.items()))

    def item(stored: StoredArticle) -> bytes:
        make = partial(bounded, partial(render_item, doc), stored)  # too large: shortened
        if doc.is_archive:  # an archive is written once: caching would only evict
            return make()
        return ITEMS.get((doc.language, names, stored), make)

    return assemble_json_feed(doc, render_entries(doc, item, left_out) if doc.entries else [])


def assemble_json_feed(doc: FeedDocument, items: Sequence[bytes]) -> bytes:
    """The document: its own fields, then ``items`` (each from :func:`render_item`)."""
    feed: dict[str, Any] = {"version": VERSION, "title": doc.title}
    # Optional strings are left out when empty: "" is neither a URL nor a language tag.
    _put(feed, "home_page_url", doc.home_url)
    _put(feed, "feed_url", doc.self_url)
    _put(feed, "description", doc.subtitle)
    _put(feed, "language", doc.language)
    if doc.hub:
        feed["hubs"] = [{"type": "WebSub", "url": doc.hub}]
    # JSON Feed pages towards older items; RFC 5005's prev-archive is the older archive.
    _put(feed, "next_url", doc.archive_links.get("prev-archive"))
    if doc.is_archive:  # an archive document never changes again
        feed["expired"] = True
    feed["authors"] = [{"name": GENERATOR[0]}]
    feed["items"] = []
    head = json.dumps(feed, ensure_ascii=False, indent=2).encode("utf-8")
    if not items:
        return head + b"\n"
    if not head.endswith(_EMPTY_ITEMS):
        raise ValueError(f"unexpected end of a JSON feed head: {head[-40:]!r}")
    return head[: -len(_EMPTY_ITEMS)] + b'"items": [\n' + b",\n".join(items) + b"\n  ]\n}\n"


def render_item(doc: FeedDocument, stored: StoredArticle) -> bytes:
    """One item as its lines in the document (JSON strings hold no raw newline)."""
    text = json.dumps(_item(stored, doc), ensure_ascii=False, indent=2)
    return "\n".join("    " + line for line in text.split("\n")).encode("utf-8")


def _item(stored: StoredArticle, doc: FeedDocument) -> dict[str, Any]:
    article = stored.article
    item: dict[str, Any] = {"id": entry_id(stored)}
    # As in Atom: a translation links its original, anything else its own link.
    if stored.translated_from and stored.original_link:
        _put(item, "url", stored.original_link)
    else:
        _put(item, "url", article.link)
    item["title"] = article.title
    content = article.content or article.summary or html.escape(article.title)
    item["content_html"] = content
    if article.summary and article.summary != content:
        _put(item, "summary", plain_text(article.summary))
    _put(item, "image", article.image)
    item["date_published"] = _rfc3339(article.published or article.updated or stored.first_seen)
    item["date_modified"] = _rfc3339(article.updated or article.published or stored.first_seen)
    authors = [{"name": name} for name in article.authors if name]
    if authors:
        item["authors"] = authors
    tags = list(entry_tags(stored, doc.topic_names))
    if tags:
        item["tags"] = tags
    if stored.translated_from or article.language != doc.language:
        _put(item, "language", article.language)
    if article.enclosures:
        item["attachments"] = [_attachment(enclosure) for enclosure in article.enclosures]
    if stored.translated_from:
        extension: dict[str, str] = {"translated_from": stored.translated_from}
        _put(extension, "engine", stored.translator)
        item["_syndicate"] = extension
    return item


def _attachment(enclosure: Enclosure) -> dict[str, Any]:
    attachment: dict[str, Any] = {
        "url": enclosure.url,
        "mime_type": enclosure.type or UNKNOWN_MIME,
    }
    if enclosure.length > 0:
        attachment["size_in_bytes"] = enclosure.length
    return attachment


def _put(target: dict[str, Any], key: str, value: str | None) -> None:
    """Set ``key`` when ``value`` is a non-empty string."""
    if value:
        target[key] = value


def _rfc3339(when: datetime) -> str:
    """RFC 3339 with its offset, e.g. ``2026-11-20T09:00:00+00:00``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"a feed date needs a time zone: {when!r}")
    return when.isoformat()
