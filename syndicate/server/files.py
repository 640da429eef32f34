"""Serve the published files (``feeds/``) the way feed readers and partner sites poll them.

Answers are computed here and written by the server's protocol (``protocol.py``) or, for
other methods, sent through ASGI (``send_answer``); partner sites poll every minute and most
answers are 304:
  - validators: a strong ``ETag`` from the file's SHA-256 (the publisher rewrites a file only
    when its content changes, so the same content keeps its ETag across restarts and
    servers) and ``Last-Modified`` from its mtime; ``If-None-Match`` (then, without it,
    ``If-Modified-Since``) answers ``304 Not Modified``;
  - ``GET`` and ``HEAD``; ``Cache-Control`` from config (archives: immutable);
  - the precompressed ``.gz`` twin when ``Accept-Encoding`` allows gzip, with its own ETag,
    ``Vary: Accept-Encoding`` always;
  - CORS for the configured origins, preflight included;
  - private topics' feeds only for partners with a token (see ``partners.py``);
  - only what is published there: files with the publisher's suffixes (``SERVED``) whose
    real path, links resolved, is inside the directory; anything else, a dangling link
    included, is a 404 (a link to ``/etc/passwd`` named ``x.atom`` is not served);
  - ``If-Modified-Since`` that is not a date (an absurd year or offset) is ignored.

Files are read, and the small ones kept in memory, by ``filecache.py``.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from starlette.types import Scope, Send

from syndicate.config import Config
from syndicate.publish import FEEDS_PREFIX, PUBLISHED_SUFFIXES, in_archive, request_relpath
from syndicate.server.filecache import CONTENT_TYPES, Version, Versions
from syndicate.server.headers import qualities
from syndicate.server.partners import Denied, PartnerGate

__all__ = [
    "CONTENT_TYPES",
    "DEMO_PREFIX",
    "FILE_PREFIXES",
    "SERVED",
    "Answer",
    "AnswerKey",
    "FeedFiles",
    "accepts_gzip",
    "send_answer",
]

#: where the bundled demo sources are served (``make run`` polls them from there)
DEMO_PREFIX = "/demo/"

#: the suffixes of the files served under each prefix, nothing else is: what the publisher
#: writes under /feeds/ (each with a ``.gz`` twin); the demo sources
SERVED: dict[str, tuple[str, ...]] = {
    FEEDS_PREFIX: (*PUBLISHED_SUFFIXES, *(f"{s}.gz" for s in PUBLISHED_SUFFIXES)),
    DEMO_PREFIX: (".xml",),
}
#: the request paths answered from files (by the server's protocol, without the ASGI app)
FILE_PREFIXES = tuple(SERVED)
#: request paths remembered with the file path they name (or None)
_PATHS_KEPT = 4096
#: answers remembered for requests without a token
_MEMO_KEPT = 4096
_ALLOW = b"GET, HEAD, OPTIONS"
_CORS_HEADERS = b"Authorization, If-None-Match, If-Modified-Since"
_CORS_EXPOSE = b"ETag, Last-Modified, Retry-After, Content-Length"
#: an answer: status, headers, body (the whole body, also for HEAD)
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


#: what the answer to a request without a token is remembered by: method, path,
#: If-None-Match, If-Modified-Since, Accept-Encoding, Origin (strings and bytes only, so
#: that a key kept elsewhere costs the garbage collector nothing)
AnswerKey = tuple[str, str, bytes | None, bytes | None, bytes | None, bytes | None]


@dataclass(frozen=True)
class _Memo:
    """An answer given to a request without a token, valid for that config and version."""

    config: Config
    relpath: str
    version: Version
    answer: Answer


class FeedFiles:
    """Answers requests for ``/feeds/…`` (``prefix``) from ``directory``: the files whose
    names end with one of ``suffixes`` (by default what ``SERVED`` lists for the prefix)."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = FEEDS_PREFIX,
        suffixes: tuple[str, ...] | None = None,
        gate: PartnerGate | None = None,
        on_status: Callable[[int], None] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.suffixes = (
            suffixes if suffixes is not None else SERVED.get(prefix, SERVED[FEEDS_PREFIX])
        )
        self._paths: dict[str, str | None] = {}
        self._memo: dict[AnswerKey, _Memo] = {}
        self._gate = gate
        self._on_status = on_status
        self._versions = Versions(directory, self.suffixes)

    def answer_remembered(self, scope: Scope, config: Config) -> tuple[Answer, AnswerKey | None]:
        """Status, headers and body for one request, counted by ``on_status``, and the key
        the answer is remembered by (None when it is not): the same request asks
        :meth:`again` for it without being parsed again."""
        answer, key = self._answer_and_key(scope, config)
        if self._on_status is not None:
            self._on_status(answer[0])
        return answer, key

    def again(self, key: AnswerKey, config: Config) -> Answer | None:
        """The answer remembered under ``key`` while it still holds (the same config, the
        same version of the file), counted by ``on_status``; else None."""
        answer = self._remembered(key, config)
        if answer is not None and self._on_status is not None:
            self._on_status(answer[0])
        return answer

    def _remembered(self, key: AnswerKey, config: Config) -> Answer | None:
        memo = self._memo.get(key)
        if (
            memo is not None
            and memo.config is config
            and self._versions.get(memo.relpath) is memo.version
        ):
            return memo.answer
        return None

    def _answer_and_key(self, scope: Scope, config: Config) -> tuple[Answer, AnswerKey | None]:
        request = dict(scope["headers"])
        query: bytes = scope.get("query_string", b"")
        if b"authorization" in request or b"token=" in query:  # a partner: counted, limited
            return self._respond(scope, request, config)[0], None
        # Without a token the answer depends only on these, the config and the file's
        # version: remembered, a poller's next request costs a stat and two lookups.
        key = (
            scope["method"],
            scope["path"],
            request.get(b"if-none-match"),
            request.get(b"if-modified-since"),
            request.get(b"accept-encoding"),
            request.get(b"origin"),
        )
        remembered = self._remembered(key, config)
        if remembered is not None:
            return remembered, key
        answer, relpath, version = self._respond(scope, request, config)
        if version is None or version.body is None:
            return answer, None
        if len(self._memo) >= _MEMO_KEPT:
            self._memo.clear()
        self._memo[key] = _Memo(config, relpath, version, answer)
        return answer, key

    def _respond(
        self, scope: Scope, request: dict[bytes, bytes], config: Config
    ) -> tuple[Answer, str, Version | None]:
        """The answer, the file's path and the version it was read from (None when the
        answer does not come from a file)."""
        method = scope["method"]
        vary = [b"Accept-Encoding"]
        headers, preflight = _cors(request.get(b"origin"), method, config.server.cors_origins, vary)
        if preflight is not None:
            return preflight, "", None
        if method == "OPTIONS":
            return (204, [*headers, (b"allow", _ALLOW)], b""), "", None
        if method not in ("GET", "HEAD"):
            allow = [*headers, (b"allow", _ALLOW)]
            return _text(405, f"{method} is not allowed here", allow), "", None
        relpath = self._relpath(scope["path"])
        if relpath is None:
            return _text(404, f"no such file: {scope['path']}", headers), "", None
        private = False
        if self._gate is not None:
            verdict = self._gate.check(relpath, request, scope.get("query_string", b""), config)
            if isinstance(verdict, Denied):
                denied = [*headers, *verdict.headers]
                return _text(verdict.status, verdict.reason, denied), relpath, None
            private = verdict
        version = self._versions.get(relpath)
        if version is None:
            where = f"no feed at {scope['path']}; every feed is listed in {self.prefix}index.opml"
            return _text(404, where, headers), relpath, None
        use_gz = version.gz is not None and accepts_gzip(request.get(b"accept-encoding", b""))
        etag = version.etag_gz if use_gz else version.etag
        cache_control = (
            config.server.archive_cache_control
            if in_archive(relpath)
            else config.server.cache_control
        )
        if private:
            cache_control = cache_control.replace("public", "private")
            vary.append(b"Authorization")
        headers += [
            (b"etag", etag),
            (b"last-modified", version.last_modified),
            (b"cache-control", cache_control.encode()),
            (b"vary", b", ".join(vary)),
        ]
        if _not_modified(request, version):
            return (304, headers, b""), relpath, version
        body = version.gz if use_gz else version.body
        if body is None:  # too large to keep: read now (and gzip twins are not used)
            body = version.read()
            if body is None:
                return _text(404, f"no feed at {scope['path']}", headers), relpath, None
        headers.append((b"content-type", version.content_type))
        if use_gz:
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        return (200, headers, body), relpath, version

    def _relpath(self, path: str) -> str | None:
        found = self._paths.get(path, "")
        if found != "":
            return found
        relpath = request_relpath(path, self.prefix)
        if relpath is not None and not relpath.endswith(self.suffixes):
            relpath = None
        if len(self._paths) >= _PATHS_KEPT:
            self._paths.clear()
        self._paths[path] = relpath
        return relpath


async def send_answer(answer: Answer, head: bool, send: Send) -> None:
    """Send an answer through ASGI (without its body for HEAD)."""
    status, headers, body = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


@lru_cache(maxsize=256)  # clients send the same few values over and over
def accepts_gzip(header: bytes) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip`` or ``*`` with a q above 0)."""
    star: bool | None = None
    for coding, q in qualities(header.decode("latin-1").lower()):
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)


def _not_modified(request: dict[bytes, bytes], version: Version) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    match = request.get(b"if-none-match")
    if match is not None:
        if match == version.etag or match == version.etag_gz:  # what pollers send
            return True
        if match.strip() == b"*":
            return True
        tags = {t.strip().removeprefix(b"W/") for t in match.split(b",")}
        return version.etag in tags or version.etag_gz in tags
    since = request.get(b"if-modified-since")
    if since is not None:
        when = _http_date(since)
        return when is not None and version.mtime <= when
    return False


def _http_date(value: bytes) -> int | None:
    """The POSIX time of an HTTP date, or None when it is not one: RFC 9110 13.1.3 says
    to ignore such a validator (an absurd year or offset must not be an error)."""
    try:
        when = email.utils.parsedate_to_datetime(value.decode("latin-1"))
        return int(when.timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _cors(
    origin: bytes | None, method: str, origins: tuple[str, ...], vary: list[bytes]
) -> tuple[list[tuple[bytes, bytes]], Answer | None]:
    """The CORS headers for a request from ``origin`` (adding Origin to ``vary``), and the
    whole answer when it is a preflight."""
    if origin is None or not origins:
        return [], None
    vary.append(b"Origin")
    allowed = _allowed_origin(origin, origins)
    headers = []
    if allowed is not None:
        headers = [
            (b"access-control-allow-origin", allowed),
            (b"access-control-expose-headers", _CORS_EXPOSE),
        ]
    if method != "OPTIONS":
        return headers, None
    if allowed is None:
        return headers, _text(403, "origin not allowed to read these feeds", headers)
    headers += [
        (b"access-control-allow-methods", _ALLOW),
        (b"access-control-allow-headers", _CORS_HEADERS),
        (b"access-control-max-age", b"86400"),
        (b"vary", b", ".join(vary)),
    ]
    return headers, (204, headers, b"")


def _allowed_origin(origin: bytes, allowed: tuple[str, ...]) -> bytes | None:
    if "*" in allowed:
        return b"*"
    return origin if origin.decode("latin-1") in allowed else None


def _text(status: int, message: str, headers: list[tuple[bytes, bytes]]) -> Answer:
    body = (message + "\n").encode()
    return (
        status,
        [
            *headers,
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ],
        body,
    )
