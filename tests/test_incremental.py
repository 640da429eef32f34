"""Partial parsing gives exactly the articles a full parse would give for the new entries."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.ingest.entry_split import MAX_SPLIT_BYTES, FeedSplit, Fingerprint, split_feed
from syndicate.ingest.parse import parse_feed
from syndicate.server.app import DEMO_DIR

from .conftest import CORPORA, DATA

DEMO = sorted(DEMO_DIR.glob("*.xml"))

# The splitter before issue 15 (quadratic on unterminated comments, CDATA and tags): the
# reference its replacement must agree with, cut for cut, so stored fingerprints still match.
OLD_TOKEN = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<(/?)((?:[A-Za-z_][\w.-]*:)?)(item|entry)(?=[\s/>])[^>]*>",
    re.S,
)


def old_split_feed(body: bytes) -> FeedSplit | None:
    """split_feed as it was before issue 15 (only for bodies small enough for it)."""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:512] or b"<!ENTITY" in body:
        return None
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    open_name = b""
    for match in OLD_TOKEN.finditer(body):
        if match.group(3) is None:
            continue
        name = match.group(2) + match.group(3)
        if match.group(1):
            if open_at is None or name != open_name:
                return None
            spans.append((open_at, match.end()))
            open_at = None
        else:
            if open_at is not None or match.group(0).endswith(b"/>"):
                return None
            open_at, open_name = match.start(), name
    if open_at is not None or not spans:
        return None
    gaps = [body[a_end:b_start] for (_, a_end), (b_start, _) in itertools.pairwise(spans)]
    if any(gap.strip() for gap in gaps):
        return None
    return FeedSplit(body[: spans[0][0]], tuple(body[a:b] for a, b in spans), body[spans[-1][1] :])


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


def test_same_cut_as_the_splitter_before_issue_15() -> None:
    """The one-pass splitter cuts every feed we have exactly where the regex one did, so a
    fingerprint stored before the change still matches a re-split of the same body."""
    paths = [*DEMO, *sorted((DATA / "parse").glob("*.xml"))]
    if CORPORA.is_dir():
        paths += sorted(p for p in CORPORA.rglob("*") if p.is_file())
    split_count = 0
    for path in paths:
        body = path.read_bytes()
        split = split_feed(body)
        assert split == old_split_feed(body), path
        split_count += split is not None
    assert split_count >= len(DEMO)


PIECES = [
    *(b"<", b">", b"/", b"/>", b" ", b"\n", b"x", b"-", b"]", b"!", b"a:", b"item", b"entry"),
    *(b"<!--", b"-->", b"<![CDATA[", b"]]>", b"<item", b"</item", b"<entry", b"</entry"),
    *(b"<a:item", b"</a:item", b"<b.c:entry", b"<itemx", b"<!ENTITY", b"<item>", b"</item>"),
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_same_cut_as_the_splitter_before_issue_15_on_any_tag_soup(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    assert split_feed(body) == old_split_feed(body)


def test_unterminated_comments_and_cdata_hide_nothing() -> None:
    """As before: an unterminated ``<!--`` or ``<![CDATA[`` does not hide the entries after
    it (feedparser's lenient parse reads them too), and an unterminated tag is no tag."""
    items = b"<item><title>a</title></item><item><title>b</title></item>"
    for opener in (b"<!--", b"<![CDATA["):
        split = split_feed(RSS % (opener * 100 + items))
        assert split is not None and len(split.entries) == 2
        assert split == old_split_feed(RSS % (opener * 100 + items))
    split = split_feed(RSS % items + b"<item " * 100)
    assert split is not None and split.tail.endswith(b"<item " * 100)


def test_bodies_over_the_size_limit_are_parsed_whole() -> None:
    body = DEMO[0].read_bytes()
    at_limit = body + b"\n" * (MAX_SPLIT_BYTES - len(body))
    assert len(at_limit) == MAX_SPLIT_BYTES and split_feed(at_limit) is not None
    assert split_feed(at_limit + b" ") is None
