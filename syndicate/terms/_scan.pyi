"""Types of the matcher's optional C helper (_scan.c)."""

from collections.abc import Iterable
from typing import Any, TypeVar

_M = TypeVar("_M", bound=tuple[Any, ...])

def whole_words(pairs: Iterable[tuple[int, Any]], doubled: str, cls: type[_M]) -> list[_M]: ...
