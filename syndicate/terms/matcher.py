"""Find glossary terms in text and HTML: one Aho-Corasick automaton per language.

Rules: text and terms are folded alike (:mod:`syndicate.terms.normalize`); in spaced
scripts a match must start and end at word boundaries, so an apostrophe is a boundary and
Italian elision needs no special entry (``dell'energia`` holds ``energia``); in Japanese
there are no word boundaries, except that a term starting or ending with a Latin letter
or digit must not touch another one (``AI`` is not in ``EMAIL``). Where matches overlap,
the leftmost wins, and of those the longest. Nothing inside a URL is a match. In HTML only
text nodes count, never tags, attributes, or ``<code>``, ``<pre>``, ``<script>``,
``<style>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import ahocorasick

from syndicate.terms.model import Concept, Glossary, TermStatus
from syndicate.terms.normalize import fold, fold_term, strips_accents

__all__ = ["Matcher", "TermMatch"]

_LATIN = re.compile(r"[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.I)
_HTML_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(/?)([A-Za-z][\w:-]*)[^>]*>|[^<]+|<", re.S
)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_SKIPPED = {"code", "pre", "script", "style", "kbd", "samp"}


@dataclass(frozen=True)
class TermMatch:
    """A glossary term found at ``[start, end)`` of the text (character offsets)."""

    concept: str
    #: the glossary term (its base form; the text may hold a variant)
    term: str
    status: TermStatus
    start: int
    end: int


@dataclass(frozen=True)
class _Entry:
    length: int
    concept: str
    term: str
    status: TermStatus
    #: whether the form starts / ends with a Latin letter or digit (for Japanese boundaries)
    latin_start: bool
    latin_end: bool


class Matcher:
    """Built once per glossary version; matching is then safe from several threads."""

    def __init__(self, glossary: Glossary | Iterable[Concept]) -> None:
        self._automata: dict[str, ahocorasick.Automaton] = {}
        for concept in glossary:
            for term in concept.terms:
                automaton = self._automata.setdefault(term.lang, ahocorasick.Automaton())
                for form in term.forms:
                    key = fold_term(form, term.lang)
                    if not key or key in automaton:
                        continue  # the first concept to claim a form keeps it (lint reports it)
                    automaton.add_word(
                        key,
                        _Entry(
                            len(key),
                            concept.id,
                            term.text,
                            term.status,
                            bool(_LATIN.match(key[0])),
                            bool(_LATIN.match(key[-1])),
                        ),
                    )
        for automaton in self._automata.values():
            automaton.make_automaton()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._automata))

    def match(self, text: str, lang: str) -> list[TermMatch]:
        """Matches in plain ``text``, leftmost-longest, offsets into ``text``."""
        automaton = self._automata.get(lang)
        if automaton is None or not text:
            return []
        folded = fold(text, lang)
        body = folded.text
        spaced = strips_accents(lang)
        urls = [m.span() for m in _URL.finditer(text)] if ("://" in text or "www." in text) else []
        found: list[tuple[int, int, _Entry]] = []
        for last, entry in automaton.iter(body):
            start, end = last - entry.length + 1, last + 1
            if spaced:
                if (start > 0 and body[start - 1].isalnum() and body[start].isalnum()) or (
                    end < len(body) and body[end].isalnum() and body[end - 1].isalnum()
                ):
                    continue
            elif (entry.latin_start and start > 0 and _LATIN.match(body[start - 1])) or (
                entry.latin_end and end < len(body) and _LATIN.match(body[end])
            ):
                continue
            found.append((start, end, entry))
        found.sort(key=lambda m: (m[0], m[0] - m[1]))
        matches: list[TermMatch] = []
        reached = 0
        for start, end, entry in found:
            if start < reached:
                continue
            reached = end
            a, b = folded.span(start, end)
            if urls and any(u0 < b and a < u1 for u0, u1 in urls):
                continue
            matches.append(TermMatch(entry.concept, entry.term, entry.status, a, b))
        return matches

    def match_html(self, markup: str, lang: str) -> list[TermMatch]:
        """Matches in the text nodes of ``markup``; offsets into ``markup``."""
        matches: list[TermMatch] = []
        skipping: list[str] = []
        for token in _HTML_TOKEN.finditer(markup):
            name = (token.group(2) or "").lower()
            if name:
                closing = token.group(1) == "/"
                if name in _SKIPPED and not token.group(0).endswith("/>"):
                    if not closing:
                        skipping.append(name)
                    elif name in skipping:
                        del skipping[len(skipping) - 1 - skipping[::-1].index(name)]
                continue
            piece = token.group(0)
            if skipping or piece.startswith("<"):
                continue
            matches += self._match_text_node(piece, token.start(), lang)
        return matches

    def _match_text_node(self, raw: str, offset: int, lang: str) -> list[TermMatch]:
        if "&" not in raw:
            return [_shift(m, offset, offset) for m in self.match(raw, lang)]
        text, starts, ends = _unescape(raw)
        return [
            TermMatch(
                m.concept, m.term, m.status, offset + starts[m.start], offset + ends[m.end - 1]
            )
            for m in self.match(text, lang)
        ]


def _shift(match: TermMatch, start_offset: int, end_offset: int) -> TermMatch:
    return TermMatch(
        match.concept, match.term, match.status, match.start + start_offset, match.end + end_offset
    )


def _unescape(raw: str) -> tuple[str, Sequence[int], Sequence[int]]:
    """Decode entities, with each decoded character's span in ``raw``."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0
    for entity in _ENTITY.finditer(raw):
        for i in range(position, entity.start()):
            out.append(raw[i])
            starts.append(i)
            ends.append(i + 1)
        decoded = html.unescape(entity.group(0))
        out.append(decoded)
        starts.extend([entity.start()] * len(decoded))
        ends.extend([entity.end()] * len(decoded))
        position = entity.end()
    for i in range(position, len(raw)):
        out.append(raw[i])
        starts.append(i)
        ends.append(i + 1)
    return "".join(out), starts, ends
