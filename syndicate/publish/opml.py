"""Render OPML 2.0 subscription lists (http://opml.org/spec2.opml) of the published feeds.

The publisher writes ``feeds/index.opml`` (every feed, one group per language) and
``feeds/{lang}/index.opml`` (one group); this module only turns plain data into bytes.

Shape of every document, whatever the number of groups::

    <?xml version="1.0" encoding="UTF-8"?>
    <opml version="2.0">
      <head>
        <title>...</title>
        <dateModified>Wed, 25 Nov 2026 09:00:00 GMT</dateModified>   (only if given)
        <ownerName>syndicate</ownerName>                            (omitted if empty)
        <docs>http://opml.org/spec2.opml</docs>                     (omitted if empty)
      </head>
      <body>
        <outline text="Italiano" title="Italiano">
          <outline type="rss" text="Energia (Atom)" title="Energia" xmlUrl="..."
                   htmlUrl="..." language="it" description="..." />
          ...
        </outline>
      </body>
    </opml>

Choices:

* Every subscription is ``type="rss"``, as the spec's subscription lists require, whatever the
  feed's format (Atom, RSS or JSON Feed); readers detect the format when they fetch it.
* ``title`` is the feed's own title, unchanged. ``text`` (what readers display) is the same
  title, except that when two or more feeds of one group have the same title (compared
  case-insensitively, whitespace collapsed) each of those gets its format appended:
  "Energia (Atom)", "Energia (RSS)", "Energia (JSON Feed)". Feeds with a unique title keep it
  bare. Groups are folders in readers, so equal titles in different groups are left alone.
* Groups are always nested, even when there is only one, so both kinds of file have one shape.
  A group without feeds is still written (an empty folder); a document without groups is
  refused, because OPML requires at least one outline in ``<body>``.
* Characters XML 1.0 cannot represent (C0 controls other than tab/newline/carriage return,
  lone surrogates, U+FFFE/U+FFFF) are removed; everything else is kept as UTF-8, never as
  numeric character references. ElementTree escapes ``&``, ``<``, ``>``, ``"`` and, in
  attributes, newline, carriage return and tab.
* Output is deterministic: attribute order is fixed, nothing depends on the clock, and
  ``dateModified`` appears only when the caller passes a date (the publisher passes the newest
  change among the listed feeds). The text is indented by two spaces and ends with a newline.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from syndicate.safe import xml_safe

__all__ = ["FORMAT_LABELS", "OpmlFeed", "OpmlGroup", "render_opml"]

#: how each feed format is named when a title needs disambiguating
FORMAT_LABELS: dict[str, str] = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}

_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class OpmlFeed:
    """One subscription: a published feed file."""

    #: localized feed title, e.g. "Energia"
    title: str
    #: the feed file's URL
    xml_url: str
    #: a page for humans
    html_url: str
    #: BCP 47 language of the feed
    language: str
    #: "atom" | "rss" | "json" (a ``FeedFormat`` works too: it is a ``str``)
    format: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.format not in FORMAT_LABELS:
            known = ", ".join(sorted(FORMAT_LABELS))
            raise ValueError(f"unknown feed format {self.format!r} (expected one of {known})")


@dataclass(frozen=True)
class OpmlGroup:
    """A folder of subscriptions, e.g. one language: title "Italiano", "English", "日本語"."""

    title: str
    feeds: tuple[OpmlFeed, ...]


def render_opml(
    title: str,
    groups: Sequence[OpmlGroup],
    *,
    owner: str = "syndicate",
    date_modified: datetime | None = None,
    docs: str = "http://opml.org/spec2.opml",
) -> bytes:
    """Return an OPML 2.0 document listing ``groups`` of feeds, as UTF-8 bytes.

    ``date_modified`` must be timezone-aware; it is written in RFC 822 form, in GMT.
    Raises ``ValueError`` for an empty ``groups`` or a naive ``date_modified``.
    """
    if not groups:
        raise ValueError("an OPML document needs at least one group (<body> cannot be empty)")

    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _clean(title)
    if date_modified is not None:
        ET.SubElement(head, "dateModified").text = _rfc822(date_modified)
    if owner:
        ET.SubElement(head, "ownerName").text = _clean(owner)
    if docs:
        ET.SubElement(head, "docs").text = _clean(docs)

    body = ET.SubElement(root, "body")
    for group in groups:
        group_title = _clean(group.title)
        folder = ET.SubElement(body, "outline", text=group_title, title=group_title)
        for feed, text in zip(group.feeds, _display_texts(group.feeds), strict=True):
            _add_feed(folder, feed, text)

    ET.indent(root, space="  ")
    return (_XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _rfc822(moment: datetime) -> str:
    """``moment`` as an RFC 822 date in GMT, e.g. "Wed, 25 Nov 2026 09:00:00 GMT"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"date_modified must be timezone-aware, got {moment!r}")
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _add_feed(folder: ET.Element, feed: OpmlFeed, text: str) -> None:
    # Insertion order is serialization order: keep it fixed.
    attrs: dict[str, str] = {
        "type": "rss",
        "text": text,
        "title": _clean(feed.title),
        "xmlUrl": _clean(feed.xml_url),
        "htmlUrl": _clean(feed.html_url),
        "language": _clean(feed.language),
    }
    if feed.description:
        attrs["description"] = _clean(feed.description)
    ET.SubElement(folder, "outline", attrs)


def _display_texts(feeds: Sequence[OpmlFeed]) -> list[str]:
    """The ``text`` of each feed: its title, plus its format where the title repeats."""
    counts = Counter(_title_key(feed.title) for feed in feeds)
    texts: list[str] = []
    for feed in feeds:
        text = _clean(feed.title)
        if counts[_title_key(feed.title)] > 1:
            text = f"{text} ({FORMAT_LABELS[feed.format]})"
        texts.append(text)
    return texts


def _title_key(title: str) -> str:
    return " ".join(_clean(title).split()).casefold()


def _clean(value: str) -> str:
    """``value`` without the characters an XML 1.0 document cannot contain."""
    return xml_safe(value)
