"""One poll cycle end to end in-process, against real local HTTP servers."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import Config
from syndicate.ingest.fetch import Fetcher
from syndicate.models import Article, RoutedArticle
from syndicate.run import CycleReport, Outcome, run_cycle, sync_sources
from syndicate.run import _poll as poll_module
from syndicate.storage import SqlStorage, open_storage

from .conftest import DATA, make_config

FEED = (DATA / "parse" / "rss2-basic.xml").read_bytes()
ATOM = (DATA / "parse" / "atom-lang.xml").read_bytes()
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def serve_with_etag(httpserver: HTTPServer, path: str, body: bytes) -> None:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})

    httpserver.expect_request(path).respond_with_handler(handler)


def sources(httpserver: HTTPServer) -> str:
    return f"""
[[sources]]
id = "news-it"
url = "{httpserver.url_for("/it.xml")}"

[[sources]]
id = "mixed"
url = "{httpserver.url_for("/mixed.xml")}"

[[sources]]
id = "dead"
url = "{httpserver.url_for("/dead.xml")}"
"""


def cycle(config: Config, storage: SqlStorage, now: datetime, **kw: object) -> CycleReport:
    async def go() -> CycleReport:
        async with Fetcher(config.fetch) as fetcher:
            return await run_cycle(config, storage, fetcher, clock=lambda: now, **kw)  # type: ignore[arg-type]

    sync_sources(config, storage)

    return asyncio.run(go())


def test_cycle_stores_publishes_and_isolates_failures(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_with_etag(httpserver, "/it.xml", FEED)
    serve_with_etag(httpserver, "/mixed.xml", ATOM)
    httpserver.expect_request("/dead.xml").respond_with_data("oops", status=500)
    # one language per feed here; cross-language feeds are tested with the publisher
    skip = '[translation]\nuntranslated = "skip"\n'
    config = make_config(tmp_path, sources=sources(httpserver), extra=skip)
    storage = open_storage(config.database_url)
    try:
        first = cycle(config, storage, T0)
        outcomes = {o.source_id: o for o in first.sources}
        assert outcomes["news-it"].outcome is Outcome.NEW
        assert outcomes["news-it"].result.inserted == 3
        assert outcomes["mixed"].result.inserted == 2
        assert outcomes["dead"].outcome is Outcome.ERROR and "HTTP 500" in (
            outcomes["dead"].error or ""
        )
        assert first.published is not None and "it/all.atom" in first.published.written
        it_feed = feedparser.parse((config.output_dir / "it/all.atom").read_bytes())
        assert len(it_feed.entries) == 3 and it_feed.bozo == 0
        ja_feed = feedparser.parse((config.output_dir / "ja/all.rss").read_bytes())
        assert [e.title for e in ja_feed.entries] == ["共同研究の成果を発表"]
        energy = feedparser.parse((config.output_dir / "it/energy.atom").read_bytes())
        assert [e.title for e in energy.entries] == [
            "Batterie allo stato solido: il prototipo passa i test"
        ]

        # Nothing is due yet: no request is made, nothing is published.
        requests_before = len(httpserver.log)
        quiet = cycle(config, storage, T0 + timedelta(minutes=1))
        assert quiet.sources == () and quiet.published is not None
        assert quiet.published.written == ()  # nothing changed anywhere: nothing written
        assert len(httpserver.log) == requests_before

        # Forced: every source is asked conditionally and answers 304; nothing is written.
        forced = cycle(config, storage, T0 + timedelta(minutes=2), force=True)
        outcomes = {o.source_id: o for o in forced.sources}
        assert outcomes["news-it"].outcome is Outcome.NOT_MODIFIED
        assert outcomes["mixed"].outcome is Outcome.NOT_MODIFIED
        assert forced.published is not None and forced.published.written == ()
        second_round = [r for r, _ in httpserver.log[requests_before:] if r.path != "/dead.xml"]
        assert len(second_round) == 2
        assert all(r.headers.get("If-None-Match") for r in second_round)
        assert storage.count_articles() == 5 and storage.duplicate_guids() == []

        dead = storage.source_states(["dead"])[0]
        assert dead.error_count == 2 and dead.last_status == 500
    finally:
        storage.close()


def test_changed_entry_is_updated_not_duplicated(httpserver: HTTPServer, tmp_path: Path) -> None:
    bodies = [FEED, FEED.replace(b"Il laboratorio ha completato i test.", b"Test completati.")]
    httpserver.expect_request("/it.xml").respond_with_handler(lambda r: Response(bodies[0]))
    config = make_config(
        tmp_path, sources=f'[[sources]]\nid = "news-it"\nurl = "{httpserver.url_for("/it.xml")}"\n'
    )
    storage = open_storage(config.database_url)
    try:
        cycle(config, storage, T0)
        bodies.pop(0)
        report = cycle(config, storage, T0 + timedelta(hours=1), force=True)
        (outcome,) = report.sources
        # only the changed entry was parsed again: the other two are known byte for byte
        result = outcome.result
        assert (result.inserted, result.updated, result.unchanged) == (0, 1, 0)
        assert storage.count_articles() == 3
        same = cycle(config, storage, T0 + timedelta(hours=2), force=True)
        assert same.sources[0].outcome is Outcome.SAME_BODY
    finally:
        storage.close()


def test_a_feed_with_one_new_entry_is_parsed_partially(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    body = (DATA.parent.parent / "syndicate" / "demo" / "hub-en.xml").read_bytes()
    extra = (
        b"<item><title>A late story</title><link>https://www.valmora.example/late</link>"
        b'<guid isPermaLink="false">late-1</guid><description>Late.</description></item>'
    )
    bodies = [body, body.replace(b"<item>", extra + b"\n    <item>", 1)]
    httpserver.expect_request("/f.xml").respond_with_handler(lambda r: Response(bodies[0]))
    config = make_config(
        tmp_path, sources=f'[[sources]]\nid = "hub"\nurl = "{httpserver.url_for("/f.xml")}"\n'
    )
    storage = open_storage(config.database_url)
    try:
        first = cycle(config, storage, T0)
        assert first.sources[0].result.inserted == 12
        bodies.pop(0)
        second = cycle(config, storage, T0 + timedelta(hours=1), force=True)
        (outcome,) = second.sources
        # Only the new entry went through the parser: the twelve known ones were not even
        # compared (a full parse would report them as unchanged).
        result = outcome.result
        assert (result.inserted, result.updated, result.unchanged) == (1, 0, 0)
        assert storage.count_articles() == 13 and storage.duplicate_guids() == []
        titles = [a.article.title for a in storage.articles_for_feed("en", None, 50)]
        assert "A late story" in titles
    finally:
        storage.close()


def test_a_full_parse_routes_only_the_new_and_changed_entries(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a JSON Feed is always parsed whole (no partial parse): the entries stored unchanged
    # are compared first and neither routed again nor rewritten
    def feed(second: str) -> bytes:
        items = [
            {"id": "a", "title": "First", "content_text": "Batteries for the tram."},
            {"id": "b", "title": "Second", "content_text": second},
            {"id": "c", "title": "Third", "content_text": "Smart mobility pilot."},
        ]
        document = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": items}
        return json.dumps(document).encode()

    bodies = [feed("Energy storage at the campus."), feed("Energy storage, now in Tokyo.")]
    httpserver.expect_request("/f.json").respond_with_handler(lambda r: Response(bodies[0]))
    config = make_config(
        tmp_path, sources=f'[[sources]]\nid = "j"\nurl = "{httpserver.url_for("/f.json")}"\n'
    )
    routed: list[str] = []
    real_route = poll_module.route

    def counting_route(article: Article, *args: object) -> RoutedArticle:
        routed.append(article.guid)
        return real_route(article, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(poll_module, "route", counting_route)
    storage = open_storage(config.database_url)
    try:
        first = cycle(config, storage, T0)
        assert first.sources[0].result.inserted == 3 and sorted(routed) == ["a", "b", "c"]
        routed.clear()
        bodies.pop(0)
        second = cycle(config, storage, T0 + timedelta(hours=1), force=True)
        result = second.sources[0].result
        assert (result.inserted, result.updated, result.unchanged) == (0, 1, 2)
        assert routed == ["b"]
        assert storage.count_articles() == 3 and storage.duplicate_guids() == []
    finally:
        storage.close()
