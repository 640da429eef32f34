"""Read JSON Feed 1.0/1.1 sources (feedparser 6.0 does not): items become the same entry
dictionaries feedparser gives, so :mod:`syndicate.ingest.parse` normalizes every format alike."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from syndicate.safe import link_url

__all__ = ["JsonFeed", "read_json_feed"]

VERSION_PREFIX = "https://jsonfeed.org/version/"


class JsonFeed:
    """A JSON Feed document as feedparser-shaped ``feed`` and ``entries``."""

    def __init__(self, version: str, feed: dict[str, Any], entries: list[dict[str, Any]]):
        self.version = version
        self.feed = feed
        self.entries = entries


def read_json_feed(body: bytes) -> JsonFeed | None:
    """The document, or None when ``body`` is not a JSON Feed (then it is XML or junk)."""
    start = body.lstrip()[:1]
    if start != b"{":
        return None
    try:
        text = body.decode("utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: nested deep
        return None
    if _ESCAPED_SURROGATE.search(text):
        data = _without_lone_surrogates(data)
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(VERSION_PREFIX):
        return None
    version = "json" + str(data["version"]).removeprefix(VERSION_PREFIX).replace(".", "")
    feed = {"title": _text(data.get("title")), "language": _text(data.get("language"))}
    items = data.get("items")
    entries = [
        _entry(item, feed["language"]) for item in (items if isinstance(items, list) else [])
    ]
    return JsonFeed(version, feed, [e for e in entries if e is not None])


#: a JSON escape of a UTF-16 surrogate: paired ones make one character, a lone one makes a
#: string no encoder (nor nh3, nor the database) accepts
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(data: Any) -> Any:
    """``data`` with every lone surrogate in its strings replaced by U+FFFD (iteratively:
    nesting as deep as json.loads allows costs no recursion here)."""

    def fix(value: str) -> str:
        return _LONE_SURROGATE.sub("\ufffd", value)

    if isinstance(data, str):
        return fix(data)
    stack = [data]
    while stack:
        node = stack.pop()
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(pairs):
            if isinstance(value, str):
                node[key] = fix(value)
            elif isinstance(value, dict | list):
                stack.append(value)
        if isinstance(node, dict):  # keys too: they are looked up, not shown, but kept safe
            for key in [k for k in node if _LONE_SURROGATE.search(k)]:
                node[fix(key)] = node.pop(key)
    return data


def _link(item: dict[str, Any]) -> str:
    """``url``, else ``external_url`` when only that one is a link a reader may follow."""
    url, external = _text(item.get("url")), _text(item.get("external_url"))
    return external if external and link_url(external) and not link_url(url) else url or external


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _when(value: Any) -> Any:
    """RFC 3339 -> a UTC struct_time like feedparser's ``*_parsed``; None if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).timetuple()


def _entry(item: Any, feed_language: str) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    content = []
    if html := _text(item.get("content_html")):
        content.append(
            {"type": "text/html", "value": html, "language": _text(item.get("language"))}
        )
    elif text := _text(item.get("content_text")):
        content.append(
            {"type": "text/plain", "value": text, "language": _text(item.get("language"))}
        )
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    entry: dict[str, Any] = {
        "id": str(item.get("id") or ""),
        "link": _link(item),
        "title": _text(item.get("title")),
        "summary": _text(item.get("summary")),
        "content": content,
        "published_parsed": _when(item.get("date_published")),
        "updated_parsed": _when(item.get("date_modified")),
        "authors": [{"name": _text(a.get("name"))} for a in authors if isinstance(a, dict)],
        "tags": [{"term": t} for t in item.get("tags") or [] if isinstance(t, str)],
        "enclosures": [
            {"href": a.get("url"), "type": a.get("mime_type"), "length": a.get("size_in_bytes")}
            for a in item.get("attachments") or []
            if isinstance(a, dict)
        ],
        "title_detail": {"language": _text(item.get("language")) or feed_language},
    }
    if image := _text(item.get("image")) or _text(item.get("banner_image")):
        entry["image"] = {"href": image}
    return entry
