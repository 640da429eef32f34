"""Decide the character encoding of a fetched XML feed before feedparser reads it. Pure.

feedparser trusts the declared charset (HTTP ``Content-Type``, then the XML declaration)
and, when the bytes do not decode that way, falls back to a single-byte encoding for the
whole document: one stray byte turns every accented letter and every Japanese character of
the feed into mojibake. Two corrections, both to UTF-8:

- bytes that are valid UTF-8 with non-ASCII text in them are UTF-8, whatever a declaration
  says (text in another encoding is almost never valid UTF-8 by accident);
- bytes declared UTF-8 (or declared nothing) that are not valid UTF-8 are decoded as UTF-8
  with the invalid bytes replaced by U+FFFD, keeping the rest of the text.

Anything else (valid in a declared legacy encoding such as Shift_JIS) is left to feedparser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["Normalized", "normalize_encoding"]

_DECLARATION = re.compile(
    rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']"
)
_UTF8_NAMES = {"utf-8", "utf8"}

Normalized = tuple[bytes, dict[str, str], str | None]


def normalize_encoding(body: bytes, headers: Mapping[str, str]) -> Normalized:
    """(body, headers, what was corrected or None), the body in UTF-8 when one of the two
    corrections applies (its declaration and the HTTP charset then say utf-8)."""
    out_headers = dict(headers)
    declared = _declared(body, out_headers)
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or (declared or "").startswith("utf-16"):
        return body, out_headers, None  # UTF-16 with its BOM: feedparser reads it right
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if declared not in (None, *_UTF8_NAMES):
            return body, out_headers, None
        text = body.decode("utf-8", errors="replace")
        note = "invalid UTF-8 bytes replaced by U+FFFD"
    else:
        if declared in (None, *_UTF8_NAMES) or body.isascii():
            return body, out_headers, None
        note = f"declared {declared} but is UTF-8: read as UTF-8"
    return _as_utf8(text), _utf8_headers(out_headers), note


def _declared(body: bytes, headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-type":
            charset = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", value, re.IGNORECASE)
            if charset:
                return charset.group(1).lower()
    found = _DECLARATION.match(body[:512])
    return bytes(found.group(2)).decode("ascii").lower() if found else None


def _as_utf8(text: str) -> bytes:
    data = text.removeprefix("\ufeff").encode("utf-8")
    found = _DECLARATION.match(data)
    if found is None:
        return data
    return data[: found.start(2)] + b"utf-8" + data[found.end(2) :]


def _utf8_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name.lower() == "content-type":
            value = re.sub(
                r"charset\s*=\s*[\"']?[A-Za-z0-9._-]+[\"']?",
                "charset=utf-8",
                value,
                flags=re.IGNORECASE,
            )
        out[name] = value
    return out
