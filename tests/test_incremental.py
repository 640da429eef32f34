"""Partial parsing gives exactly the articles a full parse would give for the new entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.incremental import Fingerprint, split_feed
from syndicate.parse import parse_feed
from syndicate.server.app import DEMO_DIR

from .conftest import CORPORA

DEMO = sorted(DEMO_DIR.glob("*.xml"))


def keys(body: bytes) -> set[tuple[str, str]]:
    return {(a.guid, a.content_hash) for a in parse_feed(body, source_id="s").articles}


def edited(body: bytes) -> bytes:
    """The same feed one poll later: a new entry on top, one entry changed, the last removed."""
    split = split_feed(body)
    assert split is not None
    entries = list(split.entries)
    fresh = entries[0].replace(b"</guid>", b"-new</guid>", 1).replace(b"</id>", b"-new</id>", 1)
    fresh = fresh.replace(b"</title>", b" (a new story)</title>", 1)
    assert fresh != entries[0]
    changed = entries[2].replace(b"</title>", b" (updated)</title>", 1)
    entries = [fresh, *entries[:2], changed, *entries[3:-1]]
    return split.head + b"\n".join(entries) + split.tail


@pytest.mark.parametrize("path", DEMO, ids=[p.name for p in DEMO])
def test_partial_parse_equals_the_difference_of_full_parses(path: Path) -> None:
    old = path.read_bytes()
    new = edited(old)
    split_old, split_new = split_feed(old), split_feed(new)
    assert split_old is not None and split_new is not None
    assert len(split_old.entries) == 12
    expected = keys(new) - keys(old)
    assert len(expected) == 2  # the new entry and the changed one
    document = split_new.changed_since(split_old.fingerprint())
    assert document is not None
    assert keys(document) == expected


@pytest.mark.parametrize("path", DEMO, ids=[p.name for p in DEMO])
def test_same_body_has_nothing_new_and_reassembly_parses_alike(path: Path) -> None:
    body = path.read_bytes()
    split = split_feed(body)
    assert split is not None
    nothing = split.changed_since(split.fingerprint())
    assert nothing is not None and keys(nothing) == set()
    everything = split.changed_since(Fingerprint(split.fingerprint().frame, frozenset()))
    assert everything is not None and keys(everything) == keys(body)


def test_a_changed_head_means_a_full_parse() -> None:
    body = DEMO[0].read_bytes()
    split = split_feed(body)
    assert split is not None
    retitled = split_feed(body.replace(b"<title>", b"<title>New: ", 1))
    assert retitled is not None and retitled.changed_since(split.fingerprint()) is None
    assert split.changed_since(None) is None


RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>%s</channel></rss>'


@pytest.mark.parametrize(
    "items",
    [
        b"<item><title>a</title></item><p>text between</p><item><title>b</title></item>",
        b"<item><title>a</title><item><title>nested</title></item></item>",
        b"<item><title>unclosed</title>",
        b"<item/><item><title>b</title></item>",
    ],
)
def test_unusual_bodies_are_not_split(items: bytes) -> None:
    assert split_feed(RSS % items) is None


def test_tags_inside_cdata_and_comments_do_not_count() -> None:
    body = RSS % (
        b"<item><description><![CDATA[ a </item> in text <item> ]]></description>"
        b"</item><item><!-- <item> --><title>b</title></item>"
    )
    split = split_feed(body)
    assert split is not None and len(split.entries) == 2


def test_other_encodings_and_entities_are_not_split() -> None:
    body = DEMO[0].read_bytes()
    assert split_feed(body.decode().encode("utf-16")) is None
    assert split_feed(b'<!DOCTYPE rss [<!ENTITY x "y">]>' + body) is None


def test_fingerprint_round_trip() -> None:
    split = split_feed(DEMO[0].read_bytes())
    assert split is not None
    fingerprint = split.fingerprint()
    assert Fingerprint.loads(fingerprint.dumps()) == fingerprint
    assert Fingerprint.loads("not json") is None and Fingerprint.loads(None) is None


@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent (a user's clone)")
def test_corpus_reassembly_parses_alike() -> None:
    """Across the well-formed corpus: wherever a body can be split, rebuilding it from its
    parts gives the same articles, so a partial parse never changes what is stored."""
    split_count = 0
    for path in sorted((CORPORA / "feedparser" / "wellformed").rglob("*.xml")):
        body = path.read_bytes()
        split = split_feed(body)
        if split is None:
            continue
        split_count += 1
        everything = split.changed_since(Fingerprint(split.fingerprint().frame, frozenset()))
        assert everything is not None
        assert keys(everything) == keys(body), path
    assert split_count > 300
