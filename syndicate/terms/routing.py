"""Decide which topics an article belongs to, and what glossary concepts it mentions. Pure.

A topic takes an article when its source is fixed to the topic (``sources[].topics``), when
one of the article's categories is the topic's (``topics[].categories``), when the article
mentions the topic's concepts enough (``topics[].concepts``, scored: a mention in the
title counts 2, one in the text 1; at least ``topics[].min_score``), or when a keyword
appears in its title or summary (``topics[].keywords``). Concepts do not depend on the
language, so the same story lands in the same topics in Italian, English and Japanese.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from syndicate.config import Config, TopicConfig
from syndicate.models import Article, Mention, RoutedArticle, TopicReason
from syndicate.terms.matcher import Matcher

__all__ = [
    "TITLE_WEIGHT",
    "concept_scores",
    "fold",
    "mentions_of",
    "route",
    "route_article",
    "routing_version",
]

#: a mention in the title counts this much; one in the summary or content counts 1
TITLE_WEIGHT = 2

# Letters and digits of scripts that separate words with spaces (Latin, Greek, Cyrillic).
_SPACED = "0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u04ff"


def fold(text: str) -> str:
    """Case- and width-folded text for comparisons (NFKC, casefold)."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def mentions_of(article: Article, matcher: Matcher | None) -> tuple[Mention, ...]:
    """The glossary concepts ``article`` mentions, in its own language."""
    if matcher is None:
        return ()
    lang = article.language
    title = [(m.concept, m.term, m.status) for m in matcher.match(article.title, lang)]
    in_title = set(title)
    counts: Counter[tuple[str, str, str]] = Counter(title)
    counts.update(
        (m.concept, m.term, m.status)
        for m in matcher.match_html(article.content or article.summary, lang)
    )
    return tuple(
        Mention(concept, term, str(status), (concept, term, status) in in_title, count)
        for (concept, term, status), count in sorted(counts.items())
    )


def concept_scores(mentions: Sequence[Mention]) -> Counter[str]:
    scores: Counter[str] = Counter()
    for m in mentions:
        scores[m.concept] += m.count + (TITLE_WEIGHT - 1 if m.in_title else 0)
    return scores


def route_article(
    article: Article,
    topics: Sequence[TopicConfig],
    source_topics: Sequence[str] = (),
    mentions: Sequence[Mention] = (),
) -> list[tuple[str, TopicReason]]:
    """The topics of ``article`` with the first reason found for each, in config order."""
    categories = {fold(c) for c in article.categories}
    text = fold(f"{article.title}\n{_strip_tags(article.summary)}")
    scores = concept_scores(mentions)
    routed: list[tuple[str, TopicReason]] = []
    for topic in topics:
        if topic.id in source_topics:
            routed.append((topic.id, TopicReason.SOURCE))
        elif categories & {fold(c) for c in topic.categories}:
            routed.append((topic.id, TopicReason.CATEGORY))
        elif topic.concepts and sum(scores[c] for c in topic.concepts) >= topic.min_score:
            routed.append((topic.id, TopicReason.CONCEPT))
        elif any(_has_keyword(text, fold(k)) for k in topic.keywords if k.strip()):
            routed.append((topic.id, TopicReason.KEYWORD))
    return routed


def route(article: Article, config: Config, matcher: Matcher | None) -> RoutedArticle:
    """Mentions and topics of an article, from the config and the glossary's matcher."""
    source_topics = next((s.topics for s in config.sources if s.id == article.source_id), ())
    mentions = mentions_of(article, matcher)
    topics = route_article(article, config.topics, source_topics, mentions)
    return RoutedArticle(article, tuple(topics), mentions)


def routing_version(config: Config, glossary_version: str) -> str:
    """Changes when anything that decides topics or mentions changes."""
    parts = [glossary_version]
    parts += [
        repr((t.id, t.concepts, t.categories, t.keywords, t.min_score)) for t in config.topics
    ]
    parts += [repr((s.id, s.topics)) for s in config.sources]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


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
