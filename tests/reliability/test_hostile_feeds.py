"""Hostile sources, each served by a local server next to a well-behaved one.

In every case the operator gets a clear error naming the source (or the feed is read
safely), the good source's articles are stored, and nothing stored is duplicated.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import feedparser
import pytest
from werkzeug import Response

from syndicate.publish import publish_feeds
from syndicate.run import Outcome

from ..conftest import free_port
from .conftest import Case, Poll

pytestmark = pytest.mark.timeout(120)
FORMATS = ("atom", "rss", "json")


def rss(items: str, *, prolog: str = "", encoding: str = "utf-8") -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>\n{prolog}'
    return (
        f'{head}<rss version="2.0"><channel><title>Hostile</title>'
        f"<link>https://bad.example.org/</link><description>x</description>{items}"
        "</channel></rss>"
    ).encode(encoding, errors="strict")


def item(guid: str, title: str, body: str = "text") -> str:
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://bad.example.org/{guid}</link><description>{body}</description></item>"
    )


def good_is_fine(p: Poll) -> None:
    assert p.storage.count_articles("good") == 2


def serve(p: Poll, path: str, body: bytes, **headers: str) -> None:
    p.server.expect_request(path).respond_with_data(
        body, headers=headers, content_type=headers.pop("content_type", "application/rss+xml")
    )


def test_billion_laughs(case: Case, poll: Callable[..., Poll]) -> None:
    case("XML entity expansion (billion laughs)", "refused or not expanded; good source stored")
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    p = poll({"laughs": "/laughs.xml"})
    serve(p, "/laughs.xml", rss(item("l1", "&a9;"), prolog=f"<!DOCTYPE rss [{entities}]>"))
    report = p.cycle()
    outcome = p.outcome(report, "laughs")
    stored = p.storage.articles_for_feed(["it"], None, 10)
    longest = max(len(s.article.title) for s in stored)
    case.saw(f"{outcome.outcome.value} {outcome.error or ''}; longest title {longest} chars")
    assert longest < 10_000  # 10^9 "ha" never materialized
    good_is_fine(p)


def test_external_entities_read_no_file_and_fetch_nothing(
    case: Case, poll: Callable[..., Poll]
) -> None:
    case("XXE: external entity and DTD", "no local file read, no DTD fetched")
    p = poll({"xxe": "/xxe.xml"})
    dtd_url = p.server.url_for("/evil.dtd")
    prolog = (
        f'<!DOCTYPE rss SYSTEM "{dtd_url}" [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        f'<!ENTITY remote SYSTEM "{dtd_url}">]>'
    )
    serve(p, "/xxe.xml", rss(item("x1", "leak &xxe; &remote;"), prolog=prolog))
    p.server.expect_request("/evil.dtd").respond_with_data("<!ENTITY oops 'x'>")
    report = p.cycle()
    titles = " ".join(s.article.title for s in p.storage.articles_for_feed(["it"], None, 10))
    dtd_requests = [r for r, _ in p.server.log if r.path == "/evil.dtd"]
    case.saw(
        f"{p.outcome(report, 'xxe').outcome.value}; /etc/passwd in titles: {'root:' in titles}; "
        f"DTD requests: {len(dtd_requests)}"
    )
    assert "root:" not in titles and not dtd_requests
    good_is_fine(p)


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compression_bombs_stop_at_the_size_cap(
    case: Case, poll: Callable[..., Poll], coding: str
) -> None:
    case(f"{coding} bomb (64 MB from a small body)", "too-large at fetch.max_bytes (1 MB)")
    payload = rss(item("b1", "x" * 100) + "<!--" + " " * (64 * 1024 * 1024) + "-->")
    body = gzip.compress(payload, 9) if coding == "gzip" else zlib.compress(payload, 9)
    p = poll({"bomb": "/bomb.xml"}, fetch='max_bytes = "1MB"')
    serve(p, "/bomb.xml", body, **{"Content-Encoding": coding})
    outcome = p.outcome(p.cycle(), "bomb")
    case.saw(f"{len(body)} bytes sent; {outcome.outcome.value}: {outcome.error}")
    assert outcome.outcome is Outcome.ERROR and "max_bytes" in (outcome.error or "")
    good_is_fine(p)


def test_a_declared_body_over_the_cap_is_not_read(case: Case, poll: Callable[..., Poll]) -> None:
    case("body larger than the cap (Content-Length)", "too-large before reading the body")
    p = poll({"big": "/big.xml"}, fetch='max_bytes = "1MB"')
    serve(p, "/big.xml", b" " * (2 * 1024 * 1024))
    outcome = p.outcome(p.cycle(), "big")
    case.saw(f"{outcome.outcome.value}: {outcome.error}")
    assert outcome.outcome is Outcome.ERROR and "max_bytes" in (outcome.error or "")
    good_is_fine(p)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """A socket server on 127.0.0.1 whose connections are handled by the given function
    in threads; stopped (and its connections closed) when the test ends."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(8)
    listener.settimeout(0.2)
    threads: list[threading.Thread] = []

    def start(handler: Callable[[socket.socket], None]) -> str:
        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                conn.settimeout(1)

                def run(c: socket.socket = conn) -> None:
                    try:
                        c.recv(65536)
                        handler(c)
                    except OSError:
                        pass
                    finally:
                        c.close()

                worker = threading.Thread(target=run, daemon=True)
                worker.start()
                threads.append(worker)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"

    yield start
    stop.set()
    listener.close()
    for thread in threads:
        thread.join(timeout=5)


def test_an_endless_chunked_body_stops_at_the_cap(
    case: Case, poll: Callable[..., Poll], raw_server: Callable[..., str]
) -> None:
    case("endless chunked body", "too-large at the cap, connection dropped")
    sent = [0]

    def endless(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"<!--" + b"x" * 60_000 + b"-->"
        for _ in range(10_000):  # bounded: at most 640 MB, cut off far earlier
            conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sent[0] += len(chunk)

    url = raw_server(endless)
    p = poll({"endless": url}, fetch='max_bytes = "1MB"')
    outcome = p.outcome(p.cycle(), "endless")
    case.saw(f"{outcome.outcome.value}: {outcome.error}; server sent {sent[0] // 1024} KB")
    assert outcome.outcome is Outcome.ERROR and "max_bytes" in (outcome.error or "")
    good_is_fine(p)


def test_slowloris_is_cut_by_the_total_timeout(
    case: Case, poll: Callable[..., Poll], raw_server: Callable[..., str]
) -> None:
    case("one byte per second (slowloris)", "timeout at fetch.total_timeout (3 s)")

    def slow(conn: socket.socket) -> None:
        data = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + rss(item("s", "slow"))
        for byte in data[:40]:
            conn.sendall(bytes([byte]))
            time.sleep(1)

    url = raw_server(slow)
    p = poll({"slow": url}, fetch='total_timeout = "3s"\nconnect_timeout = "2s"')
    started = time.monotonic()
    outcome = p.outcome(p.cycle(), "slow")
    took = time.monotonic() - started
    case.saw(f"{outcome.outcome.value} ({outcome.error}) after {took:.1f} s")
    assert outcome.outcome is Outcome.ERROR and "total_timeout" in (outcome.error or "")
    good_is_fine(p)


def test_invalid_utf8_and_a_wrong_declared_charset(case: Case, poll: Callable[..., Poll]) -> None:
    case(
        "invalid UTF-8; wrong declared charset",
        "valid text kept (bad bytes become U+FFFD); UTF-8 read as UTF-8",
    )
    p = poll({"broken": "/broken.xml", "liar": "/liar.xml"})
    broken = rss(item("u1", "Citt\u00e0 futura")).replace(b"futura", b"fut\xff\xferia")
    serve(p, "/broken.xml", broken)
    # says ISO-8859-1 in both places, is UTF-8: mojibake at worst, never an error
    liar = rss(item("w1", "Energia \u3068 citt\u00e0"), encoding="utf-8").replace(
        b'encoding="utf-8"', b'encoding="iso-8859-1"'
    )
    serve(p, "/liar.xml", liar, content_type="application/rss+xml; charset=iso-8859-1")
    p.cycle()
    titles = [s.article.title for s in p.storage.articles_for_feed(["it"], None, 20)]
    case.saw("; ".join(repr(t) for t in titles if "Citt" in t or "Energia" in t))
    assert p.storage.count_articles("broken") == 1 and p.storage.count_articles("liar") == 1
    assert "Citt\u00e0 fut\ufffd\ufffdria" in titles  # only the two bad bytes are lost
    assert "Energia \u3068 citt\u00e0" in titles  # not mojibake
    good_is_fine(p)


def test_a_feed_of_100000_entries(case: Case, poll: Callable[..., Poll]) -> None:
    case("a feed with 100,000 entries", "stored once each; a second poll adds none")
    items = "".join(f"<item><guid>n{i}</guid><title>n{i}</title></item>" for i in range(100_000))
    p = poll({"huge": "/huge.xml"}, fetch='max_bytes = "20MB"')
    serve(p, "/huge.xml", rss(items))
    first = p.outcome(p.cycle(), "huge")
    second = p.outcome(p.cycle(), "huge")
    count = p.storage.count_articles("huge")
    case.saw(
        f"first poll {first.result.inserted} new; second {second.outcome.value}, "
        f"{second.result.inserted} new; {count} stored"
    )
    assert count == 100_000 and second.result.inserted == 0
    good_is_fine(p)


def test_hostile_html_is_neutralized_in_storage_and_in_every_feed(
    case: Case, poll: Callable[..., Poll]
) -> None:
    case(
        "script, on*=, javascript:/data: URLs, CSS expressions, 10,000 nested divs",
        "stored and published without any of them",
    )
    nasty = (
        '<p onclick="steal()">Hi<script>alert(1)</script></p>'
        '<a href="javascript:alert(2)">x</a><a href="data:text/html,<b>y</b>">y</a>'
        '<img src="x" onerror="alert(3)"><div style="width: expression(alert(4))">z</div>'
        '<style>body{background:url("javascript:alert(5)")}</style>'
        '<iframe src="https://evil.example"></iframe>'
        + "<div>" * 10_000
        + "deep"
        + "</div>" * 10_000
    )
    p = poll({"nasty": "/nasty.xml"})
    serve(p, "/nasty.xml", rss(item("h1", "Titolo", f"<![CDATA[{nasty}]]>")))
    p.cycle()
    publish_feeds(p.config, p.storage, datetime.now(UTC))
    stored = next(
        s for s in p.storage.articles_for_feed(["it"], None, 10) if s.article.guid == "h1"
    )
    texts = [stored.article.summary, stored.article.content]
    texts += [(p.config.output_dir / "it" / f"all.{fmt}").read_text("utf-8") for fmt in FORMATS]
    bad = [
        word
        for word in (
            "<script",
            "onclick",
            "onerror",
            "javascript:",
            "data:text",
            "expression(",
            "<iframe",
            "<style",
        )
        if any(word in t for t in texts)
    ]
    case.saw(f"found {bad or 'none'}; content {len(stored.article.content)} chars kept")
    assert bad == [] and "deep" in stored.article.content
    good_is_fine(p)


def test_markup_and_control_characters_in_a_title(case: Case, poll: Callable[..., Poll]) -> None:
    case("title with markup and control characters", "plain text title; feeds stay valid XML")
    p = poll({"ctrl": "/ctrl.xml"})
    title = "&lt;b&gt;Bold&lt;/b&gt; news\u0001\u0008 with \u000b tabs\u0000 &amp; bells\u0007"
    body = rss(item("c1", title)).replace(b"\\u", b"")
    serve(p, "/ctrl.xml", body.replace(b"\x00", b"&#0;"))
    p.cycle()
    publish_feeds(p.config, p.storage, datetime.now(UTC))
    stored = next(
        s for s in p.storage.articles_for_feed(["it"], None, 10) if s.article.guid == "c1"
    )
    atom = (p.config.output_dir / "it" / "all.atom").read_bytes()
    parsed = feedparser.parse(atom)
    controls = [c for c in stored.article.title if ord(c) < 32]
    case.saw(f"title {stored.article.title!r}; atom bozo {parsed.bozo}")
    assert "<b>" not in stored.article.title and controls == []
    assert parsed.bozo == 0
    good_is_fine(p)


def test_redirect_loops_end_with_a_clear_error(case: Case, poll: Callable[..., Poll]) -> None:
    case("redirect loop", "error kind redirects naming the source")
    p = poll({"loop": "/loop-a"})
    p.server.expect_request("/loop-a").respond_with_response(
        Response(status=302, headers={"Location": "/loop-b"})
    )
    p.server.expect_request("/loop-b").respond_with_response(
        Response(status=302, headers={"Location": "/loop-a"})
    )
    outcome = p.outcome(p.cycle(), "loop")
    case.saw(f"{outcome.outcome.value}: {outcome.error}")
    assert outcome.outcome is Outcome.ERROR and "redirects" in (outcome.error or "")
    good_is_fine(p)


def test_an_entry_with_a_10_mb_title(case: Case, poll: Callable[..., Poll]) -> None:
    case("an entry with a 10 MB title", "stored with the title cut to a sane length")
    p = poll({"long": "/long.xml"}, fetch='max_bytes = "20MB"')
    serve(p, "/long.xml", rss(item("t1", "parola " * 1_500_000) + item("t2", "normale")))
    outcome = p.outcome(p.cycle(), "long")
    stored = {s.article.guid: s for s in p.storage.articles_for_feed(["it"], None, 10)}
    length = len(stored["t1"].article.title) if "t1" in stored else -1
    case.saw(
        f"{outcome.outcome.value}; stored title of {length} chars; t2 stored: {'t2' in stored}"
    )
    assert 0 < length <= 1000 and "t2" in stored
    good_is_fine(p)
