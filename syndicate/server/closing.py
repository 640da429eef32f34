"""Closing a connection after an error answer (400, 431, 500) so the client reads it.

Closing a socket while the client is still sending (the rest of an oversized head, a
request behind a bad one) makes the kernel answer the next bytes with a reset, and a
reset can throw away the answer the client has not read yet: it sees "connection reset"
or "broken pipe" instead of a 431. So, as web servers do, the answer is written, the
sending side is shut (the client reads the answer, then end of stream), and whatever the
client still sends is read and dropped, for at most ``LINGER_SECONDS`` and
``LINGER_BYTES``, until it closes its side. Then the connection is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["LINGER_BYTES", "LINGER_SECONDS", "Lingering", "answer_and_close"]

#: how long a connection is kept open after an error answer, for the client to read it
LINGER_SECONDS = 2.0
#: how much a client may still send meanwhile; past it the connection is closed at once
LINGER_BYTES = 1024 * 1024

Lost = Callable[[Exception | None], None]


class Lingering(asyncio.Protocol):
    """A connection's protocol once its last answer is written: drops what arrives and
    closes at the client's end of stream, after ``LINGER_SECONDS`` or past
    ``LINGER_BYTES``; ``lost`` (the previous protocol's ``connection_lost``) is told."""

    def __init__(self, transport: asyncio.Transport, lost: Lost) -> None:
        self.transport = transport
        self.lost = lost
        self.left = LINGER_BYTES
        self.timer = asyncio.get_running_loop().call_later(LINGER_SECONDS, self._end)

    def data_received(self, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            self._end()

    def eof_received(self) -> bool:
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.timer.cancel()
        self.lost(exc)

    def _end(self) -> None:
        """Close; drop the answer if the client has not read it by now (bounded time)."""
        if self.transport.get_write_buffer_size():
            self.transport.abort()
        else:
            self.transport.close()


def answer_and_close(transport: asyncio.Transport, data: bytes, lost: Lost) -> None:
    """Write ``data``, the connection's last answer, and close as the module says."""
    if transport.is_closing():
        return
    transport.write(data)
    if not transport.can_write_eof():
        transport.close()
        return
    transport.write_eof()
    transport.set_protocol(Lingering(transport, lost))
    transport.resume_reading()
