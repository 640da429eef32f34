"""Decide which topics an article belongs to. Pure: no I/O.

Today an article is routed by its source (``sources[].topics``), by its categories
(``topics[].categories``) and by keywords in its title and summary (``topics[].keywords``);
glossary concepts join with the terms module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from syndicate.config import TopicConfig
from syndicate.models import Article, TopicReason

__all__ = ["fold", "route_article"]

# Letters and digits of scripts that separate words with spaces (Latin, Greek, Cyrillic).
_SPACED = "0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u04ff"


def fold(text: str) -> str:
    """Case- and width-folded text for comparisons (NFKC, casefold)."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def route_article(
    article: Article, topics: Sequence[TopicConfig], source_topics: Sequence[str] = ()
) -> list[tuple[str, TopicReason]]:
    """The topics of ``article`` with the first reason found for each, in config order."""
    categories = {fold(c) for c in article.categories}
    text = fold(f"{article.title}\n{_strip_tags(article.summary)}")
    routed: list[tuple[str, TopicReason]] = []
    for topic in topics:
        if topic.id in source_topics:
            routed.append((topic.id, TopicReason.SOURCE))
        elif categories & {fold(c) for c in topic.categories}:
            routed.append((topic.id, TopicReason.CATEGORY))
        elif any(_has_keyword(text, fold(k)) for k in topic.keywords if k.strip()):
            routed.append((topic.id, TopicReason.KEYWORD))
    return routed


def _strip_tags(value: str) -> str:
    return re.sub(r"<[^>]+>", " ", value)


def _has_keyword(text: str, keyword: str) -> bool:
    # Word boundaries at an end that is a letter or digit of a spaced script ("ai" must not
    # match inside "email"); none at a wide (CJK) end, since Japanese does not space words.
    pattern = (rf"(?<![{_SPACED}])" if _spaced_word_char(keyword[0]) else "") + re.escape(keyword)
    pattern += rf"(?![{_SPACED}])" if _spaced_word_char(keyword[-1]) else ""
    return re.search(pattern, text) is not None


def _spaced_word_char(char: str) -> bool:
    return re.match(f"[{_SPACED}]", char) is not None
