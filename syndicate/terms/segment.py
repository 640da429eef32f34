"""Where Japanese words begin and end, from a morphological analyser.

Japanese does not space words, so a term found anywhere would match inside longer words
(ベンチ in ベンチャー, 京都 in 東京都). The matcher keeps a Japanese match only where it
starts and ends on a boundary this module reports. The analyser is SudachiPy with its core
dictionary (``sudachidict-core``), both installed by pip (nothing is downloaded at run
time), in split mode A, the shortest units: a term may then span several units (電気自動車
is 電気|自動|車) and match inside a compound whose parts it names (電池 in リチウムイオン電池,
水素 in 水素エネルギー). A compound that is not the concept (硫化水素 is not 水素) is the
glossary's to say, with a ``blocking`` term. Inside a word the dictionary does not know
(Sudachi makes one such word of a run of unknown katakana: イノベーションハブ), every
position counts as a boundary, as it did before the analyser: there is no telling. The
choice, measured against fugashi with unidic-lite, is in ``bench/analysers.md``.

The dictionary is loaded once per process, when Japanese text is first matched; each
thread gets a tokenizer of its own. Text goes to the analyser in pieces under its input
limit, cut after sentence ends or, in a piece without any, at a fixed size; a cut is a
boundary.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

__all__ = ["MAX_PIECE", "word_boundaries"]

#: the most characters given to the analyser at once (Sudachi refuses inputs over about
#: 49 KB of UTF-8, and Japanese takes 3 bytes a character)
MAX_PIECE = 8000

_SENTENCE_END = re.compile(r"[。！？!?\n]+")
_local = threading.local()
_ONES = b"\x01" * MAX_PIECE


@functools.cache
def _dictionary() -> Any:
    import sudachipy

    return sudachipy.Dictionary(dict="core")


def _tokenizer() -> Any:
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        import sudachipy

        tokenizer = _dictionary().tokenizer(mode=sudachipy.SplitMode.A)
        _local.tokenizer = tokenizer
    return tokenizer


def _pieces(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` spans covering ``text``, each at most MAX_PIECE characters, cut
    after a sentence end where there is one."""
    spans = []
    start, size = 0, len(text)
    while start < size:
        end = min(start + MAX_PIECE, size)
        if end < size:
            cut = None
            for found in _SENTENCE_END.finditer(text, start, end):
                cut = found.end()
            if cut is not None and cut > start:
                end = cut
        spans.append((start, end))
        start = end
    return spans


def word_boundaries(text: str) -> bytearray:
    """``marks[i]`` is 1 where a word begins or ends at offset ``i`` (``len(text) + 1``
    marks; the text's start and end are boundaries)."""
    marks = bytearray(len(text) + 1)
    marks[0] = marks[len(text)] = 1
    tokenize = _tokenizer().tokenize
    for start, end in _pieces(text):
        marks[start] = marks[end] = 1
        for morpheme in tokenize(text[start:end]):
            if morpheme.is_oov():  # a word it does not know: no telling where words are
                marks[start + morpheme.begin() : start + morpheme.end()] = _ONES[
                    : morpheme.end() - morpheme.begin()
                ]
            marks[start + morpheme.end()] = 1
    return marks
