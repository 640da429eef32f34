"""An answer of the file fast path (``protocol.py``) written on the wire: uvicorn's status
line and default headers (``date``, ``server``), the answer's own headers, then the body,
in the same write as the head when it is small.

It imports uvicorn's private module, as ``protocol.py`` does, and like it is imported only
once ``serving.py`` has checked that module.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from syndicate.server.files import Answer

__all__ = ["BUSY", "JOIN_BODY", "write_answer"]

#: bodies up to this size go out in one write with the head; larger ones in a second write
JOIN_BODY = 16 * 1024

#: uvicorn's answer past its ``limit_concurrency``, for a file request
BUSY: Answer = (
    503,
    [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"19")],
    b"Service Unavailable",
)


def write_answer(
    transport: asyncio.Transport,
    answer: Answer,
    default_headers: list[tuple[bytes, bytes]],
    *,
    head: bool,
    close: bool,
) -> None:
    """Write ``answer`` (its head only for a ``head`` request) with uvicorn's
    ``default_headers``, saying ``connection: close`` when the connection ends after it."""
    status, headers, body = answer
    parts = [STATUS_LINE[status], _default_lines(default_headers)]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    if close:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if head or not body:
        transport.write(b"".join(parts))
    elif len(body) <= JOIN_BODY:
        parts.append(body)
        transport.write(b"".join(parts))
    else:
        transport.write(b"".join(parts))
        transport.write(body)


_defaults: tuple[list[tuple[bytes, bytes]], bytes] = ([], b"")


def _default_lines(headers: list[tuple[bytes, bytes]]) -> bytes:
    """uvicorn's default headers (``date``, ``server``) as lines; uvicorn sets a new list
    each second, so they are joined once a second."""
    global _defaults
    if _defaults[0] is not headers:
        _defaults = (headers, b"".join(name + b": " + value + b"\r\n" for name, value in headers))
    return _defaults[1]
