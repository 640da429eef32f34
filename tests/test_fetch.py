"""The fetcher against real HTTP servers on 127.0.0.1 (pytest-httpserver)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import FetchConfig
from syndicate.errors import FetchError
from syndicate.ingest._decode import BodyDecoder, BodyRefused, codings
from syndicate.ingest._netguard import GuardedTransport
from syndicate.ingest.fetch import Fetcher, is_public_address, politeness_key
from syndicate.models import FetchResult, SourceState

ALLOW = FetchConfig(allow_private_networks=True, timeout=5.0, user_agent="syndicate-test/1 (+x)")


def fetch(state: SourceState, config: FetchConfig = ALLOW) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(config) as fetcher:
            return await fetcher.fetch(state)

    return asyncio.run(go())


def test_plain_get_returns_body_and_validators(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        b"<rss/>", headers={"ETag": '"abc"', "Last-Modified": "Sun, 01 Nov 2026 10:00:00 GMT"}
    )
    result = fetch(SourceState("s", httpserver.url_for("/feed")))
    assert (result.status, result.body, result.etag) == (200, b"<rss/>", '"abc"')
    assert result.last_modified == "Sun, 01 Nov 2026 10:00:00 GMT"
    ((request, _),) = httpserver.log
    assert request.headers["User-Agent"] == "syndicate-test/1 (+x)"
    assert "If-None-Match" not in request.headers


def test_conditional_get_sends_validators_and_understands_304(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"abc"':
            return Response(status=304)
        return Response(b"<rss/>", headers={"ETag": '"abc"'})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    state = SourceState(
        "s",
        httpserver.url_for("/feed"),
        etag='"abc"',
        last_modified="Sun, 01 Nov 2026 10:00:00 GMT",
    )
    result = fetch(state)
    assert result.not_modified and result.body is None
    ((request, _),) = httpserver.log
    assert request.headers["If-Modified-Since"] == "Sun, 01 Nov 2026 10:00:00 GMT"


def test_http_error_is_a_fetch_error_with_status(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    with pytest.raises(FetchError) as caught:
        fetch(SourceState("src-1", httpserver.url_for("/gone")))
    assert caught.value.status == 404
    assert caught.value.source_id == "src-1"
    assert "HTTP 404" in str(caught.value)


def test_declared_oversize_body_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    config = FetchConfig(allow_private_networks=True, max_bytes=1000)
    with pytest.raises(FetchError, match="max_bytes"):
        fetch(SourceState("s", httpserver.url_for("/big")), config)


def test_gzip_bomb_is_stopped_at_the_cap(httpserver: HTTPServer) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))  # ~20 KB on the wire, 20 MB inflated
    assert len(bomb) < 100_000
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    config = FetchConfig(allow_private_networks=True, max_bytes=1024 * 1024)
    with pytest.raises(FetchError, match=r"over fetch\.max_bytes"):
        fetch(SourceState("s", httpserver.url_for("/bomb")), config)


def test_gzip_body_is_decoded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(b"<feed/>"), headers={"Content-Encoding": "gzip"}
    )
    assert fetch(SourceState("s", httpserver.url_for("/gz"))).body == b"<feed/>"


def test_private_addresses_are_refused_unless_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"<rss/>")
    closed = FetchConfig(allow_private_networks=False)
    with pytest.raises(FetchError, match="not a public address"):
        fetch(SourceState("s", httpserver.url_for("/feed")), closed)
    assert httpserver.log == []  # refused before any byte was sent


def test_address_classification() -> None:
    assert not is_public_address("127.0.0.1")
    assert not is_public_address("10.1.2.3")
    assert not is_public_address("169.254.169.254")
    assert not is_public_address("::1")
    assert not is_public_address("::ffff:192.168.0.1")
    assert not is_public_address("fd00::1")
    assert is_public_address("93.184.215.14")
    assert is_public_address("2a00:1450:4001:82a::200e")


def test_permanent_redirect_is_reported(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(b"<rss/>")
    result = fetch(SourceState("s", httpserver.url_for("/old")))
    assert result.permanent_redirect == httpserver.url_for("/new")
    assert result.url == httpserver.url_for("/new")


def test_temporary_redirect_is_not_permanent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(b"<rss/>")
    assert fetch(SourceState("s", httpserver.url_for("/old"))).permanent_redirect is None


def test_redirect_loop_stops(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/loop")}
    )
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(SourceState("s", httpserver.url_for("/loop")))
    assert len(httpserver.log) == 6


def test_slow_server_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2)
        return Response(b"<rss/>")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    config = FetchConfig(allow_private_networks=True, timeout=0.5)
    with pytest.raises(FetchError, match="timed out"):
        fetch(SourceState("s", httpserver.url_for("/slow")), config)


def test_connection_refused_is_a_fetch_error() -> None:
    from .conftest import free_port

    with pytest.raises(FetchError, match="cannot connect"):
        fetch(SourceState("s", f"http://127.0.0.1:{free_port()}/feed"))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("64:ff9b::5db8:d822", True),  # NAT64 of 93.184.216.34
        ("64:ff9b:1::c0a8:1", False),  # local-use NAT64, /96 form, of 192.168.0.1
        ("64:ff9b:1:a00:1::5db8:d822", False),  # /48 form would carry 10.0.1.0
        ("64:ff9b:1::5db8:d822", True),
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2002:5db8:d822::1", True),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("::93.184.216.34", True),
        ("::", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_ipv6_addresses_are_judged_by_the_ipv4_they_carry(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_only_decodable_codings_are_offered(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(b"<rss/>")
    fetch(SourceState("s", httpserver.url_for("/feed")))
    (request,) = [request for request, _ in httpserver.log if request.path == "/feed"]
    assert request.headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip, gzip", lambda body: gzip.compress(gzip.compress(body))),
        ("deflate", zlib.compress),
        ("deflate", lambda body: zlib.compress(body)[2:-4]),  # raw deflate, no zlib header
        ("identity, gzip", gzip.compress),
    ],
)
def test_encoded_bodies_are_decoded(
    httpserver: HTTPServer, coding: str, encode: Callable[[bytes], bytes]
) -> None:
    feed = b"<rss>" + b"<item>x</item>" * 10_000 + b"</rss>"
    httpserver.expect_request("/feed").respond_with_data(
        encode(feed), headers={"Content-Encoding": coding}
    )
    assert fetch(SourceState("s", httpserver.url_for("/feed"))).body == feed


def test_an_unsupported_coding_is_refused_clearly(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/br").respond_with_data(
        b"\x1b\x00", headers={"Content-Encoding": "br"}
    )
    with pytest.raises(FetchError, match="Content-Encoding br is not supported") as caught:
        fetch(SourceState("s", httpserver.url_for("/br")))
    assert caught.value.kind == "protocol"


def test_broken_gzip_is_a_protocol_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(FetchError, match="broken gzip data") as caught:
        fetch(SourceState("s", httpserver.url_for("/gz")))
    assert caught.value.kind == "protocol"


def test_each_decoded_layer_stops_at_the_cap() -> None:
    bomb = gzip.compress(gzip.compress(b"\0" * (8 * 1024 * 1024)))
    decoder = BodyDecoder(codings("gzip, gzip"), 1000)
    produced: list[bytes] = []
    with pytest.raises(BodyRefused, match=r"over fetch\.max_bytes \(1000 bytes\)") as caught:
        for start in range(0, len(bomb), 64):
            produced.append(decoder.feed(bomb[start : start + 64]))
    assert caught.value.kind == "too-large" and sum(map(len, produced)) <= 1000


def test_a_name_that_does_not_resolve_is_a_dns_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_answer(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_answer)
    with pytest.raises(FetchError, match=r"cannot resolve nowhere\.example") as caught:
        fetch(SourceState("s", "http://nowhere.example/feed"), FetchConfig())
    assert caught.value.kind == "dns"


def test_proxies_from_the_environment_are_not_used(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import free_port

    nowhere = f"http://127.0.0.1:{free_port()}"  # a proxy there would refuse the connection
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, nowhere)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    httpserver.expect_request("/feed").respond_with_data(b"<rss/>")
    assert fetch(SourceState("s", httpserver.url_for("/feed"))).body == b"<rss/>"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.org/feed", "example.org"),
        ("https://example.org:443/feed", "example.org"),
        ("http://example.org:80/feed", "example.org"),
        ("https://example.org/a", "example.org"),  # http and https of one name: one host
        ("http://example.org:8080/feed", "example.org:8080"),
        ("https://example.org:80/feed", "example.org:80"),
        ("http://127.0.0.1:8001/feed", "127.0.0.1:8001"),
        ("http://[::1]:8001/feed", "[::1]:8001"),
        ("http://[::1]/feed", "[::1]"),
        ("http://example.org:x/feed", "example.org"),  # no port: the fetch will say so
    ],
)
def test_politeness_key_is_the_authority_of_the_host_header(url: str, key: str) -> None:
    assert politeness_key(url) == key


def test_per_host_limit_counts_each_port_as_its_own_host() -> None:
    """fetch.per_host = 1: two feeds of one server are fetched one after the other, while
    two servers on other ports of the same address are fetched at the same time."""
    servers = [HTTPServer(host="127.0.0.1", port=0, threaded=True) for _ in range(2)]
    lock = threading.Lock()
    in_flight = {0: 0, 1: 0}
    most = {0: 0, 1: 0, "all": 0}

    def slow(number: int) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            with lock:
                in_flight[number] += 1
                most[number] = max(most[number], in_flight[number])
                most["all"] = max(most["all"], sum(in_flight.values()))
            time.sleep(0.3)
            with lock:
                in_flight[number] -= 1
            return Response(b"<rss/>")

        return handler

    for number, server in enumerate(servers):
        server.start()
        server.expect_request("/a").respond_with_handler(slow(number))
        server.expect_request("/b").respond_with_handler(slow(number))
    config = FetchConfig(allow_private_networks=True, per_host=1, timeout=5.0)
    states = [
        SourceState(f"s{number}{path}", server.url_for(path))
        for number, server in enumerate(servers)
        for path in ("/a", "/b")
    ]

    async def go() -> list[FetchResult]:
        async with Fetcher(config) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(state) for state in states))

    try:
        results = asyncio.run(go())
    finally:
        for server in servers:
            server.stop()
    assert [result.status for result in results] == [200] * 4
    assert (most[0], most[1], most["all"]) == (1, 1, 2)


class _KeepAlive(BaseHTTPRequestHandler):
    """An HTTP/1.1 server that keeps connections open (pytest-httpserver's closes them)."""

    protocol_version = "HTTP/1.1"
    #: connections accepted, by server port
    opened: ClassVar[Counter[int]] = Counter()

    def setup(self) -> None:
        super().setup()
        self.opened[self.server.server_address[1]] += 1

    def do_GET(self) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"<rss/>")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_one_pool_per_origin_and_idle_pools_are_bounded() -> None:
    """Each origin has its own pool; past max_connections idle pools, the one unused the
    longest is closed, with its connections."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive) for _ in range(6)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = [f"http://127.0.0.1:{server.server_address[1]}/feed" for server in servers]
    transport = GuardedTransport(check=False, max_connections=4, keepalive_per_origin=2)

    async def go() -> list[tuple[int, int]]:
        seen = []
        async with httpx.AsyncClient(transport=transport) as client:
            for url in [*urls, urls[0], urls[0]]:
                response = await client.get(url)
                assert response.content == b"<rss/>"
                seen.append((transport.pools, transport.connections))
        return seen

    try:
        seen = asyncio.run(go())
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    # four idle pools at most, each keeping its connection alive for the next request: the
    # first origin's pool was closed (the one unused the longest) and is opened again, then
    # its connection is reused
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4), (4, 4), (4, 4), (4, 4), (4, 4)]
    first, second = (server.server_address[1] for server in servers[:2])
    # urls[0]: a second connection once its pool was closed, then reused; urls[1]: one
    assert (_KeepAlive.opened[first], _KeepAlive.opened[second]) == (2, 1)
    assert (transport.pools, transport.connections) == (0, 0)  # closed with the client


def test_a_304_keeps_its_connection_for_the_next_request() -> None:
    # most polls end in a 304: each one must not cost a new TCP connection
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    states = [SourceState(f"s{i}", f"http://127.0.0.1:{port}/f{i}", etag='"v1"') for i in range(5)]

    async def go() -> list[FetchResult]:
        async with Fetcher(FetchConfig(allow_private_networks=True, per_host=1)) as fetcher:
            return [await fetcher.fetch(state) for state in states]

    try:
        results = asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
    assert [r.status for r in results] == [304] * 5
    assert _KeepAlive.opened[port] == 1


def test_a_failed_request_leaves_its_pool_idle() -> None:
    from .conftest import free_port

    transport = GuardedTransport(check=False, max_connections=2, keepalive_per_origin=1)

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            for _ in range(3):
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"http://127.0.0.1:{free_port()}/feed")
            assert (transport.pools, transport.connections) == (2, 0)

    asyncio.run(go())
