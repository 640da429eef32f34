"""Typed readers for config values that collect problems instead of raising at the first one."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from syndicate.config._positions import KeyLines, KeyPath, format_key
from syndicate.errors import ConfigProblem

__all__ = ["Checker", "parse_duration", "parse_size"]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1024,
    "kib": 1024,
    "mb": 1024**2,
    "mib": 1024**2,
    "gb": 1024**3,
    "gib": 1024**3,
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: key names that hold secrets (never accepted: the config names environment variables)
_SECRET_RE = re.compile(r"(^|_)(api_?key|token|password|passwd|secret|auth)$", re.IGNORECASE)


def parse_duration(value: object) -> float:
    """``"30s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"500ms"`` -> seconds. Raises ValueError."""
    match = _DURATION_RE.match(value) if isinstance(value, str) else None
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f'expected a duration like "15m", got {_show(value)}')
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: object) -> int:
    """``"512KB"``, ``"10MB"`` -> bytes (binary multiples: 1KB = 1024 bytes). Raises ValueError."""
    match = _SIZE_RE.match(value) if isinstance(value, str) else None
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f'expected a size like "10MB", got {_show(value)}')
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else f"{value!r} ({_type_name(value)})"


def _type_name(value: object) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _last(key: KeyPath) -> str:
    name = key[-1]
    assert isinstance(name, str), key
    return name


class Checker:
    """Reads values out of parsed TOML tables, recording a ConfigProblem for each bad one."""

    def __init__(self, path: Path, lines: KeyLines) -> None:
        self.path = path
        self.lines = lines
        self.problems: list[ConfigProblem] = []

    def problem(self, key: KeyPath, message: str) -> None:
        self.problems.append(
            ConfigProblem(self.path, self.lines.line_of(key), format_key(key), message)
        )

    @staticmethod
    def suggest(name: str, known: Collection[str]) -> str:
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        return f' (did you mean "{close[0]}"?)' if close else ""

    def unknown_keys(self, table: dict[str, Any], key: KeyPath, known: Collection[str]) -> None:
        for name in table:
            if name in known:
                continue
            if _SECRET_RE.search(name):
                self.problem(
                    (*key, name),
                    "a secret does not belong in the config file (it gets copied, committed "
                    "and shared): put it in an environment variable and name the variable "
                    "instead (api_key_env for engines; token_sha256 for partners; "
                    "SYNDICATE_DATABASE_URL for a database password)",
                )
                continue
            self.problem((*key, name), "unknown key" + self.suggest(name, known))

    def table(
        self,
        parent: dict[str, Any],
        key: KeyPath,
        known: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """A sub-table (empty if absent); with ``known``, unknown keys are reported."""
        value = parent.get(_last(key), {})
        if not isinstance(value, dict):
            self.problem(key, f"expected a table, got {_type_name(value)}")
            return {}
        if known is not None:
            self.unknown_keys(value, key, known)
        return value

    def array_of_tables(
        self,
        parent: dict[str, Any],
        name: str,
        known: Collection[str],
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        value = parent.get(name, [])
        if not isinstance(value, list):
            self.problem((name,), f"expected [[{name}]] tables, got {_type_name(value)}")
            return
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.problem((name, i), f"expected a table, got {_type_name(item)}")
                continue
            self.unknown_keys(item, (name, i), known)
            yield i, item

    def value(
        self, table: dict[str, Any], key: KeyPath, default: T, parse: Callable[[object], T]
    ) -> T:
        if _last(key) not in table:
            return default
        try:
            return parse(table[_last(key)])
        except ValueError as exc:
            self.problem(key, str(exc))
            return default

    def _typed(self, table: dict[str, Any], key: KeyPath, kind: type, what: str) -> Any:
        raw = table[_last(key)]
        if not isinstance(raw, kind) or (kind is int and isinstance(raw, bool)):
            self.problem(key, f"expected {what}, got {_show(raw)}")
            return None
        return raw

    def string(
        self, table: dict[str, Any], key: KeyPath, default: str, *, required: bool = False
    ) -> str:
        if _last(key) not in table:
            if required:
                self.problem(key, "required key is missing")
            return default
        raw = self._typed(table, key, str, "a string")
        return default if raw is None else str(raw)

    def optional_string(self, table: dict[str, Any], key: KeyPath) -> str | None:
        if _last(key) not in table:
            return None
        raw = self._typed(table, key, str, "a string")
        return None if raw is None else str(raw)

    def identifier(self, table: dict[str, Any], key: KeyPath) -> str:
        ident = self.string(table, key, "", required=True)
        if ident and not _ID_RE.match(ident):
            self.problem(key, f"expected lower-case letters, digits, - and _, got {ident!r}")
        return ident

    def integer(
        self,
        table: dict[str, Any],
        key: KeyPath,
        default: int,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        value = self.optional_integer(table, key, low=low, high=high)
        return default if value is None else value

    def optional_integer(
        self,
        table: dict[str, Any],
        key: KeyPath,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        if _last(key) not in table:
            return None
        raw = self._typed(table, key, int, "an integer")
        if raw is None:
            return None
        if (low is not None and raw < low) or (high is not None and raw > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            self.problem(key, f"expected an integer {bounds}, got {raw}")
            return None
        return int(raw)

    def boolean(self, table: dict[str, Any], key: KeyPath, default: bool) -> bool:
        if _last(key) not in table:
            return default
        raw = self._typed(table, key, bool, "true or false")
        return default if raw is None else bool(raw)

    def strings(
        self,
        table: dict[str, Any],
        key: KeyPath,
        default: tuple[str, ...],
    ) -> tuple[str, ...]:
        if _last(key) not in table:
            return default
        raw = table[_last(key)]
        if not isinstance(raw, list):
            self.problem(key, f"expected an array of strings, got {_show(raw)}")
            return default
        out: list[str] = []
        for i, item in enumerate(raw):
            if isinstance(item, str):
                out.append(item)
            else:
                self.problem((*key, i), f"expected a string, got {_show(item)}")
        return tuple(out)

    def topic_ids(
        self, table: dict[str, Any], key: KeyPath, known: Collection[str], what: str
    ) -> tuple[str, ...]:
        """An array of topic ids, each reported unless in ``known`` ("topic 'x' is not
        ``what``", with a suggestion)."""
        topics = self.strings(table, key, ())
        for i, topic in enumerate(topics):
            if topic not in known:
                self.problem(
                    (*key, i), f"topic {topic!r} is not {what}" + self.suggest(topic, known)
                )
        return topics

    def mapping_of_strings(self, table: dict[str, Any], key: KeyPath) -> dict[str, str]:
        if _last(key) not in table:
            return {}
        raw = table[_last(key)]
        if not isinstance(raw, dict):
            self.problem(key, f'expected a table like {{ en = "..." }}, got {_show(raw)}')
            return {}
        out: dict[str, str] = {}
        for name, item in raw.items():
            if isinstance(item, str):
                out[name] = item
            else:
                self.problem((*key, name), f"expected a string, got {_show(item)}")
        return out

    def choice(self, table: dict[str, Any], key: KeyPath, enum: type[E], default: E) -> E:
        if _last(key) not in table:
            return default
        raw = table[_last(key)]
        allowed = [member.value for member in enum]
        if raw not in allowed:
            self.problem(
                key,
                f"expected one of {', '.join(allowed)}, got {_show(raw)}"
                + (self.suggest(raw, allowed) if isinstance(raw, str) else ""),
            )
            return default
        return enum(raw)
