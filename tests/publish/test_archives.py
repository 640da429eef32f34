"""Paged archives (RFC 5005): a month larger than a page becomes linked pages, read back in
order from the subscription document; each page is written once; no page exceeds its size;
a crash between recording a page and writing it loses and rewrites nothing."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from lxml import etree

from syndicate.config import Config
from syndicate.errors import PublishError
from syndicate.ingest.parse import article_hash, parse_feed
from syndicate.models import Article, FeedFormat, RoutedArticle, TopicReason
from syndicate.publish import archives as archives_module
from syndicate.publish import publish_feeds
from syndicate.publish.archives import PAGE_BYTES
from syndicate.publish.document import ENTRY_BYTES
from syndicate.publish.feedgen_adapter import entry_id
from syndicate.storage import SqlStorage, open_storage

from ..conftest import CORPORA, make_config

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 1, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 1, tzinfo=UTC)
PAGE = 4
ATOM_RNG = CORPORA / "schemas" / "atom" / "atom.rng"
NS = {"a": "http://www.w3.org/2005/Atom"}


def article(guid: str, when: datetime, *, lang: str = "it", body: str = "") -> Article:
    a = Article(
        source_id="src",
        guid=guid,
        link=f"https://example.org/{guid}",
        title=f"Notizia {guid}",
        summary=f"<p>Sintesi di {guid}</p>",
        content=f"<p>Testo di {guid}</p>{body}",
        authors=("Redazione",),
        published=when,
        language=lang,
    )
    return replace(a, content_hash=article_hash(a))


def store(storage: SqlStorage, articles: list[Article]) -> None:
    routed = [
        RoutedArticle(a, (("energy", TopicReason.CATEGORY),) if i % 2 else ())
        for i, a in enumerate(articles)
    ]
    storage.upsert_articles("src", routed, NOW)


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[Config, SqlStorage]]:
    """23 Italian and 3 English articles in September, 3 Italian in October; pages of 4;
    subscription documents of the newest 3."""
    config = make_config(
        tmp_path,
        sources='[[sources]]\nid = "src"\nurl = "http://127.0.0.1/f"\n',
        extra=f"[publish]\nmax_entries = 3\narchive_page_entries = {PAGE}\n",
    )
    storage = open_storage(config.database_url)
    storage.sync_sources([("src", "http://127.0.0.1/f", None, True)])
    september = [article(f"s{i:02d}", SEPTEMBER + timedelta(hours=25 * i)) for i in range(23)]
    english = [
        article(f"e{i}", SEPTEMBER + timedelta(days=3, minutes=i), lang="en") for i in range(3)
    ]
    october = [article(f"o{i}", OCTOBER + timedelta(days=i)) for i in range(3)]
    store(storage, september + english + october)
    yield config, storage
    storage.close()


def links(data: bytes, fmt: FeedFormat) -> dict[str, str]:
    """The document's RFC 5005 links (JSON Feed: ``next_url`` is the older page)."""
    if fmt is FeedFormat.JSON:
        feed = json.loads(data)
        return {"prev-archive": feed["next_url"]} if "next_url" in feed else {}
    root = etree.fromstring(data)
    found = root.xpath("//a:link[@rel]", namespaces=NS)
    return {str(e.get("rel")): str(e.get("href")) for e in found if "archive" in e.get("rel")}


def entry_ids(data: bytes, fmt: FeedFormat) -> list[str]:
    if fmt is FeedFormat.JSON:
        return [item["id"] for item in json.loads(data)["items"]]
    if fmt is FeedFormat.ATOM:
        return [
            str(e)
            for e in etree.fromstring(data).xpath("/a:feed/a:entry/a:id/text()", namespaces=NS)
        ]
    return [str(e) for e in etree.fromstring(data).xpath("/rss/channel/item/guid/text()")]


def path_of(config: Config, url: str) -> Path:
    prefix = f"{config.service.base_url}/feeds/"
    assert url.startswith(prefix), url
    return config.output_dir / url[len(prefix) :]


def follow(config: Config, fmt: FeedFormat, lang: str = "it", topic: str = "all") -> list[Path]:
    """The documents met following prev-archive from the subscription document."""
    path = config.output_dir / f"{lang}/{topic}.{fmt.value}"
    seen = [path]
    while url := links(path.read_bytes(), fmt).get("prev-archive"):
        path = path_of(config, url)
        assert path not in seen and len(seen) < 100
        seen.append(path)
    return seen


def assert_valid(path: Path, fmt: FeedFormat) -> None:
    data = path.read_bytes()
    if fmt is FeedFormat.JSON:
        again = parse_feed(data, source_id="again", fallback_language="it")
        assert not again.bozo and len(again.articles) == len(json.loads(data)["items"]), path
        return
    assert feedparser.parse(data).bozo == 0, path
    if fmt is FeedFormat.ATOM and ATOM_RNG.is_file():
        schema = etree.RelaxNG(file=str(ATOM_RNG))
        assert schema.validate(etree.fromstring(data)), (path, schema.error_log)
        archive = etree.fromstring(data).xpath("/a:feed/*[local-name()='archive']", namespaces=NS)
        assert bool(archive) == ("/archive/" in str(path)), path


@pytest.mark.parametrize("fmt", list(FeedFormat))
def test_a_month_larger_than_a_page_is_read_back_in_order_from_the_feed(
    paged: tuple[Config, SqlStorage], fmt: FeedFormat
) -> None:
    config, storage = paged
    publish_feeds(config, storage, NOW)
    chain = follow(config, fmt)
    archive = config.output_dir / "it" / "archive" / "all"
    # September: 23 Italian articles and 3 English ones (glossed): 26 entries, 7 pages; the
    # first keeps the month's one URL, the others are numbered.
    september = [archive / f"2026-09.{fmt.value}"]
    september += [archive / f"2026-09-p{n}.{fmt.value}" for n in range(2, 8)]
    assert chain == [
        config.output_dir / f"it/all.{fmt.value}",
        archive / f"2026-10.{fmt.value}",
        *september[::-1],
    ]
    assert not (archive / f"2026-09-p8.{fmt.value}").exists()
    pages = [entry_ids(p.read_bytes(), fmt) for p in chain[1:]]
    assert all(0 < len(ids) <= PAGE for ids in pages)
    # Every archived entry once, newest first along the chain, ending on the month's first.
    stored = storage.articles_for_feed(["it", "en"], None, None)
    expected = [entry_id(s) for s in stored]  # newest first
    assert [i for ids in pages for i in ids] == expected
    assert pages[-1][-1] == entry_id(stored[-1]) and stored[-1].article.guid == "s00"
    # Links both ways: each page's next-archive is the page read just before it.
    for newer, older in itertools.pairwise(chain[1:]):
        if fmt is not FeedFormat.JSON:
            assert path_of(config, links(older.read_bytes(), fmt)["next-archive"]) == newer
    if fmt is not FeedFormat.JSON:
        assert links(chain[1].read_bytes(), fmt)["next-archive"].endswith(f"2026-11.{fmt.value}")
    for path in chain:
        assert_valid(path, fmt)


def test_a_topic_feed_pages_its_own_articles(paged: tuple[Config, SqlStorage]) -> None:
    config, storage = paged
    publish_feeds(config, storage, NOW)
    chain = follow(config, FeedFormat.ATOM, topic="energy")
    ids = [i for path in chain[1:] for i in entry_ids(path.read_bytes(), FeedFormat.ATOM)]
    stored = storage.articles_for_feed(["it", "en"], "energy", None)
    assert ids == [entry_id(s) for s in stored] and len(ids) == 14


def test_pages_are_written_once(paged: tuple[Config, SqlStorage]) -> None:
    config, storage = paged
    publish_feeds(config, storage, NOW)
    archive = config.output_dir / "it" / "archive"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in archive.rglob("*") if p.is_file()}
    assert len(before) > 40
    # A September article changes and another one arrives late; then November ends.
    changed = replace(article("s05", SEPTEMBER + timedelta(hours=125)), title="Rettifica")
    store(storage, [replace(changed, content_hash=article_hash(changed))])
    store(storage, [article("late", SEPTEMBER + timedelta(days=2, minutes=1))])
    report = publish_feeds(config, storage, NOW + timedelta(days=14))
    assert not any("2026-09" in p or "2026-10" in p for p in report.archives)
    assert "it/archive/all/2026-11.atom" in report.archives
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before}
    assert after == before
    november = config.output_dir / "it/archive/all/2026-11.atom"
    last_october = links(november.read_bytes(), FeedFormat.ATOM)["prev-archive"]
    assert last_october.endswith("/it/archive/all/2026-10.atom")


def test_no_page_exceeds_its_size_however_large_the_entries(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        sources='[[sources]]\nid = "src"\nurl = "http://127.0.0.1/f"\n',
        extra='[translation]\nuntranslated = "skip"\n',
    )
    storage = open_storage(config.database_url)
    storage.sync_sources([("src", "http://127.0.0.1/f", None, True)])
    paragraph = "<p>" + "energia rinnovabile e accumulo " * 20 + "</p>"
    middling = paragraph * (150_000 // len(paragraph))  # under ENTRY_BYTES
    huge = paragraph * (3_000_000 // len(paragraph))  # over PAGE_BYTES on its own
    articles = [
        article(f"m{i:02d}", SEPTEMBER + timedelta(hours=i), body=middling) for i in range(30)
    ]
    articles += [
        article(f"h{i}", SEPTEMBER + timedelta(days=10, hours=i), body=huge) for i in range(3)
    ]
    store(storage, articles)
    report = publish_feeds(config, storage, NOW)
    assert report.left_out == () and report.failed == ()
    for fmt in FeedFormat:
        chain = follow(config, fmt)[1:]
        sizes = [p.stat().st_size for p in chain]
        assert max(sizes) <= PAGE_BYTES, sizes
        assert len(chain) >= 3  # 30 entries of 150 kB do not fit in one page of 2 MiB
        ids = [i for p in chain for i in entry_ids(p.read_bytes(), fmt)]
        assert len(ids) == len(set(ids)) == 33
        assert_valid(chain[0], fmt)
    # A huge article is shortened in the archive: its summary (else an excerpt of its
    # text, cut to 1,000 characters), and its link to the rest.
    (page,) = [p for p in follow(config, FeedFormat.ATOM)[1:] if b"h1</title>" in p.read_bytes()]
    entry = next(
        e
        for e in etree.fromstring(page.read_bytes()).xpath("/a:feed/a:entry", namespaces=NS)
        if e.findtext("a:title", namespaces=NS) == "Notizia h1"
    )
    assert len(etree.tostring(entry)) < ENTRY_BYTES // 50
    assert entry.xpath("a:link/@href", namespaces=NS) == ["https://example.org/h1"]
    assert "Sintesi di h1" in "".join(entry.xpath(".//text()"))  # its summary
    # So is it in the subscription document (no entry there is over ENTRY_BYTES either).
    assert (config.output_dir / "it/all.atom").stat().st_size < 30 * 160_000 + 3 * ENTRY_BYTES
    assert b"Sintesi di h1" in (config.output_dir / "it/all.atom").read_bytes()
    storage.close()


def test_a_crash_between_recording_and_writing_pages_rewrites_nothing(
    paged: tuple[Config, SqlStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer of September's pages fails (as a kill would stop it) after the pages are
    recorded: no file of them is in place. The next publish writes them from the recorded
    spans, although an article arrived meanwhile in one of those spans' time; a late one
    after them goes to a new page."""
    config, storage = paged
    real = archives_module.AtomicWriter.__exit__
    calls = {"n": 0}

    def failing_exit(self: archives_module.AtomicWriter, *exc: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the first language's first month: September in Italian
            real(self, PublishError, PublishError("disk gone"), None)
            raise PublishError("disk gone")
        real(self, *exc)  # type: ignore[arg-type]

    monkeypatch.setattr(archives_module.AtomicWriter, "__exit__", failing_exit)
    with pytest.raises(PublishError):
        publish_feeds(config, storage, NOW)
    archive = config.output_dir / "it" / "archive" / "all"
    assert not list(archive.glob("2026-09*"))
    recorded = storage.archive_pages("it", "all", "2026-09")
    assert [p.page for p in recorded] == list(range(1, 8)) and not recorded[-1].more
    monkeypatch.setattr(archives_module.AtomicWriter, "__exit__", real)
    # Meanwhile: an article inside page 2's span.
    inside = recorded[0].last
    assert inside is not None
    store(storage, [article("inside", inside[0] + timedelta(seconds=1))])
    publish_feeds(config, storage, NOW)
    pages = [
        entry_ids(archive.joinpath(f"2026-09{s}.atom").read_bytes(), FeedFormat.ATOM)
        for s in ["", *(f"-p{n}" for n in range(2, 8))]
    ]
    sizes = [len(p) for p in pages]  # page 1 to 7
    assert sizes == [4, 5, 4, 4, 4, 4, 2]  # page 2 took the newcomer
    assert storage.archive_pages("it", "all", "2026-09") == recorded
    before = {p: p.read_bytes() for p in archive.iterdir()}
    publish_feeds(config, storage, NOW)
    assert {p: p.read_bytes() for p in archive.iterdir()} == before


def test_other_languages_articles_are_brief_in_archives(paged: tuple[Config, SqlStorage]) -> None:
    """An English article in the Italian archive: the gloss header and key terms in one
    paragraph, then its summary (not its text), and its link to the original; in the
    English archive, the whole article."""
    config, storage = paged
    publish_feeds(config, storage, NOW)

    def entry(lang: str, guid: str) -> etree._Element:
        for path in follow(config, FeedFormat.ATOM, lang=lang)[1:]:
            for found in etree.fromstring(path.read_bytes()).xpath(
                "/a:feed/a:entry", namespaces=NS
            ):
                if found.findtext("a:title", namespaces=NS) == f"Notizia {guid}":
                    return found
        raise AssertionError(f"{guid} is not in the {lang} archive")

    italian = entry("it", "e1")
    content = italian.findtext("a:content", namespaces=NS) or ""
    assert "Pubblicato in inglese" in content and "Sintesi di e1" in content
    assert "Testo di e1" not in content and italian.find("a:summary", namespaces=NS) is None
    assert italian.xpath("a:link/@href", namespaces=NS) == ["https://example.org/e1"]
    english = entry("en", "e1")
    assert "Testo di e1" in (english.findtext("a:content", namespaces=NS) or "")


def test_force_writes_again_the_pages_gone_from_disk(paged: tuple[Config, SqlStorage]) -> None:
    """The output directory is lost (a new disk, a second node): ``publish --force`` writes
    every page again from its recorded span, byte for byte; a month archived before pages
    were recorded (its rows gone here) is cut into pages again, and its page count follows."""
    config, storage = paged
    publish_feeds(config, storage, NOW)
    archive = config.output_dir / "it" / "archive"
    before = {p: p.read_bytes() for p in archive.rglob("*") if p.is_file()}
    assert publish_feeds(config, storage, NOW).archives == ()
    for path in before:
        path.unlink()
    with storage.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM feed_archive_pages WHERE month = '2026-10'"))
        conn.execute(sa.text("UPDATE feed_archives SET pages = 1"))  # as before issue 18
    assert publish_feeds(config, storage, NOW).archives == ()  # without --force: no look
    report = publish_feeds(config, storage, NOW, force=True)
    assert {p: p.read_bytes() for p in before} == before
    assert "it/archive/all/2026-09-p7.atom" in report.archives
    counts = storage.archive_page_counts(["2026-09", "2026-10"])
    assert counts[("it", "all", "atom", "2026-09")] == 7 == counts[("it", "all", "json", "2026-09")]
    assert counts[("it", "all", "atom", "2026-10")] == 1
    assert links((config.output_dir / "it/all.atom").read_bytes(), FeedFormat.ATOM)[
        "prev-archive"
    ].endswith("/it/archive/all/2026-10.atom")
