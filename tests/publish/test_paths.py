"""Feed paths: every path the publisher writes reads back into its parts, and nothing else
reads as a feed path."""

from __future__ import annotations

import pytest

from syndicate.models import FeedFormat, FeedKey, FeedSpec
from syndicate.publish.paths import (
    FeedPath,
    archive_relpath,
    feed_relpath,
    feed_url,
    in_archive,
    opml_relpath,
    parse_relpath,
    request_relpath,
    site_path,
    topic_of,
)

LANGUAGES = ("it", "en", "ja", "pt-BR", "zh-Hant")
TOPICS = ("all", "energy", "start-ups", "ai_policy", "2026", "index", "archive")
KEYS = [FeedKey(lang, topic, f.value) for lang in LANGUAGES for topic in TOPICS for f in FeedFormat]


def test_the_scheme_the_readme_documents() -> None:
    key = FeedKey("it", "energy", "atom")
    assert feed_relpath(key) == "it/energy.atom"
    assert archive_relpath(key, "2026-10") == "it/archive/energy/2026-10.atom"
    assert archive_relpath(key, "2026-10", 1) == "it/archive/energy/2026-10.atom"
    assert archive_relpath(key, "2026-10", 2) == "it/archive/energy/2026-10-p2.atom"
    assert opml_relpath() == "index.opml" and opml_relpath("ja") == "ja/index.opml"
    assert site_path("it/energy.atom") == "/feeds/it/energy.atom"
    assert (
        feed_url("https://x.example", "it/energy.atom") == "https://x.example/feeds/it/energy.atom"
    )


def test_a_spec_and_its_key_share_the_path() -> None:
    spec = FeedSpec("ja", "energy", FeedFormat.JSON, "title", "subtitle")
    assert spec.key == FeedKey("ja", "energy", "json") == ("ja", "energy", "json")
    assert spec.relpath == feed_relpath(spec.key) == "ja/energy.json"


def test_every_feed_path_reads_back() -> None:
    for key in KEYS:
        for relpath, gzip in ((feed_relpath(key), False), (f"{feed_relpath(key)}.gz", True)):
            parsed = parse_relpath(relpath)
            assert parsed == FeedPath(key, gzip=gzip), relpath
            assert parsed.relpath == relpath
            assert topic_of(relpath) == key.topic
            assert not in_archive(relpath)


def test_every_archive_page_reads_back() -> None:
    for key in KEYS:
        for month in ("2026-01", "2026-10", "1999-12"):
            for page in (1, 2, 9, 10, 123):
                relpath = archive_relpath(key, month, page)
                parsed = parse_relpath(relpath)
                assert parsed == FeedPath(key, month, page), relpath
                assert parsed.relpath == relpath
                assert parse_relpath(f"{relpath}.gz") == FeedPath(key, month, page, gzip=True)
                assert topic_of(relpath) == key.topic
                assert in_archive(relpath)


@pytest.mark.parametrize(
    "relpath",
    [
        "",
        "it",
        "it/",
        "/it/energy.atom",
        "it//energy.atom",
        "it/energy",
        "it/energy.",
        "it/.atom",
        "it/energy.xml",
        "it/energy.ATOM",
        "it/energy.atom.zip",
        "it/energy.gz",
        "it/energy.atom.gz.gz",
        "it/energy.opml",
        "index.opml",
        "it/index.opml",
        "energy.atom",
        "it/x/energy.atom",
        "it/energy.v2.atom",
        "../it/energy.atom",
        "it/../energy.atom",
        "./it/energy.atom",
        "it/./energy.atom",
        "it/..atom",
        ".it/energy.atom",
        "it/.energy.atom",
        "it\\energy.atom",
        "it/energy\\x.atom",
        "it/ener\0gy.atom",
        "it/energy.atom\0",
        "-it/energy.atom",
        "it/_energy.atom",
        "it/ener gy.atom",
        "it/archive/energy/2026-10",
        "it/archive/energy/2026-10.txt",
        "it/archive/energy/2026-10-p1.atom",
        "it/archive/energy/2026-10-p0.atom",
        "it/archive/energy/2026-10-p02.atom",
        "it/archive/energy/2026-10-p.atom",
        "it/archive/energy/2026-13.atom",
        "it/archive/energy/2026-00.atom",
        "it/archive/energy/2026-1.atom",
        "it/archive/energy/26-10.atom",
        "it/archive/energy/2026-10-02.atom",
        "it/archive/energy/٢٠٢٦-10.atom",
        "it/archive/energy/latest.atom",
        "it/archive/energy/.atom",
        "it/archive/../2026-10.atom",
        "it/archive//2026-10.atom",
        "it/archives/energy/2026-10.atom",
        "it/archive/energy/2026-10/x.atom",
    ],
)
def test_what_is_not_a_feed_path(relpath: str) -> None:
    assert parse_relpath(relpath) is None


def test_topic_of_is_lax_where_access_is_concerned() -> None:
    """The server guards whatever stands in a topic's place, whatever its name or suffix."""
    assert topic_of("it/energy.atom.gz") == "energy"
    assert topic_of("it/energy.v2.xml") == "energy"
    assert topic_of("ja/archive/startups/2026-10.rss") == "startups"
    assert topic_of("ja/archive/startups/whatever") == "startups"
    assert topic_of("index.opml") is None and topic_of("it/index.opml") == "index"
    assert topic_of("it/energy") is None and topic_of("it/x/energy.atom") is None


@pytest.mark.parametrize(
    ("path", "relpath"),
    [
        ("/feeds/it/energy.atom", "it/energy.atom"),
        ("/feeds/index.opml", "index.opml"),
        ("/feeds/it/archive/energy/2026-10-p2.rss.gz", "it/archive/energy/2026-10-p2.rss.gz"),
        ("/feeds/it/%2e%2e/x.atom", "it/%2e%2e/x.atom"),  # already decoded: a name with a %
        ("/feeds/", None),
        ("/feeds", None),
        ("/other/it/energy.atom", None),
        ("/feeds/../secret.atom", None),
        ("/feeds/it/../../secret.atom", None),
        ("/feeds/it//energy.atom", None),
        ("/feeds/it/", None),
        ("/feeds/.syndicate-state", None),
        ("/feeds/it/.energy.atom.tmp", None),
        ("/feeds/it\\..\\x.atom", None),
        ("/feeds/it/energy.atom\0", None),
    ],
)
def test_request_paths(path: str, relpath: str | None) -> None:
    assert request_relpath(path) == relpath


def test_request_paths_under_another_prefix() -> None:
    assert request_relpath("/demo/a.xml", "/demo/") == "a.xml"
    assert request_relpath("/feeds/a.xml", "/demo/") is None
