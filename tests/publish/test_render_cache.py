"""The rendered-entry cache: a warm render equals a cold one byte for byte, renders only
the entries it has not seen, and never returns an entry for changed data."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from feedgen.util import formatRFC2822

from syndicate.models import FeedFormat
from syndicate.publish.document import FeedDocument
from syndicate.publish.feedgen_adapter import ENTRIES, HEADS, render_feed
from syndicate.publish.jsonfeed import ITEMS, render_json_feed
from syndicate.publish.render_cache import FragmentCache
from tests.publish.test_golden import document


def render(doc: FeedDocument) -> bytes:
    return render_json_feed(doc) if doc.format is FeedFormat.JSON else render_feed(doc)


def cache_of(fmt: FeedFormat) -> FragmentCache:
    return ITEMS if fmt is FeedFormat.JSON else ENTRIES


@pytest.mark.parametrize("fmt", list(FeedFormat), ids=[f.value for f in FeedFormat])
def test_a_warm_render_is_the_cold_render_and_renders_only_new_entries(fmt: FeedFormat) -> None:
    cache = cache_of(fmt)
    doc = document(fmt)
    cache.clear()
    cold = render(doc)
    assert cache.misses == len(doc.entries) and cache.hits == 0
    assert render(doc) == cold
    assert cache.misses == len(doc.entries) and cache.hits == len(doc.entries)

    # one entry changes (a corrected title): only that one is rendered again
    first = doc.entries[0]
    changed = replace(first, article=replace(first.article, title="Titolo corretto"))
    new_doc = replace(doc, entries=(changed, *doc.entries[1:]))
    warm = render(new_doc)
    assert cache.misses == len(doc.entries) + 1
    assert b"Titolo corretto" in warm and first.article.title.encode() not in warm
    cache.clear()
    assert render(new_doc) == warm  # what a cold cache renders for the same document


@pytest.mark.parametrize("fmt", list(FeedFormat), ids=[f.value for f in FeedFormat])
def test_an_entry_is_rendered_for_its_feed_language_and_topic_names(fmt: FeedFormat) -> None:
    doc = document(fmt)
    english = replace(
        doc, language="ja", topic_names={k: f"{v} (ja)" for k, v in doc.topic_names.items()}
    )
    cache_of(fmt).clear()
    render(doc)
    other = render(english)
    cache_of(fmt).clear()
    assert render(english) == other
    assert b"(ja)" in other


def test_the_cache_is_bounded_and_keeps_what_is_used() -> None:
    cache = FragmentCache(4)
    made: list[int] = []

    def make(n: int) -> bytes:
        made.append(n)
        return str(n).encode()

    for n in range(20):
        assert cache.get(n, lambda n=n: make(n)) == str(n).encode()  # type: ignore[misc]
        assert cache.get(0, lambda: make(0)) == b"0"  # used all along: never made again
    assert made.count(0) == 1 and len(made) == 20
    assert len(cache) <= 8
    with pytest.raises(ValueError):
        FragmentCache(0)


@pytest.mark.parametrize("fmt", list(FeedFormat), ids=[f.value for f in FeedFormat])
def test_archives_render_the_same_entries_without_filling_the_cache(fmt: FeedFormat) -> None:
    cache = cache_of(fmt)
    doc = document(fmt)
    cache.clear()
    archive = render(replace(doc, is_archive=True))
    assert len(cache) == 0 and cache.misses == 0
    feed = render(doc)
    start, end = (b"<entry>", b"</feed>") if fmt is FeedFormat.ATOM else (b"<item>", b"</channel>")
    if fmt is FeedFormat.JSON:
        start, end = b'"items": [', b"]\n}"
    assert (
        archive[archive.index(start) : archive.rindex(end)]
        == feed[feed.index(start) : feed.rindex(end)]
    )


@pytest.mark.parametrize("fmt", [FeedFormat.ATOM, FeedFormat.RSS], ids=["atom", "rss"])
def test_a_feed_head_from_its_template_carries_the_new_date(fmt: FeedFormat) -> None:
    doc = document(fmt)
    HEADS.clear()
    first = render(doc)
    # the newest entry changed later: the head (updated / lastBuildDate) says so
    newest = doc.entries[0]
    later = newest.last_changed + timedelta(days=3, seconds=7)
    moved = replace(doc, entries=(replace(newest, last_changed=later), *doc.entries[1:]))
    warm = render(moved)
    assert HEADS.hits == 1 and HEADS.misses == 1
    text = later.isoformat() if fmt is FeedFormat.ATOM else formatRFC2822(later)
    assert text.encode() in warm and text.encode() not in first
    assert b"1901" not in warm  # the template's stand-in date never shows
    HEADS.clear()
    ENTRIES.clear()
    assert render(moved) == warm  # what a cold render writes
