"""JSON Feed sources: read into the same Article records as RSS and Atom."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.ingest._jsonfeed import read_json_feed
from syndicate.ingest.parse import parse_feed
from syndicate.models import Enclosure

from .conftest import CORPORA

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = CORPORA / "schemas" / "jsonfeed" / "examples" / "v1.1"


def test_our_own_json_feed_reads_back_into_the_articles_it_was_made_from() -> None:
    parsed = parse_feed((DATA / "publish" / "expected.json").read_bytes(), source_id="s")
    assert parsed.version == "json11" and not parsed.bozo
    first, translated, japanese = parsed.articles
    assert first.title == "Le batterie dei bus elettrici avranno una seconda vita"
    assert first.link == "https://comune.example.it/notizie/batterie-bus"
    assert first.guid == "https://comune.example.it/notizie/batterie-bus"
    assert first.published == datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
    assert first.updated == datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
    assert first.authors == ("Ufficio stampa",)
    assert first.categories == ("Energia", "Mobilità", "energia", "mobilità")
    assert first.enclosures == (
        Enclosure("https://comune.example.it/media/scheda.pdf", "application/pdf", 48213),
    )
    assert first.image == "https://comune.example.it/media/bus.jpg"
    assert "<strong>accumulo di energia</strong>" in first.content
    assert translated.language == "it" and japanese.language == "ja"
    assert japanese.title == "蓄電池の実証実験が始まる <速報> & 更新"


def test_content_text_and_bad_values_are_handled() -> None:
    body = b"""{"version": "https://jsonfeed.org/version/1", "title": "T", "items": [
      {"id": 7, "content_text": "Plain <text> & more", "date_published": "not a date",
       "author": {"name": "Old style"}, "tags": ["a", 3], "attachments": [{"url": "javascript:x"}]},
      "not an item"]}"""
    (article,) = parse_feed(body, source_id="s", fallback_language="en").articles
    assert article.guid == "7" and article.content == "<p>Plain &lt;text&gt; &amp; more</p>"
    assert article.published is None and article.authors == ("Old style",)
    assert article.categories == ("a",) and article.enclosures == ()


@pytest.mark.parametrize(
    "body", [b"<rss/>", b"{not json", b'{"version": "1.0", "items": []}', b"[]", b"\xff\xfe{"]
)
def test_other_bodies_are_not_json_feeds(body: bytes) -> None:
    assert read_json_feed(body) is None


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/corpora is absent (a user's clone)")
def test_the_json_feed_spec_examples_parse() -> None:
    examples = sorted(EXAMPLES.glob("*.json"))
    assert examples
    for path in examples:
        parsed = parse_feed(path.read_bytes(), source_id="s", fallback_language="en")
        assert parsed.version.startswith("json") and parsed.articles, path


def test_a_lone_surrogate_escape_becomes_a_replacement_character_and_deep_nesting_no_feed() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t\\udc00", "items": '
        b'[{"id": "1", "title": "ok \\ud83d\\ude00", "content_html": "<p>\\ud800 x</p>",'
        b' "tags": ["\\udfff"], "\\ud801key": "v"}]}'
    )
    feed = read_json_feed(body)
    assert feed is not None
    (entry,) = feed.entries
    assert entry["title"] == "ok \U0001f600"  # a proper pair stays one character
    assert entry["content"][0]["value"] == "<p>\ufffd x</p>"
    assert entry["tags"] == [{"term": "\ufffd"}] and feed.feed["title"] == "t\ufffd"
    deep = b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000
    assert read_json_feed(deep + b"]" * 100_000 + b"}") is None
