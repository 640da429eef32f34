"""The one decision of which entries are new, changed or the same (a poll, sources check)."""

from __future__ import annotations

from syndicate.ingest.entry_changes import EntryChange, compare_entries
from syndicate.models import Article


def article(guid: str, text: str) -> Article:
    # the parser hashes the fields that matter; the text stands for them here
    return Article("s", guid, None, f"Title {guid}", text, text, content_hash=f"h:{text}")


def test_entries_are_new_changed_or_same_against_the_stored_hashes() -> None:
    old = article("b", "before")
    stored = {"b": old.content_hash, "c": article("c", "kept").content_hash}
    feed = [article("a", "new"), article("b", "after"), article("c", "kept")]
    compared = compare_entries(feed, stored)
    assert [(c.article.guid, c.change) for c in compared] == [
        ("a", EntryChange.NEW),
        ("b", EntryChange.CHANGED),
        ("c", EntryChange.SAME),
    ]


def test_a_repeated_entry_counts_once_the_first_time_as_storage_keeps_it() -> None:
    compared = compare_entries([article("a", "one"), article("a", "two")], {})
    assert [(c.article.summary, c.change) for c in compared] == [("one", EntryChange.NEW)]


def test_entries_are_compared_as_they_would_be_stored() -> None:
    # storage makes every article safe first (a javascript: link dropped): what is
    # compared, routed and stored is that article
    raw = Article("s", "x", "javascript:alert(1)", "T", "text", "text", content_hash="h")
    (first,) = compare_entries([raw], {})
    assert first.article.link is None
    (again,) = compare_entries([raw], {"x": first.article.content_hash})
    assert again.change is EntryChange.SAME
