"""The publisher over real data: the demo sources and the whole feedparser corpus, published
and validated in every format; archives, .gz twins, hreflang symmetry, WebSub pings,
crashes mid-publish, hostile content."""

from __future__ import annotations

import email.utils
import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import Config
from syndicate.errors import PublishError
from syndicate.ingest.parse import parse_feed
from syndicate.models import RoutedArticle, TopicReason
from syndicate.publish import publish_feeds
from syndicate.publish.websub import send_pings
from syndicate.server.app import DEMO_DIR
from syndicate.storage import SqlStorage, open_storage
from syndicate.terms import load_term_base, route

from ..conftest import CORPORA, DEMO_CONFIG, free_port, make_config

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ATOM_RNG = CORPORA / "schemas" / "atom" / "atom.rng"
JSON_SCHEMA = CORPORA / "schemas" / "jsonfeed" / "schema-v1.1.json"
CORPUS = CORPORA / "feedparser"
needs_shared = pytest.mark.skipif(
    not ATOM_RNG.is_file(), reason="../shared/corpora is absent (a user's clone)"
)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def demo_config(tmp_path: Path, extra: str = "") -> Config:
    """The demo's topics and glossary, with the demo feeds as sources."""
    text = DEMO_CONFIG.read_text("utf-8")
    topics = text[text.index("[[topics]]") : text.index("[[sources]]")]
    sources = "\n".join(
        f'[[sources]]\nid = "{p.stem}"\nurl = "http://127.0.0.1:9/{p.name}"\n'
        for p in sorted(DEMO_DIR.glob("*.xml"))
    )
    glossary = f'[glossary]\nfiles = ["{DEMO_CONFIG.parent}/locales/glossary/*.csv"]\n'
    return make_config(
        tmp_path, sources=sources, extra=f"{glossary}\n{extra}\n{topics}", topics=False
    )


def load_demo(config: Config, storage: SqlStorage) -> None:
    terms = load_term_base(config)
    storage.sync_sources([(s.id, s.url, None, True) for s in config.sources])
    for path in sorted(DEMO_DIR.glob("*.xml")):
        parsed = parse_feed(path.read_bytes(), source_id=path.stem)
        routed = [route(a, config, terms.matcher) for a in parsed.articles]
        storage.upsert_articles(path.stem, routed, NOW - timedelta(days=60))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Config, SqlStorage]]:
    config = demo_config(tmp_path)
    storage = open_storage(config.database_url)
    load_demo(config, storage)
    yield config, storage
    storage.close()


def published_files(config: Config) -> list[Path]:
    return sorted(
        p
        for p in config.output_dir.rglob("*")
        if p.is_file() and p.suffix in (".atom", ".rss", ".json", ".opml")
    )


def validate_all(config: Config) -> dict[str, int]:
    """Every published file, checked by its format's rules; returns counts per suffix."""
    atom_schema = etree.RelaxNG(file=str(ATOM_RNG))
    import jsonschema

    json_validator = jsonschema.Draft7Validator(json.loads(JSON_SCHEMA.read_text("utf-8")))
    counts: dict[str, int] = {}
    for path in published_files(config):
        counts[path.suffix] = counts.get(path.suffix, 0) + 1
        data = path.read_bytes()
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == data, path
        if path.suffix == ".atom":
            doc = etree.fromstring(data)
            assert atom_schema.validate(doc), (path, atom_schema.error_log)
            for entry in doc.xpath("/a:feed/a:entry", namespaces=ATOM):
                assert entry.xpath(
                    "a:link[@rel='alternate' or not(@rel)] | a:content", namespaces=ATOM
                )
        elif path.suffix == ".json":
            errors = [e.message for e in json_validator.iter_errors(json.loads(data))]
            assert errors == [], (path, errors[:3])
        elif path.suffix == ".rss":
            check_rss(path, data)
        elif path.suffix == ".opml":
            assert etree.fromstring(data).get("version") == "2.0"
        if path.suffix in (".atom", ".rss"):
            parsed = feedparser.parse(data)
            assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        if path.suffix == ".json":  # feedparser 6.0 does not read JSON Feed: compare with Atom
            atom = feedparser.parse(path.with_suffix(".atom").read_bytes())
            items = json.loads(data)["items"]
            assert [i["id"] for i in items] == [e.id for e in atom.entries], path
            # and our own reader of JSON Feed sources gets every item back
            again = parse_feed(data, source_id="again", fallback_language="en")
            assert len(again.articles) == len(items) and not again.bozo, path
    return counts


def check_rss(path: Path, data: bytes) -> None:
    """RSS 2.0: required channel elements, required item content, RFC 822 dates."""
    rss = etree.fromstring(data)
    assert rss.tag == "rss" and rss.get("version") == "2.0", path
    channel = rss.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), (path, required)
    for date in rss.iter("pubDate", "lastBuildDate"):
        assert email.utils.parsedate_to_datetime(date.text or "").tzinfo is not None, (
            path,
            date.text,
        )
    for item in channel.findall("item"):
        assert item.findtext("title") or item.findtext("description"), path


@needs_shared
def test_demo_publishes_valid_feeds_archives_and_opml_in_every_format(
    demo: tuple[Config, SqlStorage],
) -> None:
    config, storage = demo
    report = publish_feeds(config, storage, NOW)
    counts = validate_all(config)
    feeds = 3 * (len(config.topics) + 1)
    assert counts[".atom"] == counts[".rss"] == counts[".json"] > feeds  # feeds + archives
    assert counts[".opml"] == 4
    assert report.archives and all("/archive/" in a for a in report.archives)


@needs_shared
def test_feeds_built_from_the_whole_feedparser_corpus_are_valid(tmp_path: Path) -> None:
    files = sorted(
        p
        for folder in ("wellformed", "illformed", "encoding", "entities")
        for p in (CORPUS / folder).rglob("*")
        if p.is_file()
    )
    assert len(files) > 1000
    sources = "\n".join(
        f'[[sources]]\nid = "c{i}"\nurl = "http://127.0.0.1:9/{i}"\n' for i in range(len(files))
    )
    config = make_config(tmp_path, sources=sources)
    storage = open_storage(config.database_url)
    try:
        storage.sync_sources([(s.id, s.url, None, True) for s in config.sources])
        stored = 0
        for i, path in enumerate(files):
            parsed = parse_feed(
                path.read_bytes(),
                source_id=f"c{i}",
                languages=("it", "en", "ja"),
                fallback_language="en",
            )
            routed = [
                RoutedArticle(replace(a, language=a.language or "en")) for a in parsed.articles
            ]
            stored += storage.upsert_articles(f"c{i}", routed, NOW).inserted
        assert stored > 500
        publish_feeds(config, storage, NOW)
        counts = validate_all(config)
        assert counts[".atom"] >= 3 * 2
    finally:
        storage.close()


def test_hreflang_links_are_symmetric_across_languages(demo: tuple[Config, SqlStorage]) -> None:
    config, storage = demo
    publish_feeds(config, storage, NOW)
    links: dict[str, dict[str, str]] = {}
    for path in config.output_dir.glob("*/*.atom"):
        doc = etree.parse(str(path))
        self_url = doc.xpath("/a:feed/a:link[@rel='self']/@href", namespaces=ATOM)[0]
        links[self_url] = {
            link.get("hreflang"): link.get("href")
            for link in doc.xpath("/a:feed/a:link[@rel='alternate' and @hreflang]", namespaces=ATOM)
        }
    assert len(links) == 3 * (len(config.topics) + 1)
    for url, alternates in links.items():
        lang = url.split("/feeds/")[1].split("/")[0]
        assert set(alternates) == set(config.service.languages) - {lang}
        for other_url in alternates.values():
            assert links[other_url][lang] == url  # and back


def test_archives_are_linked_both_ways_and_never_change(demo: tuple[Config, SqlStorage]) -> None:
    config, storage = demo
    publish_feeds(config, storage, NOW)
    archive_dir = config.output_dir / "it" / "archive" / "all"
    months = sorted(p.stem for p in archive_dir.glob("*.atom"))
    assert months == ["2026-09", "2026-10"]  # the demo's articles run from September
    url = f"{config.service.base_url}/feeds/it/archive/all/{{}}.atom"

    def rel(path: Path, name: str) -> list[str]:
        return etree.parse(str(path)).xpath(f"/a:feed/a:link[@rel='{name}']/@href", namespaces=ATOM)

    september, october = (archive_dir / f"{m}.atom" for m in months)
    assert rel(october, "prev-archive") == [url.format("2026-09")]
    assert rel(september, "next-archive") == [url.format("2026-10")]
    assert rel(september, "prev-archive") == []
    assert rel(october, "current") == [f"{config.service.base_url}/feeds/it/all.atom"]
    assert rel(config.output_dir / "it" / "all.atom", "prev-archive") == [url.format("2026-10")]
    assert etree.parse(str(october)).xpath(
        "/a:feed/fh:archive", namespaces=ATOM | {"fh": "http://purl.org/syndication/history/1.0"}
    )
    entries = etree.parse(str(october)).xpath("/a:feed/a:entry/a:published/text()", namespaces=ATOM)
    assert entries and all(e.startswith("2026-10") for e in entries)
    before = {p: p.read_bytes() for p in archive_dir.iterdir()}
    # An October article changes: the current feeds follow, the archive does not.
    (october_article,) = [
        s for s in storage.articles_for_feed(["it"], None, 500) if s.sort_date.month == 10
    ][:1]
    changed = replace(october_article.article, title="Titolo corretto", content_hash="changed")
    storage.upsert_articles(changed.source_id, [RoutedArticle(changed)], NOW)
    again = publish_feeds(config, storage, NOW + timedelta(hours=1))
    assert again.archives == ()
    assert {p: p.read_bytes() for p in archive_dir.iterdir()} == before
    # A month later, November is archived, linked to October (whose link was known already).
    later = publish_feeds(config, storage, NOW + timedelta(days=10))
    assert "it/archive/all/2026-11.atom" in later.archives
    assert rel(archive_dir / "2026-11.atom", "prev-archive") == [url.format("2026-10")]


def test_one_changed_article_rewrites_exactly_the_feeds_that_contain_it(
    demo: tuple[Config, SqlStorage],
) -> None:
    config, storage = demo
    publish_feeds(config, storage, NOW)
    assert publish_feeds(config, storage, NOW).written == ()  # nothing changed: nothing written
    newest = storage.articles_for_feed(["en"], None, 1)[0]
    changed = replace(newest.article, title="A corrected title", content_hash="changed")
    storage.upsert_articles(
        changed.source_id,
        [RoutedArticle(changed, tuple((t, TopicReason.CATEGORY) for t in newest.topics))],
        NOW,
    )
    report = publish_feeds(config, storage, NOW)
    containing = set()
    for path in config.output_dir.glob("*/*.json"):
        items = json.loads(path.read_bytes())["items"]
        if any(
            "A corrected title" in i["title"] or i.get("url") == newest.article.link for i in items
        ):
            containing.add(path.relative_to(config.output_dir).with_suffix("").as_posix())
    written = {Path(w).with_suffix("").as_posix() for w in report.written}
    assert written == containing and containing
    assert {Path(w).suffix for w in report.written} == {".atom", ".rss", ".json"}


def test_a_crash_during_publish_leaves_complete_files_and_the_next_run_finishes(
    demo: tuple[Config, SqlStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, storage = demo
    publish_feeds(config, storage, NOW)
    before = {p: p.read_bytes() for p in published_files(config)}
    newest = storage.articles_for_feed(["it"], None, 1)[0]
    changed = replace(newest.article, title="Nuovo titolo", content_hash="changed")
    storage.upsert_articles(changed.source_id, [RoutedArticle(changed)], NOW)
    real_replace = os.replace
    calls = 0

    def dies_on_the_third_rename(src: str, dst: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dies_on_the_third_rename)
    with pytest.raises(PublishError):
        publish_feeds(config, storage, NOW)
    monkeypatch.setattr(os, "replace", real_replace)
    after_crash = {p: p.read_bytes() for p in before}
    assert not [p for p in config.output_dir.rglob(".*.tmp")]
    finish = publish_feeds(config, storage, NOW)
    assert finish.written  # what the crash left undone is written now
    assert b"Nuovo titolo" in (config.output_dir / "it" / "all.atom").read_bytes()
    # each file the crash left was the old one or the complete new one
    assert all(data in (before[p], p.read_bytes()) for p, data in after_crash.items())
    assert any(data != p.read_bytes() for p, data in after_crash.items())


def test_hub_is_advertised_and_pinged_once_per_changed_feed(tmp_path: Path) -> None:
    hub = HTTPServer(host="127.0.0.1", port=free_port())
    pings: list[dict[str, str]] = []
    answer = {"status": 500}

    def handler(request: Request) -> Response:
        pings.append(dict(request.form))
        return Response(status=answer["status"])

    hub.expect_request("/hub", method="POST").respond_with_handler(handler)
    hub.start()
    try:
        config = demo_config(tmp_path, f'[publish]\nhub = "{hub.url_for("/hub")}"\n')
        storage = open_storage(config.database_url)
        load_demo(config, storage)
        report = publish_feeds(config, storage, NOW)
        feeds = [w for w in report.written if "/archive/" not in w and w.count("/") == 1]
        feeds = [w for w in feeds if not w.endswith(".opml")]
        atom = (config.output_dir / "it" / "all.atom").read_bytes()
        assert f'rel="hub" href="{hub.url_for("/hub")}"'.encode() in atom
        # The hub is down: every ping stays queued, with backoff.
        failed = send_pings(storage, NOW)
        assert failed.failed == len(feeds) and failed.sent == 0
        assert send_pings(storage, NOW).failed == 0  # not due again yet
        answer["status"] = 204
        sent = send_pings(storage, NOW + timedelta(minutes=2))
        assert sent.sent == len(feeds) and storage.pending_pings() == []
        urls = [p["hub.url"] for p in pings[len(feeds) :]]
        assert sorted(urls) == sorted(f"{config.service.base_url}/feeds/{f}" for f in feeds)
        assert all(p["hub.mode"] == "publish" for p in pings)
        # Nothing changed: no ping.
        publish_feeds(config, storage, NOW)
        assert send_pings(storage, NOW + timedelta(minutes=3)).sent == 0
        storage.close()
    finally:
        hub.stop()


def test_hostile_content_is_sanitized_and_escaped_in_every_format(tmp_path: Path) -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>http://x/</link>
    <description>x</description><item><title>5 &lt; 6 &amp; "quotes" &gt; 4</title>
    <link>https://example.org/evil</link><guid>evil-1</guid>
    <description>&lt;p onclick="steal()"&gt;Hi&lt;script&gt;alert(1)&lt;/script&gt;
    &lt;a href="javascript:alert(2)"&gt;link&lt;/a&gt;
    &lt;img src=x onerror=alert(3)&gt;&lt;/p&gt;</description>
    <pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""
    config = make_config(
        tmp_path, sources='[[sources]]\nid = "evil"\nurl = "http://127.0.0.1:9/e"\n'
    )
    storage = open_storage(config.database_url)
    storage.sync_sources([("evil", "http://127.0.0.1:9/e", "en", True)])
    parsed = parse_feed(body, source_id="evil", language="en")
    storage.upsert_articles("evil", [RoutedArticle(a) for a in parsed.articles], NOW)
    publish_feeds(config, storage, NOW)
    storage.close()
    for suffix in (".atom", ".rss", ".json"):
        data = (config.output_dir / "en" / f"all{suffix}").read_bytes()
        if suffix == ".json":
            (item,) = json.loads(data)["items"]
            title, html = item["title"], item["content_html"] + item.get("summary", "")
        else:
            parsed_out = feedparser.parse(data)
            assert parsed_out.bozo == 0
            (entry,) = parsed_out.entries
            title = entry.title
            html = " ".join(c.value for c in entry.get("content", [])) + entry.get("summary", "")
        assert title == '5 < 6 & "quotes" > 4'  # text, escaped in the file
        for bad in ("<script", "onclick", "onerror", "javascript:"):
            assert bad not in html, (suffix, bad)


def test_a_targeted_publish_follows_an_article_out_of_a_topic(
    demo: tuple[Config, SqlStorage],
) -> None:
    config, storage = demo
    publish_feeds(config, storage, NOW)
    (article,) = storage.articles_for_feed(["it"], "energy", 1)
    changed = replace(article.article, title="Non più energia", content_hash="moved")
    result = storage.upsert_articles(changed.source_id, [RoutedArticle(changed)], NOW)
    assert "energy" in result.topics  # the topic it left
    report = publish_feeds(config, storage, NOW)  # the change log names the topics
    rewritten = {w.split("/")[1].split(".")[0] for w in report.written if w.count("/") == 1}
    assert result.topics == set(article.topics)
    assert rewritten <= {"all", *article.topics} and "energy" in rewritten
    energy = json.loads((config.output_dir / "it" / "energy.json").read_bytes())
    assert all(item["title"] != "Non più energia" for item in energy["items"])
    every = json.loads((config.output_dir / "it" / "all.json").read_bytes())
    assert any(item["title"] == "Non più energia" for item in every["items"])
    # The targeted publish left the other feeds as a full publish would have written them.
    assert publish_feeds(config, storage, NOW).written == ()
