"""Fetch source feeds over HTTP: conditional GET, size cap, timeouts, limits, address guard.

The one place syndicate talks to source servers. :class:`Fetcher` holds one shared
``httpx.AsyncClient``; :meth:`Fetcher.fetch` returns a :class:`FetchResult` or raises
:class:`FetchError` naming the source and what went wrong. Connections go through
:mod:`syndicate.ingest._netguard` (the address checked is the address connected to);
the body is read raw and decoded by :mod:`syndicate.ingest._decode`, off the event loop,
with the size cap applied to the bytes on the wire and to every decoded layer.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import defaultdict
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from syndicate.config import FetchConfig
from syndicate.errors import FailureKind, FetchError
from syndicate.ingest._decode import ACCEPT_ENCODING, BodyDecoder, BodyRefused, codings
from syndicate.ingest._netguard import AddressRefused, GuardedTransport, is_public_address
from syndicate.models import FetchResult, SourceState

__all__ = ["Fetcher", "is_public_address", "politeness_key"]

MAX_REDIRECTS = 5
_PERMANENT = {301, 308}


class Fetcher:
    """Fetches sources politely through one shared client. Use as an async context manager.

    ``transport`` replaces the network (tests pass ``httpx.MockTransport``; no address check
    then); ``resolve=False`` connects by name without checking addresses.
    """

    def __init__(
        self,
        config: FetchConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: bool = True,
    ) -> None:
        self.config = config
        check = resolve and not config.allow_private_networks
        self._all = asyncio.Semaphore(config.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.per_host)
        )
        self._client = httpx.AsyncClient(
            transport=transport
            or GuardedTransport(
                check=check,
                max_connections=config.concurrency,
                keepalive_per_origin=config.per_host,
            ),
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            headers={
                "User-Agent": config.user_agent,
                "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, "
                "application/feed+json, application/xml;q=0.9, text/xml;q=0.9, "
                "application/json;q=0.8, */*;q=0.5",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, source: SourceState) -> FetchResult:
        """GET the source's feed, conditionally when validators are known."""
        url = source.fetch_url
        headers = {}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
        host = urlsplit(url).hostname or ""
        total = self.config.total_timeout
        try:
            async with self._all, self._hosts[politeness_key(url)], asyncio.timeout(total):
                return await self._get(source.id, url, headers)
        except FetchError:
            raise
        except AddressRefused as exc:
            raise FetchError(
                source.id,
                f"{exc}; set fetch.allow_private_networks = true to allow",
                kind=FailureKind.REFUSED_ADDRESS,
            ) from None
        except TimeoutError:
            raise FetchError(
                source.id,
                f"no complete answer within {total:g}s (fetch.total_timeout)",
                kind=FailureKind.TIMEOUT,
            ) from None
        except httpx.TimeoutException as exc:
            what = {
                "ConnectTimeout": "connecting",
                "ReadTimeout": "waiting for data",
                "PoolTimeout": "waiting for a free connection",
            }.get(type(exc).__name__, "")
            raise FetchError(
                source.id, f"timed out {what} at {url}".replace("  ", " "), kind=FailureKind.TIMEOUT
            ) from exc
        except httpx.ConnectError as exc:
            raise _connect_error(source.id, host, exc) from exc
        except httpx.HTTPError as exc:
            raise _http_failure(source.id, url, host, exc) from exc

    async def _get(self, source_id: str, url: str, headers: dict[str, str]) -> FetchResult:
        limit = self.config.max_bytes
        async with self._client.stream(
            "GET", url, headers=headers, extensions={"source_id": source_id}
        ) as response:
            redirect = _permanent_target(response)
            if response.status_code == 304:
                # A 304 has no body, but until its end is read the connection is mid-response
                # and closing the response closes it: reading the nothing keeps it for the
                # next request (measured: 265 connections for 300 sources, 70% 304s over 30
                # hosts, against 60 once read; bench/ingest.py --many-hosts)
                await response.aread()
                return FetchResult(
                    source_id,
                    304,
                    str(response.url),
                    None,
                    headers=dict(response.headers),
                    permanent_redirect=redirect,
                )
            if response.status_code != 200:
                raise FetchError(
                    source_id,
                    f"HTTP {response.status_code} {response.reason_phrase} from {response.url}",
                    status=response.status_code,
                    retry_after=response.headers.get("retry-after"),
                )
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(
                    source_id,
                    f"body of {declared} bytes is over fetch.max_bytes ({limit})",
                    kind=FailureKind.TOO_LARGE,
                    status=200,
                )
            body = await self._read(source_id, response)
            return FetchResult(
                source_id,
                200,
                str(response.url),
                body,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                headers=dict(response.headers),
                permanent_redirect=redirect,
            )

    async def _read(self, source_id: str, response: httpx.Response) -> bytes:
        """The decoded body: the wire bytes and every decoded layer each stay within
        fetch.max_bytes; decompression runs in a worker thread, a chunk at a time."""
        limit = self.config.max_bytes
        try:
            decoder = BodyDecoder(codings(response.headers.get("content-encoding", "")), limit)
            chunks: list[bytes] = []
            received = 0
            async for raw in response.aiter_raw():
                received += len(raw)
                if received > limit:
                    raise BodyRefused(
                        FailureKind.TOO_LARGE, f"body is over fetch.max_bytes ({limit} bytes)"
                    )
                chunks.append(
                    raw if decoder.identity else await asyncio.to_thread(decoder.feed, raw)
                )
            if not decoder.identity:
                chunks.append(await asyncio.to_thread(decoder.flush))
        except BodyRefused as exc:
            if exc.kind is FailureKind.TOO_LARGE:
                raise FetchError(source_id, str(exc), kind=exc.kind, status=200) from exc
            raise FetchError(
                source_id, f"broken answer from {response.url.host}: {exc}", kind=exc.kind
            ) from exc
        return b"".join(chunks)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def politeness_key(url: str) -> str:
    """What ``fetch.per_host`` counts requests by: the authority of the URL as its ``Host``
    header names it, the host name and the port unless it is the scheme's default.

    An HTTP host is a name and a port (RFC 9110, 4.3.1 and 7.2): two ports of one name are
    often two servers (and on a bench on 127.0.0.1, the only way to have many "hosts"),
    while ``http://a/`` and ``https://a/`` share the key ``a``, so a publisher serving both
    still gets ``per_host`` requests at a time. Names are compared case-insensitively.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # not a port: the fetch itself will fail and say so
        port = None
    if ":" in host:  # an IPv6 address, bracketed as in a URL
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return host
    return f"{host}:{port}"


#: the other httpx failures: kind, and what went wrong (``{url}``, ``{host}``, ``{exc}``,
#: ``{redirects}`` filled in); anything else is a connection failure
_HTTP_FAILURES: tuple[tuple[type[httpx.HTTPError], FailureKind, str], ...] = (
    (httpx.TooManyRedirects, FailureKind.REDIRECTS, "more than {redirects} redirects from {url}"),
    (
        httpx.UnsupportedProtocol,
        FailureKind.REFUSED_SCHEME,
        "refused a non-http(s) URL on the way from {url}: {exc}",
    ),
    (httpx.RemoteProtocolError, FailureKind.PROTOCOL, "broken answer from {host}: {exc}"),
)


def _http_failure(source_id: str, url: str, host: str, exc: httpx.HTTPError) -> FetchError:
    for kind_of, kind, message in _HTTP_FAILURES:
        if isinstance(exc, kind_of):
            text = message.format(redirects=MAX_REDIRECTS, url=url, host=host, exc=exc)
            return FetchError(source_id, text, kind=kind)
    return FetchError(source_id, f"{type(exc).__name__}: {exc}", kind=FailureKind.CONNECT)


def _connect_error(source_id: str, host: str, exc: httpx.ConnectError) -> FetchError:
    """Say plainly whether the name, the TLS handshake or the connection failed."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchError(
                source_id,
                f"TLS certificate of {host} not accepted: {cause.verify_message}",
                kind=FailureKind.TLS,
            )
        if isinstance(cause, ssl.SSLError):
            return FetchError(
                source_id, f"TLS handshake with {host} failed: {cause.reason}", kind=FailureKind.TLS
            )
        if isinstance(cause, socket.gaierror):
            return FetchError(
                source_id, f"cannot resolve {host}: {cause.strerror}", kind=FailureKind.DNS
            )
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return FetchError(source_id, f"TLS error with {host}: {text}", kind=FailureKind.TLS)
    if "Name or service not known" in text or "nodename nor servname" in text:
        return FetchError(source_id, f"cannot resolve {host}: {text}", kind=FailureKind.DNS)
    return FetchError(source_id, f"cannot connect to {host}: {text}", kind=FailureKind.CONNECT)


def _permanent_target(response: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent (301/308), else None."""
    history = response.history
    if history and all(hop.status_code in _PERMANENT for hop in history):
        return str(response.url)
    return None
