"""The server's protocol (``server/protocol.py``) over raw sockets on 127.0.0.1: files are
answered in the protocol exactly as the ASGI path answers them, other requests are handed
to uvicorn mid-connection, and HTTP/1.1 connection handling holds (keep-alive, pipelining,
requests split across packets, HTTP/1.0, bad and oversized heads, the idle timeout)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from syndicate.server import SyndicateApp, create_app, uvicorn_config
from syndicate.server.closing import LINGER_BYTES, LINGER_SECONDS
from syndicate.server.protocol import MAX_HEAD
from syndicate.server.serving import MAX_CONNECTIONS

from .conftest import MOBILITY_TOKEN, ORIGIN, PARTNER_TOKEN, Site, serve
from .rawhttp import TIMEOUT, Connection, comparable, exchange, request

PUBLIC = "/feeds/it/energy.atom"


@pytest.fixture
def asgi_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the requests that reached the ASGI app (not answered in the protocol)."""
    calls: list[str] = []
    original = SyndicateApp.__call__

    async def spy(self: SyndicateApp, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(SyndicateApp, "__call__", spy)
    return calls


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_files_are_answered_in_the_protocol_exactly_as_through_asgi(
    site: Site, asgi_calls: list[str], loop: str
) -> None:
    etag = exchange(site.base, request(PUBLIC, Accept_Encoding="identity")).header("etag")
    assert etag is not None
    cases: list[tuple[bytes, bool]] = [
        (request(PUBLIC, Accept_Encoding="identity"), False),
        (request(PUBLIC, Accept_Encoding="gzip"), False),
        (request(PUBLIC, Accept_Encoding="gzip;q=0, identity"), False),
        (request(PUBLIC, If_None_Match=etag), False),
        (request(PUBLIC, If_None_Match=f'"other", W/{etag}'), False),
        (request(PUBLIC, If_None_Match='"stale"'), False),
        (request(PUBLIC, If_Modified_Since="Mon, 01 Jan 2001 00:00:00 GMT"), False),
        (request(PUBLIC, "HEAD"), True),
        (request(PUBLIC + "?utm_source=x", Origin=ORIGIN), False),
        (request(PUBLIC, Origin="https://elsewhere.example"), False),
        (request("/feeds/it/startups.atom"), False),
        (request("/feeds/it/startups.atom", Authorization=f"Bearer {PARTNER_TOKEN}"), False),
        (request(f"/feeds/it/startups.atom?token={MOBILITY_TOKEN}"), False),
        (request("/feeds/it/nothing.atom"), False),
        (request("/feeds/it/%2e%2e/%2e%2e/config.toml"), False),
        (request("/feeds/it/../../config.toml"), False),
        (request("/demo/city-it.xml"), False),
        (request("http://127.0.0.1/feeds/it/all.json"), False),
    ]
    # the same published site through uvicorn's plain ASGI path, on the same event loop
    other = create_app(site.config, site.storage)
    with (
        serve(site.app, loop=loop) as fast,
        serve(other, http="httptools", loop=loop) as plain,
    ):
        asgi_calls.clear()
        for data, head in cases:
            mine, theirs = exchange(fast, data, head), exchange(plain, data, head)
            assert comparable(mine) == comparable(theirs), data
            assert mine.header("date") and mine.header("server") == "uvicorn"
    # every answer above came from a file path: none of them went through ASGI on the
    # fast server, all of them did on the plain one
    assert len(asgi_calls) == len(cases)
    statuses = {exchange(site.base, data, head).status for data, head in cases}
    assert statuses == {200, 304, 401, 403, 404}


def test_other_requests_are_handed_to_uvicorn_on_the_same_connection(
    site: Site, connect: Callable[[], Connection], asgi_calls: list[str]
) -> None:
    conn = connect()
    conn.send(request(PUBLIC, Accept_Encoding="identity"))
    feed = conn.reply()
    conn.send(request("/healthz"))
    health = conn.reply()
    assert feed.status == 200 and health.status == 200 and b'"status"' in health.body
    # the connection is uvicorn's now, and still serves files
    conn.send(request(PUBLIC, Accept_Encoding="identity"))
    assert conn.reply().body == feed.body
    assert asgi_calls == ["/healthz", PUBLIC]
    # a POST for a file (with a body) goes through ASGI too, and gets its 405
    other = connect()
    other.send(b"POST " + PUBLIC.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    assert other.reply().status == 405
    other.send(request("/it/"))
    assert other.reply().status == 200


def test_pipelined_requests_are_answered_in_order(
    site: Site, connect: Callable[[], Connection], asgi_calls: list[str]
) -> None:
    conn = connect()
    conn.send(
        request(PUBLIC, Accept_Encoding="identity")
        + request("/feeds/en/all.json", "HEAD")
        + request("/healthz")
        + request("/feeds/it/nothing.atom")
    )
    replies = [conn.reply(), conn.reply(head_request=True), conn.reply(), conn.reply()]
    assert [r.status for r in replies] == [200, 200, 200, 404]
    assert replies[0].body == (site.config.output_dir / "it/energy.atom").read_bytes()
    assert replies[1].body == b"" and int(replies[1].header("content-length") or 0) > 100
    assert b"status" in replies[2].body
    # handed over at /healthz: the request after it went through uvicorn as well
    assert asgi_calls == ["/healthz", "/feeds/it/nothing.atom"]


def test_a_request_pipelined_behind_a_body_closes_the_connection_after_the_answers(
    site: Site, connect: Callable[[], Connection]
) -> None:
    """Where the next request begins is not known: the answers given stand, the connection
    closes, and the client sends the rest again (RFC 9112 section 9.3.2)."""
    conn = connect()
    with_body = b"GET " + PUBLIC.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
    conn.send(with_body + b"ok" + request("/healthz"))
    assert conn.reply().status == 200
    assert conn.closed_by_server()


def test_requests_split_across_packets(
    site: Site, connect: Callable[[], Connection], asgi_calls: list[str]
) -> None:
    for data, status in (
        (request(PUBLIC, Accept_Encoding="identity"), 200),
        (request("/healthz", Accept_Encoding="identity"), 200),  # handed over mid-head
    ):
        conn = connect()
        for i in range(0, len(data), 7):
            conn.send(data[i : i + 7])
            time.sleep(0.002)
        assert conn.reply().status == status
    assert asgi_calls == ["/healthz"]


def test_http_1_0_and_connection_close_end_the_connection(
    site: Site, connect: Callable[[], Connection]
) -> None:
    for data in (
        request(PUBLIC, version="1.0"),
        request(PUBLIC, version="1.0", Connection="keep-alive"),  # as uvicorn: closed too
        request(PUBLIC, Connection="close"),
    ):
        conn = connect()
        conn.send(data)
        reply = conn.reply()
        assert reply.status == 200 and reply.header("connection") == "close"
        assert conn.closed_by_server()
    keep = connect()
    for _ in range(3):
        keep.send(request(PUBLIC))
        assert keep.reply().status == 200


def test_bad_and_oversized_requests_are_refused_and_closed(
    site: Site, connect: Callable[[], Connection]
) -> None:
    conn = connect()
    conn.send(b"GET /feeds/it/energy.atom HTTP/1.1\r\nHost x\r\n\r\n")
    assert conn.reply().status == 400 and conn.closed_by_server()
    big = connect()
    big.send(b"GET " + PUBLIC.encode() + b" HTTP/1.1\r\n")
    for _ in range(80):  # 80 KiB of headers, in pieces: never a whole head
        big.send(b"X-Filler: " + b"a" * 1010 + b"\r\n")
    reply = big.reply()
    assert reply.status == 431 and big.closed_by_server()


@pytest.mark.parametrize("handed_over", [False, True], ids=["first request", "after hand-off"])
def test_a_client_still_sending_when_refused_reads_the_refusal(
    site: Site, connect: Callable[[], Connection], handed_over: bool
) -> None:
    """The server answers 431 while the client is still sending its head; the client goes
    on sending after the answer has arrived, and still reads the 431 (no reset, no broken
    pipe: the server reads and drops the rest for a while, ``closing.py``)."""
    conn = connect()
    if handed_over:  # the next request goes through uvicorn, behind the head cap
        conn.send(request("/healthz"))
        assert conn.reply().status == 200
    conn.send(b"GET " + PUBLIC.encode() + b" HTTP/1.1\r\n" + b"X-Filler: " + b"a" * MAX_HEAD)
    conn.sock.settimeout(TIMEOUT)
    assert conn.sock.recv(1, socket.MSG_PEEK), "no answer to an oversized head"
    for _ in range(20):  # the answer is here; the client, not reading yet, sends on
        conn.send(b"a" * 4096)
        time.sleep(0.01)
    reply = conn.reply()
    assert reply.status == 431 and conn.closed_by_server()


def test_a_refused_client_is_not_read_from_for_long(
    site: Site, connect: Callable[[], Connection]
) -> None:
    """After an error answer the server reads and drops at most LINGER_BYTES, for at most
    LINGER_SECONDS: a client that keeps sending is cut off, one that keeps the connection
    open without sending is closed."""
    oversized = b"GET " + PUBLIC.encode() + b" HTTP/1.1\r\nX-Filler: " + b"a" * MAX_HEAD
    flooding = connect()
    flooding.send(oversized)
    sent = 0
    with pytest.raises(OSError):  # broken pipe or reset once the server has closed, well
        while sent < 8 * LINGER_BYTES:  # before 8 times its cap (buffers hold the rest)
            flooding.send(b"a" * 65536)
            sent += 65536
    quiet = connect()
    quiet.send(oversized)
    started = time.monotonic()
    assert quiet.reply().status == 431
    assert quiet.closed_by_server()  # the answer's end of stream
    while time.monotonic() - started < TIMEOUT:  # then the whole connection
        try:
            quiet.send(b"a")
        except OSError:
            break
        time.sleep(0.1)
    assert LINGER_SECONDS - 0.5 < time.monotonic() - started < LINGER_SECONDS + 3


def test_idle_connections_are_closed_after_the_keep_alive_timeout(site: Site) -> None:
    with serve(site.app, timeout_keep_alive=1) as base:
        conn = Connection(base)
        try:
            conn.send(request(PUBLIC))
            assert conn.reply().status == 200
            started = time.monotonic()
            assert conn.closed_by_server()
            assert 0.5 < time.monotonic() - started < 5
        finally:
            conn.close()


def test_a_failing_answer_is_a_500_and_the_server_goes_on(
    site: Site, connect: Callable[[], Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(scope: Any) -> None:
        raise RuntimeError("a bug in answering")

    monkeypatch.setattr(site.app, "answer_file_remembered", broken)
    conn = connect()
    conn.send(request(PUBLIC))
    assert conn.reply().status == 500 and conn.closed_by_server()
    monkeypatch.undo()
    assert exchange(site.base, request(PUBLIC)).status == 200


def test_pipelined_requests_wait_for_the_client_to_read_then_all_are_answered(
    site: Site, connect: Callable[[], Connection]
) -> None:
    """The answers of 2000 pipelined GETs (about 16 MB) are more than the transport's
    buffer holds: the server stops reading while the client does not read, and answers
    every request, in order, once it does."""
    conn = connect()
    one = request("/feeds/ja/all.atom", Accept_Encoding="identity")
    count = 2000
    sender = threading.Thread(target=conn.send, args=(one * count,), daemon=True)
    sender.start()
    time.sleep(0.5)  # the client reads nothing meanwhile
    replies = [conn.reply() for _ in range(count)]
    sender.join(timeout=TIMEOUT)
    assert not sender.is_alive()
    assert {r.status for r in replies} == {200}
    assert len({r.body for r in replies}) == 1 and len(replies[0].body) > 4000
    conn.send(request("/healthz"))
    assert conn.reply().status == 200


def test_head_sizes_are_capped_on_every_request_but_bodies_do_not_count(
    site: Site, connect: Callable[[], Connection], asgi_calls: list[str]
) -> None:
    body = b"x" * (MAX_HEAD + 1000)
    with_body = b"POST /feeds/it/energy.atom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
    get_with_body = b"GET /feeds/it/energy.atom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
    # a GET with a large body, then a GET, in one piece: answered in the protocol
    conn = connect()
    conn.send(get_with_body % len(body) + body + request(PUBLIC))
    assert [conn.reply().status, conn.reply().status] == [200, 200]
    # handed to uvicorn, a POST with a large body, then a GET: both answered there
    conn = connect()
    conn.send(request("/healthz") + with_body % len(body) + body + request(PUBLIC))
    assert [conn.reply().status for _ in range(3)] == [200, 405, 200]
    assert asgi_calls == ["/healthz", PUBLIC, PUBLIC]
    # a head too large in one send, first on a connection and after the hand-off (also
    # after an upgrade uvicorn does not make, where it parses on)
    filler = b"X-Filler: " + b"a" * (MAX_HEAD + 10) + b"\r\n"
    upgrade = request("/healthz", Upgrade="foo", Connection="upgrade")
    for first in (b"", request("/healthz"), upgrade):
        conn = connect()
        conn.send(first)
        if first:
            assert conn.reply().status == 200
        conn.send(b"GET " + PUBLIC.encode() + b" HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n")
        assert conn.reply().status == 431 and conn.closed_by_server()


def test_file_requests_past_the_connection_limit_get_uvicorns_503(site: Site) -> None:
    assert uvicorn_config(site.app, "127.0.0.1", 1).limit_concurrency == MAX_CONNECTIONS
    with serve(site.app, limit_concurrency=3) as base:
        # the same bytes each time: all but the first are answered unparsed (repeats.py)
        held = [Connection(base) for _ in range(2)]
        try:
            for conn in held:
                conn.send(request(PUBLIC))
                assert conn.reply().status == 200
            third = exchange(base, request(PUBLIC))
            other = exchange(base, request("/healthz"))
        finally:
            for conn in held:
                conn.close()
        time.sleep(0.2)
        after = exchange(base, request(PUBLIC))
    assert third.status == other.status == 503
    assert third.header("connection") == "close" and third.body == b"Service Unavailable"
    assert after.status == 200
