"""Find the line of each key in a TOML document, so config errors can say ``config.toml:LINE``.

``tomllib`` parses values but forgets positions; this scanner walks the text once and records
where each table, array-of-tables item and key was written. It understands what config files
use (tables, arrays of tables, dotted and quoted keys, inline tables, multi-line arrays and
strings); for anything it cannot place, :func:`KeyLines.line_of` falls back to the nearest
enclosing key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["KeyLines", "KeyPath", "format_key"]

KeyPath = tuple[str | int, ...]

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*"
_TABLE_RE = re.compile(rf"^\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE_RE = re.compile(rf"^\s*\[\[\s*({_KEY})\s*\]\]\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(rf"^\s*({_KEY})\s*=")
_INLINE_KEY_RE = re.compile(rf"[{{,]\s*({_KEY})\s*=")


def format_key(path: Sequence[str | int]) -> str:
    """Render ``("sources", 2, "interval")`` as ``sources[2].interval``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _split_key(key: str) -> tuple[str, ...]:
    parts = re.findall(rf"{_BARE}|{_QUOTED}", key)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _strip_strings(line: str) -> str:
    """Blank out string literals and comments so brackets inside them are not counted."""
    line = re.sub(_QUOTED, '""', line)
    return line.split("#", 1)[0]


class KeyLines:
    """Maps key paths of one TOML text to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._scan(text)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line where ``path`` (or, failing that, its nearest parent) was written."""
        key = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None

    def _scan(self, text: str) -> None:
        table: KeyPath = ()
        counters: dict[tuple[str, ...], int] = {}
        depth = 0  # open brackets/braces of a multi-line value
        in_multiline: str | None = None  # the closing quote of a multi-line string
        for number, raw in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if in_multiline in raw:
                    in_multiline = None
                continue
            if depth:
                stripped = _strip_strings(raw)
                depth += stripped.count("[") + stripped.count("{")
                depth -= stripped.count("]") + stripped.count("}")
                depth = max(depth, 0)
                continue
            if match := _ARRAY_TABLE_RE.match(raw):
                name = _split_key(match.group(1))
                index = counters.get(name, 0)
                counters[name] = index + 1
                table = (*name, index)
                self._lines.setdefault(name, number)
                self._lines[table] = number
                continue
            if match := _TABLE_RE.match(raw):
                table = _resolve(_split_key(match.group(1)), counters)
                self._lines.setdefault(table, number)
                continue
            if match := _ASSIGN_RE.match(raw):
                key = (*table, *_split_key(match.group(1)))
                self._lines.setdefault(key, number)
                value = raw[match.end() :]
                for quote in ('"""', "'''"):
                    if value.count(quote) == 1:
                        in_multiline = quote
                stripped = _strip_strings(value)
                for inner in _INLINE_KEY_RE.finditer(stripped if "{" in stripped else ""):
                    self._lines.setdefault((*key, *_split_key(inner.group(1))), number)
                depth = stripped.count("[") + stripped.count("{")
                depth -= stripped.count("]") + stripped.count("}")
                depth = max(depth, 0)


def _resolve(name: tuple[str, ...], counters: dict[tuple[str, ...], int]) -> KeyPath:
    """``[sources.extra]`` after ``[[sources]]`` belongs to the latest sources item."""
    for cut in range(len(name), 0, -1):
        prefix = name[:cut]
        if prefix in counters:
            return (*prefix, counters[prefix] - 1, *name[cut:])
    return name
