"""Cut HTML into pieces a translation engine accepts, and join them back.

Every engine limits the size of a request, so long article content is split with
:func:`split_html` into pieces of at most ``max_chars`` characters. The cuts fall, in order
of preference, between block elements (the shallowest level first), at sentence ends, at
whitespace, and only as a last resort between any two characters; never inside a tag, an
entity or a comment, and inside ``<pre>``/``<code>`` only when nothing else fits. When a cut
falls inside elements, the piece before it closes them and the piece after it re-opens them
with copies of their start tags, so each piece is well-formed on its own. :meth:`Split.join`
removes those copies again after translation: joining the untranslated pieces gives back the
input exactly.

The markup is read by :mod:`~syndicate.translate._markup`; names are hidden from engines by
:mod:`~syndicate.translate._placeholders`.

Everything here is pure: no I/O, standard library only.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from syndicate.translate._markup import BOUNDARY, BREAK, Element, Leaf, parse

__all__ = ["MIN_CHARS", "Seam", "Split", "split_html"]


#: the smallest ``max_chars`` :func:`split_html` accepts
MIN_CHARS: Final = 16

#: one indivisible unit of character data: a character reference or a single character
_TEXT_ATOM: Final = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)|.", re.S)


# --------------------------------------------------------------------------- cut positions

# Gap kinds, before ranking.
_G_FORBID, _G_BLOCK, _G_TEXT, _G_PRE = range(4)

# Ranks of cuts: lower is better; block cuts add their depth; _R_NONE is no cut at all.
_R_NONE: Final = 1 << 30
_R_END: Final = 0
_R_BLOCK: Final = 100_000
_R_SENTENCE: Final = 200_000
_R_SPACE: Final = 300_000
_R_HARD: Final = 400_000
_R_PRE_LINE: Final = 500_000
_R_PRE_SPACE: Final = 600_000
_R_PRE_HARD: Final = 700_000

_CLOSERS: Final = re.escape("\"')]»”’」』）〕】》〉")
#: a Latin sentence end: the cut goes anywhere in the whitespace after it
_LATIN_END: Final = re.compile(rf"[.!?…][{_CLOSERS}]*([ \t\n\r\f\u3000]+)")
#: a Japanese or Chinese sentence end: the cut goes right after it
_CJK_END: Final = re.compile(rf"[。！？．｡][{_CLOSERS}]*")
#: whitespace, and what Japanese and Chinese break at as Latin text does at a space
_TEXT_SPACE: Final = re.compile("[ \t\n\r\f\u3000、，；：､]")
_PRE_SPACE: Final = re.compile("[ \t\r\f\u3000]")
_PRE_LINE: Final = re.compile(f"[\n{BREAK}{BOUNDARY}]")
#: characters that may continue a grapheme (checked further with unicodedata)
_MAYBE_GLUE: Final = re.compile(
    r"[^\x00-\u02ff\u3040-\u3098\u309b-\u30ff\u4e00-\u9fff\uac00-\ud7a3]"
)


def _glue_positions(visible: str) -> list[int]:
    """Positions in ``visible`` where a cut would split a grapheme cluster."""
    positions: list[int] = []
    for match in _MAYBE_GLUE.finditer(visible):
        char = match.group()
        if char == "\u200d":  # zero-width joiner: glues both ways
            positions += (match.start(), match.end())
        elif (
            char in "\ufe0e\ufe0f"
            or "\U0001f3fb" <= char <= "\U0001f3ff"
            or unicodedata.combining(char) != 0
        ):
            positions.append(match.start())
    return positions


def _text_ranks(visible: str) -> list[int]:
    """The rank of a cut in running text at each position of ``visible``."""
    ranks = [_R_HARD] * (len(visible) + 1)
    for position in _glue_positions(visible):
        ranks[position] = _R_NONE
    ranks[0] = _R_SPACE
    for match in _TEXT_SPACE.finditer(visible):
        ranks[match.end()] = _R_SPACE
    for match in re.finditer(BOUNDARY, visible):
        ranks[match.end()] = _R_SPACE
    for match in _LATIN_END.finditer(visible):
        ranks[match.start(1) + 1 : match.end() + 1] = [_R_SENTENCE] * len(match.group(1))
    for match in _CJK_END.finditer(visible):
        ranks[match.end()] = _R_SENTENCE
    for match in re.finditer(BREAK, visible):
        ranks[match.end()] = _R_SENTENCE
    return ranks


def _pre_ranks(visible: str) -> list[int]:
    """The rank of a cut in preformatted text at each position of ``visible``."""
    ranks = [_R_PRE_HARD] * (len(visible) + 1)
    for position in _glue_positions(visible):
        ranks[position] = _R_NONE
    for match in _PRE_SPACE.finditer(visible):
        ranks[match.end()] = _R_PRE_SPACE
    ranks[0] = _R_PRE_LINE
    for match in _PRE_LINE.finditer(visible):
        ranks[match.end()] = _R_PRE_LINE
    return ranks


_unescape: Final = functools.lru_cache(maxsize=1024)(html.unescape)


@dataclass
class _Frame:
    nodes: list[Element | Leaf]
    element: Element | None
    stack: tuple[Element, ...]
    open_len: int
    close_len: int
    no_cut: bool
    index: int = 0


class _Layout:
    """The markup as atoms (indivisible strings) and the gaps between them.

    Gap ``g`` lies before atom ``g``; gap ``len(atoms)`` is the end. For each gap: the
    frame it lies in (the elements open there, outermost first, and the length of their
    start tags and of their end tags), its offset in the markup, and its rank as a cut
    (``_R_NONE``: no cut here)."""

    def __init__(self, nodes: list[Element | Leaf], max_chars: int) -> None:
        atoms: list[str] = []
        marks: list[str] = []  # what each atom looks like to the sentence finder
        kinds: list[int] = []
        frames: list[_Frame] = []  # per gap

        stack = [_Frame(nodes, None, (), 0, 0, False)]
        while stack:
            frame = stack[-1]
            if frame.index == len(frame.nodes):
                stack.pop()
                if frame.element is not None:
                    kinds.append(_G_FORBID)  # just inside the end tag
                    frames.append(frame)
                    atoms.append(frame.element.end)
                    marks.append(BOUNDARY if frame.element.block else "")
                continue
            index = frame.index
            node = frame.nodes[index]
            frame.index += 1
            if index == 0:  # just inside the start tag, or the very beginning
                kinds.append(_G_FORBID)
            elif frame.no_cut:
                kinds.append(_G_PRE)
            elif frame.nodes[index - 1].block or node.block:
                kinds.append(_G_BLOCK)
            else:
                kinds.append(_G_TEXT)
            frames.append(frame)
            if isinstance(node, Element):
                atoms.append(node.start)
                marks.append(BOUNDARY if node.block else "")
                stack.append(
                    _Frame(
                        node.children,
                        node,
                        (*frame.stack, node),
                        frame.open_len + len(node.start),
                        frame.close_len + len(node.name) + 3,
                        frame.no_cut or node.no_cut,
                    )
                )
            elif node.text:
                if "&" in node.raw:
                    parts = _TEXT_ATOM.findall(node.raw)
                    marks.extend(map(_unescape, parts))
                else:
                    parts = list(node.raw)
                    marks.extend(parts)
                atoms.extend(parts)
                kinds.extend([_G_PRE if frame.no_cut else _G_TEXT] * (len(parts) - 1))
                frames.extend([frame] * (len(parts) - 1))
            else:
                atoms.append(node.raw)
                marks.append(node.mark)
        frames.append(_Frame([], None, (), 0, 0, False))  # the end

        # Rank the cuts by the visible text around them: the atoms' marks in one string.
        visible = "".join(marks)
        position = list(accumulate(map(len, marks), initial=0))
        text = _text_ranks(visible) if _G_TEXT in kinds else []
        pre = _pre_ranks(visible) if _G_PRE in kinds else []
        ranks = [
            _R_NONE
            if kind == _G_FORBID or frame.open_len + frame.close_len >= max_chars
            else text[at]
            if kind == _G_TEXT
            else _R_BLOCK + min(len(frame.stack), _R_BLOCK - 1)
            if kind == _G_BLOCK
            else pre[at]
            for kind, frame, at in zip(kinds, frames, position, strict=False)
        ]
        ranks.append(_R_END)

        self.atoms = atoms
        self.frames = frames
        self.ranks = ranks
        self.offsets = list(accumulate(map(len, atoms), initial=0))


# --------------------------------------------------------------------------- split and join


@dataclass(frozen=True)
class Seam:
    """A cut between two pieces of a :class:`Split`."""

    #: start tags of the elements open at the cut, as in the source, outermost first: the
    #: piece before the cut ends with their end tags, the piece after it starts with these
    tags: tuple[str, ...] = ()
    #: whether the source has whitespace at the cut (an engine trimming it loses a space)
    space: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The tag names of :attr:`tags`."""
        return tuple(_tag_name(tag) for tag in self.tags)


@dataclass(frozen=True)
class Split:
    """HTML cut into pieces, each well-formed and sent on its own; :meth:`join` puts the
    (translated) pieces back together."""

    pieces: tuple[str, ...] = ()
    #: ``seams[i]`` lies between ``pieces[i]`` and ``pieces[i + 1]``
    seams: tuple[Seam, ...] = ()

    def __post_init__(self) -> None:
        if len(self.seams) != max(len(self.pieces) - 1, 0):
            raise ValueError(f"{len(self.pieces)} pieces need {len(self.pieces) - 1} seams")

    def join(self, translated: Sequence[str]) -> str:
        """One HTML string from the pieces, translated or not, in order.

        At each seam, the end tags that close the open elements at the end of one piece and
        the copies of their start tags at the start of the next are removed, matched by tag
        name (the engine may rewrite attributes, quotes, case or whitespace in them). If
        either is not where it should be, both are kept: the result stays well-formed, with
        the element split in two. A space is put back at a seam where the source had one, if
        the engine trimmed it at both edges (unless a neighbour is a full-width character).
        ``split.join(split.pieces)`` is the input of :func:`split_html`, exactly.
        """
        if isinstance(translated, str):
            raise TypeError("join takes a sequence of pieces, not a string")
        parts = list(translated)
        if len(parts) != len(self.pieces):
            raise ValueError(f"{len(parts)} pieces given, {len(self.pieces)} expected")
        for i, seam in enumerate(self.seams):
            before, after = parts[i], parts[i + 1]
            if seam.tags:
                names = seam.names
                end = _closers_at_end(before, names)
                start = _openers_at_start(after, seam.tags, names)
                if end is not None and start is not None:
                    before, after = before[:end], after[start:]
            if seam.space and _lost_space(before, after):
                before += " "
            parts[i], parts[i + 1] = before, after
        return "".join(parts)


def split_html(markup: str, max_chars: int) -> Split:
    """Cut ``markup`` into well-formed pieces of at most ``max_chars`` characters.

    Cuts are taken greedily, each piece as long as possible with the best kind of cut in
    reach: end of input, then between blocks (shallowest first), sentence end, whitespace,
    anywhere in text, and last inside ``<pre>``/``<code>``. A piece is longer than
    ``max_chars`` only when the markup holds an indivisible unit (a tag, comment, entity,
    raw text) that with its enclosing tags does not fit. ``""`` gives an empty Split.
    Raises ValueError if ``max_chars`` is below :data:`MIN_CHARS`.
    """
    if max_chars < MIN_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_CHARS}, not {max_chars}")
    if not markup:
        return Split()
    if len(markup) <= max_chars:
        return Split((markup,))
    layout = _Layout(parse(markup), max_chars)
    atoms, ranks, offsets, frames = layout.atoms, layout.ranks, layout.offsets, layout.frames
    end = len(atoms)
    pieces: list[str] = []
    seams: list[Seam] = []
    start = 0
    while start < end:
        # a cut at gap g fits if offsets[g] + (end tags to close there) <= limit
        limit = max_chars - frames[start].open_len + offsets[start]
        reach = bisect_right(offsets, limit, start + 1) - 1
        best = -1
        window = ranks[start + 1 : reach + 1]  # the best cut is the furthest of the best rank
        while window and (rank := min(window)) != _R_NONE:
            gap = reach - window[::-1].index(rank)
            if offsets[gap] + frames[gap].close_len <= limit:
                best = gap
                break
            window[gap - start - 1] = _R_NONE
        if best < 0:  # nothing fits: the smallest piece there is
            best = start + 1
            while ranks[best] == _R_NONE:
                best += 1
        opened, closed = frames[start].stack, frames[best].stack
        pieces.append(
            "".join(element.start for element in opened)
            + "".join(atoms[start:best])
            + "".join(f"</{element.name}>" for element in reversed(closed))
        )
        if best < end:
            space = atoms[best - 1][-1].isspace() or atoms[best][0].isspace()
            seams.append(Seam(tuple(element.start for element in closed), space))
        start = best
    return Split(tuple(pieces), tuple(seams))


_START_TAG: Final = re.compile(r"""\s*<([A-Za-z][^\s/>]*)(?:"[^"]*"|'[^']*'|[^'">])*(?<!/)>""")
_END_TAG: Final = re.compile(r"</([A-Za-z][^\s/>]*)\s*>")


def _tag_name(tag: str) -> str:
    match = _START_TAG.match(tag)
    return "" if match is None else match.group(1)


def _closers_at_end(piece: str, names: tuple[str, ...]) -> int | None:
    """Where the end tags of ``names`` (innermost first) that end ``piece`` begin; the
    engine may have put whitespace after and between them, and changed their case."""
    exact = "".join(f"</{name}>" for name in reversed(names))
    if piece.endswith(exact):
        return len(piece) - len(exact)
    end = len(piece.rstrip())
    for i, name in enumerate(names):  # outermost first: from the end of the piece
        start = piece.rfind("<", 0, end)
        match = _END_TAG.fullmatch(piece, start, end) if start >= 0 else None
        if match is None or match.group(1).lower() != name.lower():
            return None
        end = start
        if i < len(names) - 1:
            end = len(piece[:end].rstrip())
    return end


def _openers_at_start(piece: str, tags: tuple[str, ...], names: tuple[str, ...]) -> int | None:
    """Where the start ``tags`` of ``names`` (outermost first) that begin ``piece`` end; the
    engine may have rewritten them but for their names, and put whitespace around them."""
    exact = "".join(tags)
    if piece.startswith(exact):
        return len(exact)
    pos = 0
    for name in names:
        match = _START_TAG.match(piece, pos)
        if match is None or match.group(1).lower() != name.lower():
            return None
        pos = match.end()
    return pos


def _edge_char(text: str, *, last: bool) -> str:
    """The first or last character of ``text`` outside tags."""
    lo, hi = 0, len(text)
    while lo < hi:
        if last:
            if text[hi - 1] == ">" and (lt := text.rfind("<", lo, hi)) >= 0:
                hi = lt
                continue
            return text[hi - 1]
        if text[lo] == "<" and (gt := text.find(">", lo, hi)) >= 0:
            lo = gt + 1
            continue
        return text[lo]
    return ""


def _lost_space(before: str, after: str) -> bool:
    left, right = _edge_char(before, last=True), _edge_char(after, last=False)
    if not left or not right or left.isspace() or right.isspace():
        return False
    return not any(unicodedata.east_asian_width(c) in "WF" for c in (left, right))
