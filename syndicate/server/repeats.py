"""Requests the server has read before, byte for byte.

A partner site polls a feed every minute with the same request (the same path, the same
``If-None-Match``, the same other headers) and mostly gets a 304. The server's protocol
(``protocol.py``) keeps the bytes of such a request, when they were one whole request read
at once and the second time it reads them, with the key its answer is remembered by
(:data:`~syndicate.server.files.AnswerKey`); the first time, only their hash.
When the same bytes arrive again, on any connection, where a request begins, the answer is
asked for again without parsing them: it is given only while it still holds (the same
config, the same version of the file, which costs one ``stat``); otherwise the bytes are
parsed as any others.

Equal bytes parse to the same request, so the answer is the one a parse would give. Kept
are only requests whose answer the files remember (none of a partner with a token: those
are counted and limited one by one) and that leave the connection open. At most ``KEPT``
requests of at most ``LONGEST`` bytes each are kept (all are forgotten when full), and
with each only its answer's key: no old version of a file stays in memory for them, and
what is kept holds only strings, bytes and tuples of them, which the garbage collector
stops tracking (with an object per request kept, a server that kept seeing new requests
paused for full collections: a p99 of 12 ms instead of 2 in ``bench/serve.py``). Keeping
every request at its first sighting made requests that never come back about 15% slower
there; noting only a hash the first time measured within noise of keeping nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from syndicate.server.files import AnswerKey

__all__ = ["KEPT", "LONGEST", "ONCE_KEPT", "Repeat", "Repeats", "repeats_of"]

#: requests kept at most (per app; as many as the answers files.py remembers)
KEPT = 4096
#: the longest request kept, in bytes (a poller's request is a few hundred)
LONGEST = 2048
#: requests seen once, remembered by their hash only
ONCE_KEPT = 4 * KEPT


#: what a request read before asked for: its answer's key, and whether it was a HEAD
Repeat = tuple[AnswerKey, bool]


class Repeats:
    """The requests read before, by their bytes (see the module)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, Repeat] = {}
        self._once: set[int] = set()  # hashes of requests seen once
        #: what ``data`` asked for when it was kept, else None (the dict's own lookup: it is
        #: called for every request that arrives where one begins)
        self.get: Callable[[bytes], Repeat | None] = self._seen.get

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, data: bytes, key: AnswerKey, head: bool) -> None:
        """Keep ``data`` the second time it is added: until then only its hash (the one
        :meth:`get` computed, which bytes keep), so requests that never come back cost
        no more than that."""
        if len(data) > LONGEST:
            return
        seen = hash(data)
        if seen not in self._once:
            if len(self._once) >= ONCE_KEPT:
                self._once.clear()
            self._once.add(seen)
            return
        if len(self._seen) >= KEPT:
            self._seen.clear()  # in place: get is its bound lookup
        self._seen[data] = (key, head)


_by_app: WeakKeyDictionary[object, Repeats] = WeakKeyDictionary()


def repeats_of(app: object) -> Repeats:
    """The requests kept for ``app``, shared by all its connections."""
    found = _by_app.get(app)
    if found is None:
        found = _by_app[app] = Repeats()
    return found
