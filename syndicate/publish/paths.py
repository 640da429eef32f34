"""Feed paths: the one home of the URL scheme the README documents.

Every published file lives at a path relative to the output directory (a *relpath*), and is
served at the same path under :data:`FEEDS_PREFIX` of the site::

    it/energy.atom                       a subscription feed: {lang}/{topic}.{format}
    it/archive/energy/2026-10.atom       page 1 of a month's archive: …/{topic}/{YYYY-MM}.{format}
    it/archive/energy/2026-10-p2.atom    page 2 and after: …/{YYYY-MM}-p{page}.{format}
    index.opml, it/index.opml            the OPML lists (every feed; one language's)

each with a precompressed ``.gz`` twin. The functions here only build and read strings:
no config, no disk. :func:`parse_relpath` reads back exactly what the builders write (and
nothing else); :func:`topic_of` is the server's lax reading, for access to private topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syndicate.models import FeedFormat, FeedKey

__all__ = [
    "FEEDS_PREFIX",
    "PUBLISHED_SUFFIXES",
    "FeedPath",
    "archive_relpath",
    "feed_relpath",
    "feed_url",
    "in_archive",
    "opml_relpath",
    "parse_relpath",
    "request_relpath",
    "site_path",
    "topic_of",
]

#: where the output directory is served on the site
FEEDS_PREFIX = "/feeds/"
#: the suffixes of the files the publisher writes (each also with a ``.gz`` twin)
PUBLISHED_SUFFIXES = (*(f".{f.value}" for f in FeedFormat), ".opml")
_GZIP = ".gz"
_FORMATS = frozenset(f.value for f in FeedFormat)
#: a language or topic as a path segment (config allows no less: BCP 47 tags, topic ids)
_NAME = re.compile(r"[^\W_][\w-]*")
#: an archive page's name without its suffix: the month, and ``-p{page}`` from page 2 on
_ARCHIVE_PAGE = re.compile(r"([0-9]{4}-(?:0[1-9]|1[0-2]))(?:-p([1-9][0-9]*))?")


@dataclass(frozen=True)
class FeedPath:
    """A feed file's path read back into its parts (see :func:`parse_relpath`)."""

    #: the feed
    key: FeedKey
    #: ``YYYY-MM`` of an archive page; None for the subscription feed
    month: str | None = None
    #: the archive page's number (1 for the subscription feed)
    page: int = 1
    #: the precompressed ``.gz`` twin
    gzip: bool = False

    @property
    def relpath(self) -> str:
        """The path this was read from: what the builders write for these parts."""
        if self.month is None:
            path = feed_relpath(self.key)
        else:
            path = archive_relpath(self.key, self.month, self.page)
        return path + _GZIP if self.gzip else path


def feed_relpath(key: FeedKey) -> str:
    """Where a subscription feed lives: ``it/energy.atom``."""
    return f"{key.lang}/{key.topic}.{key.format}"


def archive_relpath(key: FeedKey, month: str, page: int = 1) -> str:
    """Where a page of a month's archive lives: page 1 at ``it/archive/energy/2026-10.atom``
    (the URL a month's single document always had), page 2 at ``…/2026-10-p2.atom``."""
    suffix = "" if page == 1 else f"-p{page}"
    return f"{key.lang}/archive/{key.topic}/{month}{suffix}.{key.format}"


def opml_relpath(lang: str | None = None) -> str:
    """Where the OPML list of every feed (``index.opml``) or of one language's lives."""
    return "index.opml" if lang is None else f"{lang}/index.opml"


def site_path(relpath: str) -> str:
    """The path of a published file on this site: ``/feeds/it/energy.atom``."""
    return f"{FEEDS_PREFIX}{relpath}"


def feed_url(base_url: str, relpath: str) -> str:
    """The public URL of a published file (``service.base_url`` has no trailing slash)."""
    return f"{base_url}{site_path(relpath)}"


def parse_relpath(relpath: str) -> FeedPath | None:
    """The parts of a feed or archive page's path (or of its ``.gz`` twin); None for
    anything the publisher does not write so: the OPML lists, unknown suffixes, empty or
    hidden segments, ``..``, backslashes, NUL, a page 1 named ``-p1``, …"""
    parts = _safe_parts(relpath)
    if parts is None:
        return None
    name = parts[-1]
    gzip = name.endswith(_GZIP)
    stem, dot, fmt = name.removesuffix(_GZIP).rpartition(".")
    if not dot or fmt not in _FORMATS or "." in stem:
        return None
    if len(parts) == 2 and _names(parts[0], stem):
        return FeedPath(FeedKey(parts[0], stem, fmt), gzip=gzip)
    if len(parts) == 4 and parts[1] == "archive" and _names(parts[0], parts[2]):
        page = _ARCHIVE_PAGE.fullmatch(stem)
        if page is None or page[2] == "1":
            return None
        number = int(page[2]) if page[2] else 1
        return FeedPath(FeedKey(parts[0], parts[2], fmt), page[1], number, gzip)
    return None


def topic_of(relpath: str) -> str | None:
    """The topic whose access rules cover a path under the output directory (``it/energy.atom``,
    ``it/archive/energy/…``), or None. Lax on purpose: whatever stands where a topic's name
    goes is guarded as that topic's, whatever its suffix (``it/index.opml`` gives ``index``)."""
    parts = relpath.split("/")
    if len(parts) == 2 and "." in parts[1]:
        return parts[1].split(".", 1)[0]
    if len(parts) == 4 and parts[1] == "archive":
        return parts[2]
    return None


def in_archive(relpath: str) -> bool:
    """Whether a path is under a language's archive (written once, never changed)."""
    return "/archive/" in relpath


def request_relpath(path: str, prefix: str = FEEDS_PREFIX) -> str | None:
    """The path under the served directory that a request's path names, or None for anything
    that could leave it or name a hidden (temporary) file. ``path`` is already
    percent-decoded (ASGI's ``path``): decoding it again would turn ``%252e`` into ``.`` and
    hide files named with a ``%``."""
    if not path.startswith(prefix):
        return None
    relpath = path[len(prefix) :]
    return relpath if _safe_parts(relpath) is not None else None


def _safe_parts(relpath: str) -> list[str] | None:
    """The segments of a path that stays inside its directory and names no hidden file."""
    parts = relpath.split("/")
    if not relpath or any(not p or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
        return None
    return parts


def _names(lang: str, topic: str) -> bool:
    return _NAME.fullmatch(lang) is not None and _NAME.fullmatch(topic) is not None
