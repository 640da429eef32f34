"""Parse only the entries that changed since the last poll.

A feed that changed usually changed by one or two entries, yet a parser reads all of it:
for a 150 KB feed that is most of the cost of a poll. Here a body is split, without
parsing, into its head (everything before the first entry), its entry blocks
(``<item>…</item>`` or ``<entry>…</entry>``) and its tail. The hashes of those parts are
kept with the source. Next time, when the head and tail are byte-identical, only the entry
blocks not seen before are put back between them and parsed; an unchanged block would
parse to the same article, which storage would find unchanged anyway.

Anything unusual (nested or unbalanced entries, text between entries, entity
declarations, encodings that are not ASCII-compatible, bodies over
:data:`MAX_SPLIT_BYTES`) makes :func:`split_feed` answer None, and the caller parses the
whole body as usual.

The cut is found in one pass, so its cost grows with the size of the body whatever the body
holds. A single regex that matches a comment, a CDATA section or a whole entry tag is
quadratic on hostile input: each unterminated ``<!--``, ``<![CDATA[`` or ``<item `` made it
scan to the end of the body before giving up (80 KB of ``<!--`` took 5 s, all of it holding
the GIL). Here a regex finds only where such a token starts, and its end is looked up with
``bytes.find`` from where the last look-up for the same terminator stopped; once a
terminator is known to be absent from the rest of the body, it is not searched again.
The tokens found are exactly those the single regex found, so fingerprints stored by
earlier versions still match (``tests/test_incremental.py`` checks both on the corpus).
bench/splitter.py measures it on normal and pathological bodies.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["MAX_SPLIT_BYTES", "FeedSplit", "Fingerprint", "split_feed"]

#: Bodies larger than this are parsed whole, never split (split parts copy the body once
#: more, and such feeds are rare: the default fetch.max_bytes is 10 MiB).
MAX_SPLIT_BYTES = 16 * 1024 * 1024

# A whole entry tag (``item`` or ``entry``, with an optional namespace prefix), or where a
# CDATA section or a comment starts (its end is looked up with a _Finder). One pattern per
# kind of section still worth looking for: once the rest of the body has no "]]>" (or no
# "-->"), a section that starts there hides nothing and the scan need not stop at it.
# Searched only up to the body's last ">", so a tag's ``[^>]*>`` always finds its end.
_ENTRY_TAG = rb"<(/?)((?:[A-Za-z_][\w.-]*:)?)(item|entry)(?=[\s/>])[^>]*>"
_CDATA, _COMMENT = b"<![CDATA[", b"<!--"
_TERMINATORS = {_CDATA: b"]]>", _COMMENT: b"-->"}
_TOKENS = {
    kinds: re.compile(b"|".join([_ENTRY_TAG, *(re.escape(k) for k in kinds)]))
    for kinds in [(_CDATA, _COMMENT), (_CDATA,), (_COMMENT,), ()]
}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


@dataclass(frozen=True)
class Fingerprint:
    """What was parsed last time: a hash of head+tail and the hashes of the entry blocks."""

    frame: str
    entries: frozenset[str]

    def dumps(self) -> str:
        return json.dumps({"v": 1, "frame": self.frame, "entries": sorted(self.entries)})

    @classmethod
    def loads(cls, text: str | None) -> Fingerprint | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            if data.get("v") != 1:
                return None
            return cls(str(data["frame"]), frozenset(str(e) for e in data["entries"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass(frozen=True)
class FeedSplit:
    """A body cut into head, entry blocks and tail (only white space lay between blocks)."""

    head: bytes
    entries: tuple[bytes, ...]
    tail: bytes

    def fingerprint(self) -> Fingerprint:
        return Fingerprint(
            _digest(self.head + b"\0" + self.tail), frozenset(_digest(e) for e in self.entries)
        )

    def changed_since(self, previous: Fingerprint | None) -> bytes | None:
        """A document of only the entries that are new since ``previous``, or None when the
        whole body must be parsed (no previous fingerprint, or the head or tail changed).
        With nothing new the document has no entries at all."""
        if previous is None or previous.frame != self.fingerprint().frame:
            return None
        fresh = [e for e in self.entries if _digest(e) not in previous.entries]
        return self.head + b"\n".join(fresh) + self.tail


class _Finder:
    """The next ``needle`` at or after a position, for positions that only grow: every byte
    of the body is searched at most once per needle."""

    def __init__(self, body: bytes, needle: bytes) -> None:
        self._body, self._needle = body, needle
        self._start = self._found = -1  # the last search: from where, and what it found

    def next_at(self, start: int) -> int:
        """Where ``needle`` next occurs from ``start`` on, or -1."""
        known = 0 <= self._start <= start and (self._found == -1 or self._found >= start)
        if not known:
            self._start, self._found = start, self._body.find(self._needle, start)
        return self._found


def _entry_tags(body: bytes) -> Iterator[re.Match[bytes]]:
    """The entry tags of ``body`` in order, in one pass (groups: ``/`` when closing, the
    namespace prefix, the local name), leaving out those inside CDATA sections and comments.
    An unterminated section or comment hides nothing (the scan goes on just after its
    ``<``), and an unterminated tag is no tag."""
    ends = {kind: _Finder(body, end) for kind, end in _TERMINATORS.items()}
    kinds: tuple[bytes, ...] = (_CDATA, _COMMENT)
    stop = body.rfind(b">") + 1  # nothing after the last ">" can end a token
    pos = 0
    while (hit := _TOKENS[kinds].search(body, pos, stop)) is not None:
        pos = hit.end()
        if hit[3] is not None:
            yield hit
            continue
        end = ends[hit[0]].next_at(pos)  # a CDATA section or a comment: skip to its end
        if end != -1:
            pos = end + len(_TERMINATORS[hit[0]])
        else:  # none ends from here on: stop looking for them
            pos = hit.start() + 1
            kinds = tuple(k for k in kinds if k != hit[0])


def _entry_spans(body: bytes) -> list[tuple[int, int]] | None:
    """Where each entry block starts and ends, or None if entries nest, stay open or are
    empty (``<item/>``), or if there is none."""
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    open_name = b""
    for tag in _entry_tags(body):
        closing, prefix, local = tag.groups()
        if closing:
            if open_at is None or prefix + local != open_name:
                return None
            spans.append((open_at, tag.end()))
            open_at = None
        else:
            if open_at is not None or tag[0].endswith(b"/>"):
                return None  # nested, or an empty <item/>
            open_at, open_name = tag.start(), prefix + local
    if open_at is not None or not spans:
        return None
    return spans


def split_feed(body: bytes) -> FeedSplit | None:
    """Cut ``body`` at its entry boundaries, or None when that cannot be done safely."""
    if len(body) > MAX_SPLIT_BYTES:
        return None
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:512] or b"<!ENTITY" in body:
        return None
    spans = _entry_spans(body)
    if spans is None:
        return None
    gaps = tuple(body[a_end:b_start] for (_, a_end), (b_start, _) in itertools.pairwise(spans))
    if any(gap.strip() for gap in gaps):
        return None  # something other than white space between entries
    return FeedSplit(
        head=body[: spans[0][0]],
        entries=tuple(body[a:b] for a, b in spans),
        tail=body[spans[-1][1] :],
    )
