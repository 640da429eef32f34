"""The cap on the size of request heads, on every request of a connection.

The server's protocol (``protocol.py``) answers 431 to a request head (request line and
headers) larger than ``MAX_HEAD``; once it has handed a connection to uvicorn's httptools
protocol, which sets no such limit (uvicorn's ``h11_max_incomplete_event_size`` is for h11
only), :class:`Guarded` stands between the transport and uvicorn's protocol: it parses the
same bytes with a parser of its own whose callbacks only measure heads, and passes them on
while every head fits. Before this, a 2 MB head was accepted on a connection's second
request.

Both measure a head with :class:`HeadSize`, piece by piece: data is parsed in pieces that
end after each blank line (``PIECE_END``), so a piece holds at most the end of one head
(heads end with a blank line, where pieces end), and the bytes of a head in a piece are
the piece's bytes less those of any body in it (the end of the request before it).
"""

from __future__ import annotations

import asyncio

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from syndicate.server.closing import answer_and_close

__all__ = ["MAX_HEAD", "PIECE_END", "Guarded", "HeadSize", "plain"]

#: the largest request head (request line and headers) read; larger ones get a 431
MAX_HEAD = 64 * 1024
#: where pieces of data end (and heads do)
PIECE_END = b"\r\n\r\n"


def plain(status: int, message: str, extra: bytes = b"") -> bytes:
    """A whole plain-text answer that closes the connection (``extra``: header lines)."""
    body = message.encode()
    return b"".join(
        (
            STATUS_LINE[status],
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            extra,
            b"connection: close\r\n\r\n",
            body,
        )
    )


class HeadSize:
    """The size of the request head being read, counted piece by piece (see the module):
    ``begin``, ``body`` and ``complete`` from the parser's callbacks, then ``after`` a
    piece in which a head was read and not completed, or a body was read (``touched`` or
    ``body``): a piece that ended a head was counted by ``complete``."""

    __slots__ = ("body", "in_head", "size", "touched")

    def __init__(self) -> None:
        self.in_head = False
        self.touched = False  # a head was read during this piece and not yet counted
        self.size = 0
        self.body = 0  # body bytes in this piece

    def begin(self) -> None:
        self.in_head = self.touched = True
        self.size = 0

    def complete(self, piece: int) -> bool:
        """The head ends with this piece of ``piece`` bytes (heads end where pieces do):
        whether it is too large."""
        self.in_head = self.touched = False
        self.size += piece - self.body
        self.body = 0
        return self.size > MAX_HEAD

    def after(self, piece: int) -> bool:
        """This piece of ``piece`` bytes is parsed: whether the head is too large."""
        over = False
        if self.touched:
            self.size += piece - self.body
            over = self.size > MAX_HEAD
        self.touched = self.in_head  # for the next piece
        self.body = 0
        return over


class Guarded(asyncio.Protocol):
    """uvicorn's protocol for a connection handed over, behind the head-size cap: the
    transport's protocol from then on, it parses the same bytes with a parser of its own
    (whose callbacks only measure heads) and passes them on while every head fits."""

    def __init__(self, inner: HttpToolsProtocol, transport: asyncio.Transport) -> None:
        self.inner = inner
        self.transport = transport
        self.parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self._measure = HeadSize()
        self._piece = 0  # the size of the piece being parsed
        self._over = False

    def data_received(self, data: bytes) -> None:
        if self.parser is not None and not self._fits(data):
            self._refuse()
            return
        self.inner.data_received(data)

    def _fits(self, data: bytes) -> bool:
        """Whether every head in ``data`` (and the one it continues) fits in MAX_HEAD."""
        parser = self.parser
        assert parser is not None
        measure = self._measure
        size = len(data)
        start = 0
        while start < size:
            end = data.find(PIECE_END, start)
            stop = size if end < 0 else end + 4
            self._piece = stop - start
            try:
                parser.feed_data(data if start == 0 and stop == size else data[start:stop])
            except httptools.HttpParserUpgrade:
                # uvicorn takes the connection to its websocket protocol, or parses on from
                # the next data: the rest of this data is not parsed there either
                return not self._over
            except httptools.HttpParserError:
                self.parser = None  # uvicorn answers 400 and closes
                return True
            if self._over or ((measure.touched or measure.body) and measure.after(self._piece)):
                return False
            start = stop
        return True

    def _refuse(self) -> None:
        """431 and close; only close when uvicorn is still answering an earlier request."""
        self.parser = None
        cycle = getattr(self.inner, "cycle", None)
        if cycle is None or getattr(cycle, "response_complete", True):
            answer = plain(431, "Request header fields too large.")
            answer_and_close(self.transport, answer, self.inner.connection_lost)
        else:
            self.transport.close()

    def on_message_begin(self) -> None:
        self._measure.begin()

    def on_headers_complete(self) -> None:
        if self._measure.complete(self._piece):
            self._over = True

    def on_body(self, body: bytes) -> None:
        self._measure.body += len(body)

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def eof_received(self) -> None:
        self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()
