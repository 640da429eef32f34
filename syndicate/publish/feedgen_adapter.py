"""Render Atom 1.0 and RSS 2.0 documents. The only module that imports feedgen.

feedgen fills dates with "now" and prepends entries unless told otherwise; here every date
comes from the data and entries keep our order, so the same input renders byte-identical
output (stable HTTP validators for partner sites).

What feedgen 1.0 cannot write is added by two small feedgen extensions defined here: the
feed's RFC 5005 and WebSub links and ``<fh:archive/>``, the RSS ``atom:link`` alternates,
and on Atom entries ``xml:lang`` and the ``rel``/``type``/``hreflang``/``length`` of entry
links (feedgen keeps only ``href`` there).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.dc import DcEntryExtension
from feedgen.ext.media import MediaEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import formatRFC2822
from lxml import etree

from syndicate.models import FeedFormat, StoredArticle
from syndicate.publish.document import FeedDocument, LeftOut, bounded, render_entries
from syndicate.publish.render_cache import FragmentCache
from syndicate.safe import default_entry_id

__all__ = ["assemble_feed", "entry_id", "entry_tags", "render_entry", "render_feed"]

GENERATOR = ("syndicate", "0.1", "https://example.org/syndicate")
ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: the order RFC 5005 links are written in
ARCHIVE_RELS = ("current", "prev-archive", "next-archive")
#: rendered entries, by (format, feed language, topic names, stored article)
ENTRIES = FragmentCache(8192)
#: rendered feed heads with a stand-in date, by everything else that shapes them
HEADS = FragmentCache(1024)
#: the date heads are rendered with for HEADS, replaced by the real one (as text)
_STAND_IN = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)
#: every prefix an entry may use (feedgen's extension names), declared by the feed's root
_NAMESPACES = {
    "atom": ATOM_NS,
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
_NS_DECLARATION = re.compile(rb' xmlns:[A-Za-z0-9_.-]+="[^"]*"')
_ATOM_CLOSE = b"</feed>\n"
_RSS_CLOSE = b"  </channel>\n</rss>\n"


def render_feed(doc: FeedDocument, left_out: list[LeftOut] | None = None) -> bytes:
    """The Atom or RSS document as UTF-8 bytes.

    feedgen renders the feed's own elements with no entries, and each entry on its own (kept
    in ``ENTRIES``, so an entry already rendered for this format and language is not rendered
    again; one too large is shortened, ``document.bounded``); the entries go in before the
    closing tag, indented as a pretty-printed whole document would have them. An entry that
    cannot be rendered is left out (``left_out``).
    """
    names = tuple(sorted(doc.topic_names.items()))

    def entry(stored: StoredArticle) -> bytes:
        make = partial(bounded, partial(render_entry, doc), stored)
        if doc.is_archive:  # written once and never again: caching would only evict
            return make()
        return ENTRIES.get((doc.format, doc.language, names, stored), make)

    return assemble_feed(doc, render_entries(doc, entry, left_out))


def assemble_feed(doc: FeedDocument, entries: Sequence[bytes]) -> bytes:
    """The document: its head, then ``entries`` (each from :func:`render_entry` for this
    document's format and language), then its closing tag."""
    atom = doc.format is FeedFormat.ATOM
    head = _head(doc)
    closing = _ATOM_CLOSE if atom else _RSS_CLOSE
    if not head.endswith(closing):  # feedgen's layout is what the splice relies on
        raise ValueError(f"unexpected end of a rendered {doc.format.value} feed: {head[-40:]!r}")
    return b"".join([head[: -len(closing)], *entries, closing])


def _head(doc: FeedDocument) -> bytes:
    """:func:`_render_head`, from a template kept per feed (``HEADS``): a feed's head
    changes only in its date from one publish to the next. The template is rendered with
    a stand-in date whose text is then replaced by the real one's, as feedgen writes it."""
    if doc.is_archive:
        return _render_head(doc, doc.updated)
    key = (doc.metadata(), doc.images)
    template = HEADS.get(key, partial(_render_head, doc, _STAND_IN))
    atom = doc.format is FeedFormat.ATOM
    stand_in, real = (
        (_STAND_IN.isoformat(), doc.updated.isoformat())
        if atom
        else (formatRFC2822(_STAND_IN), formatRFC2822(doc.updated))
    )
    if template.count(stand_in.encode()) != 1:  # the text is also elsewhere: no shortcut
        return _render_head(doc, doc.updated)
    return template.replace(stand_in.encode(), real.encode())


def _render_head(doc: FeedDocument, updated: datetime) -> bytes:
    """The feed with its metadata and links but no entries, last updated ``updated``."""
    atom = doc.format is FeedFormat.ATOM
    fg = FeedGenerator()
    if not atom:
        fg.load_extension("dc", atom=False, rss=True)
    if doc.images:
        fg.load_extension("media", atom=True, rss=True)
    fg.register_extension("syndicate", _FeedExtras, None, atom=True, rss=True)
    fg.syndicate.doc = doc
    fg.id(doc.id)
    fg.title(doc.title)
    fg.subtitle(doc.subtitle)  # RSS <description>
    fg.language(doc.language)
    fg.generator(*GENERATOR)
    if atom:  # RFC 4287: a feed-level author covers entries without one
        fg.author({"name": GENERATOR[0]})
    fg.updated(updated)
    fg.lastBuildDate(updated)
    mime = _mime(doc.format)
    if atom:
        fg.link(href=doc.home_url, rel="alternate", type="text/html")
        fg.link(href=doc.self_url, rel="self", type=mime)
        for hreflang, url in doc.alternates:
            fg.link(href=url, rel="alternate", type=mime, hreflang=hreflang)
    else:  # feedgen's RSS <link> is the last link given: the site
        fg.link(href=doc.self_url, rel="self", type=mime)
        fg.link(href=doc.home_url, rel="alternate", type="text/html")
    if atom:
        return bytes(fg.atom_str(pretty=True))
    return bytes(fg.rss_str(pretty=True))


def _mime(fmt: FeedFormat) -> str:
    return "application/atom+xml" if fmt is FeedFormat.ATOM else "application/rss+xml"


class _FeedExtras:
    """Feed-level additions: hub and RFC 5005 links, ``<fh:archive/>``, RSS alternates."""

    doc: FeedDocument | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS}

    def _links(self) -> list[dict[str, str]]:
        doc = self.doc
        assert doc is not None
        links = [{"rel": "hub", "href": doc.hub}] if doc.hub else []
        links += [
            {"rel": rel, "href": doc.archive_links[rel], "type": _mime(doc.format)}
            for rel in ARCHIVE_RELS
            if rel in doc.archive_links
        ]
        return links

    def extend_atom(self, feed: Any) -> Any:
        self._add(feed, self._links(), "link")
        return feed

    def extend_rss(self, rss: Any) -> Any:
        doc = self.doc
        assert doc is not None
        channel = rss.find("channel")
        alternates = [
            {"rel": "alternate", "href": url, "type": _mime(doc.format), "hreflang": lang}
            for lang, url in doc.alternates
        ]
        self._add(channel, alternates + self._links(), f"{{{ATOM_NS}}}link")
        return rss

    def _add(self, parent: Any, links: list[dict[str, str]], tag: str) -> None:
        doc = self.doc
        assert doc is not None
        # After the feed's own metadata, before the entries: position of the first entry.
        children = list(parent)
        index = next(
            (
                i
                for i, c in enumerate(children)
                if str(c.tag).rsplit("}", 1)[-1] in ("entry", "item")
            ),
            len(children),
        )
        new = []
        if doc.is_archive:
            new.append(parent.makeelement(f"{{{HISTORY_NS}}}archive", {}))
        for link in links:
            new.append(parent.makeelement(tag, link))
        for offset, element in enumerate(new):
            parent.insert(index + offset, element)


class _EntryExtras:
    """Atom entry additions: ``xml:lang``, and the attributes of entry links by href."""

    lang = ""

    def __init__(self) -> None:
        self.links: dict[str, dict[str, str]] = {}

    def extend_atom(self, entry: Any) -> Any:
        if self.lang:
            entry.set(XML_LANG, self.lang)
        for link in entry.iter("link", f"{{{ATOM_NS}}}link"):
            for name, value in self.links.get(link.get("href"), {}).items():
                link.set(name, value)
        return entry

    def extend_rss(self, item: Any) -> Any:
        return item


def render_entry(doc: FeedDocument, stored: StoredArticle) -> bytes:
    """One ``<entry>`` or ``<item>``, indented for its place in the document, namespace
    declarations left to the document's root (which declares every prefix used here).
    Raises what feedgen or lxml raise for data they refuse."""
    fe = _entry(stored, doc)
    atom = doc.format is FeedFormat.ATOM
    element = fe.atom_entry() if atom else fe.rss_entry()
    # Under a parent declaring the prefixes, as in feedgen's whole document, so that lxml
    # names them the same; serialized alone, the entry repeats those declarations.
    parent = etree.Element("feed" if atom else "channel", nsmap=_NAMESPACES)
    parent.append(element)
    depth = 1 if atom else 2
    etree.indent(element, space="  ", level=depth)
    data: bytes = etree.tostring(element, encoding="UTF-8", xml_declaration=False)
    start = data.index(b">")
    tag = _NS_DECLARATION.sub(b"", data[:start])
    return b"  " * depth + tag + data[start:] + b"\n"


def _entry(stored: StoredArticle, doc: FeedDocument) -> FeedEntry:
    article = stored.article
    atom = doc.format is FeedFormat.ATOM
    fe = FeedEntry()
    if not atom:
        fe.register_extension("dc", DcEntryExtension, atom=False, rss=True)
    if article.image:
        fe.register_extension("media", MediaEntryExtension, atom=True, rss=True)
    extras: _EntryExtras | None = None
    if atom:
        fe.register_extension("syndicate", _EntryExtras, atom=True, rss=False)
        extras = fe.syndicate
    fe.id(entry_id(stored))
    fe.guid(entry_id(stored), permalink=False)
    fe.title(article.title)
    links: list[dict[str, str]] = []
    if stored.translated_from and stored.original_link:  # a translation links its original
        links.append(
            {"href": stored.original_link, "rel": "alternate", "hreflang": stored.translated_from}
        )
    elif article.link:
        links.append({"href": article.link, "rel": "alternate"})
    if atom:
        for enclosure in article.enclosures:
            link = {"href": enclosure.url, "rel": "enclosure"}
            if enclosure.type:
                link["type"] = enclosure.type
            if enclosure.length:
                link["length"] = str(enclosure.length)
            links.append(link)
    elif article.enclosures:  # RSS 2.0 allows one enclosure per item
        first = article.enclosures[0]
        fe.enclosure(first.url, str(first.length), first.type or "application/octet-stream")
    for link in links:
        fe.link(href=link["href"], rel=link["rel"])
        if extras is not None:
            extras.links[link["href"]] = {k: v for k, v in link.items() if k != "href"}
    if stored.translated_from or article.language != doc.language:
        if extras is not None:
            extras.lang = article.language
        elif article.language:
            fe.dc.dc_language(article.language)
    fe.updated(article.updated or article.published or stored.first_seen)
    if article.published:
        fe.published(article.published)
    if article.summary:
        fe.summary(article.summary, type="html")
    # Atom needs an alternate link or a content element; repeat the summary when there is no link.
    content = article.content or article.summary or html.escape(article.title)
    if content != article.summary or not article.link:
        fe.content(content, type="CDATA" if not atom else "html")
    for name in article.authors:
        fe.author({"name": name})
    if not atom and article.authors:
        fe.dc.dc_creator(list(article.authors))
    for term in entry_tags(stored, doc.topic_names):
        fe.category(term=term)
    if article.image:
        fe.media.thumbnail({"url": article.image})
    return fe


def entry_id(stored: StoredArticle) -> str:
    """The id storage gave the entry, else the source's own id when it is a URI or tag,
    else a tag URI made from source and guid (:mod:`syndicate.safe`)."""
    return stored.entry_id or default_entry_id(stored.article.source_id, stored.article.guid)


def entry_tags(stored: StoredArticle, topic_names: dict[str, str]) -> Sequence[str]:
    """Localized topic names, then the source's own categories, once each."""
    names = [topic_names[t] for t in stored.topics if t in topic_names]
    return list(dict.fromkeys([*names, *stored.article.categories]))
