"""Requests the server has read before, byte for byte.

A partner site polls a feed every minute with the same request (the same path, the same
``If-None-Match``, the same other headers) and mostly gets a 304. The server's protocol
(``protocol.py``) keeps the bytes of such a request, when they were one whole request read
at once, with the key its answer is remembered by (:data:`~syndicate.server.files.AnswerKey`).
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
paused for full collections: a p99 of 12 ms instead of 2 in ``bench/serve.py``).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from syndicate.server.files import AnswerKey

__all__ = ["KEPT", "LONGEST", "Repeat", "Repeats", "repeats_of"]

#: requests kept at most (per app; as many as the answers files.py remembers)
KEPT = 4096
#: the longest request kept, in bytes (a poller's request is a few hundred)
LONGEST = 2048


#: what a request read before asked for: its answer's key, and whether it was a HEAD
Repeat = tuple[AnswerKey, bool]


class Repeats:
    """The requests read before, by their bytes (see the module)."""

    def __init__(self) -> None:
        self._seen: dict[bytes, Repeat] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def get(self, data: bytes) -> Repeat | None:
        return self._seen.get(data)

    def add(self, data: bytes, repeat: Repeat) -> None:
        if len(data) > LONGEST:
            return
        if len(self._seen) >= KEPT:
            self._seen.clear()
        self._seen[data] = repeat


_by_app: WeakKeyDictionary[object, Repeats] = WeakKeyDictionary()


def repeats_of(app: object) -> Repeats:
    """The requests kept for ``app``, shared by all its connections."""
    found = _by_app.get(app)
    if found is None:
        found = _by_app[app] = Repeats()
    return found
