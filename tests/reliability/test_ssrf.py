"""The address guard: without ``fetch.allow_private_networks``, no request reaches loopback,
private, link-local (cloud metadata), multicast or reserved addresses, nor a non-http(s)
scheme, whether named in the config, reached by a redirect, or by a DNS answer that changes
between the check and the connection (rebinding)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from syndicate.config import FetchConfig
from syndicate.errors import FetchError
from syndicate.fetch import Fetcher, is_public_address
from syndicate.models import SourceState

from .conftest import Case

GUARDED = FetchConfig(allow_private_networks=False, total_timeout=5.0, connect_timeout=2.0)


def fetch(url: str, config: FetchConfig = GUARDED) -> Any:
    async def once() -> Any:
        async with Fetcher(config) as fetcher:
            return await fetcher.fetch(SourceState("s", url))

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


def test_a_redirect_to_a_private_address_is_refused(
    case: Case, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    case("SSRF: redirect to loopback", "refused at the redirect; target never requested")
    httpserver.expect_request("/inside").respond_with_data("secret")
    # The first hop is allowed here (a test server is on loopback too): its lookup and its
    # connected address pass as public; the redirect's target is checked for real.
    httpserver.expect_request("/out").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/inside")})
    )
    checked: list[str] = []
    real = is_public_address

    def first_hop_public(address: str) -> bool:
        checked.append(address)
        return len(checked) <= 2 or real(address)

    monkeypatch.setattr("syndicate.fetch.is_public_address", first_hop_public)
    with pytest.raises(FetchError) as caught:
        fetch(httpserver.url_for("/out"))
    paths = [request.path for request, _ in httpserver.log]
    case.saw(f"{caught.value.kind}: {caught.value}; requested {paths}")
    assert caught.value.kind == "refused-address" and "/inside" not in paths
    assert paths == ["/out"] and "connected to" not in str(caught.value)  # at the lookup


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


def test_dns_rebinding_is_caught_at_the_connected_address(
    case: Case, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    case(
        "SSRF: DNS rebinding (public at check, loopback at connect)",
        "refused by the address actually connected to",
    )
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>")
    real = asyncio.BaseEventLoop.getaddrinfo
    answers = []

    async def lying_resolver(self: Any, host: Any, *args: Any, **kwargs: Any) -> Any:
        answers.append(host)
        if host == "localhost" and len(answers) == 1:  # the guard's lookup: a public address
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]
        return await real(self, host, *args, **kwargs)  # the connection's: 127.0.0.1

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", lying_resolver)
    with pytest.raises(FetchError) as caught:
        fetch(f"http://localhost:{httpserver.port}/feed.xml")
    case.saw(f"{caught.value.kind}: {caught.value}")
    assert caught.value.kind == "refused-address" and "connected to 127.0.0.1" in str(caught.value)
