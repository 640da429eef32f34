"""Fold text for term matching, keeping a way back to the original character offsets.

it/en (and other spaced scripts): NFKC, accents removed, case folded, and every character
that is not a letter or digit (spaces, punctuation, apostrophes ' ’ ʼ, hyphens), and every
kana, CJK ideograph or Hangul syllable, made one plain space, so that word boundaries are
simply spaces. ja: NFKC (full/half width,
ｶﾀｶﾅ), case folded, apostrophe variants made ``'``, white space a plain space, kana and
punctuation kept as they are.

Most characters fold to exactly one character; those are folded by one ``str.translate``
over a table built once, and offsets stay the same. A text holding any of the few others
(ß → ss, ﬁ → fi, a combining accent, a half-width voiced mark, characters beyond the BMP)
is folded cluster by cluster with an explicit offset map.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Folded", "fold", "fold_key", "fold_term", "is_word_char", "strips_accents", "unspaced"]

_APOSTROPHES = "\u2019\u02bc\u2018`\u00b4\u2032"
_JOINING = {"\uff9e", "\uff9f", "\u3099", "\u309a"}  # (half-width) voiced sound marks


# Scripts written without spaces (kana, CJK ideographs, Hangul): in a spaced language's text,
# a run of them is never part of a word, so it bounds one (``batteria solidaを``).
_UNSPACED_SCRIPTS = (
    (0x1100, 0x11FF),
    (0x2E80, 0x2FDF),
    (0x3040, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x20000, 0x3134F),
)


def _unspaced_script(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _UNSPACED_SCRIPTS)


def is_word_char(char: str) -> bool:
    """Whether ``char`` is part of a word of a spaced script (a letter or digit of Latin,
    Greek, Cyrillic…): anything else bounds a word there. Kana, kanji and Hangul are not,
    since those scripts do not space their words."""
    return char.isalnum() and not _unspaced_script(char)


def unspaced(text: str) -> bool:
    """Whether ``text`` holds a character of a script written without spaces."""
    return any(_unspaced_script(char) for char in text)


def strips_accents(lang: str) -> bool:
    """Whether folding for ``lang`` removes accents (not for Japanese, Chinese, Korean)."""
    return lang.split("-")[0].lower() not in {"ja", "zh", "ko"}


def _fold_exact(text: str, accents: bool) -> str:
    text = unicodedata.normalize("NFKC", text)
    if accents:
        text = "".join(
            c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
        )
        text = unicodedata.normalize("NFC", text)
    text = text.casefold()
    out = []
    for char in text:
        if accents and (char in _APOSTROPHES or not char.isalnum() or _unspaced_script(char)):
            out.append(" ")  # spaced scripts: any non-word character is a word boundary
        elif char in _APOSTROPHES:
            out.append("'")
        elif char.isspace():
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


@functools.cache
def _table(accents: bool) -> tuple[dict[int, str], re.Pattern[str], re.Pattern[str]]:
    """The 1:1 translation table of the BMP, a pattern of the characters it cannot fold, and
    a pattern of every character folding changes (text without any needs no work)."""
    table: dict[int, str] = {}
    special: list[str] = []
    for code in range(0x10000):
        char = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        folded = _fold_exact(char, accents)
        if (
            len(folded) != 1
            or unicodedata.combining(char)
            or unicodedata.combining(folded)
            or char in _JOINING
            or 0x1100 <= code <= 0x11FF
        ):
            special.append(re.escape(char))
        elif folded != char:
            table[code] = folded
    pattern = re.compile("[" + "".join(special) + "\U00010000-\U0010ffff]")
    changing = re.compile(
        "["
        + "".join(special)
        + "".join(re.escape(chr(c)) for c in table)
        + "\U00010000-\U0010ffff]"
    )
    return table, pattern, changing


@dataclass(frozen=True)
class Folded:
    """Folded text; ``starts[i]``/``ends[i]`` give the original span of folded character i,
    or both are None when every character kept its offset."""

    text: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    def splits_cluster(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` begins or ends inside one original character cluster."""
        if self.starts is None:
            return False
        return (start > 0 and self.starts[start] == self.starts[start - 1]) or (
            end < len(self.starts) and self.starts[end] == self.starts[end - 1]
        )

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the folded span ``[start, end)``."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold(text: str, lang: str) -> Folded:
    accents = strips_accents(lang)
    table, special, changing = _table(accents)
    if not changing.search(text):
        return Folded(text)
    if text.isascii() or not special.search(text):  # no ASCII character is special
        return Folded(text.translate(table))
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (unicodedata.combining(text[j]) or text[j] in _JOINING):
            j += 1
        piece = _fold_exact(text[i:j], accents)
        out.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return Folded("".join(out), starts, ends)


def fold_term(text: str, lang: str) -> str:
    """A glossary term folded like text, runs of spaces made one."""
    return " ".join(_fold_exact(text, strips_accents(lang)).split())


def fold_key(text: str) -> str:
    """A short text of no known language (a category, a topic keyword) folded as a glossary
    term of its script: as Japanese when it holds kana, kanji or Hangul, otherwise as
    Italian or English (case, width, accents, and punctuation made a space)."""
    return fold_term(text, "ja" if unspaced(text) else "en")
