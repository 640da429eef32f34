"""Local fakes of three machine translation HTTP APIs, for tests and benchmarks.

* :class:`FakeDeepL`: the DeepL API (``/v2/translate``, ``/v2/usage``, ``/v3/glossaries``);
* :class:`FakeLibreTranslate`: LibreTranslate (``/translate``, ``/languages``, settings);
* :class:`FakeOpenAI`: OpenAI-compatible chat completions, as llama.cpp or vLLM serve them,
  answering our translation prompt contract (a JSON document in the last user message).

Each is a real HTTP server on ``127.0.0.1`` (an ephemeral port unless told otherwise),
serving from a daemon thread as soon as it is constructed; use it as a context manager or
call :meth:`FakeServer.stop`. It "translates" with :func:`fake_translate`, deterministically,
and has knobs (public attributes, settable between requests) that make it slow
(``delay``), fail on cue (``failures``), answer malformed replies (``malformed``), refuse
keys (``api_key``), run out of quota, or "mistranslate" (``substitutions``).

Standard library only: ``bench/translate.py`` loads this file by path. No
``from __future__ import annotations`` here: dataclasses then need the module in
``sys.modules``, which a module loaded by path need not be.
"""

import contextlib
import csv
import html
import io
import json
import math
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "MALFORMED_MODES",
    "Failure",
    "FakeDeepL",
    "FakeLibreTranslate",
    "FakeOpenAI",
    "FakeServer",
    "Recorded",
    "StoredGlossary",
    "fake_translate",
    "parse_glossary_entries",
]

#: the values :attr:`FakeServer.malformed` accepts (besides ``None``)
MALFORMED_MODES = frozenset({"not-json", "drop-segment", "add-segment"})

#: what a "not-json" reply carries, with status 200 and ``Content-Type: application/json``
NOT_JSON_BODY = b"<html><body><h1>200 OK</h1><p>upstream answered garbage</p></body></html>"


# --------------------------------------------------------------------------------------
# The fake translation
# --------------------------------------------------------------------------------------

#: characters that make a word: Latin letters (with Latin-1 and Latin Extended-A/B) and digits
_WORD_CHARS = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_WORD_CHAR = re.compile(f"[{_WORD_CHARS}]")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
#: comments, CDATA, doctype and processing instructions, start/end/empty tags (quoted
#: attribute values may hold ``>``)
_MARKUP = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<[!?][^>]*>"
    r"|</?[A-Za-z][^\s/>]*(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"<([A-Za-z][^\s/>]*)")
#: elements whose content passes through untouched
_RAW_ELEMENTS = frozenset({"code", "pre", "script", "style"})


@lru_cache(maxsize=16)
def _end_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"</{re.escape(name)}\s*>", re.IGNORECASE)


def _split_markup(fragment: str) -> Iterator[tuple[bool, str]]:
    """``(is_text, chunk)`` pieces of an HTML fragment, in order, joining back to it.

    Markup chunks are tags, comments and the like; a ``code``/``pre``/``script``/``style``
    element's content is part of its start tag's chunk. Text chunks are the text nodes.
    """
    pos = 0
    size = len(fragment)
    while pos < size:
        match = _MARKUP.search(fragment, pos)
        if match is None:
            yield True, fragment[pos:]
            return
        if match.start() > pos:
            yield True, fragment[pos : match.start()]
        tag = match.group(0)
        end = match.end()
        name = _TAG_NAME.match(tag)
        if name is not None and not tag.endswith("/>"):
            lowered = name.group(1).lower()
            if lowered in _RAW_ELEMENTS:
                close = _end_tag(lowered).search(fragment, end)
                end = close.end() if close is not None else size
        yield False, fragment[match.start() : end]
        pos = end


@dataclass(frozen=True)
class _Glossary:
    pattern: re.Pattern[str]
    #: replacement of the n-th alternative (capturing group n + 1)
    targets: tuple[str, ...]


@lru_cache(maxsize=256)
def _compile_glossary(pairs: tuple[tuple[str, str], ...], is_html: bool) -> _Glossary | None:
    alternatives: list[str] = []
    targets: list[str] = []
    # longest source first; sorted() is stable, so among equals the earlier pair wins
    for source, target in sorted(pairs, key=lambda pair: -len(pair[0])):
        if not source:
            continue
        spellings = [source]
        if is_html and html.escape(source, quote=False) != source:
            spellings.insert(0, html.escape(source, quote=False))
        body = "|".join(re.escape(spelling) for spelling in spellings)
        before = f"(?<![{_WORD_CHARS}])" if _WORD_CHAR.fullmatch(source[0]) else ""
        after = f"(?![{_WORD_CHARS}])" if _WORD_CHAR.fullmatch(source[-1]) else ""
        alternatives.append(f"({before}(?:{body}){after})")
        targets.append(html.escape(target, quote=False) if is_html else target)
    if not alternatives:
        return None
    return _Glossary(re.compile("|".join(alternatives), re.IGNORECASE), tuple(targets))


def _apply_glossary(text: str, glossary: _Glossary) -> str:
    entities = [m.span() for m in _ENTITY.finditer(text)] if "&" in text else []

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        for first, last in entities:
            if first < start < last or first < end < last:
                return match.group(0)  # would cut an entity in two
        return glossary.targets[(match.lastindex or 1) - 1]

    return glossary.pattern.sub(replace, text)


def fake_translate(
    html_fragment: str,
    target: str,
    glossary: Sequence[tuple[str, str]] = (),
    substitutions: Mapping[str, str] | None = None,
    *,
    is_html: bool = True,
) -> str:
    """The fakes' deterministic "translation" of one text into ``target``.

    Markup (tags with their attributes, comments, and the whole content of ``code``,
    ``pre``, ``script`` and ``style`` elements) passes through unchanged. In every text node,
    glossary source terms become their targets (case-insensitive, longest first, whole
    words for terms that begin or end with a Latin letter or digit, anywhere for CJK;
    never cutting an HTML entity), then each ``substitutions`` key is replaced by its value
    (``str.replace``). The first non-blank text node then gets ``[target] `` after its
    leading white space. With ``is_html=False`` the whole text is one text node and
    glossary targets are inserted unescaped.
    """
    compiled = _compile_glossary(tuple((s, t) for s, t in glossary), is_html) if glossary else None
    replacements = [(old, new) for old, new in (substitutions or {}).items() if old]
    chunks: Iterator[tuple[bool, str]] | list[tuple[bool, str]] = (
        _split_markup(html_fragment) if is_html else [(True, html_fragment)]
    )
    out: list[str] = []
    prefixed = False
    for is_text, chunk in chunks:
        if not is_text:
            out.append(chunk)
            continue
        text = _apply_glossary(chunk, compiled) if compiled is not None else chunk
        for old, new in replacements:
            text = text.replace(old, new)
        if not prefixed and chunk.strip():
            lead = len(text) - len(text.lstrip())
            text = f"{text[:lead]}[{target}] {text[lead:]}"
            prefixed = True
        out.append(text)
    return "".join(out)


def _primary(lang: str) -> str:
    """``EN-GB`` -> ``en``."""
    return lang.split("-", 1)[0].split("_", 1)[0].lower()


# --------------------------------------------------------------------------------------
# The server machinery
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    #: without the query string
    path: str
    query: dict[str, list[str]]
    #: names lower-cased; repeated headers joined with ", "
    headers: dict[str, str]
    #: the parsed body when Content-Type is JSON and it parses
    json: Any | None
    #: the parsed body when form-encoded
    form: dict[str, list[str]] | None
    body: bytes


@dataclass(frozen=True)
class Failure:
    """A scripted answer: returned verbatim (dict bodies JSON-encoded) by the next
    translation request, before anything else is looked at (but after ``delay``)."""

    status: int
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> _Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return _Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def _failure_response(failure: Failure) -> _Response:
    if isinstance(failure.body, dict):
        body = json.dumps(failure.body, ensure_ascii=False).encode("utf-8")
        default_type = "application/json"
    elif isinstance(failure.body, str):
        body = failure.body.encode("utf-8")
        default_type = "text/plain; charset=utf-8"
    else:
        body = bytes(failure.body)
        default_type = "application/octet-stream"
    headers = dict(failure.headers)
    if body and not any(name.lower() == "content-type" for name in headers):
        headers["Content-Type"] = default_type
    return _Response(failure.status, body, headers)


def _not_json() -> _Response:
    return _Response(200, NOT_JSON_BODY, {"Content-Type": "application/json"})


_REASONS = {
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    456: "Quota Exceeded",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small replies must not wait for the client's ACK
    server: "_HTTPServer"

    def setup(self) -> None:
        super().setup()
        self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        self.server.fake._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        fake = self.server.fake
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        url = urlsplit(self.path)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        parsed_json: Any | None = None
        form: dict[str, list[str]] | None = None
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                parsed_json = json.loads(body.decode("utf-8"))
            except ValueError:
                parsed_json = None
        elif content_type == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        record = Recorded(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers=headers,
            json=parsed_json,
            form=form,
            body=body,
        )
        fake._record(record)
        try:
            response = fake._dispatch(record)
        except Exception:
            fake.errors.append(traceback.format_exc())
            response = _json(500, {"message": "fake server error", "detail": fake.errors[-1]})
        try:
            self._write(response)
        except OSError:  # the client went away (e.g. it timed out during ``delay``)
            self.close_connection = True

    def _write(self, response: _Response) -> None:
        """Status line, headers and body in one write (no Nagle wait between them)."""
        status = response.status
        reason = _REASONS.get(status) or self.responses.get(status, ("",))[0]
        head = [
            f"{self.protocol_version} {status} {reason}",
            f"Server: {type(self.server.fake).__name__}",
            f"Date: {self.date_time_string()}",
        ]
        for name, value in response.headers.items():
            if name.lower() == "content-length":
                continue
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
            head.append(f"{name}: {value}")
        no_body = status in (204, 304) or 100 <= status < 200
        if not no_body:
            head.append(f"Content-Length: {len(response.body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace")
        if not no_body and self.command != "HEAD":
            data += response.body
        self.wfile.write(data)
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: "FakeServer") -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can be slow
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # connection reset and the like
        self.fake.errors.append(traceback.format_exc())


class FakeServer:
    """A fake API on ``127.0.0.1``, serving (threaded) from the moment it is constructed.

    Knobs, settable at any time: ``api_key``, ``delay``, ``failures``, ``malformed``,
    ``substitutions``. Observations: ``requests``, ``translated_chars``,
    ``translation_requests``, ``errors`` (tracebacks of the fake's own bugs, normally empty).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        delay: float = 0.0,
        substitutions: Mapping[str, str] | None = None,
        port: int = 0,
    ) -> None:
        #: when set, requests without this key are refused the way the real service does
        self.api_key = api_key
        #: seconds to wait before answering each translation request
        self.delay = delay
        #: scripted answers, one popped by each translation request
        self.failures: deque[Failure] = deque()
        self._malformed: str | None = None
        #: applied to every translated text node after the glossary
        self.substitutions: dict[str, str] = dict(substitutions or {})
        #: characters of the texts of the translation requests answered 200
        self.translated_chars = 0
        #: translation requests answered 200 (malformed ones included)
        self.translation_requests = 0
        self.requests: list[Recorded] = []
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = _HTTPServer(("127.0.0.1", port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"{type(self).__name__}:{self.port}",
            daemon=True,
        )
        self._thread.start()

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving, drop open connections, join the thread. Idempotent."""
        if self._stopping.is_set():
            return
        self._stopping.set()  # also ends a pending ``delay``
        self._httpd.shutdown()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to a fresh server's state (knobs, counters, recorded requests)."""
        with self._lock:
            self.api_key = None
            self.delay = 0.0
            self.failures.clear()
            self._malformed = None
            self.substitutions = {}
            self.translated_chars = 0
            self.translation_requests = 0
            self.requests.clear()
            self.errors.clear()

    @staticmethod
    def rate_limit_failure(retry_after: int | None = None) -> Failure:
        """A 429 in the service's own shape, for ``failures`` (subclasses give theirs)."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return Failure(429, {"message": "Too many requests"}, headers)

    # -- knobs --------------------------------------------------------------------------

    @property
    def malformed(self) -> str | None:
        """``None``, or one of :data:`MALFORMED_MODES`: how every translation reply is spoiled."""
        return self._malformed

    @malformed.setter
    def malformed(self, mode: str | None) -> None:
        if mode is not None and mode not in MALFORMED_MODES:
            raise ValueError(f"malformed must be None or one of {sorted(MALFORMED_MODES)}")
        self._malformed = mode

    # -- for subclasses -----------------------------------------------------------------

    def _record(self, record: Recorded) -> None:
        with self._lock:
            self.requests.append(record)

    def _dispatch(self, record: Recorded) -> _Response:
        return _json(404, {"message": "Not found"})

    def _begin_translation(self) -> _Response | None:
        """Wait ``delay``, then the next scripted failure if there is one."""
        if self.delay > 0:
            self._stopping.wait(self.delay)
        try:
            failure = self.failures.popleft()
        except IndexError:
            return None
        return _failure_response(failure)

    def _count(self, chars: int, quota: int | None = None) -> bool:
        """Count a translation request of ``chars`` characters, unless that would exceed
        ``quota``: then count nothing and return False."""
        with self._lock:
            if quota is not None and self.translated_chars + chars > quota:
                return False
            self.translated_chars += chars
            self.translation_requests += 1
            return True

    def _spoil(self, items: list[Any]) -> list[Any]:
        """``items`` with one fewer or one more, as ``malformed`` says."""
        if self._malformed == "drop-segment":
            return items[:-1]
        if self._malformed == "add-segment":
            return [*items, items[-1]] if items else ["[extra]"]
        return items


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


# --------------------------------------------------------------------------------------
# DeepL
# --------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, response: _Response) -> None:
        super().__init__(response.status)
        self.response = response


def _deepl_error(status: int, message: str, detail: str | None = None) -> _BadRequest:
    payload = {"message": message} if detail is None else {"message": message, "detail": detail}
    return _BadRequest(_json(status, payload))


def parse_glossary_entries(entries: str, entries_format: str = "tsv") -> list[tuple[str, str]]:
    """DeepL glossary entries (``tsv``: ``source<TAB>target`` a line; or ``csv``) as pairs.

    Raises ValueError, saying where, on a line without exactly one tab (TSV) or two fields
    (CSV), an empty side, a repeated source, or no entries at all.
    """
    rows: list[tuple[int, str, str]] = []
    if entries_format == "tsv":
        for number, line in enumerate(entries.split("\n"), 1):
            line = line.removesuffix("\r")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 2:
                raise ValueError(f"line {number} must hold exactly one tab, has {len(fields) - 1}")
            rows.append((number, fields[0], fields[1]))
    elif entries_format == "csv":
        reader = csv.reader(io.StringIO(entries))
        for fields in reader:
            if not fields or not "".join(fields).strip():
                continue
            if len(fields) not in (2, 4):
                raise ValueError(f"line {reader.line_num} must hold 2 (or 4) fields")
            rows.append((reader.line_num, fields[0], fields[1]))
    else:
        raise ValueError(f"unsupported entries_format {entries_format!r}")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, source, target in rows:
        if not source.strip() or not target.strip():
            raise ValueError(f"line {number} has an empty source or target")
        if source in seen:
            raise ValueError(f"line {number} repeats the source {source!r}")
        seen.add(source)
        pairs.append((source, target))
    if not pairs:
        raise ValueError("no entries")
    return pairs


def _entries_tsv(pairs: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{source}\t{target}" for source, target in pairs)


@dataclass
class StoredGlossary:
    """A glossary as :class:`FakeDeepL` holds it."""

    glossary_id: str
    name: str
    creation_time: str
    #: (source_lang, target_lang) lower-cased as sent -> entries in order
    dictionaries: dict[tuple[str, str], list[tuple[str, str]]]

    def find(self, source_lang: str, target_lang: str) -> tuple[str, str] | None:
        """The key of the dictionary for this pair (primary subtags compared)."""
        wanted = (_primary(source_lang), _primary(target_lang))
        for key in self.dictionaries:
            if (_primary(key[0]), _primary(key[1])) == wanted:
                return key
        return None

    def entries(self, source_lang: str, target_lang: str) -> dict[str, str] | None:
        """The pair's entries as a dict (for assertions), or None without that dictionary."""
        key = self.find(source_lang, target_lang)
        return None if key is None else dict(self.dictionaries[key])

    def info(self) -> dict[str, Any]:
        return {
            "glossary_id": self.glossary_id,
            "name": self.name,
            "dictionaries": [
                {"source_lang": source, "target_lang": target, "entry_count": len(pairs)}
                for (source, target), pairs in self.dictionaries.items()
            ],
            "creation_time": self.creation_time,
        }


_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,4})?")
_SOURCE_LANG = re.compile(r"[A-Za-z]{2,3}")
_GLOSSARY_PATH = re.compile(r"/v3/glossaries(?:/([^/]+)(?:/(entries|dictionaries))?)?")


class FakeDeepL(FakeServer):
    """The DeepL API: ``POST /v2/translate``, ``GET /v2/usage``, the v3 glossary endpoints.

    Extra knobs: ``quota_chars`` (456 once the billed total would exceed it) and
    ``unknown_glossary_status`` (the status of a translate request naming an unknown
    glossary: 400, as DeepL's own mock server answers; set 404 to try the other reading).
    ``glossaries`` holds the stored glossaries by id; ``glossary_creates`` and
    ``glossary_updates`` count the successful creations and PUT/PATCH/dictionary deletions.
    """

    MAX_TEXTS = 50
    MAX_BODY = 128 * 1024
    DEFAULT_CHARACTER_LIMIT = 500_000
    #: "detected_source_language" when the request names no source_lang
    DETECTED_LANGUAGE = "EN"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        delay: float = 0.0,
        substitutions: Mapping[str, str] | None = None,
        port: int = 0,
        quota_chars: int | None = None,
        unknown_glossary_status: int = 400,
    ) -> None:
        self.quota_chars = quota_chars
        self.unknown_glossary_status = unknown_glossary_status
        self.glossaries: dict[str, StoredGlossary] = {}
        self.glossary_creates = 0
        self.glossary_updates = 0
        super().__init__(api_key=api_key, delay=delay, substitutions=substitutions, port=port)

    @staticmethod
    def rate_limit_failure(retry_after: int | None = None) -> Failure:
        """What DeepL answers when throttling: 429, optionally with Retry-After."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return Failure(429, {"message": "Too many requests"}, headers)

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self.quota_chars = None
            self.unknown_glossary_status = 400
            self.glossaries.clear()
            self.glossary_creates = 0
            self.glossary_updates = 0

    @property
    def billed_chars(self) -> int:
        """Characters billed so far (what ``/v2/usage`` reports)."""
        return self.translated_chars

    def _auth(self, record: Recorded) -> None:
        if self.api_key is None:
            return
        if record.headers.get("authorization", "") != f"DeepL-Auth-Key {self.api_key}":
            raise _deepl_error(403, "Authorization failure, check auth_key")

    def _dispatch(self, record: Recorded) -> _Response:
        path = record.path.rstrip("/") or "/"
        method = record.method
        try:
            if path == "/v2/translate" and method == "POST":
                return self._translate(record)
            self._auth(record)
            if path == "/v2/usage" and method in ("GET", "POST"):
                limit = self.quota_chars
                return _json(
                    200,
                    {
                        "character_count": self.billed_chars,
                        "character_limit": self.DEFAULT_CHARACTER_LIMIT if limit is None else limit,
                    },
                )
            match = _GLOSSARY_PATH.fullmatch(path)
            if match is not None:
                return self._glossary_endpoint(record, match.group(1), match.group(2))
        except _BadRequest as error:
            return error.response
        return _json(404, {"message": "Not found"})

    # -- /v2/translate ------------------------------------------------------------------

    def _translate(self, record: Recorded) -> _Response:
        early = self._begin_translation()
        if early is not None:
            return early
        if len(record.body) > self.MAX_BODY:
            return _json(413, {"message": "Request Entity Too Large"})
        self._auth(record)
        texts, param = self._translate_params(record)
        if not texts:
            raise _deepl_error(400, "Parameter 'text' not specified")
        if len(texts) > self.MAX_TEXTS:
            raise _deepl_error(400, "Too many texts", f"at most {self.MAX_TEXTS} texts per request")
        target_lang = param("target_lang")
        if target_lang is None:
            raise _deepl_error(400, "Parameter 'target_lang' not specified")
        if not _LANG.fullmatch(target_lang):
            raise _deepl_error(400, "Value for 'target_lang' not supported.")
        source_lang = param("source_lang")
        if source_lang is not None and not _SOURCE_LANG.fullmatch(source_lang):
            raise _deepl_error(400, "Value for 'source_lang' not supported.")
        tag_handling = param("tag_handling")
        if tag_handling not in (None, "html", "xml"):
            raise _deepl_error(400, "Value for 'tag_handling' not supported.")
        pairs: list[tuple[str, str]] = []
        glossary_id = param("glossary_id")
        if glossary_id is not None:
            if source_lang is None:
                raise _deepl_error(
                    400, "Use of a glossary requires the source_lang parameter to be specified"
                )
            with self._lock:
                glossary = self.glossaries.get(glossary_id)
                key = None if glossary is None else glossary.find(source_lang, target_lang)
                if glossary is not None and key is not None:
                    pairs = list(glossary.dictionaries[key])
            if glossary is None:
                raise _deepl_error(
                    self.unknown_glossary_status, "Invalid glossary_id", "Glossary not found"
                )
            if key is None:
                raise _deepl_error(
                    400,
                    f"No dictionary found for language pair {source_lang.lower()}-"
                    f"{target_lang.lower()} in glossary",
                )
        billed = sum(len(text) for text in texts)
        if not self._count(billed, self.quota_chars):
            return _json(456, {"message": "Quota exceeded"})
        if self.malformed == "not-json":
            return _not_json()
        target = _primary(target_lang)
        show_billed = _truthy(param("show_billed_characters") or False)
        detected = source_lang.upper() if source_lang else self.DETECTED_LANGUAGE
        translations: list[dict[str, Any]] = []
        for text in texts:
            item: dict[str, Any] = {
                "detected_source_language": detected,
                "text": fake_translate(
                    text, target, pairs, self.substitutions, is_html=tag_handling is not None
                ),
            }
            if show_billed:
                item["billed_characters"] = len(text)
            translations.append(item)
        return _json(200, {"translations": self._spoil(translations)})

    def _translate_params(self, record: Recorded) -> tuple[list[str], Any]:
        """The texts, and a function giving the other parameters (None when absent)."""
        if record.form is not None:
            form = record.form

            def from_form(name: str) -> str | None:
                values = form.get(name)
                return values[0] if values else None

            return form.get("text", []), from_form
        data = record.json
        if not isinstance(data, dict):
            if record.body and "json" in record.headers.get("content-type", ""):
                raise _deepl_error(400, "Invalid request body", "the body is not a JSON object")
            if record.body:
                raise _deepl_error(415, "Invalid Content-Type")
            raise _deepl_error(400, "Parameter 'text' not specified")
        texts = data.get("text")
        if texts is None:
            raise _deepl_error(400, "Parameter 'text' not specified")
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise _deepl_error(400, "Value for 'text' not supported.", "an array of strings")

        def from_json(name: str) -> Any:
            value = data.get(name)
            if (
                value is not None
                and name != "show_billed_characters"
                and not isinstance(value, str)
            ):
                raise _deepl_error(400, f"Value for '{name}' not supported.")
            return value

        return texts, from_json

    # -- /v3/glossaries -----------------------------------------------------------------

    def _glossary_endpoint(
        self, record: Recorded, glossary_id: str | None, sub: str | None
    ) -> _Response:
        method = record.method
        if glossary_id is None:
            if method == "POST":
                return self._create_glossary(record)
            if method == "GET":
                with self._lock:
                    listed = [glossary.info() for glossary in self.glossaries.values()]
                return _json(200, {"glossaries": listed})
            raise _deepl_error(405, "Method not allowed")
        with self._lock:
            glossary = self.glossaries.get(glossary_id)
            if glossary is None:
                raise _deepl_error(404, "Glossary not found")
            if sub is None and method == "GET":
                return _json(200, glossary.info())
            if sub is None and method == "DELETE":
                del self.glossaries[glossary_id]
                return _Response(204)
            if sub is None and method == "PATCH":
                return self._patch_glossary(record, glossary)
            if sub == "entries" and method == "GET":
                return self._glossary_entries(record, glossary)
            if sub == "dictionaries" and method == "PUT":
                return self._put_dictionary(record, glossary)
            if sub == "dictionaries" and method == "DELETE":
                source, target = self._pair_from_query(record)
                key = glossary.find(source, target)
                if key is None:
                    raise _deepl_error(404, "Dictionary not found")
                del glossary.dictionaries[key]
                self.glossary_updates += 1
                return _Response(204)
        raise _deepl_error(405, "Method not allowed")

    @staticmethod
    def _dictionary(data: Any) -> tuple[str, str, list[tuple[str, str]]]:
        if not isinstance(data, dict):
            raise _deepl_error(400, "Missing or invalid argument: dictionaries")
        source, target = data.get("source_lang"), data.get("target_lang")
        for name, value in (("source_lang", source), ("target_lang", target)):
            if not isinstance(value, str) or not _LANG.fullmatch(value):
                raise _deepl_error(400, f"Missing or invalid argument: {name}")
        assert isinstance(source, str) and isinstance(target, str)
        if _primary(source) == _primary(target):
            raise _deepl_error(400, "Source and target language must differ")
        entries, entries_format = data.get("entries"), data.get("entries_format")
        if not isinstance(entries, str):
            raise _deepl_error(400, "Missing or invalid argument: entries")
        if entries_format not in ("tsv", "csv"):
            raise _deepl_error(400, "Missing or invalid argument: entries_format")
        try:
            pairs = parse_glossary_entries(entries, entries_format)
        except ValueError as error:
            raise _deepl_error(400, "Invalid glossary entries provided", str(error)) from None
        return source.lower(), target.lower(), pairs

    def _create_glossary(self, record: Recorded) -> _Response:
        data = record.json
        if not isinstance(data, dict):
            raise _deepl_error(400, "Invalid request body", "expected a JSON object")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise _deepl_error(400, "Missing or invalid argument: name")
        dictionaries = data.get("dictionaries")
        if not isinstance(dictionaries, list) or not dictionaries:
            raise _deepl_error(400, "Missing or invalid argument: dictionaries")
        stored: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for item in dictionaries:
            source, target, pairs = self._dictionary(item)
            if any(
                (_primary(key[0]), _primary(key[1])) == (_primary(source), _primary(target))
                for key in stored
            ):
                raise _deepl_error(400, f"Duplicate dictionary for {source}-{target}")
            stored[(source, target)] = pairs
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        glossary = StoredGlossary(str(uuid.uuid4()), name, now, stored)
        with self._lock:
            self.glossaries[glossary.glossary_id] = glossary
            self.glossary_creates += 1
        return _json(201, glossary.info())

    def _pair_from_query(self, record: Recorded) -> tuple[str, str]:
        source = record.query.get("source_lang", [""])[0]
        target = record.query.get("target_lang", [""])[0]
        if not source:
            raise _deepl_error(400, "Missing or invalid argument: source_lang")
        if not target:
            raise _deepl_error(400, "Missing or invalid argument: target_lang")
        return source, target

    def _glossary_entries(self, record: Recorded, glossary: StoredGlossary) -> _Response:
        source, target = self._pair_from_query(record)
        key = glossary.find(source, target)
        if key is None:
            raise _deepl_error(404, "Dictionary not found")
        dictionary = {
            "source_lang": key[0],
            "target_lang": key[1],
            "entries": _entries_tsv(glossary.dictionaries[key]),
            "entries_format": "tsv",
        }
        return _json(200, {"dictionaries": [dictionary]})

    def _put_dictionary(self, record: Recorded, glossary: StoredGlossary) -> _Response:
        source, target, pairs = self._dictionary(record.json)
        old = glossary.find(source, target)
        if old is not None:
            del glossary.dictionaries[old]
        glossary.dictionaries[(source, target)] = pairs
        self.glossary_updates += 1
        return _json(200, {"source_lang": source, "target_lang": target, "entry_count": len(pairs)})

    def _patch_glossary(self, record: Recorded, glossary: StoredGlossary) -> _Response:
        """Rename and/or merge entries into dictionaries (new sources added, same replaced)."""
        data = record.json
        if not isinstance(data, dict):
            raise _deepl_error(400, "Invalid request body", "expected a JSON object")
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            raise _deepl_error(400, "Missing or invalid argument: name")
        merged = dict(glossary.dictionaries)
        for item in data.get("dictionaries") or []:
            source, target, pairs = self._dictionary(item)
            key = glossary.find(source, target) or (source, target)
            entries = dict(merged.get(key, []))
            entries.update(pairs)
            merged[key] = list(entries.items())
        glossary.dictionaries = merged
        if name is not None:
            glossary.name = name
        self.glossary_updates += 1
        return _json(200, glossary.info())


# --------------------------------------------------------------------------------------
# LibreTranslate
# --------------------------------------------------------------------------------------


class FakeLibreTranslate(FakeServer):
    """LibreTranslate: ``POST /translate``, ``GET /languages``, ``GET /frontend/settings``.

    No glossary support: texts get :func:`fake_translate` with an empty glossary. Extra knobs:
    ``char_limit`` (400 when a request's texts together are longer) and ``languages``
    (code -> name; other source/target codes get 400). ``source: "auto"`` is accepted and
    answered with ``detectedLanguage`` English. With malformed "drop-segment"/"add-segment",
    a single-string ``q`` gets a list back (the wrong shape) of 0 or 2 texts.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        delay: float = 0.0,
        substitutions: Mapping[str, str] | None = None,
        port: int = 0,
        char_limit: int | None = None,
        languages: Mapping[str, str] | None = None,
    ) -> None:
        self.char_limit = char_limit
        self.languages: dict[str, str] = dict(
            languages or {"en": "English", "it": "Italian", "ja": "Japanese"}
        )
        super().__init__(api_key=api_key, delay=delay, substitutions=substitutions, port=port)

    @staticmethod
    def rate_limit_failure(retry_after: int | None = None) -> Failure:
        """What LibreTranslate answers when a client exceeds its request limits."""
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return Failure(429, {"error": "Too many request limits violations"}, headers)

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self.char_limit = None

    def _dispatch(self, record: Recorded) -> _Response:
        path = record.path.rstrip("/") or "/"
        if path == "/translate" and record.method == "POST":
            return self._translate(record)
        if path == "/languages" and record.method == "GET":
            codes = list(self.languages)
            return _json(
                200,
                [
                    {"code": code, "name": name, "targets": codes}
                    for code, name in self.languages.items()
                ],
            )
        if path == "/frontend/settings" and record.method == "GET":
            first = next(iter(self.languages.items()), ("en", "English"))
            return _json(
                200,
                {
                    "charLimit": -1 if self.char_limit is None else self.char_limit,
                    "frontendTimeout": 500,
                    "apiKeys": self.api_key is not None,
                    "keyRequired": self.api_key is not None,
                    "suggestions": False,
                    "filesTranslation": False,
                    "supportedFilesFormat": [],
                    "language": {
                        "source": {"code": "auto", "name": "Auto Detect"},
                        "target": {"code": first[0], "name": first[1]},
                    },
                },
            )
        return _json(404, {"error": "Not Found"})

    def _translate(self, record: Recorded) -> _Response:
        early = self._begin_translation()
        if early is not None:
            return early
        params: dict[str, Any]
        if isinstance(record.json, dict):
            params = record.json
        elif record.form is not None:
            params = {k: v[0] if len(v) == 1 else v for k, v in record.form.items()}
        else:
            params = {}
        if self.api_key is not None and params.get("api_key") != self.api_key:
            return _json(403, {"error": "Invalid API key"})
        for name in ("q", "source", "target"):
            if not params.get(name):
                return _json(400, {"error": f"Invalid request: missing {name} parameter"})
        q, source, target = params["q"], params["source"], params["target"]
        batch = isinstance(q, list)
        texts: list[Any] = q if batch else [q]
        if not all(isinstance(text, str) for text in texts):
            return _json(400, {"error": "Invalid request: q must be a string or list of strings"})
        text_format = params.get("format") or "text"
        if text_format not in ("text", "html"):
            return _json(400, {"error": f"Invalid request: unsupported format {text_format}"})
        chars = sum(len(text) for text in texts)
        if self.char_limit is not None and chars > self.char_limit:
            return _json(
                400,
                {
                    "error": f"Invalid request: request ({chars}) exceeds text limit "
                    f"({self.char_limit})"
                },
            )
        if source != "auto" and source not in self.languages:
            return _json(400, {"error": f"{source} is not supported"})
        if target not in self.languages:
            return _json(400, {"error": f"{target} is not supported"})
        self._count(chars)
        if self.malformed == "not-json":
            return _not_json()
        translated = [
            fake_translate(
                text, _primary(target), (), self.substitutions, is_html=text_format == "html"
            )
            for text in texts
        ]
        payload: dict[str, Any] = {"translatedText": translated if batch else translated[0]}
        if self.malformed is not None:
            payload["translatedText"] = self._spoil(translated)
        if source == "auto":
            detected = {"confidence": 90.0, "language": "en"}
            payload["detectedLanguage"] = [detected] * len(texts) if batch else detected
        return _json(200, payload)


# --------------------------------------------------------------------------------------
# OpenAI-compatible chat completions
# --------------------------------------------------------------------------------------


def _openai_error(
    status: int,
    message: str,
    kind: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> _Response:
    error = {"message": message, "type": kind, "param": param, "code": code}
    return _json(status, {"error": error}, headers)


class FakeOpenAI(FakeServer):
    """OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models`` (also without
    the ``/v1``, as llama.cpp serves them; our client appends ``/chat/completions`` to its
    base URL, so give it ``server.url + "/v1"``).

    The last user message must be our translation contract, a JSON document
    ``{"source_lang", "target_lang", "glossary": [{"source", "target"}...],
    "do_not_translate": [...], "segments": [...]}``; the reply's message content is
    ``{"translations": [...]}`` (a JSON string), with the prompt glossary applied.
    Usage: prompt tokens = ceil(request body characters / 4), completion tokens =
    ceil(content characters / 4). Extra knobs: ``model`` (what ``/v1/models`` lists), and
    ``script`` and ``script_insisted``: segment -> the translation to answer as written (a
    model's own output, for benchmarks of what we do with it), the second used when the
    request carries ``required_terms`` (we asked again, insisting on terms); a segment in
    neither is translated by :func:`fake_translate`. ``insisted`` counts those requests.
    """

    NOT_JSON_CONTENT = "Sure! Here is your translation:"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        delay: float = 0.0,
        substitutions: Mapping[str, str] | None = None,
        port: int = 0,
        model: str = "local-model",
    ) -> None:
        self.model = model
        self.script: dict[str, str] = {}
        self.script_insisted: dict[str, str] = {}
        self.insisted = 0
        super().__init__(api_key=api_key, delay=delay, substitutions=substitutions, port=port)

    @staticmethod
    def rate_limit_failure(retry_after: int | None = 2) -> Failure:
        """What OpenAI answers when throttling: 429 with ``retry-after``."""
        wait = "" if retry_after is None else f" Please try again in {retry_after}s."
        error = {
            "message": f"Rate limit reached for requests.{wait}",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        return Failure(429, {"error": error}, headers)

    def _refused(self, record: Recorded) -> _Response | None:
        if self.api_key is None:
            return None
        if record.headers.get("authorization", "") == f"Bearer {self.api_key}":
            return None
        return _openai_error(401, "Incorrect API key provided", code="invalid_api_key", param=None)

    def _dispatch(self, record: Recorded) -> _Response:
        path = record.path.rstrip("/") or "/"
        if path in ("/chat/completions", "/models"):
            path = "/v1" + path  # llama.cpp serves both spellings
        if path == "/v1/chat/completions" and record.method == "POST":
            return self._chat(record)
        if path == "/v1/models" and record.method == "GET":
            refused = self._refused(record)
            if refused is not None:
                return refused
            created = 1_700_000_000
            model = {"id": self.model, "object": "model", "created": created, "owned_by": "fake"}
            return _json(200, {"object": "list", "data": [model]})
        return _openai_error(
            404, f"Unknown request URL: {record.method} {record.path}", code="unknown_url"
        )

    def _chat(self, record: Recorded) -> _Response:
        early = self._begin_translation()
        if early is not None:
            return early
        refused = self._refused(record)
        if refused is not None:
            return refused
        data = record.json
        if not isinstance(data, dict):
            return _openai_error(400, "We could not parse the JSON body of your request.")
        model = data.get("model")
        if not isinstance(model, str) or not model:
            return _openai_error(400, "you must provide a model parameter", param="model")
        messages = data.get("messages")
        if not isinstance(messages, list) or not messages:
            return _openai_error(400, "'messages' is a required property", param="messages")
        if data.get("stream"):
            return _openai_error(400, "this fake does not stream", param="stream")
        user = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if not user:
            return _openai_error(400, "no user message", param="messages")
        contract = self._contract(user[-1].get("content"))
        if isinstance(contract, _Response):
            return contract
        target, pairs, segments = contract
        self._count(sum(len(segment) for segment in segments))
        insisted = '"required_terms"' in str(user[-1].get("content"))
        if insisted:
            with self._lock:
                self.insisted += 1
        if self.malformed == "not-json":
            content = self.NOT_JSON_CONTENT
        else:
            translations = [
                (self.script_insisted.get(segment) if insisted else None)
                or self.script.get(segment)
                or fake_translate(segment, target, pairs, self.substitutions)
                for segment in segments
            ]
            content = json.dumps({"translations": self._spoil(translations)}, ensure_ascii=False)
        prompt_tokens = math.ceil(len(record.body.decode("utf-8", "replace")) / 4)
        completion_tokens = math.ceil(len(content) / 4)
        with self._lock:
            number = self.translation_requests
        return _json(
            200,
            {
                "id": f"chatcmpl-fake{number:06d}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )

    @staticmethod
    def _contract(content: Any) -> tuple[str, list[tuple[str, str]], list[str]] | _Response:
        """Target language, glossary pairs and segments from the last user message."""
        if isinstance(content, list):  # content parts
            content = "".join(
                part.get("text", "")
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )

        def invalid(why: str) -> _Response:
            return _openai_error(
                400,
                f"fake: the last user message is not the translation contract: {why}",
                param="messages",
            )

        if not isinstance(content, str):
            return invalid("no text content")
        try:
            document = json.loads(content)
        except ValueError:
            return invalid("not JSON")
        if not isinstance(document, dict):
            return invalid("not a JSON object")
        segments = document.get("segments")
        if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
            return invalid("'segments' must be a list of strings")
        for name in ("source_lang", "target_lang"):
            if not isinstance(document.get(name), str) or not document[name]:
                return invalid(f"'{name}' must be a language code")
        glossary = document.get("glossary", [])
        if not isinstance(glossary, list) or not all(
            isinstance(entry, dict)
            and isinstance(entry.get("source"), str)
            and isinstance(entry.get("target"), str)
            for entry in glossary
        ):
            return invalid("'glossary' must be a list of {source, target}")
        names = document.get("do_not_translate", [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            return invalid("'do_not_translate' must be a list of strings")
        pairs = [(entry["source"], entry["target"]) for entry in glossary]
        return _primary(document["target_lang"]), pairs, segments
