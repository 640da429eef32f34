"""What may reach storage and the published feeds: text XML can carry, followable URLs,
bounded ids. Pure.

Every byte of a source feed is hostile until checked, and a single character XML 1.0
cannot carry (U+0001 in a guid, say) used to make every feed holding that entry unwritable,
for good. So the rule is kept in one place and applied twice: the parser builds its
articles with these functions, and storage passes every article it writes through
:func:`safe_article`, whatever parser or format it came from, so no stored article can fail
to render.

- Text: characters outside XML 1.0's ``Char`` production are dropped.
- Links a reader follows (an entry's link): absolute ``http``, ``https`` or ``mailto``
  URLs. Media (enclosures, images): ``http`` and ``https`` only. Anything else
  (``javascript:``, ``data:``, relative leftovers, URLs with spaces or controls) is dropped,
  and the caller counts it.
- Guids: one that XML cannot carry, or longer than :data:`MAX_GUID_BYTES` (PostgreSQL's
  unique index on (source, guid) holds at most about 2.7 KB a row), is replaced by a hash
  of itself: still stable from poll to poll and still distinct from every other guid.
- Entry ids: a feed entry's id is the source's guid when that is a URI, else a tag URI of
  source and guid (:func:`default_entry_id`). A source may not take an id that another
  source's entry already has, nor one in syndicate's own tag space: its entry then gets
  a tag URI of its own (:func:`own_entry_id`; storage decides, at insert).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from syndicate.models import Article, Enclosure

__all__ = [
    "ENTRY_TAG",
    "LINK_SCHEMES",
    "MAX_GUID_BYTES",
    "MEDIA_SCHEMES",
    "NOT_XML_CHAR",
    "bounded_guid",
    "default_entry_id",
    "link_url",
    "media_url",
    "own_entry_id",
    "safe_article",
    "xml_safe",
]

#: one character XML 1.0 cannot carry (controls but tab, LF and CR; surrogates; U+FFFE/F)
NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: schemes of links a reader may follow from an entry
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
#: schemes of files a reader fetches (enclosures, images)
MEDIA_SCHEMES = frozenset({"http", "https"})
#: the longest guid kept as it is, in UTF-8 bytes
MAX_GUID_BYTES = 1024
#: the longest URL kept (browsers and servers stop at about 8 KB; a longer one is junk)
MAX_URL = 8192
#: the longest enclosure MIME type kept
MAX_MIME = 100
#: syndicate's own tag URI space for entry ids (RFC 4151)
ENTRY_TAG = "tag:syndicate,2026:"
#: guids published as they are: they are already URIs
_URI_PREFIXES = ("http://", "https://", "tag:", "urn:")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
#: white space or a control anywhere in a URL means it was not one
_NOT_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return NOT_XML_CHAR.sub("", text)


def link_url(value: object) -> str | None:
    """An absolute http(s) or mailto URL a reader may follow, else None."""
    return _url(value, LINK_SCHEMES)


def media_url(value: object) -> str | None:
    """An absolute http(s) URL of a file (enclosure, image), else None."""
    return _url(value, MEDIA_SCHEMES)


def _url(value: object, schemes: frozenset[str]) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    scheme = _SCHEME.match(url)
    if (
        scheme is None
        or scheme.group(1).lower() not in schemes
        or len(url) > MAX_URL
        or _NOT_IN_URL.search(url)
        or NOT_XML_CHAR.search(url)
    ):
        return None
    if scheme.group(1).lower() != "mailto" and not url[scheme.end() :].startswith("//"):
        return None  # "http:foo" is relative in disguise
    return url


def bounded_guid(guid: str) -> str:
    """``guid`` itself when XML can carry it and it fits the index; else a hash of it."""
    fits = len(guid) <= MAX_GUID_BYTES // 4 or (
        len(guid.encode("utf-8", "surrogatepass")) <= MAX_GUID_BYTES
    )
    if fits and not NOT_XML_CHAR.search(guid):
        return guid
    digest = hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def safe_article(article: Article) -> tuple[Article, int]:
    """``article`` with every field made safe to store and publish, and how many URLs were
    dropped on the way. The same object comes back when nothing needed changing."""
    dropped = 0
    link = link_url(article.link) if article.link else None
    dropped += article.link is not None and link is None
    enclosures = []
    for enclosure in article.enclosures:
        url = media_url(enclosure.url)
        if url is None:
            dropped += 1
            continue
        mime = xml_safe(enclosure.type).strip()[:MAX_MIME]
        enclosures.append(Enclosure(url, mime, max(0, enclosure.length)))
    image = media_url(article.image) if article.image else None
    dropped += article.image is not None and image is None
    safe = replace(
        article,
        guid=bounded_guid(article.guid),
        link=link,
        title=xml_safe(article.title),
        summary=xml_safe(article.summary),
        content=xml_safe(article.content),
        authors=tuple(a for a in (xml_safe(a) for a in article.authors) if a),
        categories=tuple(c for c in (xml_safe(c) for c in article.categories) if c),
        language=xml_safe(article.language),
        enclosures=tuple(enclosures),
        image=image,
    )
    return (article if safe == article else safe), int(dropped)


def default_entry_id(source_id: str, guid: str) -> str:
    """The id an entry is published with unless storage gave it another: the guid when it
    is a URI or tag, else a tag URI made from source and guid."""
    return guid if guid.startswith(_URI_PREFIXES) else own_entry_id(source_id, guid)


def own_entry_id(source_id: str, guid: str) -> str:
    """An id in syndicate's tag space, unique to the source (source ids hold no ``/``)."""
    return f"{ENTRY_TAG}{source_id}/{guid}"
