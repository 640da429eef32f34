"""Parsing and normalization: golden files in tests/data/parse, plus targeted checks."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.htmltext import plain_text
from syndicate.ingest.parse import normalize_language, parse_feed, sanitize_html

from .conftest import CORPORA, DATA

GOLDEN = sorted((DATA / "parse").glob("*.xml"))
UPDATE = os.environ.get("SYNDICATE_UPDATE_GOLDEN") == "1"


def as_json(path: Path) -> dict[str, object]:
    parsed = parse_feed(
        path.read_bytes(), source_id="test", languages=["it", "en", "ja"], fallback_language="it"
    )
    return {
        "title": parsed.title,
        "bozo": parsed.bozo,
        "articles": [
            {
                k: (
                    v.isoformat()
                    if isinstance(v, datetime)
                    else list(v)
                    if isinstance(v, tuple)
                    else v
                )
                for k, v in dataclasses.asdict(a).items()
            }
            for a in parsed.articles
        ],
    }


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden(path: Path) -> None:
    expected_path = path.with_suffix(".json")
    got = as_json(path)
    if UPDATE:
        expected_path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert got == json.loads(expected_path.read_text("utf-8"))


def test_html_is_sanitized() -> None:
    (first, *_) = parse_feed(
        (DATA / "parse" / "rss2-basic.xml").read_bytes(), source_id="t"
    ).articles
    for bad in ("<script", "alert(1)", "onclick", "javascript:", "<style", "color:red"):
        assert bad not in first.content
    assert '<a href="https://news.example.org/dati" rel="noopener noreferrer">' in first.content
    assert first.title == "Batterie allo stato solido: il prototipo passa i test"


def test_guid_falls_back_to_link_then_to_a_stable_hash() -> None:
    body = (DATA / "parse" / "rss2-basic.xml").read_bytes()
    first = parse_feed(body, source_id="t").articles
    again = parse_feed(body, source_id="t").articles
    assert [a.guid for a in first] == [a.guid for a in again]
    assert first[0].guid == "news-2026-001"
    assert first[1].guid == "https://news.example.org/senza-guid"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first[2].guid)


def test_dates_are_aware_utc() -> None:
    (a, *_) = parse_feed((DATA / "parse" / "rss2-basic.xml").read_bytes(), source_id="t").articles
    assert a.published == datetime(2026, 11, 3, 8, 30, tzinfo=UTC)


def test_language_declared_wins_then_entry_then_feed() -> None:
    body = (DATA / "parse" / "atom-lang.xml").read_bytes()
    langs = ["it", "en", "ja"]
    detected = parse_feed(body, source_id="t", languages=langs).articles
    assert [a.language for a in detected] == ["en", "ja"]
    declared = parse_feed(body, source_id="t", languages=langs, language="it").articles
    assert {a.language for a in declared} == {"it"}
    rss = parse_feed(
        (DATA / "parse" / "rss2-basic.xml").read_bytes(), source_id="t", languages=langs
    ).articles
    assert {a.language for a in rss} == {"it"}  # <language>it-IT</language> -> it


def test_content_hash_changes_with_content_only() -> None:
    body = (DATA / "parse" / "atom-lang.xml").read_bytes()
    (a, _) = parse_feed(body, source_id="t").articles
    edited = body.replace(b"six months", b"seven months")
    (b, _) = parse_feed(edited, source_id="t").articles
    (c, _) = parse_feed(body, source_id="other").articles
    assert a.guid == b.guid and a.content_hash != b.content_hash
    assert a.content_hash == c.content_hash


def test_broken_feed_still_yields_entries() -> None:
    parsed = parse_feed((DATA / "parse" / "broken.xml").read_bytes(), source_id="t")
    assert parsed.bozo and parsed.problem
    assert [a.link for a in parsed.articles] == [
        "https://broken.example.org/1",
        "https://broken.example.org/2",
    ]


def test_garbage_is_not_a_feed() -> None:
    parsed = parse_feed(b"\x00\x01 this is not xml at all", source_id="t")
    assert parsed.articles == () and parsed.bozo


def test_helpers() -> None:
    assert plain_text("<b>A</b> &amp;  B\n") == "A & B"
    assert sanitize_html('<img src="x" onerror="boom()">') == '<img src="x">'
    assert normalize_language("it-IT", ["it", "en"]) == "it"
    assert normalize_language("pt_BR", ["it"]) == "pt-br"
    assert normalize_language("", ["it"]) is None


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent (a user's clone)")
def test_feedparser_wellformed_corpus_never_raises() -> None:
    files = sorted((CORPORA / "feedparser" / "wellformed").rglob("*.xml"))
    assert len(files) > 1000
    entries = 0
    for path in files:
        parsed = parse_feed(
            path.read_bytes(), source_id="corpus", languages=["en"], fallback_language="en"
        )
        entries += len(parsed.articles)
        for article in parsed.articles:
            assert article.guid and article.content_hash
            assert article.published is None or article.published.tzinfo is UTC
    assert entries > 500


def test_plain_text_keeps_ideographic_spaces() -> None:
    assert (
        plain_text("AIが信号を制御\u3000実証実験\n  を開始")
        == "AIが信号を制御\u3000実証実験 を開始"
    )


def test_fields_feedparser_leaves_as_none_are_read_as_empty() -> None:
    """Found by fuzz/parse_normalize.py: a mangled Atom entry gave ``summary = None``."""
    from syndicate.ingest.parse import _article

    made = _article(
        {"title": None, "summary": None, "link": "https://example.org/a", "content": [{}]},
        "s",
        "it",
    )
    assert made is not None
    article, refused = made
    assert article.title == "https://example.org/a" and refused == 0
    assert article.summary == "" and article.content == ""


@pytest.mark.parametrize("ref", ["&#55296;", "&#xD800;", "&#x110000;", "&#9999999999999999999999;"])
def test_a_reference_to_no_character_is_a_replacement_character_not_a_lost_feed(
    ref: str,
) -> None:
    """feedparser's loose parser raised on these (a surrogate, past U+10FFFF), and the
    whole feed was lost to one reference (found by the property test)."""
    body = (
        f'<rss version="2.0"><channel><title>t</title><item><title>a{ref}b</title>'
        f"<pubDate>{ref}</pubDate><guid>g</guid></item>"
        "<item><title>ok</title><guid>h</guid></item></channel></rss>"
    )
    parsed = parse_feed(body.encode(), source_id="s")
    assert [a.title for a in parsed.articles] == ["a\ufffdb", "ok"]
    utf16 = parse_feed(body.encode("utf-16"), source_id="s")  # not rewritten: still no raise
    assert utf16.bozo or [a.title for a in utf16.articles][1:] == ["ok"]
