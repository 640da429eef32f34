from __future__ import annotations

import gzip
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
import sqlalchemy as sa
from lxml import etree

from syndicate.config import Config
from syndicate.errors import PublishError
from syndicate.ingest.parse import article_hash
from syndicate.models import Article, RoutedArticle, TopicReason
from syndicate.publish import feed_specs, publish_feeds
from syndicate.publish.atomic import AtomicWriter, write_atomic, write_files_atomic
from syndicate.publish.written import STATE_FILE
from syndicate.storage import SqlStorage, open_storage

from .conftest import CORPORA, make_config

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ATOM_RNG = CORPORA / "schemas" / "atom" / "atom.rng"


def art(guid: str, lang: str, title: str, day: int) -> Article:
    a = Article(
        source_id="src",
        guid=guid,
        link=f"https://example.org/{guid}",
        title=title,
        summary=f"<p>{title} &amp; more</p>",
        content=f"<p>{title}</p><p>Body</p>",
        authors=("Desk",),
        categories=("energia",),
        published=datetime(2026, 11, day, 8, 0, tzinfo=UTC),
        language=lang,
    )
    return replace(a, content_hash=article_hash(a))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, SqlStorage]:
    # One language per feed here (policy skip); the cross-language policies are tested below.
    config = make_config(
        tmp_path,
        sources='[[sources]]\nid = "src"\nurl = "http://127.0.0.1/f"\n',
        extra='[translation]\nuntranslated = "skip"\n',
    )
    storage = open_storage(config.database_url)
    storage.sync_sources([("src", "http://127.0.0.1/f", None, True)])
    routed = [
        RoutedArticle(
            art("it1", "it", "Accumulo di energia a Valmora", 10),
            (("energy", TopicReason.CATEGORY),),
        ),
        RoutedArticle(art("it2", "it", "Nuovo bando per le startup", 12)),
        RoutedArticle(
            art("en1", "en", "Energy storage <test> & friends", 11),
            (("energy", TopicReason.KEYWORD),),
        ),
        RoutedArticle(
            art("ja1", "ja", "蓄電池の実証実験が始まる", 9), (("energy", TopicReason.CATEGORY),)
        ),
    ]
    storage.upsert_articles("src", routed, NOW)
    yield config, storage
    storage.close()


def test_every_feed_is_written_and_parses(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    report = publish_feeds(config, storage, NOW)
    expected = {s.relpath for s in feed_specs(config)}
    opml = {"index.opml", "it/index.opml", "en/index.opml", "ja/index.opml"}
    assert set(report.written) == expected | opml
    assert len(expected) == 3 * 2 * 3  # it/en/ja x all/energy x atom/rss/json
    for relpath in (r for r in expected if not r.endswith(".json")):
        parsed = feedparser.parse((config.output_dir / relpath).read_bytes())
        assert parsed.bozo == 0, (relpath, parsed.get("bozo_exception"))
    it_all = feedparser.parse((config.output_dir / "it/all.atom").read_bytes())
    assert [e.title for e in it_all.entries] == [
        "Nuovo bando per le startup",
        "Accumulo di energia a Valmora",
    ]
    assert it_all.feed.language == "it"
    assert it_all.feed.title == "Tutte le notizie"
    links = {(link.rel, link.get("hreflang")): link.href for link in it_all.feed.links}
    assert links[("self", None)] == "http://127.0.0.1:8080/feeds/it/all.atom"
    assert links[("alternate", "ja")] == "http://127.0.0.1:8080/feeds/ja/all.atom"
    energy_rss = feedparser.parse((config.output_dir / "en/energy.rss").read_bytes())
    assert energy_rss.version == "rss20"
    (entry,) = energy_rss.entries
    assert entry.title == "Energy storage <test> & friends"
    assert entry.link == "https://example.org/en1"
    assert {t.term for t in entry.tags} == {"Energy", "energia"}
    assert entry.author == "Desk"
    ja = feedparser.parse((config.output_dir / "ja/energy.rss").read_bytes())
    assert ja.feed.title == "エネルギー" and ja.entries[0].title == "蓄電池の実証実験が始まる"


def test_publish_is_incremental_and_deterministic(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    publish_feeds(config, storage, NOW)
    before = {p: p.read_bytes() for p in config.output_dir.rglob("*.*")}
    again = publish_feeds(config, storage, NOW + timedelta(hours=1))
    assert again.written == () and again.unchanged == 18
    forced = publish_feeds(config, storage, NOW + timedelta(hours=2), force=True)
    assert len(forced.written) == 18
    assert {p: p.read_bytes() for p in config.output_dir.rglob("*.*")} == before  # byte-identical
    # one new English article changes only the English feeds it belongs to
    storage.upsert_articles("src", [RoutedArticle(art("en2", "en", "Another story", 13))], NOW)
    changed = publish_feeds(config, storage, NOW + timedelta(hours=3))
    assert sorted(changed.written) == ["en/all.atom", "en/all.json", "en/all.rss"]


def test_missing_file_is_rewritten(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    publish_feeds(config, storage, NOW)
    (config.output_dir / "ja/all.rss").unlink()
    assert publish_feeds(config, storage, NOW).written == ("ja/all.rss",)


def test_no_temporary_files_are_left(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    publish_feeds(config, storage, NOW)
    hidden = [p for p in config.output_dir.rglob("*") if p.name.startswith(".")]
    assert hidden == [config.output_dir / STATE_FILE]  # the directory's state, no temporary


@pytest.mark.skipif(not ATOM_RNG.is_file(), reason="../shared/corpora is absent (a user's clone)")
def test_atom_feeds_are_valid_against_the_rfc4287_schema(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    publish_feeds(config, storage, NOW)
    schema = etree.RelaxNG(file=str(ATOM_RNG))
    for path in sorted(config.output_dir.rglob("*.atom")):
        doc = etree.parse(str(path))
        assert schema.validate(doc), (path, schema.error_log)
        # the schema's Schematron rules, which lxml skips, as XPath
        ns = {"a": "http://www.w3.org/2005/Atom"}
        feed_has_author = bool(doc.xpath("/a:feed/a:author", namespaces=ns))
        for entry in doc.xpath("/a:feed/a:entry", namespaces=ns):
            assert feed_has_author or entry.xpath("a:author", namespaces=ns)
            assert entry.xpath("a:link[@rel='alternate' or not(@rel)] | a:content", namespaces=ns)
        updated = doc.xpath("//a:updated/text()", namespaces=ns)
        assert updated and all(u.endswith("+00:00") for u in updated)


def test_write_atomic_keeps_the_old_file_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "feeds" / "it" / "all.atom"
    write_atomic(target, b"old complete file")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PublishError, match="No space left"):
        write_atomic(target, b"new file")
    assert target.read_bytes() == b"old complete file"
    assert sorted(p.name for p in target.parent.iterdir()) == ["all.atom"]


def test_a_batch_renames_nothing_when_one_of_its_files_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {tmp_path / "it" / f"{n}.atom": f"old {n}".encode() for n in range(6)}
    write_files_atomic(old, gzip_twins=True)
    real_fsync = os.fsync

    def disk_fails_once(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")  # the temporary file of it/3.atom
        if name.endswith(".tmp") and "/.3.atom." in name:
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", disk_fails_once)
    with pytest.raises(PublishError, match=r"3\.atom.*Input/output error"):
        write_files_atomic({path: b"new" for path in old}, gzip_twins=True)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert {path: path.read_bytes() for path in old} == old  # every file is still the old one
    assert sorted(p.name for p in (tmp_path / "it").iterdir() if p.name.startswith(".")) == []


def test_a_batch_whose_caller_fails_renames_nothing(tmp_path: Path) -> None:
    target = tmp_path / "all.json"
    write_atomic(target, b"old")
    with pytest.raises(RuntimeError), AtomicWriter() as writer:
        writer.add(target, b"new", gzip_twin=True)
        raise RuntimeError("rendering the next feed failed")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == [
        "all.json"
    ]


def test_gzip_twins_hold_the_same_bytes_and_do_not_depend_on_the_time(tmp_path: Path) -> None:
    data = "<feed>caffè, 蓄電池</feed>\n".encode() * 50
    write_files_atomic({tmp_path / "a.atom": data, tmp_path / "b.atom": data}, gzip_twins=True)
    first = (tmp_path / "a.atom.gz").read_bytes()
    assert gzip.decompress(first) == data == (tmp_path / "a.atom").read_bytes()
    assert (tmp_path / "b.atom.gz").read_bytes() == first  # mtime 0: same bytes, same .gz
    assert oct((tmp_path / "a.atom.gz").stat().st_mode & 0o777) == "0o644"


def test_a_committed_batch_stays_when_a_later_one_fails(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "1.atom", tmp_path / "a" / "2.atom"
    with pytest.raises(RuntimeError), AtomicWriter(max_pending_bytes=4) as writer:
        writer.add(first, b"<feed>1</feed>", gzip_twin=True)
        assert writer.pending == 2
        writer.commit()
        assert writer.pending == 0 and first.read_bytes() == b"<feed>1</feed>"
        writer.add(second, b"<feed>2</feed>")
        raise RuntimeError("the renderer failed")
    assert not second.exists() and gzip.decompress(first.with_suffix(".atom.gz").read_bytes())
    assert sorted(p.name for p in first.parent.iterdir()) == ["1.atom", "1.atom.gz"]


def test_two_nodes_write_the_same_bytes_and_times(setup: tuple[Config, SqlStorage]) -> None:
    """Two output directories written from one database an hour apart (two nodes): every
    file has the same bytes and the same mtime (the feed's last change), hence the same
    ETag and Last-Modified from either server."""
    config, storage = setup
    other = replace(config, service=replace(config.service, output_dir="node-b"))
    publish_feeds(config, storage, NOW)
    publish_feeds(other, storage, NOW + timedelta(hours=1), force=True)
    mine = {p.relative_to(config.output_dir): p for p in _published(config.output_dir)}
    theirs = {p.relative_to(other.output_dir): p for p in _published(other.output_dir)}
    assert mine.keys() == theirs.keys() and len(mine) > 30
    for relpath, path in mine.items():
        assert path.read_bytes() == theirs[relpath].read_bytes(), relpath
        # the OPML lists too: they take the time the database first saw their content
        assert path.stat().st_mtime == theirs[relpath].stat().st_mtime, relpath
    newest = max(s.last_changed for s in storage.articles_for_feed(["it"], None, 50))
    assert (config.output_dir / "it/all.atom").stat().st_mtime == newest.timestamp()


def test_a_node_that_stored_nothing_writes_what_another_node_stored(
    setup: tuple[Config, SqlStorage],
) -> None:
    """Each node keeps what it wrote beside its files, not in the shared database: the node
    that did not poll still writes the new article (it never did before issue 19)."""
    config, storage = setup
    other = replace(config, service=replace(config.service, output_dir="node-b"))
    publish_feeds(config, storage, NOW)
    publish_feeds(other, storage, NOW)
    new = RoutedArticle(art("it3", "it", "Terza notizia da Valmora", 13))
    storage.upsert_articles("src", [new], NOW + timedelta(minutes=1))  # "node a" polled it
    first = publish_feeds(config, storage, NOW + timedelta(minutes=1))
    second = publish_feeds(other, storage, NOW + timedelta(minutes=2))
    assert "it/all.atom" in first.written and second.written == first.written
    assert "energy" not in " ".join(second.written)  # only the topics the change log names
    for relpath in first.written:
        assert (config.output_dir / relpath).read_bytes() == (
            other.output_dir / relpath
        ).read_bytes()
    assert b"Terza notizia" in (other.output_dir / "it/all.atom").read_bytes()
    assert publish_feeds(other, storage, NOW + timedelta(minutes=3)).written == ()


def test_a_node_that_was_down_or_lost_its_files_catches_up_on_its_first_publish(
    setup: tuple[Config, SqlStorage],
) -> None:
    config, storage = setup
    later = NOW + timedelta(days=40)  # a month closed meanwhile: archives to write
    other = replace(config, service=replace(config.service, output_dir="node-b"))
    publish_feeds(config, storage, NOW)
    publish_feeds(other, storage, NOW)
    storage.upsert_articles("src", [RoutedArticle(art("en2", "en", "Late news", 14))], NOW)
    publish_feeds(config, storage, later)
    (other.output_dir / STATE_FILE).unlink()  # and its state lost too: checked on disk
    publish_feeds(other, storage, later)
    mine = {p.relative_to(config.output_dir): p.read_bytes() for p in _published(config.output_dir)}
    theirs = {p.relative_to(other.output_dir): p.read_bytes() for p in _published(other.output_dir)}
    assert any("archive" in str(p) for p in mine) and mine == theirs
    # an emptied directory is written again in full, archives included
    for path in _published(other.output_dir):
        path.unlink()
    publish_feeds(other, storage, later)
    assert {
        p.relative_to(other.output_dir): p.read_bytes() for p in _published(other.output_dir)
    } == mine


def test_a_config_change_makes_a_node_check_every_feed(setup: tuple[Config, SqlStorage]) -> None:
    config, storage = setup
    publish_feeds(config, storage, NOW)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(storage.engine, "before_cursor_execute", seen)
    try:
        assert publish_feeds(config, storage, NOW).written == ()
    finally:
        sa.event.remove(storage.engine, "before_cursor_execute", seen)
    queries = [q for q in statements if not q.startswith("BEGIN")]  # SQLite's own BEGIN
    assert len(queries) == 1 and "feed_generation" in queries[0]  # nothing changed: 1 query
    renamed = replace(config, service=replace(config.service, base_url="https://news.example.org"))
    written = publish_feeds(renamed, storage, NOW).written
    assert {spec.relpath for spec in feed_specs(config)} <= set(written)


def _published(directory: Path) -> list[Path]:
    """The files a server publishes from ``directory``: not the directory's own state."""
    return [p for p in directory.rglob("*.*") if p.is_file() and p.name != STATE_FILE]
