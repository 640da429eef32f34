"""Shield do-not-translate names from engines without glossaries (LibreTranslate).

:func:`protect` replaces them by empty ``<span translate="no">`` placeholders, and
:meth:`Protected.restore` puts them back in the translation and reports the lost ones.

Everything here is pure: no I/O, standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from syndicate.translate._markup import T_END, T_START, T_TEXT, tokenize

__all__ = ["Protected", "protect"]

#: elements whose text :func:`protect` leaves alone
_NO_PROTECT: Final = frozenset(["pre", "code", "kbd", "samp"])

_PLACEHOLDER: Final = '<span translate="no" data-keep="{}"></span>'
#: a character of a script that separates words with spaces (so names need word edges)
_WORDY: Final = (
    r"[^\W\u0e00-\u0e7f\u1100-\u11ff\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]"
)
_SPACE_RUN: Final = r"(?:[ \t\r\n\f\xa0]|&nbsp;|&#160;|&#[xX]0*[aA]0;)+"
_CHAR_FORMS: Final = {
    "&": r"(?:&amp;|&#0*38;|&#[xX]0*26;|&)",
    "<": r"(?:&lt;|&#0*60;)",
    ">": r"(?:&gt;|&#0*62;|>)",
    '"': r'(?:&quot;|&#0*34;|")',
    "'": r"(?:&#0*39;|&apos;|')",
}
_ENTITY: Final = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_KEEP_TAG: Final = re.compile(r"""<span(?=[\s/>])((?:"[^"]*"|'[^']*'|[^'">])*)>""", re.I)
_KEEP_ATTR: Final = re.compile(
    r"""(?:^|[\s"'/])data-keep\s*=\s*(?:"\s*(\d+)\s*"|'\s*(\d+)\s*'|(\d+))""", re.I
)
_KEEP_CLOSE: Final = re.compile(r"(\s*)</span\s*>", re.I)


def _name_pattern(name: str) -> str:
    body = "".join(
        _SPACE_RUN if part.isspace() else "".join(_CHAR_FORMS.get(c, re.escape(c)) for c in part)
        for part in re.findall(r"\s+|\S+", name)
    )
    if re.match(_WORDY, name[0]):
        body = rf"(?<!{_WORDY}){body}"
    if re.match(_WORDY, name[-1]):
        body = rf"{body}(?!{_WORDY})"
    return f"({body})"


@dataclass(frozen=True)
class Protected:
    """Markup with names hidden behind placeholders (see :func:`protect`)."""

    #: what to send to the engine
    markup: str
    #: the source text each placeholder stands for, by its number
    originals: tuple[str, ...] = ()
    #: the name each placeholder stands for, by its number
    names: tuple[str, ...] = ()

    def restore(self, translated: str) -> tuple[str, list[str]]:
        """Put the original text back for every placeholder in ``translated``.

        Placeholders are found by their ``data-keep`` number whatever the engine did to the
        rest of the tag (attribute order, quotes, whitespace, case, ``<span .../>``); ones
        with an unknown number are removed. Returns the restored markup and the names of
        the placeholders that are missing from ``translated``, in placeholder order.
        """
        out: list[str] = []
        seen: set[int] = set()
        pos = 0
        while (tag := _KEEP_TAG.search(translated, pos)) is not None:
            attr = _KEEP_ATTR.search(tag.group(1))
            if attr is None:  # a span of the content's own
                out.append(translated[pos : tag.end()])
                pos = tag.end()
                continue
            number = int(attr.group(1) or attr.group(2) or attr.group(3))
            known = number < len(self.originals)
            end, trailing = tag.end(), ""
            if not tag.group(1).rstrip().endswith("/"):
                close = _KEEP_CLOSE.match(translated, end)
                if close is None and known:  # the engine wrote the name into the span
                    inner = re.escape(self.originals[number])
                    close = re.compile(rf"\s*{inner}(\s*)</span\s*>", re.I).match(translated, end)
                if close is not None:
                    end, trailing = close.end(), close.group(1)
            out.append(translated[pos : tag.start()])
            if known:
                out.append(self.originals[number])
                seen.add(number)
            out.append(trailing)
            pos = end
        out.append(translated[pos:])
        missing = [name for i, name in enumerate(self.names) if i not in seen]
        return "".join(out), missing


def protect(markup: str, names: Sequence[str]) -> Protected:
    """Replace each occurrence of ``names`` in the text of ``markup`` by a placeholder.

    The placeholder, ``<span translate="no" data-keep="N"></span>``, is empty, so an HTML
    engine has nothing in it to translate; N numbers the occurrences from 0. Matching is
    case-sensitive, longest name first, whole words where a name begins or ends with a
    letter or digit of a script that spaces its words (so ``AI`` matches in ``AIの`` but not
    in ``EMAIL``); a space in a name matches any run of whitespace or no-break spaces. Tags,
    attributes, comments and the content of ``<code>``, ``<pre>``, ``<kbd>``, ``<samp>``
    and raw-text elements are left alone.
    """
    unique = sorted({name for name in names if name.strip()}, key=lambda name: (-len(name), name))
    if not unique:
        return Protected(markup)
    pattern = re.compile("|".join(_name_pattern(name) for name in unique))
    originals: list[str] = []
    kept: list[str] = []

    def hide(text: str) -> str:
        inside: set[int] = set()  # positions strictly inside a character reference
        for entity in _ENTITY.finditer(text):
            inside.update(range(entity.start() + 1, entity.end()))
        out: list[str] = []
        pos = search = 0
        while (match := pattern.search(text, search)) is not None:
            if match.start() in inside or match.end() in inside:
                search = match.start() + 1
                continue
            out.append(text[pos : match.start()])
            out.append(_PLACEHOLDER.format(len(originals)))
            originals.append(match.group())
            kept.append(unique[(match.lastindex or 1) - 1])
            pos = search = match.end()
        out.append(text[pos:])
        return "".join(out)

    out: list[str] = []
    skip = 0
    for token in tokenize(markup):
        if token.kind == T_TEXT and not skip:
            out.append(hide(token.raw))
            continue
        out.append(token.raw)
        if token.name.lower() in _NO_PROTECT:
            if token.kind == T_START:
                skip += 1
            elif token.kind == T_END and skip:
                skip -= 1
    return Protected("".join(out), tuple(originals), tuple(kept))
