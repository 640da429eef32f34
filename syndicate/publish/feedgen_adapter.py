"""Render Atom 1.0 and RSS 2.0 documents. The only module that imports feedgen.

feedgen fills dates with "now" and prepends entries unless told otherwise; here every date
comes from the data and entries keep our order, so the same input renders byte-identical
output (stable HTTP validators for partner sites).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from feedgen.feed import FeedGenerator

from syndicate.models import FeedFormat, StoredArticle
from syndicate.publish.document import FeedDocument

__all__ = ["render_feed"]

GENERATOR = ("syndicate", "0.1", "https://example.org/syndicate")


def render_feed(doc: FeedDocument) -> bytes:
    """The Atom or RSS document as UTF-8 bytes."""
    fg = FeedGenerator()
    if doc.format is FeedFormat.RSS:
        fg.load_extension("dc", atom=False, rss=True)
    fg.id(doc.id)
    fg.title(doc.title)
    fg.subtitle(doc.subtitle)  # RSS <description>
    fg.language(doc.language)
    fg.generator(*GENERATOR)
    if doc.format is FeedFormat.ATOM:  # RFC 4287: a feed-level author covers entries without one
        fg.author({"name": GENERATOR[0]})
    fg.updated(doc.updated)
    fg.lastBuildDate(doc.updated)
    mime = "application/atom+xml" if doc.format is FeedFormat.ATOM else "application/rss+xml"
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    fg.link(href=doc.self_url, rel="self", type=mime)
    if doc.format is FeedFormat.ATOM:
        for hreflang, url in doc.alternates:
            fg.link(href=url, rel="alternate", type=mime, hreflang=hreflang)
    for stored in doc.entries:
        _add_entry(fg, stored, doc)
    if doc.format is FeedFormat.ATOM:
        return bytes(fg.atom_str(pretty=True))
    return bytes(fg.rss_str(pretty=True))


def _add_entry(fg: FeedGenerator, stored: StoredArticle, doc: FeedDocument) -> None:
    article = stored.article
    fe = fg.add_entry(order="append")
    fe.id(_entry_id(stored))
    fe.guid(_entry_id(stored), permalink=False)
    fe.title(article.title)
    if stored.translated_from and stored.original_link:  # a translation links its original
        fe.link(href=stored.original_link, rel="alternate", hreflang=stored.translated_from)
    elif article.link:
        fe.link(href=article.link, rel="alternate")
    if stored.translated_from or article.language != doc.language:
        if doc.format is FeedFormat.ATOM:
            fe.register_extension("syndicate", _EntryExtras, atom=True, rss=False)
            fe.syndicate.lang = article.language
            if stored.translated_from and stored.original_link:
                fe.syndicate.hreflang = (stored.original_link, stored.translated_from)
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
        fe.content(content, type="CDATA" if doc.format is FeedFormat.RSS else "html")
    for name in article.authors:
        fe.author({"name": name})
    if doc.format is FeedFormat.RSS and article.authors:
        fe.dc.dc_creator(list(article.authors))
    for term in _categories(stored, doc.topic_names):
        fe.category(term=term)


class _EntryExtras:
    """A feedgen entry extension for what feedgen 1.0 cannot write on an Atom entry:
    ``xml:lang``, and a link's ``rel``/``hreflang`` (its entry links keep only ``href``)."""

    lang = ""
    #: (href, hreflang) of the link to the original of a translation
    hreflang: tuple[str, str] | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.lang:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", self.lang)
        if self.hreflang is not None:
            href, lang = self.hreflang
            for link in entry.iter("link", "{http://www.w3.org/2005/Atom}link"):
                if link.get("href") == href:
                    link.set("rel", "alternate")
                    link.set("hreflang", lang)
        return entry

    def extend_rss(self, item: Any) -> Any:
        return item


def _entry_id(stored: StoredArticle) -> str:
    """The source's own id when it is a URI or tag, else a tag URI made from source and guid."""
    guid = stored.article.guid
    if guid.startswith(("http://", "https://", "tag:", "urn:")):
        return guid
    return f"tag:syndicate,2026:{stored.article.source_id}/{guid}"


def _categories(stored: StoredArticle, topic_names: dict[str, str]) -> Sequence[str]:
    names = [topic_names[t] for t in stored.topics if t in topic_names]
    return list(dict.fromkeys([*names, *stored.article.categories]))
