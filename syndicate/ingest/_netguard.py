"""Connect only to checked addresses: one lookup, the check, and the connection to the very
address checked.

A check in a request hook followed by the connection's own lookup leaves a gap: a DNS answer
that changes in between (rebinding) delivers the request, validators included, to an internal
host before anything can refuse it. Here the lookup, the check and the connect are one step in
httpcore's network backend (its public ``AsyncNetworkBackend`` interface), so no second lookup
happens; the Host header, the TLS server name and the certificate check still use the name,
because httpcore passes the URL's host to ``start_tls``. httpx has no public way to hand a
backend to its transport, so :class:`GuardedTransport` is a small transport over an
``httpcore.AsyncConnectionPool``. Proxies from the environment are not used: a proxy would
make the connected address the proxy's, not the source's.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["AddressRefused", "GuardedBackend", "GuardedTransport", "is_public_address"]

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NAT64_LOCAL_96 = ipaddress.ip_network("64:ff9b:1::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def is_public_address(address: str) -> bool:
    """True for a globally routable IP address; False for loopback, private, link-local, etc.

    An IPv6 address that carries an IPv4 one (mapped ``::ffff:a.b.c.d``, compatible
    ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) is judged by the IPv4 address
    it leads to: ``64:ff9b::7f00:1`` is loopback through NAT64. In the local-use NAT64 prefix
    ``64:ff9b:1::/48`` the translator picks where the IPv4 address sits (RFC 6052), so only
    the ``/96`` form, whose other forms all read as 0.0.0.0/8, is judged by its last 32 bits;
    the rest of that prefix is not public.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL and ip not in _NAT64_LOCAL_96:
            return False
        carried = _carried_ipv4(ip)
        if carried is not None:
            return _is_global(carried)
    return _is_global(ip)


def _is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _carried_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, or None if it carries none."""
    n = int(ip)
    last32 = (ip in _MAPPED, ip in _NAT64, ip in _NAT64_LOCAL_96, ip in _COMPATIBLE and n > 1)
    if any(last32):
        return ipaddress.IPv4Address(n & 0xFFFFFFFF)
    return ip.sixtofour if ip in _SIX_TO_FOUR else None


class AddressRefused(Exception):
    """A host resolved to an address that is not public; the fetcher names the source."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"refused {host} ({address}): not a public address")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, refuses it unless every address is public, and connects to a
    checked address. With ``check=False`` it connects by name, as httpcore would."""

    def __init__(self, *, check: bool, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._check = check
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not self._check:
            return await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        addresses = await _lookup(host, port, timeout)
        for address in addresses:
            if not is_public_address(address):
                raise AddressRefused(host, address)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # _lookup never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _lookup(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of ``host`` (itself if it is one), in the resolver's order, once each."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"no answer resolving {host}") from exc
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no address")
    return addresses


#: httpcore's errors and the httpx ones callers know, most specific first
_ERRORS: tuple[tuple[type[Exception], type[httpx.RequestError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def _as_httpx(exc: Exception, request: httpx.Request) -> httpx.RequestError | None:
    """The httpx error for an httpcore one; None for any other exception (raised as is)."""
    for core, mapped in _ERRORS:
        if isinstance(exc, core):
            return mapped(str(exc), request=request)
    return None


class _Body(httpx.AsyncByteStream):
    """The response body, with httpcore's errors raised as httpx's; closing it tells the
    transport that its request is over (once)."""

    def __init__(
        self,
        response: httpcore.Response,
        request: httpx.Request,
        done: Callable[[], Awaitable[None]],
    ) -> None:
        self._response = response
        self._request = request
        self._done: Callable[[], Awaitable[None]] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._response.aiter_stream():
                yield part
        except Exception as exc:
            mapped = _as_httpx(exc, self._request)
            if mapped is None:
                raise
            raise mapped from exc

    async def aclose(self) -> None:
        done, self._done = self._done, None
        try:
            await self._response.aclose()
        finally:
            if done is not None:
                await done()


_Origin = tuple[bytes, bytes, int | None]


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over httpcore pools, one per origin, whose connections go through
    :class:`GuardedBackend`.

    One pool per origin (scheme, host, port), not one for all: httpcore's pool looks at each
    of its connections for every request it places and every response it closes
    (``has_expired`` asks the socket whether it is readable), so with one pool of
    ``max_connections`` the cost of a request grew with the connections open to every other
    host (measured: 0.3–1.5 s of CPU per 300 sources over 30 hosts, bench/ingest.py
    ``--many-hosts``). Each pool takes up to ``max_connections``, as the shared pool did (the
    fetcher's semaphores keep each host to ``fetch.per_host``) and keeps up to
    ``keepalive_per_origin`` idle connections. Memory and sockets stay bounded: a pool with no
    request in flight is idle, and past ``max_connections`` idle pools (so at most
    ``max_connections * keepalive_per_origin`` idle sockets) the one unused the longest is
    closed.
    """

    def __init__(
        self, *, check: bool, max_connections: int, keepalive_per_origin: int | None = None
    ) -> None:
        self._check = check
        self._max_connections = max_connections
        self._keepalive = min(keepalive_per_origin or max_connections, max_connections)
        # As many idle pools as requests in flight, not max_connections // keepalive: with
        # more hosts than that, a host's pool went idle between two of its sources and was
        # closed, so nearly every request opened a connection (265 for 300 sources over 30
        # hosts in bench/ingest.py --many-hosts, against 62 with this bound)
        self._max_idle = max_connections
        self._ssl: ssl.SSLContext | None = None  # made at the first https origin, then shared
        self._backend = GuardedBackend(check=check)
        self._pools: dict[_Origin, httpcore.AsyncConnectionPool] = {}
        self._in_flight: dict[_Origin, int] = {}
        #: pools with no request in flight, the one unused the longest first
        self._idle: OrderedDict[_Origin, None] = OrderedDict()

    @property
    def pools(self) -> int:
        """How many pools are open (one per origin in use or kept idle)."""
        return len(self._pools)

    @property
    def connections(self) -> int:
        """How many connections the pools hold, in use or idle."""
        return sum(len(pool.connections) for pool in self._pools.values())

    def _take(self, origin: _Origin) -> httpcore.AsyncConnectionPool:
        pool = self._pools.get(origin)
        if pool is None:
            if self._ssl is None and origin[0] == b"https":
                # loading the CA bundle takes ~60 ms: once per transport, and only for https
                self._ssl = httpx.create_ssl_context()
            pool = self._pools[origin] = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl,
                max_connections=self._max_connections,
                max_keepalive_connections=self._keepalive,
                keepalive_expiry=5.0,
                network_backend=self._backend,
            )
        self._idle.pop(origin, None)
        self._in_flight[origin] = self._in_flight.get(origin, 0) + 1
        return pool

    async def _give_back(self, origin: _Origin) -> None:
        left = self._in_flight.pop(origin, 0) - 1
        if left > 0:
            self._in_flight[origin] = left
            return
        if origin not in self._pools:  # the transport was closed meanwhile
            return
        self._idle[origin] = None
        while len(self._idle) > self._max_idle:
            oldest, _ = self._idle.popitem(last=False)
            await self._pools.pop(oldest).aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        origin: _Origin = (url.raw_scheme, url.raw_host.lower(), url.port)
        pool = self._take(origin)
        try:
            response = await pool.handle_async_request(core)
        except BaseException as exc:
            await self._give_back(origin)
            if not isinstance(exc, Exception):
                raise
            mapped = _as_httpx(exc, request)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response, request, lambda: self._give_back(origin)),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        pools = list(self._pools.values())
        self._pools.clear()
        self._idle.clear()
        self._in_flight.clear()
        for pool in pools:
            await pool.aclose()
