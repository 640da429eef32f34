"""Fetch source feeds over HTTP: conditional GET, size cap, timeouts, limits, address guard.

The one place syndicate talks to source servers. :class:`Fetcher` holds one shared
``httpx.AsyncClient``; :meth:`Fetcher.fetch` returns a :class:`FetchResult` or raises
:class:`FetchError` naming the source and what went wrong.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections import defaultdict
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from syndicate.config import FetchConfig
from syndicate.errors import FetchError
from syndicate.models import FetchResult, SourceState

__all__ = ["Fetcher", "is_public_address"]

MAX_REDIRECTS = 5
_PERMANENT = {301, 308}


def is_public_address(address: str) -> bool:
    """True for a globally routable IP address; False for loopback, private, link-local, etc."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class Fetcher:
    """Fetches sources politely through one shared client. Use as an async context manager."""

    def __init__(
        self,
        config: FetchConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve: bool = True,
    ) -> None:
        self.config = config
        self._resolve = resolve and transport is None
        self._all = asyncio.Semaphore(config.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(config.per_host)
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(config.timeout, connect=config.connect_timeout),
            limits=httpx.Limits(max_connections=config.concurrency),
            headers={
                "User-Agent": config.user_agent,
                "Accept": "application/atom+xml, application/rss+xml, application/rdf+xml, "
                "application/feed+json, application/xml;q=0.9, text/xml;q=0.9, "
                "application/json;q=0.8, */*;q=0.5",
            },
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            event_hooks={"request": [self._guard], "response": [self._check_peer]},
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
            async with self._all, self._hosts[host]:
                return await asyncio.wait_for(self._get(source.id, url, headers), timeout=total)
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(
                source.id,
                f"no complete answer within {total:g}s (fetch.total_timeout)",
                kind="timeout",
            ) from None
        except httpx.TimeoutException as exc:
            what = {
                "ConnectTimeout": "connecting",
                "ReadTimeout": "waiting for data",
                "PoolTimeout": "waiting for a free connection",
            }.get(type(exc).__name__, "")
            raise FetchError(
                source.id, f"timed out {what} at {url}".replace("  ", " "), kind="timeout"
            ) from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(
                source.id, f"more than {MAX_REDIRECTS} redirects from {url}", kind="redirects"
            ) from exc
        except httpx.ConnectError as exc:
            raise _connect_error(source.id, host, exc) from exc
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(
                source.id,
                f"refused a non-http(s) URL on the way from {url}: {exc}",
                kind="refused-scheme",
            ) from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            raise FetchError(
                source.id, f"broken answer from {host}: {exc}", kind="protocol"
            ) from exc
        except httpx.HTTPError as exc:
            raise FetchError(source.id, f"{type(exc).__name__}: {exc}", kind="connect") from exc

    async def _get(self, source_id: str, url: str, headers: dict[str, str]) -> FetchResult:
        limit = self.config.max_bytes
        async with self._client.stream(
            "GET", url, headers=headers, extensions={"source_id": source_id}
        ) as response:
            redirect = _permanent_target(response)
            if response.status_code == 304:
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
                    kind="too-large",
                    status=200,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded: the cap also stops gzip bombs
                size += len(chunk)
                if size > limit:
                    raise FetchError(
                        source_id,
                        f"body is over fetch.max_bytes ({limit} bytes)",
                        kind="too-large",
                        status=200,
                    )
                chunks.append(chunk)
            return FetchResult(
                source_id,
                200,
                str(response.url),
                b"".join(chunks),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                headers=dict(response.headers),
                permanent_redirect=redirect,
            )

    async def _check_peer(self, response: httpx.Response) -> None:
        """The address actually connected to must be public too: a DNS answer can change
        between the guard's lookup and the connection (rebinding)."""
        if self.config.allow_private_networks or not self._resolve:
            return
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if peer and not is_public_address(str(peer[0])):
            await response.aclose()
            source_id = str(response.request.extensions.get("source_id", response.url.host))
            raise FetchError(
                source_id,
                f"refused {response.url.host}: connected to {peer[0]}, not a public address "
                "(the name resolved differently when checked); set "
                "fetch.allow_private_networks = true to allow",
                kind="refused-address",
            )

    async def _guard(self, request: httpx.Request) -> None:
        """Refuse private, loopback and link-local addresses unless the config allows them."""
        if self.config.allow_private_networks or not self._resolve:
            return
        host = request.url.host
        source_id = str(request.extensions.get("source_id", host))
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, request.url.port or 443, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise FetchError(source_id, f"cannot resolve {host}: {exc}", kind="dns") from exc
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise FetchError(
                    source_id,
                    f"refused {host} ({address}): not a public address; "
                    "set fetch.allow_private_networks = true to allow",
                    kind="refused-address",
                )


def _connect_error(source_id: str, host: str, exc: httpx.ConnectError) -> FetchError:
    """Say plainly whether the name, the TLS handshake or the connection failed."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return FetchError(
                source_id,
                f"TLS certificate of {host} not accepted: {cause.verify_message}",
                kind="tls",
            )
        if isinstance(cause, ssl.SSLError):
            return FetchError(
                source_id, f"TLS handshake with {host} failed: {cause.reason}", kind="tls"
            )
        if isinstance(cause, socket.gaierror):
            return FetchError(source_id, f"cannot resolve {host}: {cause.strerror}", kind="dns")
        cause = cause.__cause__ or cause.__context__
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text:
        return FetchError(source_id, f"TLS error with {host}: {text}", kind="tls")
    if "Name or service not known" in text or "nodename nor servname" in text:
        return FetchError(source_id, f"cannot resolve {host}: {text}", kind="dns")
    return FetchError(source_id, f"cannot connect to {host}: {text}", kind="connect")


def _permanent_target(response: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent (301/308), else None."""
    history = response.history
    if history and all(hop.status_code in _PERMANENT for hop in history):
        return str(response.url)
    return None
