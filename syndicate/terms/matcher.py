"""Find glossary terms in text and HTML: one Aho-Corasick automaton per language.

Rules: text and terms are folded alike (:mod:`syndicate.terms.normalize`); in spaced
scripts a match must start and end at word boundaries, so an apostrophe is a boundary and
Italian elision needs no special entry (``dell'energia`` holds ``energia``). Folding makes
every boundary a space, so terms enter the automaton as `` term `` and the padded text
yields whole-word matches only, with no check per candidate. In Japanese
there are no word boundaries, except that a term starting or ending with a Latin letter
or digit must not touch another one (``AI`` is not in ``EMAIL``). Where matches overlap,
the leftmost wins, and of those the longest. Nothing inside a URL is a match. In HTML only
text nodes count, never tags, attributes, or ``<code>``, ``<pre>``, ``<script>``,
``<style>``.
"""

from __future__ import annotations

import contextlib
import gc
import html
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import ahocorasick

from syndicate.terms.model import Concept, Glossary, TermStatus
from syndicate.terms.normalize import fold, fold_term, strips_accents

try:  # the optional C helper (setup.py); the Python loops below give the same results
    from syndicate.terms import _scan
except ImportError:  # pragma: no cover - only where the install found no C compiler
    _scan = None  # type: ignore[assignment]

__all__ = ["Matcher", "TermMatch"]

_LATIN = re.compile(r"[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.I)
_HTML_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<(/?)([A-Za-z][\w:-]*)[^>]*>|[^<]+|<", re.S
)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")
_SKIPPED = {"code", "pre", "script", "style", "kbd", "samp"}


class TermMatch(NamedTuple):
    """A glossary term found at ``[start, end)`` of the text (character offsets).

    A NamedTuple rather than a dataclass: a page of text can hold thousands of matches, and
    building them is most of the matcher's Python-side cost (bench/terms.py)."""

    concept: str
    #: the glossary term (its base form; the text may hold a variant)
    term: str
    status: TermStatus
    start: int
    end: int


class _Entry(NamedTuple):
    """What the automaton holds for one key; a tuple, unpacked in the hot loops."""

    #: length of the folded form in the text
    length: int
    #: length of the key in a spaced language's automaton (see _word_key), else ``length``
    key_length: int
    #: the first fields of every TermMatch of this key
    concept: str
    term: str
    status: TermStatus
    #: whether the form starts / ends with a Latin letter or digit (for Japanese boundaries)
    latin_start: bool
    latin_end: bool


def _word_key(folded: str) -> str:
    """`` term `` with inner spaces doubled, for the doubled text of _whole_words."""
    return " " + folded.replace(" ", "  ") + " "


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while matches are built.

    A long text yields hundreds of thousands of small tuples, none in a cycle; every 700 of
    them start a collection that walks the young objects, and now and then all of them.
    Measured on bench/terms.py: 2.1 s with the collector, 0.78 s without. It is restored
    afterwards (and never switched on if it was off: another thread may be here too).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# tuple.__new__ builds a TermMatch without the Python-level __new__ of a NamedTuple.
_new = tuple.__new__


class Matcher:
    """Built once per glossary version; matching is then safe from several threads.

    ``compiled=False`` uses the pure-Python loops even where the C helper is built (tests
    compare the two); by default the helper is used when it is importable.
    """

    def __init__(self, glossary: Glossary | Iterable[Concept], *, compiled: bool = True) -> None:
        self._scan = _scan if compiled else None
        self._automata: dict[str, ahocorasick.Automaton] = {}
        for concept in glossary:
            for term in concept.terms:
                automaton = self._automata.setdefault(term.lang, ahocorasick.Automaton())
                spaced = strips_accents(term.lang)
                for form in term.forms:
                    key = fold_term(form, term.lang)
                    if not key:
                        continue
                    latin = (bool(_LATIN.match(key[0])), bool(_LATIN.match(key[-1])))
                    length = len(key)
                    key = _word_key(key) if spaced else key
                    entry = _Entry(length, len(key), concept.id, term.text, term.status, *latin)
                    if key not in automaton:  # the first concept to claim a form keeps it
                        automaton.add_word(key, entry)
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
        with _collector_paused():
            return self._match(automaton, text, lang)

    def _match(self, automaton: ahocorasick.Automaton, text: str, lang: str) -> list[TermMatch]:
        folded = fold(text, lang)
        body, scan = folded.text, self._scan
        if strips_accents(lang):
            doubled = " " + body.replace(" ", "  ") + " "
            if scan is not None:
                found: list[TermMatch] = scan.whole_words(
                    automaton.iter_long(doubled), doubled, TermMatch
                )
            else:
                found = self._whole_words(automaton, doubled)
        elif scan is not None:
            found = scan.unspaced(automaton.iter_long(body), body, TermMatch)
        else:
            found = self._unspaced(automaton, body)
        urls = [m.span() for m in _URL.finditer(text)] if ("://" in text or "www." in text) else []
        if folded.starts is None and not urls:
            return found  # the common case: folding kept every offset
        matches: list[TermMatch] = []
        for m in found:
            if folded.starts is not None and folded.splits_cluster(m.start, m.end):
                continue  # half of a character with its combining mark is no match
            a, b = folded.span(m.start, m.end)
            if urls and any(u0 < b and a < u1 for u0, u1 in urls):
                continue
            matches.append(m._replace(start=a, end=b))
        return matches

    @staticmethod
    def _whole_words(automaton: ahocorasick.Automaton, doubled: str) -> list[TermMatch]:
        """Leftmost-longest whole-word matches, found by the automaton alone (in C).

        Folding made every boundary a space; the caller doubled each space and padded the
        text, and keys are `` term `` with their inner spaces doubled too. A match then
        begins and ends at word boundaries by construction, and the trailing space it
        consumes leaves the next word its own leading space, so ``iter_long`` (longest,
        non-overlapping) finds consecutive terms. Offsets come back by counting spaces, one
        C call a match; they are into the undoubled text. ``_scan.whole_words`` does the
        same in C.
        """
        out: list[TermMatch] = []
        spaces = 0  # spaces of ``doubled`` before ``scanned``
        scanned = 1
        count, append = doubled.count, out.append
        for last, (length, key_length, concept, term, status, _, _) in automaton.iter_long(doubled):
            word = last - key_length + 2  # first character of the matched word
            spaces += count(" ", scanned, word)
            scanned = word
            start = word - 1 - spaces // 2
            append(_new(TermMatch, (concept, term, status, start, start + length)))
        return out

    @staticmethod
    def _unspaced(automaton: ahocorasick.Automaton, body: str) -> list[TermMatch]:
        """Longest non-overlapping matches (in C), less Latin terms touching Latin text.

        A Latin-edged term refused here may hide a shorter term at the same place; the
        automaton does not offer it again (rare: a Latin term inside Latin text).
        ``_scan.unspaced`` does the same in C.
        """

        def touches_latin(start: int, end: int, latin_start: bool, latin_end: bool) -> bool:
            return (latin_start and start > 0 and _LATIN.match(body[start - 1]) is not None) or (
                latin_end and end < len(body) and _LATIN.match(body[end]) is not None
            )

        # One comprehension: the Latin check runs only for the few Latin-edged terms.
        return [
            _new(TermMatch, (concept, term, status, last - length + 1, last + 1))
            for last, (length, _, concept, term, status, latin_start, latin_end) in (
                automaton.iter_long(body)
            )
            if not (latin_start or latin_end)
            or not touches_latin(last - length + 1, last + 1, latin_start, latin_end)
        ]

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
