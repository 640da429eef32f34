"""The readable text of an HTML fragment. Pure.

One reading for every place that needs text out of HTML: plain-text titles, names and
excerpts (``parse``, ``publish.document``), language detection, JSON Feed's
``content_text``, and the text topic keywords are looked for in. nh3 (html5ever) reads the
markup, however broken; the text of ``script`` and ``style`` goes with them, and the edge
of a block (``<p>``, ``<br>``, ``<li>``…) separates words, so ``<p>a</p><p>b</p>`` reads
``a b``, not ``ab``.
"""

from __future__ import annotations

import html
import re

import nh3

from syndicate.safe import NOT_XML_CHAR

__all__ = ["excerpt", "plain_text"]

#: elements whose boundaries separate words in the text
BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})  # fmt: skip

#: a tag of nh3's output, which keeps only BREAKS, without attributes, and escapes any
#: other ``<``: the only angle brackets left are these tags'
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")


def plain_text(value: str, limit: int | None = None) -> str:
    """Text of an HTML fragment: tags dropped (a block's edge made a space), entities
    decoded, ASCII whitespace collapsed, characters XML cannot carry dropped; cut at a
    word boundary to ``limit`` characters when given."""
    value = _TAG.sub(" ", nh3.clean(value, tags=set(BREAKS), attributes={}))
    text = NOT_XML_CHAR.sub("", html.unescape(value))
    text = _SPACE.sub(" ", text).strip()
    return text if limit is None else excerpt(text, limit)


def excerpt(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters at a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]  # room for the ellipsis
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(" ,.;:") + "…"
