"""Find glossary terms in text and HTML: one Aho-Corasick automaton per language.

Rules: text and terms are folded alike (:mod:`syndicate.terms.normalize`); in spaced
scripts a match must start and end at word boundaries, so an apostrophe is a boundary and
Italian elision needs no special entry (``dell'energia`` holds ``energia``). Folding makes
every boundary a space, so terms enter the automaton as `` term `` and the padded text
yields whole-word matches only, with no check per candidate. Italian and English terms
also match their regular plurals, and Italian multiword terms any articulated form of
their prepositions (:mod:`syndicate.terms.forms`; the forms the glossary lists win).

In Japanese a match must start and end on word boundaries: where the script changes, and
inside a run of one script where a morphological analyser puts them
(:mod:`syndicate.terms.segment`), so ベンチ is not found in ベンチャー nor 京都 in 東京都;
and a term starting or ending with a Latin letter or digit must not touch
another one (``AI`` is not in ``EMAIL``). Where matches overlap, the leftmost wins, and of
those the longest. A ``blocking`` term (a longer form that is not the concept, 硫化水素
under 水素) competes like any term and is then left out; a ``case-sensitive`` term matches
only as written. Nothing inside a URL is a match. In HTML only text nodes count, never
tags, attributes, or ``<code>``, ``<pre>``, ``<script>``, ``<style>``.
"""

from __future__ import annotations

import contextlib
import gc
import html
import re
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from typing import NamedTuple

import ahocorasick

from syndicate.terms.forms import plurals, with_prepositions
from syndicate.terms.model import Concept, Glossary, PartOfSpeech, Term, TermFlag, TermStatus
from syndicate.terms.normalize import Folded, fold, fold_term, strips_accents
from syndicate.terms.segment import IN_WORDS, Boundaries, script_codes

try:  # the optional C helper (setup.py); the Python loops below give the same results
    from syndicate.terms import _scan
except ImportError:  # pragma: no cover - only where the install found no C compiler
    _scan = None  # type: ignore[assignment]

__all__ = ["Matcher", "TermMatch"]

_LATIN = re.compile(r"[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
# A URL is the ASCII characters RFC 3986 allows: Japanese text runs on after a URL with no
# space between (``www.example.jpでエネルギー貯蔵``), and that text is searched.
_URL = re.compile(r"(?:https?://|www\.)[!#$%&()*+,\-./0-9:;=?@A-Z\[\]_a-z~]+", re.I)
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


#: the word boundaries of a Japanese text, asked an offset at a time (``i in marks``),
#: and only about offsets inside a run of one script: a script change is a boundary anyway
Segmenter = Callable[[str], Container[int]]


class Matcher:
    """Built once per glossary version; matching is then safe from several threads.

    ``compiled=False`` uses the pure-Python loops even where the C helper is built (tests
    compare the two); by default the helper is used when it is importable. ``segmenter``
    finds Japanese word boundaries (the analyser by default; tests pass others).
    """

    def __init__(
        self,
        glossary: Glossary | Iterable[Concept],
        *,
        compiled: bool = True,
        segmenter: Segmenter = Boundaries,
    ) -> None:
        self._scan = _scan if compiled else None
        self._segmenter = segmenter
        self._automata: dict[str, ahocorasick.Automaton] = {}
        self._terms: dict[tuple[str, str, str], Term] = {}
        self._domains: dict[str, str] = {}
        #: (lang, concept, term) of blocking terms, and of case-sensitive ones with their
        #: forms as written (NFKC)
        self._blocking: set[tuple[str, str, str]] = set()
        self._cased: dict[tuple[str, str, str], frozenset[str]] = {}
        generated: list[tuple[str, str, Concept, Term]] = []
        for concept in glossary:
            self._domains.setdefault(concept.id, concept.domain)
            for term in concept.terms:
                key = (term.lang, concept.id, term.text)
                self._terms.setdefault(key, term)
                if TermFlag.BLOCKING in term.flags:
                    self._blocking.add(key)
                if TermFlag.CASE_SENSITIVE in term.flags:
                    cased = {unicodedata.normalize("NFKC", f) for f in term.forms}
                    self._cased[key] = self._cased.get(key, frozenset()) | cased
                for form in term.forms:
                    self._add(fold_term(form, term.lang), concept, term)
                generated += ((term.lang, form, concept, term) for form in _other_forms(term))
        for lang, form, concept, term in generated:  # after every listed form: those win
            self._add(fold_term(form, lang), concept, term)
        for automaton in self._automata.values():
            automaton.make_automaton()

    def _add(self, key: str, concept: Concept, term: Term) -> None:
        if not key:
            return
        automaton = self._automata.setdefault(term.lang, ahocorasick.Automaton())
        latin = (bool(_LATIN.match(key[0])), bool(_LATIN.match(key[-1])))
        length = len(key)
        key = _word_key(key) if strips_accents(term.lang) else key
        if key not in automaton:  # the first concept to claim a form keeps it
            entry = _Entry(length, len(key), concept.id, term.text, term.status, *latin)
            automaton.add_word(key, entry)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._automata))

    def term(self, lang: str, concept: str, text: str) -> Term | None:
        """The glossary term a match names (``TermMatch.concept`` and ``.term``)."""
        return self._terms.get((lang, concept, text))

    def domain(self, concept: str) -> str:
        """The domain of a concept ("" when it has none or is unknown)."""
        return self._domains.get(concept, "")

    def match(self, text: str, lang: str) -> list[TermMatch]:
        """Matches in plain ``text``, leftmost-longest, offsets into ``text``."""
        automaton = self._automata.get(lang)
        if automaton is None or not text:
            return []
        with _collector_paused():
            found = self._match(automaton, text, lang)
        if self._blocking or self._cased:
            found = [m for m in found if self._counts(m, text, lang)]
        return found

    def _counts(self, match: TermMatch, text: str, lang: str) -> bool:
        """Whether a match is kept: not a blocking form, a case-sensitive one as written."""
        key = (lang, match.concept, match.term)
        if key in self._blocking:
            return False
        cased = self._cased.get(key)
        written = text[match.start : match.end]
        return cased is None or unicodedata.normalize("NFKC", written) in cased

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
        else:
            found = self._unspaced(automaton, folded, self._segmenter)
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
    def _unspaced(
        automaton: ahocorasick.Automaton, folded: Folded, segmenter: Segmenter
    ) -> list[TermMatch]:
        """Leftmost-longest matches that begin and end on word boundaries.

        Every occurrence of every key is a candidate (``iter``, not ``iter_long``: a longer
        match refused at a boundary must leave the shorter one inside it its chance). The
        analyser runs only on what a candidate asks about; no boundary falls inside a
        character and its combining marks. A Latin-edged term must also not touch Latin text (``AI``
        in ``EMAIL``), whatever the analyser made of it.
        """
        body = folded.text
        # (start, -length, entry): sorted, the leftmost first and, at one start, the
        # longest (two entries never tie on both: one key per string)
        candidates = [
            (last - entry[0] + 1, -entry[0], entry) for last, entry in automaton.iter(body)
        ]
        if not candidates:
            return []
        candidates.sort()
        codes = script_codes(body)
        marks = segmenter(body)  # asked only about offsets inside a run of one script
        size = len(body)
        starts = folded.starts  # when not None: no boundary inside one original cluster
        out: list[TermMatch] = []
        reached = 0
        for start, minus_length, entry in candidates:
            if start < reached:
                continue
            end = start - minus_length
            code = codes[start]
            if start and code == codes[start - 1] and code in IN_WORDS and start not in marks:
                continue
            if end < size:
                code = codes[end]
                if code == codes[end - 1] and code in IN_WORDS and end not in marks:
                    continue
            if starts is not None and (
                (start > 0 and starts[start] == starts[start - 1])
                or (end < size and starts[end] == starts[end - 1])
            ):
                continue
            _, _, concept, term, status, latin_start, latin_end = entry
            if (latin_start and start > 0 and _LATIN.match(body[start - 1])) or (
                latin_end and end < size and _LATIN.match(body[end])
            ):
                continue
            out.append(_new(TermMatch, (concept, term, status, start, end)))
            reached = end
        return out

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


def _other_forms(term: Term) -> list[str]:
    """Forms of ``term`` the glossary need not list (see :mod:`syndicate.terms.forms`)."""
    if term.lang not in ("it", "en") or term.do_not_translate:
        return []
    if TermFlag.CASE_SENSITIVE in term.flags:
        return []
    out: list[str] = []
    if term.part_of_speech in (None, PartOfSpeech.NOUN):
        for form in term.forms:
            out += plurals(form, term.lang)
    if term.lang == "it":
        for form in [*term.forms, *out]:
            out += with_prepositions(fold_term(form, term.lang))
    return out


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
