"""A bounded, in-process cache of rendered entries.

A feed that changed by one entry is re-rendered from the entries already rendered the last
time plus the new one. Keys hold everything that shapes an entry (the stored article itself,
the feed's format and language, the topic names), so a stale entry can never be returned;
the worst a cold cache costs is the time to render again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

__all__ = ["FragmentCache"]


class FragmentCache:
    """Map from key to rendered bytes holding the ``size`` most recently used keys or more
    (at most twice that), safe across threads. Two generations: keys used since the last
    turnover, and before it; a hit in the older one moves the key to the newer, and when
    the newer is full the older is dropped. A hit costs one dictionary lookup."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a fragment cache holds at least one entry")
        self._size = size
        self._new: dict[Hashable, bytes] = {}
        self._old: dict[Hashable, bytes] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], bytes]) -> bytes:
        """The bytes cached under ``key``, else ``make()``'s, then cached."""
        found = self._new.get(key)
        if found is not None:
            self.hits += 1
            return found
        with self._lock:
            found = self._old.get(key)
        if found is None:
            self.misses += 1
            found = make()  # outside the lock: renders in other threads go on meanwhile
        else:
            self.hits += 1
        with self._lock:
            if len(self._new) >= self._size:
                self._old, self._new = self._new, {}
            self._new[key] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._new, self._old = {}, {}
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._new.keys() | self._old.keys())
