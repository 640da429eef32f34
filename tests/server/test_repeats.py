"""Requests read before byte for byte (``server/repeats.py``): answered again without
parsing, over raw sockets on 127.0.0.1, exactly as a parse would answer them, and only
while that answer holds."""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections.abc import Callable

import pytest

from syndicate.metrics import REGISTRY
from syndicate.server.protocol import FileFastPath
from syndicate.server.repeats import KEPT, LONGEST, ONCE_KEPT, Repeats, repeats_of

from .conftest import MOBILITY_TOKEN, Site
from .rawhttp import Connection, Reply, comparable, exchange, request

PUBLIC = "/feeds/it/energy.atom"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per request the fast path parsed (the parser began a message)."""
    began: list[int] = []
    original = FileFastPath.on_message_begin

    def spy(self: FileFastPath) -> None:
        began.append(1)
        original(self)

    monkeypatch.setattr(FileFastPath, "on_message_begin", spy)
    return began


def seen_twice(base: str, data: bytes, head_request: bool = False) -> Reply:
    """Send ``data`` on two connections, the second reply returned: from the second time
    on, the server keeps the request (the first time, only its hash)."""
    exchange(base, data, head_request)
    return exchange(base, data, head_request)


def counted(status: int) -> float:
    value = REGISTRY.get_sample_value("syndicate_http_requests_total", {"status": str(status)})
    return value or 0.0


def test_a_poll_read_before_is_answered_without_parsing_exactly_as_the_first_time(
    site: Site, parsed: list[int]
) -> None:
    etag = exchange(site.base, request(PUBLIC)).header("etag")
    assert etag is not None
    poll = request(PUBLIC, If_None_Match=etag, User_Agent="partner-poller/2.1")
    first = exchange(site.base, poll)
    assert len(repeats_of(site.app)) == 0  # seen once: its hash only
    assert comparable(exchange(site.base, poll)) == comparable(first)  # parsed, then kept
    before, requests_304 = len(parsed), counted(304)
    again = [exchange(site.base, poll) for _ in range(3)]  # each on a new connection
    assert first.status == 304
    assert all(comparable(reply) == comparable(first) for reply in again)
    assert all(reply.header("date") for reply in again)
    assert len(parsed) == before  # none of the three was parsed
    assert counted(304) == requests_304 + 3  # but every one is counted


def test_a_demo_source_read_before_is_answered_from_the_demo_files(
    site: Site, parsed: list[int]
) -> None:
    demo = request("/demo/city-it.xml")
    first = seen_twice(site.base, demo)
    before = len(parsed)
    again = exchange(site.base, demo)
    assert first.status == 200 and first.body.startswith(b"<?xml")
    assert comparable(again) == comparable(first) and len(parsed) == before


def test_a_repeated_request_gets_the_new_file_once_it_is_replaced(
    site: Site, parsed: list[int]
) -> None:
    path = site.config.output_dir / "it/energy.atom"
    old = path.read_bytes()
    poll = request(PUBLIC, Accept_Encoding="identity")
    conditional = request(PUBLIC, If_None_Match=exchange(site.base, poll).header("etag") or "")
    assert exchange(site.base, poll).body == old
    assert seen_twice(site.base, conditional).status == 304
    new = old.replace(b"</feed>", b"<!-- replaced --></feed>")
    temporary = path.with_name(".energy.atom.tmp")
    temporary.write_bytes(new)
    os.replace(temporary, path)  # as the publisher writes: a new inode
    before = len(parsed)
    assert exchange(site.base, poll).body == new
    replaced = exchange(site.base, conditional)
    assert replaced.status == 200 and replaced.body == new
    assert len(parsed) == before + 2  # the remembered answers no longer held: parsed again


def test_a_repeated_request_follows_a_config_reload(site: Site) -> None:
    poll = request(PUBLIC)
    assert exchange(site.base, poll).header("cache-control") == site.config.server.cache_control
    exchange(site.base, poll)
    server = dataclasses.replace(site.config.server, cache_control="public, max-age=7")
    site.app.config = dataclasses.replace(site.config, server=server)
    assert exchange(site.base, poll).header("cache-control") == "public, max-age=7"


def test_only_a_whole_request_read_at_once_is_answered_unparsed(
    site: Site, connect: Callable[[], Connection]
) -> None:
    poll = request(PUBLIC)
    exchange(site.base, poll)
    exchange(site.base, poll)
    # the same bytes ending a head begun in an earlier read are part of that request
    conn = connect()
    conn.send(b"GET /feeds/it/all.atom HTTP/1.1\r\nX-Note: ")
    time.sleep(0.2)
    conn.send(poll)
    reply = conn.reply()
    assert reply.status == 200
    assert reply.body == (site.config.output_dir / "it/all.atom").read_bytes()
    conn.send(request("/feeds/it/all.json"))
    assert conn.reply().status == 200  # one answer only, then the next request's
    energy = (site.config.output_dir / "it/energy.atom").read_bytes()
    assert exchange(site.base, poll).body == energy  # the split request was not kept
    # requests read together are parsed and all answered, in order, every time
    for _ in range(2):
        conn = connect()
        conn.send(request(PUBLIC, "HEAD") + poll)
        assert conn.reply(head_request=True).status == 200
        assert conn.reply().body == energy
        conn.send(poll)
        assert conn.reply().body == energy


def test_a_repeated_head_request_gets_no_body(
    site: Site, connect: Callable[[], Connection], parsed: list[int]
) -> None:
    head = request(PUBLIC, "HEAD")
    seen_twice(site.base, head, head_request=True)
    before = len(parsed)
    conn = connect()
    conn.send(head)
    assert conn.reply(head_request=True).status == 200
    conn.send(request("/feeds/it/all.json"))  # a body after HEAD would be read here
    reply = conn.reply()
    assert reply.status == 200 and reply.body.startswith(b"{")
    assert len(parsed) == before + 1  # the HEAD was not parsed, the GET was


def test_partners_and_closing_requests_are_not_kept(site: Site) -> None:
    repeats = repeats_of(site.app)
    kept = len(repeats)
    seen_twice(site.base, request(f"/feeds/it/startups.atom?token={MOBILITY_TOKEN}"))
    seen_twice(site.base, request(PUBLIC, Connection="close"))
    seen_twice(site.base, request(PUBLIC, version="1.0"))
    seen_twice(site.base, request("/feeds/it/nothing.atom"))
    assert len(repeats) == kept
    seen_twice(site.base, request(PUBLIC))
    assert len(repeats) == kept + 1


def test_what_is_kept_is_bounded_and_needs_no_garbage_collection() -> None:
    repeats = Repeats()
    for n in range(KEPT + 10):
        key, data = ("GET", PUBLIC, None, None, None, str(n).encode()), request(PUBLIC, X_N=str(n))
        repeats.add(data, key, False)
        assert repeats.get(data) is None  # seen once: its hash only
        repeats.add(data, key, False)
        assert repeats.get(data) == (key, False)
    assert 0 < len(repeats) <= KEPT
    long = request(PUBLIC, X_Long="x" * LONGEST)
    for _ in range(2):
        repeats.add(long, ("GET", PUBLIC, None, None, None, None), False)
    assert repeats.get(long) is None
    # the hashes of requests seen once are bounded too: past ONCE_KEPT, they are forgotten
    once = Repeats()
    first = request(PUBLIC, X_Once="0")
    for n in range(ONCE_KEPT + 1):
        once.add(request(PUBLIC, X_Once=str(n)), ("GET", PUBLIC, None, None, None, None), False)
    once.add(first, ("GET", PUBLIC, None, None, None, None), False)
    assert once.get(first) is None and len(once) == 0
    kept = repeats.get(request(PUBLIC, X_N=str(KEPT + 9)))
    assert kept is not None
    gc.collect()  # untracks the key, then, in the next collection, the pair holding it
    gc.collect()
    assert not gc.is_tracked(kept)  # nothing for a full collection to walk


def test_a_kept_request_whose_answer_is_forgotten_is_parsed_again(
    site: Site, parsed: list[int]
) -> None:
    poll = request(PUBLIC)
    seen_twice(site.base, poll)
    site.app.feeds._memo.clear()  # as when more than _MEMO_KEPT answers were remembered
    before = len(parsed)
    assert exchange(site.base, poll).status == 200
    assert len(parsed) == before + 1
