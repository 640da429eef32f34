"""One bad item must never stop the others (issue 15): characters XML cannot carry in any
field, links a reader must not follow, engines' HTML, ids taken from another source, guids
longer than an index allows. Each case polls a hostile source next to a well-behaved one
through real cycles, then checks what was stored and what every feed format says."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import string
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from lxml import etree
from werkzeug import Response

from syndicate.models import RoutedArticle
from syndicate.publish import publish_feeds
from syndicate.run import Outcome
from syndicate.storage import SqlStorage, open_storage
from syndicate.storage.database import create_engine, upgrade
from syndicate.storage.schema import articles

from ..test_storage import article as make_article
from ..test_storage import ok
from ..translate.fake_engines import FakeOpenAI
from ..translate.test_runner import TERMS, article, config_for, store, translator
from .conftest import Case, Poll

pytestmark = pytest.mark.timeout(120)
FORMATS = ("atom", "rss", "json")
OK_MP3 = "https://ok.example/a.mp3"
XML_ILLEGAL = "\x01\x02\x08\x0b\x0c\x1b\ufffe"


def feed_files(p: Poll, lang: str = "it") -> dict[str, bytes]:
    return {fmt: (p.config.output_dir / lang / f"all.{fmt}").read_bytes() for fmt in FORMATS}


def entry_ids(files: dict[str, bytes]) -> dict[str, list[str]]:
    """The ids of the entries of each format, read back the way a reader would."""
    ids = {
        fmt: [e.get("id") or e.get("guid") for e in feedparser.parse(files[fmt]).entries]
        for fmt in ("atom", "rss")
    }
    ids["json"] = [item["id"] for item in json.loads(files["json"])["items"]]
    return ids


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": items}
    ).encode()


def rss_item(guid: str, link: str, enclosure_type: str = "image/jpeg") -> str:
    return (
        f"<item><guid>{guid}</guid><title>Poisoned {len(guid)}</title><link>{link}</link>"
        f'<enclosure url="https://bad.example.org/a.jpg" type="{enclosure_type}" length="1"/>'
        "<description>testo</description></item>"
    )


def test_control_characters_in_any_field_never_stop_publishing(
    case: Case, poll: Callable[..., Poll]
) -> None:
    case(
        "U+0001 in guid, link, enclosure type (RSS, Atom, JSON Feed)",
        "stored XML-safe; every feed of every format written twice over",
    )
    p = poll({"json": "/p.json", "rss": "/p.xml", "atom": "/p.atom"})
    p.server.expect_request("/p.json").respond_with_data(
        json_feed(
            [
                {
                    "id": "bad\u0001id",
                    "url": "https://bad.example.org/\u0001x",
                    "title": "Avvelenato \u0002",
                    "content_html": "<p>x\u0008</p>",
                    "attachments": [{"url": "https://bad.example.org/a.mp3", "mime_type": "a\x01"}],
                    "tags": ["tag\u000b"],
                    "authors": [{"name": "Ann\u001b"}],
                },
                {"id": "fine", "url": "https://bad.example.org/2", "title": "Buono"},
            ]
        ),
        content_type="application/feed+json",
    )
    # Character references are how XML smuggles what it cannot carry raw; feedparser's
    # lenient parser decodes them into the entry's fields.
    p.server.expect_request("/p.xml").respond_with_data(
        "<rss version='2.0'><channel><title>t</title>"
        + rss_item("g&#1;1", "https://bad.example.org/&#1;1", "image/&#1;jpeg")
        + "</channel></rss>",
        content_type="application/rss+xml",
    )
    p.server.expect_request("/p.atom").respond_with_data(
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><entry><id>urn:x:&#2;</id>"
        "<title>Atom &#27;</title><link href='https://bad.example.org/&#2;'/>"
        "<updated>2026-11-20T09:00:00Z</updated><content>y</content></entry></feed>",
        content_type="application/atom+xml",
    )
    first = p.cycle()
    second = p.cycle()  # a cycle after the poisoned items are stored publishes too
    stored = p.storage.articles_for_feed(["it"], None, 100)
    texts = [
        t
        for s in stored
        for t in (
            s.article.guid,
            s.article.link or "",
            s.article.title,
            s.article.content,
            *s.article.authors,
            *s.article.categories,
            *(e.type for e in s.article.enclosures),
        )
    ]
    files = feed_files(p)
    ids = entry_ids(files)
    case.saw(
        f"cycles: publish errors {first.publish_error!r}, {second.publish_error!r}; "
        f"{len(stored)} stored, XML-illegal characters left: "
        f"{sum(ch in XML_ILLEGAL for t in texts for ch in t)}; entries per format "
        f"{[len(v) for v in ids.values()]}"
    )
    assert first.publish_error is None and second.publish_error is None
    assert first.published is not None and not first.published.left_out
    assert not any(ch in XML_ILLEGAL for t in texts for ch in t)
    assert len(stored) == 2 + 2 + 1 + 1  # good (2), json (2), rss, atom
    assert {len(v) for v in ids.values()} == {len(stored)}
    for fmt in ("atom", "rss"):
        etree.fromstring(files[fmt])  # well-formed XML
    assert all(o.outcome is Outcome.NEW for o in first.sources)


def test_an_entry_that_cannot_be_rendered_is_left_out_and_reported(
    case: Case, poll: Callable[..., Poll]
) -> None:
    case(
        "a stored entry no format can render (written around the checks)",
        "left out of its feeds and reported by article id; the rest published",
    )
    p = poll({})
    p.cycle()
    good = {s.article.guid: s.id for s in p.storage.articles_for_feed(["it"], None, 10)}
    # What a database written before the fix, or by a bug, may hold.
    with p.storage.engine.begin() as conn:
        conn.execute(
            articles.update()
            .where(articles.c.id == good["good-1"])
            .values(link="https://good.example.org/\x01", title="Poison \x01")
        )
    report = publish_feeds(p.config, p.storage, p.reports[-1].started, force=True)
    files = feed_files(p)
    ids = entry_ids(files)
    case.saw(
        f"{len(report.left_out)} left out ({report.left_out[0] if report.left_out else '-'}); "
        f"entries per format {[len(v) for v in ids.values()]}; failed feeds {len(report.failed)}"
    )
    assert report.failed == ()
    left = {(n.article_id, n.feed.rsplit("/", 1)[-1]) for n in report.left_out}
    assert (good["good-1"], "all.atom") in left and (good["good-1"], "all.rss") in left
    assert len(ids["atom"]) == len(ids["rss"]) == 1  # the other entry is still published
    assert len(ids["json"]) == 2  # JSON escapes control characters: it can carry the entry


def test_links_that_are_not_http_are_dropped_from_every_format(
    case: Case, poll: Callable[..., Poll], caplog: pytest.LogCaptureFixture
) -> None:
    case(
        "javascript:, data:, vbscript: in link, url, external_url, attachment, image",
        "dropped and counted; no such URL in any published format",
    )
    p = poll({"js": "/js.json", "jsrss": "/js.xml"})
    p.server.expect_request("/js.json").respond_with_data(
        json_feed(
            [
                {
                    "id": "https://bad.example.org/j1",
                    "url": "javascript:alert(document.cookie)",
                    "external_url": "https://bad.example.org/real",
                    "title": "Uno",
                    "image": "data:image/png;base64,AAAA",
                    "attachments": [{"url": "javascript:x()", "mime_type": "audio/mpeg"}],
                },
                {"id": "j2", "url": " JavaScript:alert(1)", "title": "Due"},
                {"id": "j3", "url": "vbscript:msgbox", "title": "Tre"},
            ]
        ),
        content_type="application/feed+json",
    )
    p.server.expect_request("/js.xml").respond_with_data(
        "<rss version='2.0'><channel><title>t</title>"
        "<item><guid>r1</guid><title>Quattro</title><link>javascript:alert(2)</link></item>"
        "<item><guid>r2</guid><title>Cinque</title><link>/relative/5</link></item>"
        "</channel></rss>",
        content_type="application/rss+xml",
    )
    with caplog.at_level(logging.INFO, logger="syndicate.pipeline"):
        report = p.cycle()
    files = feed_files(p)
    blob = b"".join(files.values()).lower()
    dropped = [r.getMessage() for r in caplog.records if "URLs dropped" in r.getMessage()]
    links = {s.article.guid: s.article.link for s in p.storage.articles_for_feed(["it"], None, 20)}
    case.saw(
        f"'javascript:' in feeds: {blob.count(b'javascript:')}, 'data:' {blob.count(b'data:')}; "
        f"logged: {dropped}; relative link resolved to {links.get('r2')}"
    )
    assert report.publish_error is None
    assert b"javascript:" not in blob and b"vbscript:" not in blob and b"data:image" not in blob
    assert links["https://bad.example.org/j1"] == "https://bad.example.org/real"
    assert links["j2"] is None and links["j3"] is None and links["r1"] is None
    assert links["r2"] == p.server.url_for("/relative/5")
    assert any("source js: 4 entry URLs dropped" in m for m in dropped)
    assert any("source jsrss: 1 entry URLs dropped" in m for m in dropped)


def test_machine_translation_output_is_sanitized(case: Case, tmp_path: Path) -> None:
    case(
        "engine answers with <script>, onerror=, javascript: (prompt injection)",
        "sanitized like source HTML before storing and publishing",
    )
    storage = open_storage(f"sqlite:///{tmp_path / 'mt.db'}")
    try:
        with FakeOpenAI() as fake:
            fake.substitutions = {
                "news": 'news<img src="x" onerror="alert(1)"><script>steal()</script>'
                '<a href="javascript:alert(2)">qui</a>'
            }
            config = config_for(tmp_path, "openai", fake.url)
            store(
                storage,
                article("m1", "Energy storage", "<p>Energy storage news.</p>", "Energy storage"),
            )
            t = translator(config, storage)

            async def once() -> object:
                try:
                    return await t.run_once(TERMS)
                finally:
                    await t.engine.aclose()

            asyncio.run(once())
        done = storage.translations_for([1], "it")[1]
        publish_feeds(config, storage, t.clock(), glossary=TERMS.glossary)
        files = b"".join(
            (config.output_dir / "it" / f"all.{fmt}").read_bytes() for fmt in FORMATS
        ).lower()
    finally:
        storage.close()
    stored_text = f"{done.title} {done.summary} {done.content}".lower()
    case.saw(
        f"stored: script {stored_text.count('<script')}, onerror {stored_text.count('onerror')}, "
        f"javascript: {stored_text.count('javascript:')}; in feeds: "
        f"{files.count(b'onerror') + files.count(b'javascript:') + files.count(b'<script')}"
    )
    assert "qui" in stored_text  # the translation is kept, only the danger goes
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in stored_text
        assert bad.encode() not in files
    assert "<" not in (done.title or "")


def test_a_source_cannot_take_another_sources_entry_ids(
    case: Case, poll: Callable[..., Poll]
) -> None:
    case(
        "a source reuses another's entry ids (URI guid, syndicate tag)",
        "its entries get ids of its own; the first source's ids unchanged",
    )
    p = poll({"first": "/first.xml", "spoof": "/spoof.xml"})
    p.server.expect_request("/first.xml").respond_with_data(
        "<rss version='2.0'><channel><title>t</title>"
        "<item><guid>https://first.example.org/1</guid><title>Originale</title>"
        "<link>https://first.example.org/1</link><description>a</description></item>"
        "</channel></rss>",
        content_type="application/rss+xml",
    )
    spoof = {"items": ""}
    p.server.expect_request("/spoof.xml").respond_with_handler(
        lambda _: Response(
            f"<rss version='2.0'><channel><title>t</title>{spoof['items']}</channel></rss>",
            content_type="application/rss+xml",
        )
    )
    p.cycle()
    before = entry_ids(feed_files(p))
    # Now the second source copies both kinds of id and offers its own text under them.
    spoof["items"] = (
        "<item><guid>https://first.example.org/1</guid><title>Falso</title>"
        "<link>https://spoof.example.org/1</link><description>b</description></item>"
        "<item><guid>tag:syndicate,2026:good/good-1</guid><title>Falso 2</title>"
        "<link>https://spoof.example.org/2</link><description>c</description></item>"
    )
    p.cycle()
    after = entry_ids(feed_files(p))
    case.saw(
        f"ids per format before {[len(v) for v in before.values()]}, after "
        f"{[len(v) for v in after.values()]}; distinct after: "
        f"{[len(set(v)) for v in after.values()]}"
    )
    for fmt in FORMATS:
        assert len(after[fmt]) == len(set(after[fmt])) == 5, after[fmt]
        assert set(before[fmt]) <= set(after[fmt])  # published ids never change
    assert "tag:syndicate,2026:spoof/https://first.example.org/1" in after["atom"]


def test_a_guid_longer_than_the_index_allows(case: Case, database_url: str, tmp_path: Path) -> None:
    case(
        "an 8,000-character guid (PostgreSQL and SQLite)",
        "stored under a hash of itself, once, poll after poll",
    )
    storage = open_storage(database_url)
    try:
        storage.sync_sources([("s1", "http://a/feed", "it", True)])
        # random letters: PostgreSQL compresses index entries, so a repeated one would fit
        noise = "".join(random.Random(15).choices(string.ascii_letters, k=8000))
        long_guid = "https://long.example.org/" + noise
        for _ in range(2):
            storage.record_poll("s1", ok(), routed=[RoutedArticle(make_article(long_guid))])
        (stored,) = storage.articles_for_feed(["it", "en"], None, 10)
    finally:
        storage.close()
    case.saw(f"{database_url.split(':')[0]}: 1 row, guid {stored.article.guid[:20]}…")
    assert stored.article.guid.startswith("sha256:") and len(stored.article.guid) == 71


def test_the_migration_makes_old_poisoned_rows_safe(
    case: Case, database_url: str, tmp_path: Path
) -> None:
    case(
        "rows stored before the fix (bad guid, link, image, enclosure)",
        "migration 0009 makes them safe; long guids keep their published id",
    )
    engine = create_engine(database_url)
    long_guid = "https://long.example.org/" + "y" * 1500
    try:
        upgrade(engine, "0008")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO sources (id, url, language, enabled) VALUES ('s', 'u', 'it', true)"
                )
            )
            for guid, link in [("bad\x01", "javascript:x"), (long_guid, "https://ok.example/")]:
                conn.execute(
                    sa.text(
                        "INSERT INTO articles (source_id, guid, link, title, summary, content, "
                        "authors, categories, language, content_hash, enclosures, image, "
                        "first_seen, last_changed, sort_date) VALUES ('s', :g, :l, 't', '', '', "
                        "'[]', '[]', 'it', 'h', :e, 'data:x', :now, :now, :now)"
                    ),
                    {
                        "g": guid,
                        "l": link,
                        "e": json.dumps([["javascript:1", "a", 1], [OK_MP3, "audio/mpeg", 2]]),
                        "now": "2026-11-20 09:00:00",
                    },
                )
        upgrade(engine)
    finally:
        engine.dispose()
    storage: SqlStorage = open_storage(database_url)
    try:
        stored = storage.articles_for_feed(["it"], None, 10)
    finally:
        storage.close()
    by_link = {s.article.link: s for s in stored}
    case.saw(
        f"guids {[s.article.guid[:12] for s in stored]}; links {sorted(map(str, by_link))}; "
        f"entry ids kept {[s.entry_id[:30] for s in stored if s.entry_id]}"
    )
    assert all(s.article.guid.startswith("sha256:") for s in stored)
    assert None in by_link and by_link["https://ok.example/"].entry_id == long_guid
    assert all(s.article.image is None for s in stored)
    assert all([e.url for e in s.article.enclosures] == [OK_MP3] for s in stored)
