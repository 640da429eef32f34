"""Decide which topics an article belongs to, and what glossary concepts it mentions. Pure.

A topic takes an article when its source is fixed to the topic (``sources[].topics``), when
one of the article's categories is the topic's (``topics[].categories``), when the article
mentions the topic's concepts enough (``topics[].concepts``; at least
``topics[].min_score``), or when a keyword appears in its title or summary
(``topics[].keywords``). Concepts do not depend on the language, so the same story lands in
the same topics in Italian, English and Japanese.

Scores count distinct concepts, not repetitions: a concept scores its term's weight (1, or
0.5 for a ``generic`` term), doubled when it is in the title, however often it appears;
a topic's score is the sum over its concepts. So one generic word repeated routes nothing,
and two specific concepts in the text (1 + 1) reach the default ``min_score`` of 2, as one
specific concept in the title does. Two more rules keep a mention honest: a term written
with its abbreviation in brackets, ``電気自動車（EV）`` or ``artificial intelligence (AI)``,
is one mention; and a ``needs-context`` term counts only when another concept of its domain
is mentioned too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from syndicate.config import Config, TopicConfig
from syndicate.htmltext import plain_text
from syndicate.models import Article, Mention, RoutedArticle, TopicReason
from syndicate.terms.matcher import Matcher, TermMatch
from syndicate.terms.model import TermFlag
from syndicate.terms.normalize import fold, fold_key, is_word_char, unspaced

__all__ = [
    "ROUTED_CHARS",
    "TITLE_WEIGHT",
    "ConceptScore",
    "Explanation",
    "TopicScore",
    "concept_scores",
    "explain",
    "mentions_of",
    "route",
    "route_article",
    "routing_version",
    "topic_scores",
]

#: a concept in the title scores this many times its weight; one in the text, once
TITLE_WEIGHT = 2

#: routing reads this many characters of an article's text at most (its title whole): a
#: news story is far shorter, and an outsized entry must cost a bounded time
ROUTED_CHARS = 100_000

#: changes when the matching or scoring rules do, so stored articles are routed again
_RULES = (
    "5: distinct concepts, weights, needs-context, pairs, ja word boundaries, forms, head,"
    " keywords and categories folded as terms, ASCII URLs"
)

_OPENING = frozenset("(（[［")
_CLOSING = frozenset(")）]］")


def mentions_of(article: Article, matcher: Matcher | None) -> tuple[Mention, ...]:
    """The glossary concepts ``article`` mentions, in its own language."""
    if matcher is None:
        return ()
    lang = article.language
    body = _head(article.content or article.summary)
    title = _once_per_pair(article.title, matcher.match(article.title, lang))
    in_title = {(m.concept, m.term, m.status) for m in title}
    counts: Counter[tuple[str, str, str]] = Counter((m.concept, m.term, m.status) for m in title)
    counts.update(
        (m.concept, m.term, m.status) for m in _once_per_pair(body, matcher.match_html(body, lang))
    )
    terms = {key: matcher.term(lang, key[0], key[1]) for key in counts}
    anchors: dict[str, set[str]] = {}  # domain -> concepts named by a term needing no context
    for (concept, _, _), term in terms.items():
        if term is None or TermFlag.NEEDS_CONTEXT not in term.flags:
            anchors.setdefault(matcher.domain(concept), set()).add(concept)
    mentions = []
    for (concept, text, status), count in sorted(counts.items()):
        term = terms[(concept, text, status)]
        if (
            term is not None
            and TermFlag.NEEDS_CONTEXT in term.flags
            and not anchors.get(matcher.domain(concept), set()) - {concept}
        ):
            continue  # an ambiguous word with nothing of its domain around it
        weight = term.weight if term is not None else 1.0
        key = (concept, text, status)
        mentions.append(Mention(concept, text, str(status), key in in_title, count, weight))
    return tuple(mentions)


def _head(markup: str) -> str:
    """The first :data:`ROUTED_CHARS` characters of ``markup``, less a tag cut in two."""
    if len(markup) <= ROUTED_CHARS:
        return markup
    head = markup[:ROUTED_CHARS]
    opening = head.rfind("<")
    return head[:opening] if opening > head.rfind(">") else head


def _once_per_pair(text: str, matches: list[TermMatch]) -> list[TermMatch]:
    """``matches`` less a match of the same concept in brackets right after another one:
    ``電気自動車（EV）``, ``intelligenza artificiale (IA)`` are one mention."""
    out: list[TermMatch] = []
    for m in matches:
        if out and out[-1].concept == m.concept:
            between = text[out[-1].end : m.start].strip()
            after = text[m.end : m.end + 8].lstrip()[:1]
            if len(between) == 1 and between in _OPENING and after and after in _CLOSING:
                continue
        out.append(m)
    return out


def concept_scores(mentions: Sequence[Mention]) -> dict[str, float]:
    """Each concept's score: its best mention's weight, times TITLE_WEIGHT in the title."""
    scores: dict[str, float] = {}
    for m in mentions:
        score = m.weight * (TITLE_WEIGHT if m.in_title else 1)
        if score > scores.get(m.concept, 0.0):
            scores[m.concept] = score
    return scores


def topic_scores(topics: Sequence[TopicConfig], mentions: Sequence[Mention]) -> dict[str, float]:
    """The concept score of every topic defined by concepts."""
    scores = concept_scores(mentions)
    return {t.id: sum(scores.get(c, 0.0) for c in t.concepts) for t in topics if t.concepts}


def route_article(
    article: Article,
    topics: Sequence[TopicConfig],
    source_topics: Sequence[str] = (),
    mentions: Sequence[Mention] = (),
) -> list[tuple[str, TopicReason]]:
    """The topics of ``article`` with the first reason found for each, in config order."""
    return _topics(article, topics, source_topics, topic_scores(topics, mentions))


def _topics(
    article: Article,
    topics: Sequence[TopicConfig],
    source_topics: Sequence[str],
    scores: dict[str, float],
) -> list[tuple[str, TopicReason]]:
    """:func:`route_article`, given the topics' concept scores."""
    categories = {fold_key(c) for c in article.categories}
    text = _KeywordText(f"{article.title}\n{plain_text(article.summary)}")
    routed: list[tuple[str, TopicReason]] = []
    for topic in topics:
        if topic.id in source_topics:
            routed.append((topic.id, TopicReason.SOURCE))
        elif categories & {fold_key(c) for c in topic.categories}:
            routed.append((topic.id, TopicReason.CATEGORY))
        elif topic.concepts and scores[topic.id] >= topic.min_score:
            routed.append((topic.id, TopicReason.CONCEPT))
        elif any(text.has(k) for k in topic.keywords):
            routed.append((topic.id, TopicReason.KEYWORD))
    return routed


def route(article: Article, config: Config, matcher: Matcher | None) -> RoutedArticle:
    """Mentions and topics of an article, from the config and the glossary's matcher."""
    source = config.find_source(article.source_id)
    source_topics = source.topics if source is not None else ()
    mentions = mentions_of(article, matcher)
    scores = topic_scores(config.topics, mentions)
    topics = _topics(article, config.topics, source_topics, scores)
    return RoutedArticle(article, tuple(topics), mentions, tuple(sorted(scores.items())))


@dataclass(frozen=True)
class ConceptScore:
    """A concept an article mentions, and what it adds to the topics that list it."""

    concept: str
    #: the terms that named it, as the glossary writes them
    terms: tuple[str, ...]
    in_title: bool
    count: int
    weight: float
    score: float
    topics: tuple[str, ...]


@dataclass(frozen=True)
class TopicScore:
    """A topic defined by concepts: its score for the article against its threshold."""

    topic: str
    score: float
    min_score: int
    #: whether the article joins it, and why (a TopicReason value), or None
    reason: str | None


@dataclass(frozen=True)
class Explanation:
    """Why an article would join the topics it joins (``syndicate topics explain``)."""

    language: str
    concepts: tuple[ConceptScore, ...]
    topics: tuple[TopicScore, ...]
    #: topics joined for a reason other than concepts: (topic, reason)
    other: tuple[tuple[str, str], ...]


def explain(article: Article, config: Config, matcher: Matcher | None) -> Explanation:
    """The concepts found in ``article``, their scores, and the topics it would join."""
    routed = route(article, config, matcher)
    scores = concept_scores(routed.mentions)
    reasons = dict(routed.topics)
    concepts = []
    for concept in sorted(scores, key=lambda c: (-scores[c], c)):
        mine = [m for m in routed.mentions if m.concept == concept]
        concepts.append(
            ConceptScore(
                concept,
                tuple(dict.fromkeys(m.term for m in mine)),
                any(m.in_title for m in mine),
                sum(m.count for m in mine),
                max(m.weight for m in mine),
                scores[concept],
                tuple(t.id for t in config.topics if concept in t.concepts),
            )
        )
    topic_score = dict(routed.scores)
    topics = tuple(
        TopicScore(
            t.id,
            topic_score.get(t.id, 0.0),
            t.min_score,
            reasons[t.id].value if t.id in reasons else None,
        )
        for t in config.topics
        if t.concepts
    )
    other = tuple(
        (topic, reason.value)
        for topic, reason in routed.topics
        if reason is not TopicReason.CONCEPT
    )
    return Explanation(article.language, tuple(concepts), topics, other)


def routing_version(config: Config, glossary_version: str) -> str:
    """Changes when anything that decides topics or mentions changes."""
    parts = [_RULES, glossary_version]
    parts += [
        repr((t.id, t.concepts, t.categories, t.keywords, t.min_score)) for t in config.topics
    ]
    parts += [repr((s.id, s.topics)) for s in config.sources]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


class _KeywordText:
    """An article's title and summary text, asked whether a topic keyword is in it. Text and
    keyword fold as glossary terms do (``normalize``), and a keyword ends where a word
    does: ``ai`` is not in ``email``. A keyword with kana or kanji needs no word boundary
    at a Japanese end, since Japanese does not space words; its Latin ends still do
    (``EV充電`` is not in ``NEV充電``)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._spaced: str | None = None
        self._unspaced: str | None = None

    def has(self, keyword: str) -> bool:
        key = fold_key(keyword)
        if not key:
            return False
        if not unspaced(key):
            if self._spaced is None:  # folding made every boundary a space
                self._spaced = f" {' '.join(fold(self._text, 'en').text.split())} "
            return f" {key} " in self._spaced
        if self._unspaced is None:
            self._unspaced = " ".join(fold(self._text, "ja").text.split())
        text, start = self._unspaced, 0
        while (found := text.find(key, start)) >= 0:
            end = found + len(key)
            before = found > 0 and is_word_char(key[0]) and is_word_char(text[found - 1])
            after = end < len(text) and is_word_char(key[-1]) and is_word_char(text[end])
            if not before and not after:
                return True
            start = found + 1
        return False
