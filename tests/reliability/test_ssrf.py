"""The address guard: without ``fetch.allow_private_networks``, no request reaches loopback,
private, link-local (cloud metadata), multicast or reserved addresses (nor an IPv6 address
carrying one: NAT64, 6to4, IPv4-compatible), nor a non-http(s) scheme, whether named in the
config, reached by a redirect, or by a DNS answer that changes between the check and the
connection (rebinding: the name is resolved once and the checked address is the one
connected to)."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from syndicate.config import FetchConfig
from syndicate.errors import FetchError
from syndicate.ingest.fetch import Fetcher, is_public_address
from syndicate.models import SourceState

from ..conftest import free_port
from .conftest import Case

GUARDED = FetchConfig(allow_private_networks=False, total_timeout=5.0, connect_timeout=2.0)


def fetch(url: str, config: FetchConfig = GUARDED, source: SourceState | None = None) -> Any:
    async def once() -> Any:
        async with Fetcher(config) as fetcher:
            return await fetcher.fetch(source or SourceState("s", url))

    return asyncio.run(once())


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("fe80::1", False),
        ("fd00::1", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),  # reserved
        ("100.64.0.1", False),  # carrier-grade NAT
        ("::ffff:127.0.0.1", False),
        ("192.0.2.1", False),  # documentation
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_private_addresses_are_refused_with_a_clear_error(
    case: Case, httpserver: HTTPServer
) -> None:
    case("SSRF: loopback source URL", "refused-address naming the address and the setting")
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>")
    with pytest.raises(FetchError) as caught:
        fetch(httpserver.url_for("/feed.xml"))
    case.saw(f"{caught.value.kind}: {caught.value}")
    assert caught.value.kind == "refused-address"
    assert "allow_private_networks" in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert httpserver.log == []  # not even one request went out
    # the metadata address fails the same way, before any connection
    with pytest.raises(FetchError) as metadata:
        fetch("http://169.254.169.254/latest/meta-data/")
    assert metadata.value.kind == "refused-address"


def judge_with(monkeypatch: pytest.MonkeyPatch, judge: Callable[[str], bool]) -> None:
    """Replace the address check wherever a syndicate module holds it."""
    for module in list(sys.modules.values()):
        if module.__name__.startswith("syndicate.") and (
            getattr(module, "is_public_address", None) is is_public_address
        ):
            monkeypatch.setattr(module, "is_public_address", judge)


def pretend_public(monkeypatch: pytest.MonkeyPatch, *fake: str) -> None:
    """Let the guard take these loopback addresses for public ones: the test servers stand in
    for public hosts."""
    judge_with(monkeypatch, lambda address: address in fake or is_public_address(address))


def resolve_as(monkeypatch: pytest.MonkeyPatch, host: str, *answers: str) -> list[str]:
    """Answer lookups of ``host`` with ``answers`` in turn (the last one repeats); other names
    resolve for real. Returns the log of looked-up names."""
    real = asyncio.BaseEventLoop.getaddrinfo
    asked: list[str] = []

    async def lying(self: Any, name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = name.decode() if isinstance(name, bytes) else str(name)  # anyio sends bytes
        asked.append(name)
        if name != host:
            return await real(self, name, port, *args, **kwargs)
        address = answers[min(asked.count(host), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", lying)
    return asked


def test_a_redirect_to_a_private_address_is_refused(
    case: Case, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    case("SSRF: redirect to loopback", "refused at the redirect; target never requested")
    # The first hop, by name, stands for a public host; the redirect goes to 127.0.0.1.
    resolve_as(monkeypatch, "localhost", "127.0.0.1")
    checked: list[str] = []

    def first_hop_public(address: str) -> bool:
        checked.append(address)
        return len(checked) == 1 or is_public_address(address)

    judge_with(monkeypatch, first_hop_public)
    inside = f"http://127.0.0.1:{httpserver.port}/inside"
    httpserver.expect_request("/inside").respond_with_data("secret")
    httpserver.expect_request("/out").respond_with_response(
        Response(status=302, headers={"Location": inside})
    )
    with pytest.raises(FetchError) as caught:
        fetch(f"http://localhost:{httpserver.port}/out")
    paths = [request.path for request, _ in httpserver.log]
    case.saw(f"{caught.value.kind}: {caught.value}; requested {paths}")
    assert caught.value.kind == "refused-address" and "/inside" not in paths
    assert paths == ["/out"] and "127.0.0.1" in str(caught.value)


def test_non_http_schemes_are_refused(case: Case, httpserver: HTTPServer) -> None:
    case("SSRF: redirect to file:// and gopher://", "refused, no file read")
    httpserver.expect_request("/to-file").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"})
    )
    allowed = replace(GUARDED, allow_private_networks=True)
    with pytest.raises(FetchError) as caught:
        fetch(httpserver.url_for("/to-file"), allowed)
    case.saw(f"{caught.value.kind}: {caught.value}")
    assert "root:" not in str(caught.value) and caught.value.kind == "refused-scheme"


@pytest.fixture
def twin_servers() -> Iterator[tuple[HTTPServer, HTTPServer]]:
    """Two servers on one port: 127.0.0.2 stands for a public host, 127.0.0.1 for an
    internal one."""
    port = free_port()
    servers = (HTTPServer(host="127.0.0.2", port=port), HTTPServer(host="127.0.0.1", port=port))
    try:
        for server in servers:
            server.start()
    except OSError as exc:  # 127.0.0.2 is loopback on Linux, not everywhere
        pytest.skip(f"cannot listen on 127.0.0.2: {exc}")
    try:
        yield servers
    finally:
        for server in servers:
            server.clear()
            if server.is_running():
                server.stop()


def test_dns_rebinding_reaches_only_the_checked_address(
    case: Case, twin_servers: tuple[HTTPServer, HTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    case(
        "SSRF: DNS rebinding (public at check, loopback at connect)",
        "one lookup; connected to the checked address; internal host gets no request",
    )
    public, internal = twin_servers
    for server, body in ((public, "<rss/>"), (internal, "secret")):
        server.expect_request("/feed.xml").respond_with_data(body)
    pretend_public(monkeypatch, "127.0.0.2")
    asked = resolve_as(monkeypatch, "feeds.example", "127.0.0.2", "127.0.0.1")
    source = SourceState("s", f"http://feeds.example:{public.port}/feed.xml", etag='"v1"')
    try:
        result = fetch(source.fetch_url, source=source)
        outcome = f"HTTP {result.status} {result.body!r}"
    except FetchError as exc:
        outcome = f"{exc.kind}: {exc}"
    reached = [request.headers.get("If-None-Match") for request, _ in internal.log]
    hosts = [request.headers.get("Host") for request, _ in public.log]
    case.saw(f"{outcome}; lookups {asked.count('feeds.example')}; internal host got {reached}")
    assert internal.log == []  # the old check ran after the request had been delivered
    assert outcome == "HTTP 200 b'<rss/>'" and asked.count("feeds.example") == 1
    assert hosts == [f"feeds.example:{public.port}"]  # the Host header keeps the name


def test_addresses_carrying_a_private_ipv4_are_not_public(case: Case) -> None:
    carriers = {
        "NAT64 64:ff9b::7f00:1": "64:ff9b::7f00:1",
        "NAT64 local-use 64:ff9b:1::a9fe:a9fe": "64:ff9b:1::a9fe:a9fe",
        "NAT64 local-use /48 form 64:ff9b:1:a00:1::": "64:ff9b:1:a00:1::5db8:d822",
        "6to4 2002:a00:1::1": "2002:a00:1::1",
        "IPv4-compatible ::127.0.0.1": "::127.0.0.1",
    }
    case(
        "SSRF: IPv6 carrying a private IPv4 (NAT64, 6to4, ::a.b.c.d)",
        "not public; the same forms carrying 93.184.216.34 are",
    )
    judged = {name: is_public_address(address) for name, address in carriers.items()}
    public_ones = [
        is_public_address(a) for a in ("64:ff9b::5db8:d822", "2002:5db8:d822::1", "::93.184.216.34")
    ]
    taken = [name for name, public in judged.items() if public]
    case.saw(f"taken for public: {taken or 'none'}; public carriers: {public_ones}")
    assert taken == [] and all(public_ones)
