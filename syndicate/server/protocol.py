"""The HTTP/1.1 protocol of the built-in server: published files answered in the protocol,
everything else handed to uvicorn.

Partner sites poll every minute and most of their requests end in a 304 of a few hundred
bytes. Through ASGI each one costs a scope, a task, two send messages and uvicorn's checks,
several times the work of the answer. So a connection starts with :class:`FileFastPath`:
it parses requests with httptools and answers ``GET`` and ``HEAD`` under ``/feeds/`` and
``/demo/`` itself, with :meth:`SyndicateApp.answer_file` (the code the ASGI path runs too,
so both answer byte for byte the same) and uvicorn's ``date`` and ``server`` headers. A
request read before byte for byte is answered without parsing it again (``repeats.py``).

At the first other request (another path or method, ``Expect``, an upgrade) the connection
is handed to uvicorn's own httptools protocol, with the bytes of that request and all that
followed it, and stays there. To know where a request began, data is fed to the parser in
pieces that end after each blank line (``\\r\\n\\r\\n``), so a request begins where a piece
does. Where that cannot be known (a request pipelined behind one with a body, in the same
piece), the connection is closed after the answers already given, which HTTP allows: the
client sends the rest again on a new connection.

A client that sends requests faster than it reads the answers is answered only while the
transport's write buffer is under its high-water mark: past it, parsing stops where it is
and reading pauses until the buffer drains, so a connection holds at most one read of
unanswered requests, the transport's buffer and one answer. (10 connections that pipeline
230 KB of GETs each and never read: the server's peak RSS grew by 88 MB before, by 2 MB
now; ``tests/reliability/test_server_hostile.py``.) Connections are capped by uvicorn's
``limit_concurrency`` (``MAX_CONNECTIONS`` unless told otherwise): past it, a file request
gets uvicorn's 503 here too (``serving.py`` sets it).

A request head larger than ``MAX_HEAD`` gets a 431, on the first request here and on every
later one after the hand-off (``headcap.py``). Error answers (400, 431, 500) end the
connection in a way that leaves the client time to read them (``closing.py``). The
keep-alive timeout is uvicorn's ``timeout_keep_alive``, counted from the last data
received or, while answers wait, from the last time the client read some. Graceful
shutdown goes through uvicorn's connection set. Nothing logged here carries a query
string (partner tokens travel in it), and ``uvicorn_config`` (``serving.py``) installs
the log filter that redacts tokens (``logredact.py``). How an answer is written is in
``_wire.py``. This module, ``_wire.py`` and ``headcap.py`` import uvicorn's private
module: ``serving.py`` imports them once it has checked it.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Any, cast

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from syndicate.server._wire import BUSY, write_answer
from syndicate.server.app import SyndicateApp
from syndicate.server.closing import answer_and_close
from syndicate.server.files import FILE_PREFIXES, Answer, AnswerKey
from syndicate.server.headcap import MAX_HEAD, PIECE_END, Guarded, HeadSize, plain
from syndicate.server.repeats import Repeat, Repeats, repeats_of

__all__ = ["MAX_HEAD", "FileFastPath"]

log = logging.getLogger("syndicate.server")


class _Stop(Exception):
    """Raised in a parser callback to stop parsing here: the connection changed hands or
    was answered and closed."""


class FileFastPath(asyncio.Protocol):
    """One HTTP connection: files answered here, the rest by uvicorn (see the module)."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.server_state = server_state
        self.app_state = app_state
        self.loop = _loop or asyncio.get_event_loop()
        app = config.app
        #: None: every request goes to uvicorn (another app, a root_path, access logging)
        self._app = app if isinstance(app, SyndicateApp) and not config.root_path else None
        # without an app this protocol hands every connection over: nothing is kept
        self._repeats = Repeats() if self._app is None else repeats_of(self._app)
        self._repeated = self._repeats.get  # looked up for each read that begins a request
        # uvicorn's connections, which it shuts down on exit (typed for its own protocols)
        self._connections = cast(set[Any], server_state.connections)
        self._tasks = server_state.tasks
        self._limit: int | None = config.limit_concurrency
        self._timeout = float(config.timeout_keep_alive)
        self.parser = httptools.HttpRequestParser(self)
        # answer a request even when data follows it after "Connection: close"
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        self.transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_data = 0.0
        self._waiting = 0  # bytes waiting to go out at the last idle check
        self._reading_paused = False
        self._writing_paused = False
        # the data being parsed, up to _pos when answers wait (else all of it); the current
        # piece is _data[_piece:_stop]
        self._data = b""
        self._pos = 0
        self._piece = 0
        self._stop = 0
        self._completed_in_piece = False
        self._measure = HeadSize()
        # the request being read: where it began in _data (-1: not known), its bytes in
        # earlier data while its head is read
        self._begin = -1
        self._earlier: list[bytes] = []
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._expect = False
        self._answer: Answer | None = None
        self._remembered: AnswerKey | None = None
        self._head = False
        self._keep_alive = True
        self._between = True  # between requests: the next data begins one

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._connections.add(self)
        self._last_data = self.loop.time()
        self._timer = self.loop.call_later(self._timeout, self._idle)
        if self._app is None or (self.config.access_log and _access_logged()):
            self._hand_over(b"")

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._data = b""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def data_received(self, data: bytes) -> None:
        self._last_data = self.loop.time()
        if self._data:  # earlier data still waits: reading paused a moment too late
            data = self._data[self._pos :] + data
        elif self._between and (seen := self._repeated(data)) and self._answer_again(seen):
            return
        self._parse(data, 0)

    def pause_writing(self) -> None:  # a slow reader: no more answers until it catches up
        self._writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._data:  # the requests that waited, then reading (never inside a write)
            self.loop.call_soon(self._answer_waiting)
        else:
            self._resume_reading()

    def shutdown(self) -> None:
        """Called by uvicorn on shutdown: no answer is ever half written here."""
        if self.transport is not None:
            self.transport.close()

    # -- parsing -----------------------------------------------------------------------------

    def _parse(self, data: bytes, start: int) -> None:
        """Parse and answer ``data`` from ``start`` on, a piece at a time, while the
        client reads the answers (else keep the rest, ``_data`` from ``_pos``, for later)."""
        self._data = data
        size = len(data)
        measure = self._measure
        while start < size:
            if self._writing_paused:  # answers wait for the client to read: so do requests
                self._pos = start
                self._pause_reading()
                return
            end = data.find(PIECE_END, start)
            stop = size if end < 0 else end + 4
            self._piece = start
            self._stop = stop
            self._completed_in_piece = False
            try:
                self.parser.feed_data(data if start == 0 and stop == size else data[start:stop])
            except httptools.HttpParserCallbackError as exc:
                if not isinstance(exc.__context__, _Stop):  # a bug: say so, answer 500
                    path = self._url.partition(b"?")[0]  # never the query: it may hold a token
                    log.error("answering %r failed", path, exc_info=exc.__context__)
                    self._write_and_close(plain(500, "Internal Server Error"))
                self._drop()
                return
            except httptools.HttpParserError:
                self._write_and_close(plain(400, "Invalid HTTP request received."))
                self._drop()
                return
            if self.transport is None or self.transport.is_closing():
                self._drop()
                return
            if (measure.touched or measure.body) and measure.after(stop - start):
                self._write_and_close(plain(431, "Request header fields too large."))
                self._drop()
                return
            start = stop
        if measure.in_head and self._begin >= 0:  # a head continued in the next data
            self._earlier.append(data[self._begin :])
            self._begin = 0
        self._data = b""  # not kept while the connection idles
        if self._reading_paused and not self._writing_paused:
            self._resume_reading()

    def _answer_waiting(self) -> None:
        closed = self.transport is None or self.transport.is_closing()
        if self._data and not self._writing_paused and not closed:
            self._parse(self._data, self._pos)

    def _drop(self) -> None:
        self._data = b""

    def _pause_reading(self) -> None:
        if self.transport is not None and not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.transport is not None and self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()

    # -- httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._between = False
        self._url = b""
        self._headers = []
        self._expect = False
        self._answer = self._remembered = None
        # It began at this piece's start unless a request ended earlier in the same piece.
        self._begin = -1 if self._completed_in_piece else self._piece
        if self._earlier:
            self._earlier = []
        self._measure.begin()

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"expect":
            self._expect = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._measure.complete(self._stop - self._piece):
            self._write_and_close(plain(431, "Request header fields too large."))
            raise _Stop
        self._answer = self._file_answer()
        if self._answer is None:
            self._hand_over_request()

    def on_body(self, body: bytes) -> None:
        # a body sent with a GET or HEAD for a file is read and dropped (and not a head)
        self._measure.body += len(body)

    def on_message_complete(self) -> None:
        self._completed_in_piece = self._between = True
        answer, self._answer = self._answer, None
        remembered, self._remembered = self._remembered, None
        if answer is None or self.transport is None:
            return
        whole = self._piece == 0 and self._stop == len(self._data) and self._begin == 0
        if remembered is not None and self._keep_alive and whole and not self._earlier:
            self._repeats.add(self._data, remembered, self._head)  # one request, read at once
        write_answer(
            self.transport,
            answer,
            self.server_state.default_headers,
            head=self._head,
            close=not self._keep_alive,
        )
        self.server_state.total_requests += 1
        if not self._keep_alive:
            self.transport.close()

    # -- helpers ---------------------------------------------------------------------------

    def _file_answer(self) -> Answer | None:
        """The answer when this request is for a file and nothing else is in the way."""
        if self._expect or self.parser.should_upgrade() or self._app is None:
            return None
        method = self.parser.get_method()
        if method != b"GET" and method != b"HEAD":
            return None
        target = self._url
        if target.startswith(b"/") and b"#" not in target:  # origin form: the usual one
            raw_path, _, query = target.partition(b"?")
        else:
            url = httptools.parse_url(target)
            raw_path, query = url.path, url.query or b""
        try:
            path = raw_path.decode("ascii")
        except UnicodeDecodeError:
            return None
        if "%" in path:
            path = urllib.parse.unquote(path)
        if not path.startswith(FILE_PREFIXES):
            return None
        self._head = method == b"HEAD"
        if self._busy():
            self._keep_alive = False  # as uvicorn answers there
            return BUSY
        scope = {
            "type": "http",
            "method": method.decode("ascii"),
            "path": path,
            "query_string": query,
            "headers": self._headers,
        }
        answer, self._remembered = self._app.answer_file_remembered(scope)
        if answer is not None:
            version = self.parser.get_http_version()
            self._keep_alive = version != "1.0" and self.parser.should_keep_alive()
        return answer

    def _busy(self) -> bool:  # past uvicorn's limit_concurrency
        limit = self._limit
        return limit is not None and (len(self._connections) >= limit or len(self._tasks) >= limit)

    def _answer_again(self, repeat: Repeat) -> bool:
        """Answer a request read before (``repeats.py``) unparsed, if its answer holds."""
        if self._writing_paused or self._busy() or not self.transport:
            return False
        assert self._app is not None
        if (answer := self._app.answer_again(repeat[0])) is None:
            return False
        defaults = self.server_state.default_headers
        write_answer(self.transport, answer, defaults, head=repeat[1], close=False)
        self.server_state.total_requests += 1
        return True

    def _hand_over_request(self) -> None:
        """Give the connection to uvicorn from the start of this request."""
        if self._begin < 0:  # where it began is not known: close after the answers
            if self.transport is not None:
                self.transport.close()
            raise _Stop
        raw = b"".join(self._earlier) + self._data[self._begin :]
        self._hand_over(raw)
        raise _Stop

    def _hand_over(self, raw: bytes) -> None:
        """Make uvicorn's protocol, behind the head-size guard, this connection's protocol
        and give it ``raw``, the data from the start of the request it is to answer."""
        transport = self.transport
        assert transport is not None
        protocol = HttpToolsProtocol(
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        self._connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._resume_reading()
        guard = Guarded(protocol, transport)
        transport.set_protocol(guard)
        protocol.connection_made(transport)
        if self._writing_paused:
            protocol.pause_writing()
        if raw:
            guard.data_received(raw)

    def _write_and_close(self, data: bytes) -> None:
        """The connection's last answer, an error: the client is left time to read it."""
        if self.transport is not None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            answer_and_close(self.transport, data, self.connection_lost)

    def _idle(self) -> None:
        """The keep-alive timeout: close a connection that sent nothing for that long, and
        that read nothing of its answers for that long either."""
        if self.transport is None or self.transport.is_closing():
            return
        now = self.loop.time()
        waiting = self.transport.get_write_buffer_size() + len(self._data)
        if waiting and waiting != self._waiting:  # answers are still going out
            self._last_data = now
        self._waiting = waiting
        idle = now - self._last_data
        if idle >= self._timeout:
            self.transport.close()
        else:
            self._timer = self.loop.call_later(self._timeout - idle, self._idle)


def _access_logged() -> bool:
    return logging.getLogger("uvicorn.access").hasHandlers()
