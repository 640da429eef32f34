"""Where Japanese words begin and end: script changes, and a morphological analyser.

Japanese does not space words, so a term found anywhere would match inside longer words
(ベンチ in ベンチャー, 京都 in 東京都). The matcher keeps a Japanese match only where it
starts and ends on a word boundary, as this module decides:

- where the script changes (hiragana, katakana, kanji, Latin letters and digits, anything
  else) there is a boundary: の|電池, リチウムイオン|電池, EV|の. Latin next to Latin is
  the matcher's own rule (``AI`` is not in ``EMAIL``);
- inside a run of one script (katakana in katakana, kanji in kanji, kana in kana), the
  analyser decides, on that run: SudachiPy with its core dictionary (``sudachidict-core``,
  both installed by pip, nothing downloaded at run time), in split mode A, the shortest
  units, so a term may match inside a compound whose parts it names (水素 in 水素燃料,
  太陽光 in 太陽光発電) but not inside a word (ベンチ in ベンチャー, 京都 in 東京都).
  Inside a word the dictionary does not know (Sudachi makes one such word of a run of
  unknown katakana: イノベーションハブ) every position counts as a boundary, as before
  the analyser: there is no telling.

A compound that is not the concept (硫化水素 is not 水素) is the glossary's to say, with
a ``blocking`` term. Only the runs holding a candidate's edge go to the analyser, each
once (bench/terms.py measures the cost). The choice of analyser, measured against fugashi
with unidic-lite, is in ``bench/analysers.md``.

The dictionary is loaded once per process, when Japanese text is first matched; each
thread gets a tokenizer of its own. A run longer than ``MAX_RUN`` is cut into pieces for
the analyser (Sudachi refuses inputs over about 49 KB): every multiple of ``MAX_RUN`` is
a boundary.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from typing import Any

__all__ = ["IN_WORDS", "MAX_RUN", "Boundaries", "run_boundaries", "script_codes", "script_of"]

#: the most characters given to the analyser at once
MAX_RUN = 4000

HIRAGANA, KATAKANA, KANJI, LATIN, OTHER = 1, 2, 3, 4, 0
_local = threading.local()


@functools.cache
def _script_codes() -> str:
    """Every BMP character's script class, as the character ``chr(class)`` at its code
    point: a table for ``str.translate``, whose lookups past its end (characters beyond
    the BMP) leave the character itself. Built on first use (20 ms), not at import."""
    bmp = "".join(map(chr, range(0x10000)))
    # LATIN: every letter or digit of a spaced script; the ranges below then take theirs
    table = bytearray(map(str.isalnum, bmp)).translate(bytes((OTHER, LATIN)) + bytes(254))
    middle_dot = table[0x30FB]  # ・ is punctuation, not katakana
    ranges = (
        (0x3041, 0x309F, HIRAGANA),
        (0x30A1, 0x30FF, KATAKANA),  # with ー
        (0x31F0, 0x31FF, KATAKANA),
        (0xFF66, 0xFF9F, KATAKANA),  # half width (the text is NFKC-folded before, anyway)
        (0x4E00, 0x9FFF, KANJI),
        (0x3400, 0x4DBF, KANJI),
        (0xF900, 0xFAFF, KANJI),
        (0x3005, 0x3007, KANJI),  # 々 〆 〇
    )
    for low, high, script in ranges:
        table[low : high + 1] = bytes((script,)) * (high + 1 - low)
    table[0x30FB] = middle_dot
    return table.decode("latin-1")


def script_of(char: str) -> int:
    """The script class of one character (any character past the BMP, the rare kanji of
    the supplementary planes included, is OTHER: a boundary on both sides)."""
    code = ord(char)
    return ord(_script_codes()[code]) if code < 0x10000 else OTHER


@functools.cache
def _dictionary() -> Any:
    import sudachipy

    return sudachipy.Dictionary(dict="core")


def _tokenize(text: str) -> Any:
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        import sudachipy

        # offsets and the unknown-word flag are all we read: no word fields are loaded
        tokenizer = _dictionary().tokenizer(mode=sudachipy.SplitMode.A, fields=set())
        _local.tokenizer = tokenizer
    return tokenizer.tokenize(text)


def run_boundaries(run: str) -> bytearray:
    """The analyser's word boundaries inside ``run``: ``marks[j]`` is 1 where a word
    begins or ends at offset ``j`` (its ends included), and at every offset inside a word
    it does not know."""
    marks = bytearray(len(run) + 1)
    marks[0] = marks[len(run)] = 1
    for start in range(0, len(run), MAX_RUN):
        marks[start] = 1
        for morpheme in _tokenize(run[start : start + MAX_RUN]):
            end = start + morpheme.end()
            marks[end] = 1
            if morpheme.is_oov():
                begin = start + morpheme.begin()
                marks[begin:end] = b"\x01" * (end - begin)
    return marks


def script_codes(text: str) -> str:
    """``text`` with every character replaced by its script class, one character each
    (``chr(script_of(c))``, but a character past the BMP stays itself, never a kana or
    kanji code): ``codes[i] != codes[i - 1] or codes[i] not in IN_WORDS`` says that
    offset ``i`` is a boundary by script alone."""
    return text.translate(_script_codes())


class Boundaries:
    """The word boundaries of one text, asked one offset at a time (``i in boundaries``):
    a run of one script goes to the analyser the first time an offset inside it is asked
    about, and only then. Runs are cut at every multiple of ``MAX_RUN`` (a boundary); the
    runs of a block of ``MAX_RUN`` characters are found once, with one regular expression,
    and each run is analysed once, so the memory held is a byte per character analysed.
    Nothing is computed before the first offset inside a run is asked about (the matcher
    decides script changes itself, with :func:`script_codes`)."""

    __slots__ = ("_blocks", "_codes", "_last", "_marks", "_size", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._codes = ""
        self._size = len(text)
        self._blocks: dict[int, tuple[list[int], list[int]]] = {}  # block -> run starts, ends
        self._marks: dict[int, bytearray] = {}  # a run's start -> its boundaries
        self._last = (0, 0, bytearray())  # the run asked about last: start, end, marks

    def __contains__(self, i: object) -> bool:
        assert isinstance(i, int)
        start, end, marks = self._last
        if start < i < end:  # asked in turn, offsets mostly fall in the run asked last
            return bool(marks[i - start])
        if i <= 0 or i >= self._size or i % MAX_RUN == 0:
            return True
        codes = self._codes
        if not codes:
            codes = self._codes = script_codes(self._text)
        code = codes[i]
        if code != codes[i - 1] or code not in IN_WORDS:
            return True
        block = i // MAX_RUN
        runs = self._blocks.get(block)
        if runs is None:
            low = block * MAX_RUN
            found = list(_RUN.finditer(codes, low, min(self._size, low + MAX_RUN)))
            runs = self._blocks[block] = ([m.start() for m in found], [m.end() for m in found])
        starts, ends = runs
        k = bisect.bisect_right(starts, i) - 1  # i - 1 and i are in the same run
        start, end = starts[k], ends[k]
        if start in self._marks:
            marks = self._marks[start]
        else:
            marks = self._marks[start] = run_boundaries(self._text[start:end])
        self._last = (start, end, marks)
        return bool(marks[i - start])


# Script classes as one character each (_script_codes): kana and kanji can hold a
# boundary inside a run; Latin and other characters are boundaries themselves. Every BMP
# character is mapped (control characters too: chr(1) in a text must not pass for
# hiragana); characters past it stay themselves, which is never a kana or kanji code.
#: the script codes of characters between which a word may go on
IN_WORDS = frozenset((chr(HIRAGANA), chr(KATAKANA), chr(KANJI)))
_RUN = re.compile(f"{chr(HIRAGANA)}+|{chr(KATAKANA)}+|{chr(KANJI)}+")
