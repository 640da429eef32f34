"""Undo a response's Content-Encoding with every layer's output bounded by the size cap.

httpx decodes a whole network chunk at once, and stacked codings multiply their ratios:
``Content-Encoding: gzip, gzip`` turned 661 bytes on the wire into ~690 MB before the size
cap saw the first byte. Here each layer asks zlib for no more than the cap still allows
(``decompress(data, max_length)``; the input not yet used waits in ``unconsumed_tail``), so no
layer ever holds more than ``fetch.max_bytes`` and a bomb stops at the cap. At most two codings
are stacked; brotli and zstd are not installed, so they are neither offered nor accepted.
"""

from __future__ import annotations

import zlib

from syndicate.errors import FailureKind

__all__ = ["ACCEPT_ENCODING", "MAX_CODINGS", "BodyDecoder", "BodyRefused", "codings"]

#: what the fetcher offers: exactly what :class:`BodyDecoder` can undo
ACCEPT_ENCODING = "gzip, deflate"
MAX_CODINGS = 2
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
#: compressions we recognize but cannot undo (other unknown tokens are ignored, as httpx does)
_UNSUPPORTED = {"br", "zstd", "compress", "x-compress"}


class BodyRefused(ValueError):
    """The body cannot be decoded within the rules; ``kind`` is a :class:`FetchError` kind."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        self.kind = kind
        super().__init__(message)


def codings(header: str) -> list[str]:
    """The codings of a Content-Encoding header to undo, in the order they were applied."""
    found = [token.strip().lower() for token in header.split(",")]
    for token in found:
        if token in _UNSUPPORTED:
            raise BodyRefused(
                FailureKind.PROTOCOL,
                f"Content-Encoding {token} is not supported (only {ACCEPT_ENCODING})",
            )
    found = [token for token in found if token in _WBITS]
    if len(found) > MAX_CODINGS:
        raise BodyRefused(
            FailureKind.PROTOCOL,
            f"{len(found)} stacked Content-Encodings ({header}); at most {MAX_CODINGS} are decoded",
        )
    return found


class _Layer:
    """One coding, undone with its output capped at ``limit`` bytes in all."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = coding
        self._limit = limit
        self._produced = 0
        self._started = False
        self._inflate = zlib.decompressobj(_WBITS[coding])

    def feed(self, data: bytes) -> bytes:
        try:
            out = self._inflate.decompress(data, self._limit - self._produced + 1)
        except zlib.error as exc:
            if self.coding == "deflate" and not self._started:  # raw deflate, no zlib header
                self._started = True
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.feed(data)
            raise BodyRefused(FailureKind.PROTOCOL, f"broken {self.coding} data: {exc}") from exc
        self._started = self._started or bool(data)
        return self._count(out)

    def flush(self) -> bytes:
        return self._count(self._inflate.flush())

    def _count(self, out: bytes) -> bytes:
        self._produced += len(out)
        if self._produced > self._limit:
            raise BodyRefused(
                FailureKind.TOO_LARGE,
                f"body is over fetch.max_bytes ({self._limit} bytes) once {self.coding}-decoded",
            )
        return out


class BodyDecoder:
    """Undoes the codings of one response, chunk by chunk; every layer stops at ``limit``."""

    def __init__(self, applied: list[str], limit: int) -> None:
        self._layers = [_Layer(coding, limit) for coding in reversed(applied)]

    @property
    def identity(self) -> bool:
        """True when the body passes through unchanged."""
        return not self._layers

    def feed(self, data: bytes) -> bytes:
        for layer in self._layers:
            data = layer.feed(data)
        return data

    def flush(self) -> bytes:
        data = b""
        for layer in self._layers:
            data = layer.feed(data) + layer.flush()
        return data
