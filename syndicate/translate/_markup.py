"""HTML as tokens and as an element tree, as :mod:`~syndicate.translate.segments` cuts it
and :mod:`~syndicate.translate._placeholders` hides names in it.

:func:`tokenize` splits markup into text, tags, comments and raw text (the content of
``<script>``, ``<style>``…) whose ``raw`` strings concatenate to the input exactly; it
never fails, a ``<`` that starts no tag is text. :func:`parse` nests the tokens into
elements where both the start and the end tag are there, and leaves the rest flat.

Everything here is pure: no I/O, standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, NamedTuple

__all__ = [
    "BOUNDARY",
    "BREAK",
    "T_EMPTY",
    "T_END",
    "T_OTHER",
    "T_RAW",
    "T_START",
    "T_TEXT",
    "Element",
    "Leaf",
    "Token",
    "parse",
    "tokenize",
]

# --------------------------------------------------------------------------- HTML vocabulary


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VOID: Final = _words("area base br col embed hr img input keygen link meta param source track wbr")
_BLOCK: Final = _words(
    "address article aside blockquote body caption center colgroup dd details dialog dir "
    "div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header "
    "hgroup hr html legend li main menu nav ol p pre section summary table tbody td tfoot "
    "th thead tr ul"
)
#: content kept whole if at all possible (code, and what the author marked untranslatable)
_NO_CUT: Final = _words("pre code kbd samp script style textarea")
#: elements whose content is raw text, not markup
_RAW_TEXT: Final = _words("script style textarea title xmp iframe noembed noframes")

_TAG: Final = re.compile(
    r"""
      <!--(?:>|->|.*?(?:--!?>|\Z))                          # comment (to the end if unclosed)
    | <![^>]*(?:>|\Z)                                       # doctype, CDATA
    | <\?[^>]*(?:>|\Z)                                      # processing instruction
    | </(?P<end>[A-Za-z][^\s/>]*)[^>]*>                     # end tag
    | <(?P<start>[A-Za-z][^\s/>]*)(?:"[^"]*"|'[^']*'|[^'">])*>  # start tag
    """,
    re.S | re.X,
)
_TRANSLATE_NO: Final = re.compile(r"""\stranslate\s*=\s*["']?no\b""", re.I)

T_TEXT, T_START, T_END, T_EMPTY, T_OTHER, T_RAW = range(6)


class Token(NamedTuple):
    kind: int
    raw: str
    #: the tag name as written; "" for anything but tags
    name: str


def tokenize(markup: str) -> list[Token]:
    """Markup as tokens whose ``raw`` texts concatenate to ``markup`` exactly."""
    tokens: list[Token] = []
    size = len(markup)
    text_start = pos = 0
    while (lt := markup.find("<", pos)) >= 0:
        match = _TAG.match(markup, lt)
        if match is None:  # a literal "<"
            pos = lt + 1
            continue
        if lt > text_start:
            tokens.append(Token(T_TEXT, markup[text_start:lt], ""))
        raw = match.group()
        pos = match.end()
        if (end := match.group("end")) is not None:
            tokens.append(Token(T_END, raw, end))
        elif (name := match.group("start")) is not None:
            key = name.lower()
            if key in _VOID or raw.endswith("/>"):
                tokens.append(Token(T_EMPTY, raw, name))
            else:
                tokens.append(Token(T_START, raw, name))
                if key in _RAW_TEXT:
                    close = re.compile(rf"</{re.escape(key)}[\s/>]", re.I).search(markup, pos)
                    stop = size if close is None else close.start()
                    if stop > pos:
                        tokens.append(Token(T_RAW, markup[pos:stop], ""))
                    pos = stop
        else:
            tokens.append(Token(T_OTHER, raw, ""))
        text_start = pos
    if text_start < size:
        tokens.append(Token(T_TEXT, markup[text_start:], ""))
    return tokens


# --------------------------------------------------------------------------- the tree

#: what a block boundary and a line break look like to the sentence finder
BOUNDARY: Final = "\x00"
BREAK: Final = "\u2028"


@dataclass(eq=False)
class Element:
    """An element with both its start and its end tag in the markup."""

    name: str
    start: str
    block: bool
    no_cut: bool
    children: list[Element | Leaf] = field(default_factory=list)
    end: str = ""


@dataclass(frozen=True)
class Leaf:
    """Character data (``text``), or an indivisible token: tag, comment, raw text."""

    raw: str
    text: bool
    block: bool
    #: what the token looks like to the sentence finder
    mark: str = ""


def parse(markup: str) -> list[Element | Leaf]:
    """The element tree. An element without its end tag does not nest: its start tag becomes
    a leaf and its content its siblings; so does an end tag without a start tag."""
    root: list[Element | Leaf] = []
    open_: list[Element] = []

    def dissolve() -> None:
        element = open_.pop()
        siblings = open_[-1].children if open_ else root
        siblings[-1:] = [Leaf(element.start, False, element.block), *element.children]

    for token in tokenize(markup):
        siblings = open_[-1].children if open_ else root
        key = token.name.lower()
        if token.kind == T_TEXT:
            siblings.append(Leaf(token.raw, True, False))
        elif token.kind == T_START:
            no_cut = key in _NO_CUT or _TRANSLATE_NO.search(token.raw) is not None
            element = Element(token.name, token.raw, key in _BLOCK, no_cut)
            siblings.append(element)
            open_.append(element)
        elif token.kind == T_END:
            depth = next(
                (i for i in range(len(open_) - 1, -1, -1) if open_[i].name.lower() == key), -1
            )
            if depth < 0:
                siblings.append(Leaf(token.raw, False, key in _BLOCK))
                continue
            while len(open_) > depth + 1:
                dissolve()
            open_.pop().end = token.raw
        else:
            mark = BREAK if key == "br" else BOUNDARY if key in _BLOCK else ""
            siblings.append(Leaf(token.raw, False, key in _BLOCK, mark))
    while open_:
        dissolve()
    return root
