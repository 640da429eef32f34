"""Turn a feed body into normalized :class:`Article` records.

The only module that imports feedparser. Normalization: a stable guid, plain-text titles,
sanitized HTML (nh3), aware UTC datetimes, a BCP 47 language, and a content hash that
changes exactly when the article does.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
import nh3

from syndicate.htmltext import excerpt, plain_text
from syndicate.ingest._charset import normalize_encoding
from syndicate.ingest._jsonfeed import read_json_feed
from syndicate.ingest._language import detect_language
from syndicate.models import Article, Enclosure
from syndicate.safe import (
    LINK_SCHEMES,
    NOT_XML_CHAR,
    bounded_guid,
    link_url,
    media_url,
    safe_article,
)

__all__ = [
    "ParsedFeed",
    "article_hash",
    "normalize_language",
    "parse_feed",
    "sanitize_html",
]

#: the longest title, author or category kept (a 10 MB title is a hostile feed)
MAX_TITLE = 1000
MAX_NAME = 200
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# ASCII white space only: an ideographic space (U+3000) in a Japanese title is typography.
_SPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
# A numeric character reference, in a body of an ASCII-compatible encoding.
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")
#: what a reference to no character becomes: U+FFFD, the replacement character
_REPLACEMENT_REF = b"&#xFFFD"


@dataclass(frozen=True)
class ParsedFeed:
    """What a body yielded. Sent by parse to the scheduler."""

    #: feed-level title, plain text
    title: str
    #: the articles recovered, in feed order
    articles: tuple[Article, ...]
    #: feedparser found the feed malformed (entries may still have been recovered)
    bozo: bool
    #: why it is malformed, when it is
    problem: str | None
    #: the format feedparser recognised (rss20, atom10, ...), "" when it recognised none
    version: str = ""
    #: URLs dropped from entries: not http(s) (or mailto, for links), or not URLs at all
    refused_urls: int = 0


def sanitize_html(value: str) -> str:
    """HTML safe to republish: no scripts, event handlers, styles or javascript: URLs, and
    no character XML cannot carry."""
    clean = nh3.clean(value, url_schemes=set(LINK_SCHEMES), link_rel="noopener noreferrer")
    return NOT_XML_CHAR.sub("", clean).strip()


def normalize_language(tag: str | None, known: Iterable[str]) -> str | None:
    """``it-IT`` -> ``it`` when ``it`` is configured; other tags lower-cased; None if empty."""
    if not tag:
        return None
    tag = tag.strip().replace("_", "-").lower()
    if not tag:
        return None
    known = list(known)
    if tag in known:
        return tag
    primary = tag.split("-", 1)[0]
    return primary if primary in known else tag


def parse_feed(
    body: bytes,
    *,
    source_id: str,
    headers: Mapping[str, str] | None = None,
    language: str | None = None,
    languages: Iterable[str] = (),
    fallback_language: str = "",
    base_url: str | None = None,
) -> ParsedFeed:
    """Parse ``body``; ``language`` (declared by the source) wins over what the feed says.

    RSS and Atom go through feedparser; JSON Feed through :mod:`syndicate.ingest._jsonfeed`,
    which gives the same shapes. An entry's relative link is resolved against ``base_url``
    (the URL the body came from); its guid is still made from the link as written."""
    json_feed = read_json_feed(body)
    result: Any
    corrected = None
    if json_feed is not None:
        result = {
            "feed": json_feed.feed,
            "entries": json_feed.entries,
            "version": json_feed.version,
        }
    else:
        body, response_headers, corrected = normalize_encoding(body, headers or {})
        if b"&#" in body:
            body = _CHARREF.sub(_charref, body)
        try:
            result = feedparser.parse(body, response_headers=response_headers, sanitize_html=False)
        except (UnicodeError, ValueError, OverflowError) as crash:  # feedparser's, not ours
            return ParsedFeed("", (), True, f"unreadable feed ({type(crash).__name__}: {crash})")
    known = list(languages)
    feed = result.get("feed", {})
    feed_lang = normalize_language(feed.get("language"), known)
    articles = []
    refused = 0
    for entry in result.get("entries", []):
        lang = language or _entry_language(entry, known) or feed_lang
        made = _article(entry, source_id, lang, base_url)
        if made is None:
            continue
        article, dropped = made
        refused += dropped
        if not article.language:
            detected = detect_language(f"{article.title}\n{plain_text(article.summary)}")
            article = _with_language(article, detected or fallback_language, known)
        articles.append(article)
    problem = corrected
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc else "malformed feed"
    return ParsedFeed(
        plain_text(feed.get("title") or ""),
        tuple(articles),
        bool(result.get("bozo")),
        problem,
        str(result.get("version") or ""),
        refused,
    )


def _charref(found: re.Match[bytes]) -> bytes:
    """A character reference left as it is, or U+FFFD's when it names no character (a
    surrogate, past U+10FFFF): feedparser's loose parser raises on those, which lost the
    whole feed to one reference."""
    hexa, decimal = found.group(1), found.group(2)
    digits = (hexa or decimal).lstrip(b"0")
    if len(digits) > 7:
        return _REPLACEMENT_REF
    value = int(digits or b"0", 16 if hexa else 10)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return _REPLACEMENT_REF
    return found.group(0)


def _entry_language(entry: Mapping[str, Any], known: list[str]) -> str | None:
    for detail in (entry.get("title_detail"), *(entry.get("content") or [])):
        if isinstance(detail, Mapping) and (
            lang := normalize_language(detail.get("language"), known)
        ):
            return lang
    return None


def _with_language(article: Article, language: str, known: list[str]) -> Article:
    language = normalize_language(language, known) or language
    return replace(
        article, language=language, content_hash=article_hash(replace(article, language=language))
    )


def _article(
    entry: dict[str, Any], source_id: str, language: str | None, base_url: str | None = None
) -> tuple[Article, int] | None:
    """The entry as a safe article (see :mod:`syndicate.safe`) and how many of its URLs were
    refused, or None when it holds nothing a reader could use."""
    title = plain_text(entry.get("title") or "", MAX_TITLE)
    written = str(entry.get("link") or "").strip() or None
    link = link_url(written)
    if written and link is None and base_url and not _HAS_SCHEME.match(written):
        link = link_url(urljoin(base_url, written))  # relative: resolved where it came from
    refused = int(written is not None and link is None)
    summary = sanitize_html(entry.get("summary") or "")
    content = _best_content(entry) or summary
    if not summary and content:
        summary = sanitize_html(_first_paragraph(content))
    words = plain_text(summary) or plain_text(content)
    if not (title or words or link):
        return None  # nothing a reader could use (an HTML space or tag only is nothing)
    # dict.get: feedparser's own get() answers updated_parsed with published_parsed when a
    # feed has no updated date, which would invent an update that never happened.
    published = _utc(dict.get(entry, "published_parsed"))
    updated = _utc(dict.get(entry, "updated_parsed"))
    authors = tuple(
        dict.fromkeys(
            name
            for a in entry.get("authors", [])
            if (name := plain_text(a.get("name", "") or "", MAX_NAME))
        )
    )
    if not authors and entry.get("author"):
        authors = (plain_text(entry["author"], MAX_NAME),)
    categories = tuple(
        dict.fromkeys(
            term
            for tag in entry.get("tags", [])
            if (term := plain_text(tag.get("term") or "", MAX_NAME))
        )
    )
    enclosures = _enclosures(entry)
    article = Article(
        source_id=source_id,
        guid=_guid(entry, written, title, published or updated),
        link=link,
        title=title or excerpt(words) or link or "",
        summary=summary,
        content=content,
        authors=authors,
        categories=categories,
        published=published,
        updated=updated,
        language=language or "",
        enclosures=enclosures,
        image=_image(entry, enclosures),
    )
    article, dropped = safe_article(article)
    return replace(article, content_hash=article_hash(article)), refused + dropped


def _enclosures(entry: Mapping[str, Any]) -> tuple[Enclosure, ...]:
    """RSS <enclosure> and Atom rel="enclosure" links (feedparser lists both), once each."""
    found: dict[str, Enclosure] = {}
    for item in entry.get("enclosures") or []:
        url = str(item.get("href") or item.get("url") or "").strip()
        if not url or url in found:
            continue  # an unusable URL is left for safe_article, which counts it
        try:
            length = max(0, int(str(item.get("length") or 0).strip() or 0))
        except ValueError:
            length = 0
        found[url] = Enclosure(url, str(item.get("type") or "").strip()[:100], length)
    return tuple(found.values())


def _image(entry: Mapping[str, Any], enclosures: tuple[Enclosure, ...]) -> str | None:
    """The entry's main image: Media RSS thumbnail or image content, an <image>, else the
    first image enclosure. The first usable URL among them; when none is usable, the first
    one given (which :func:`syndicate.safe.safe_article` then drops, and counts)."""
    candidates = [item.get("url") for item in entry.get("media_thumbnail") or []]
    candidates += [
        item.get("url")
        for item in entry.get("media_content") or []
        if item.get("medium") == "image" or str(item.get("type", "")).startswith("image/")
    ]
    image = entry.get("image")
    if isinstance(image, Mapping):
        candidates.append(image.get("href") or image.get("url"))
    candidates += [e.url for e in enclosures if e.type.startswith("image/")]
    given = [c for c in candidates if isinstance(c, str) and c.strip()]
    return next((url for c in given if (url := media_url(c))), given[0] if given else None)


def article_hash(article: Article) -> str:
    """sha256 over what a reader sees; the guid and source are identity, not content."""
    fields: dict[str, object] = {
        "link": article.link,
        "title": article.title,
        "summary": article.summary,
        "content": article.content,
        "authors": article.authors,
        "categories": article.categories,
        "published": article.published,
        "updated": article.updated,
        "language": article.language,
    }
    # Only when present: articles without them keep the hashes they were stored with.
    if article.enclosures:
        fields["enclosures"] = [[e.url, e.type, e.length] for e in article.enclosures]
    if article.image:
        fields["image"] = article.image
    blob = json.dumps(fields, default=lambda v: v.isoformat(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _best_content(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or []
    ranked = sorted(contents, key=lambda c: 0 if "html" in (c.get("type") or "") else 1)
    for item in ranked:
        if value := (item.get("value") or "").strip():
            if "html" not in (item.get("type") or "html"):
                value = "<p>" + html.escape(value) + "</p>"
            return sanitize_html(value)
    return ""


def _first_paragraph(content: str) -> str:
    match = re.search(r"<p[^>]*>.*?</p>", content, re.S | re.I)
    return match.group(0) if match else content


def _guid(entry: Mapping[str, Any], link: str | None, title: str, date: datetime | None) -> str:
    """Feed id, else link, else a hash of title and date: stable across polls."""
    if ident := (entry.get("id") or "").strip():
        return bounded_guid(ident)
    if link:
        return bounded_guid(link)
    seed = f"{title}\x00{date.isoformat() if date else ''}"
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def _utc(value: Any) -> datetime | None:
    """feedparser's UTC struct_time -> aware UTC datetime."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
