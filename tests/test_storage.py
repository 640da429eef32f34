"""The same storage suite on SQLite and (with SYNDICATE_TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from syndicate.ingest.parse import article_hash
from syndicate.models import (
    ArchivePage,
    Article,
    FeedChanges,
    Mention,
    RoutedArticle,
    SourceUpdate,
    TopicReason,
)
from syndicate.storage import SqlStorage, open_storage
from syndicate.storage import articles as articles_module
from syndicate.storage.database import (
    HEAD_REVISION,
    create_engine,
    current_revision,
    head_revision,
    upgrade,
)
from syndicate.storage.schema import metadata

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def article(
    guid: str,
    title: str = "Title",
    *,
    source: str = "s1",
    lang: str = "en",
    published: datetime | None = NOW,
) -> Article:
    a = Article(
        source_id=source,
        guid=guid,
        link=f"https://example.org/{guid}",
        title=title,
        summary="<p>sum</p>",
        content="<p>body</p>",
        authors=("Ada",),
        categories=("energy",),
        published=published,
        updated=None,
        language=lang,
    )
    return replace(a, content_hash=article_hash(a))


def ok(at: datetime = NOW, etag: str | None = '"v1"', body: str | None = "abc") -> SourceUpdate:
    """A successful poll at ``at`` that saw a new body."""
    return SourceUpdate(
        last_polled_at=at,
        next_poll_at=at + timedelta(minutes=15),
        last_status=200,
        validators=(etag, "Sun, 01 Nov 2026 12:00:00 GMT", body),
    )


def test_migrations_build_exactly_the_schema(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision() == HEAD_REVISION  # the constant kept up
        assert upgrade(engine) == head_revision()  # idempotent, and without Alembic
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_sqlite_uses_wal(sqlite_url: str) -> None:
    store = open_storage(sqlite_url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_sync_sources_inserts_and_resets_on_url_change(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True), ("s2", "http://b/feed", None, True)])
    storage.record_poll("s1", ok())
    storage.sync_sources([("s1", "http://a/feed", "en", True), ("s2", "http://b/feed", "it", True)])
    s1, s2 = storage.source_states()
    assert (s1.etag, s1.language, s2.language) == ('"v1"', "en", "it")
    storage.sync_sources([("s1", "http://a/moved", "en", True)])
    (s1,) = storage.source_states(["s1"])
    assert (s1.url, s1.etag, s1.last_modified, s1.next_poll_at) == (
        "http://a/moved",
        None,
        None,
        None,
    )


def _writes(storage: SqlStorage) -> list[str]:
    """Collects the INSERT and UPDATE statements the storage's engine sends from now on."""
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            seen.append(statement)

    sa.event.listen(storage.engine, "before_cursor_execute", note)
    return seen


def test_sync_sources_writes_only_what_the_config_changed(storage: SqlStorage) -> None:
    configured = [("s1", "http://a/feed", "en", True), ("s2", "http://b/feed", None, True)]
    storage.sync_sources(configured)
    writes = _writes(storage)
    storage.sync_sources(configured)  # every start and reload does this
    assert writes == []
    storage.sync_sources([("s1", "http://a/feed", "it", True)])  # s2 dropped, s1 changed
    assert len(writes) == 2
    states = {s.id: s for s in storage.source_states()}
    assert (states["s1"].language, states["s2"].enabled) == ("it", False)
    writes.clear()
    storage.sync_sources([("s1", "http://a/feed", "it", True)])  # s2 is disabled already
    assert writes == []


def test_record_polls_stores_a_batch_and_ends_only_the_owners_leases(
    storage: SqlStorage,
) -> None:
    ids = [f"s{i}" for i in range(4)]
    storage.sync_sources([(i, f"http://h/{i}", None, True) for i in ids])
    lease = NOW + timedelta(minutes=5)
    storage.claim_due("a", now=NOW, lease_until=lease, limit=3)  # s0, s1, s2
    storage.claim_due("b", now=NOW, lease_until=lease, limit=1)  # s3
    later = NOW + timedelta(minutes=15)
    failed = SourceUpdate(NOW, later, 503, 1, last_error_kind="http", last_error="HTTP 503")
    writes = _writes(storage)
    storage.record_polls(
        [
            ("s0", ok()),  # a new body's validators
            ("s1", SourceUpdate(NOW, later, 304)),
            ("s2", failed),
            ("s3", SourceUpdate(NOW, later, 304)),  # another worker's lease
        ],
        owner="a",
    )
    assert len(writes) == 2  # an executemany per set of columns: with validators, without
    states = {s.id: s for s in storage.source_states()}
    assert (states["s0"].etag, states["s0"].body_hash, states["s0"].lease_owner) == (
        '"v1"',
        "abc",
        None,
    )
    assert (states["s1"].last_status, states["s1"].next_poll_at) == (304, later)
    assert (states["s2"].error_count, states["s2"].last_error) == (1, "HTTP 503")
    assert [states[i].lease_owner for i in ids] == [None, None, None, "b"]
    assert states["s3"].last_status == 304  # recorded, but b's lease is b's to end
    storage.record_polls([], owner="a")  # nothing to write: no transaction either
    assert len(writes) == 2


def test_upsert_inserts_updates_and_never_duplicates(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    routed = [
        RoutedArticle(article("g1"), (("energy", TopicReason.CATEGORY),)),
        RoutedArticle(article("g2")),
    ]
    first = storage.upsert_articles("s1", routed, NOW)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = storage.upsert_articles("s1", routed, NOW + timedelta(minutes=5))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = [RoutedArticle(article("g1", "New title"), (("energy", TopicReason.KEYWORD),))]
    later = NOW + timedelta(hours=1)
    third = storage.upsert_articles("s1", changed, later)
    assert (third.inserted, third.updated) == (0, 1)
    assert storage.count_articles() == 2
    assert storage.duplicate_guids() == []
    (g1,) = [a for a in storage.articles_for_feed("en", None, 10) if a.article.guid == "g1"]
    assert g1.article.title == "New title"
    assert g1.first_seen == NOW and g1.last_changed == later
    assert g1.topics == ("energy",)


def test_same_entry_twice_in_one_feed_is_stored_once(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    result = storage.upsert_articles(
        "s1", [RoutedArticle(article("g")), RoutedArticle(article("g", "dup"))], NOW
    )
    assert result.inserted == 1
    assert storage.count_articles() == 1


def test_an_entry_that_leaves_the_feed_is_kept(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    storage.upsert_articles(
        "s1", [RoutedArticle(article("old")), RoutedArticle(article("new"))], NOW
    )
    storage.upsert_articles("s1", [RoutedArticle(article("new"))], NOW + timedelta(hours=1))
    assert storage.count_articles("s1") == 2


def test_same_guid_in_two_sources_is_two_articles(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True), ("s2", "http://b/feed", "en", True)])
    storage.upsert_articles("s1", [RoutedArticle(article("g", source="s1"))], NOW)
    storage.upsert_articles("s2", [RoutedArticle(article("g", source="s2"))], NOW)
    assert storage.count_articles() == 2


def test_record_poll_saves_validators_with_the_articles(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    result = storage.record_poll("s1", ok(), routed=[RoutedArticle(article("g1"))])
    assert result.inserted == 1
    (state,) = storage.source_states()
    assert (state.etag, state.body_hash, state.last_status) == ('"v1"', "abc", 200)
    due = NOW + timedelta(minutes=15)
    assert (state.last_polled_at, state.next_poll_at, state.article_count) == (NOW, due, 1)
    # a 304 keeps the validators it did not replace
    not_modified = SourceUpdate(last_polled_at=due, next_poll_at=due, last_status=304)
    storage.record_poll("s1", not_modified)
    (state,) = storage.source_states()
    assert (state.etag, state.body_hash, state.last_status) == ('"v1"', "abc", 304)


def test_failed_article_write_does_not_save_validators(storage: SqlStorage) -> None:
    """If storing the articles fails, the ETag must not be saved: a 304 would hide them forever."""
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    broken = replace(article("g1"), content_hash=None)  # type: ignore[arg-type]  # NOT NULL
    with pytest.raises(sa.exc.IntegrityError):
        storage.record_poll(
            "s1", ok(), routed=[RoutedArticle(article("g0")), RoutedArticle(broken)]
        )
    (state,) = storage.source_states()
    assert (state.etag, state.body_hash, state.article_count) == (None, None, 0)


def test_failures_are_recorded_and_keep_articles(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    storage.record_poll("s1", ok(), routed=[RoutedArticle(article("g"))])
    failed = SourceUpdate(
        last_polled_at=NOW,
        next_poll_at=NOW,
        last_status=500,
        error_count=2,
        last_error_kind="http",
        last_error="HTTP 500",
    )
    storage.record_poll("s1", failed)
    (state,) = storage.source_states()
    assert (state.error_count, state.last_error, state.last_status) == (2, "HTTP 500", 500)
    assert state.last_error_kind == "http"
    assert state.etag == '"v1"' and state.article_count == 1


def test_sources_left_out_of_the_config_are_kept_but_disabled(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True), ("s2", "http://b/feed", "en", True)])
    storage.record_poll("s2", ok(), routed=[RoutedArticle(article("g", source="s2"))])
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    states = {s.id: s for s in storage.source_states()}
    assert states["s2"].enabled is False and states["s2"].article_count == 1
    claimed = storage.claim_due("w", now=NOW, lease_until=NOW + timedelta(minutes=5), limit=10)
    assert [s.id for s in claimed] == ["s1"]


def test_claims_respect_due_times_leases_retry_after_and_disabling(storage: SqlStorage) -> None:
    ids = [f"s{i}" for i in range(6)]
    storage.sync_sources([(i, f"http://h/{i}", None, True) for i in ids])
    later = NOW + timedelta(hours=1)
    storage.record_poll("s1", SourceUpdate(NOW, later, 200))  # not due until later
    storage.record_poll("s2", SourceUpdate(NOW, NOW, 429, 1, retry_until=later))
    storage.record_poll("s3", SourceUpdate(NOW, NOW, 410, 1, disabled_reason="410 Gone"))
    lease = NOW + timedelta(minutes=5)
    first = storage.claim_due("a", now=NOW, lease_until=lease, limit=2)
    assert [s.id for s in first] == ["s0", "s4"]
    assert all(s.lease_owner == "a" and s.lease_until == lease for s in first)
    second = storage.claim_due("b", now=NOW, lease_until=lease, limit=10)
    assert [s.id for s in second] == ["s5"]  # s0, s4 are leased; s1-s3 are not due
    forced = storage.claim_due("c", now=NOW, lease_until=lease, limit=10, force=True)
    assert [s.id for s in forced] == ["s1"]  # force skips due times, never Retry-After or 410
    # a lease that expired (its worker died) is claimed again
    expired = storage.claim_due("d", now=lease + timedelta(seconds=1), lease_until=later, limit=10)
    assert [s.id for s in expired] == ["s0", "s4", "s5"]
    # recording a poll ends the lease, only its owner's (one statement with the poll)
    storage.record_poll("s4", SourceUpdate(NOW, later, 200), owner="someone-else")
    assert {s.id: s.lease_owner for s in storage.source_states()}["s4"] == "d"
    storage.record_poll("s0", SourceUpdate(NOW, later, 200), owner="d")
    (s0,) = storage.source_states(["s0"])
    assert (s0.lease_owner, s0.lease_until, s0.next_poll_at) == (None, None, later)
    # releasing gives back the rest
    storage.release_leases("d")
    assert {s.id: s.lease_owner for s in storage.source_states()}["s4"] is None
    assert all(s.lease_owner is None for s in storage.source_states() if s.id != "s1")


def test_enable_source_clears_disabling(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    storage.record_poll("s1", SourceUpdate(NOW, NOW, 410, 1, disabled_reason="410 Gone"))
    assert storage.enable_source("s1") and not storage.enable_source("nope")
    (state,) = storage.source_states()
    assert (state.disabled_reason, state.error_count, state.next_poll_at) == (None, 0, None)


def test_publishing_dates(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    storage.upsert_articles(
        "s1",
        [
            RoutedArticle(article("a", published=NOW - timedelta(days=1))),
            RoutedArticle(article("b", published=NOW - timedelta(days=90))),
            RoutedArticle(article("c", published=None)),
        ],
        NOW,
    )
    dates = storage.publishing_dates("s1", NOW - timedelta(days=30))
    assert sorted(dates) == [NOW - timedelta(days=1), NOW]  # c counts from when first seen
    assert all(d.tzinfo is UTC for d in dates)


def test_articles_for_feed_filters_and_orders(storage: SqlStorage) -> None:
    storage.sync_sources([("s1", "http://a/feed", None, True)])
    routed = [
        RoutedArticle(
            article("old", published=NOW - timedelta(days=2)), (("energy", TopicReason.SOURCE),)
        ),
        RoutedArticle(article("new", published=NOW), (("energy", TopicReason.CATEGORY),)),
        RoutedArticle(article("mid", published=NOW - timedelta(days=1))),
        RoutedArticle(article("undated", published=None)),
        RoutedArticle(article("italian", lang="it"), (("energy", TopicReason.CATEGORY),)),
    ]
    storage.upsert_articles("s1", routed, NOW - timedelta(days=10))
    everything = [a.article.guid for a in storage.articles_for_feed("en", None, 10)]
    assert everything == ["new", "mid", "old", "undated"]  # undated sorts by first_seen
    assert [a.article.guid for a in storage.articles_for_feed("en", "energy", 10)] == ["new", "old"]
    assert [a.article.guid for a in storage.articles_for_feed("en", None, 2)] == ["new", "mid"]
    assert [a.article.guid for a in storage.articles_for_feed("it", None, 10)] == ["italian"]
    (stored,) = storage.articles_for_feed("it", None, 10)
    assert stored.article.published == NOW and stored.article.published.tzinfo is UTC
    assert stored.article.authors == ("Ada",) and stored.article.categories == ("energy",)


def test_feed_hashes(storage: SqlStorage) -> None:
    assert storage.feed_hashes() == {}
    storage.save_feed_hash(("en", "all", "atom"), "h1", NOW)
    storage.save_feed_hash(("en", "all", "atom"), "h2", NOW)
    storage.save_feed_hash(("it", "energy", "rss"), "h3", NOW)
    assert storage.feed_hashes() == {("en", "all", "atom"): "h2", ("it", "energy", "rss"): "h3"}


def test_missing_archives(storage: SqlStorage) -> None:
    feeds = [("it", "all", "atom"), ("en", "energy", "rss")]
    months = ["2026-08", "2026-09", "2026-10"]
    assert len(storage.missing_archives(feeds, months)) == 6
    for month in months:
        storage.save_archive(("it", "all", "atom", month), "h", NOW)
    storage.save_archive(("en", "energy", "rss", "2026-09"), "h", NOW)
    storage.save_archive(("en", "energy", "rss", "2026-07"), "h", NOW)  # before the window
    storage.save_archive(("ja", "all", "json", "2026-08"), "h", NOW)  # not asked about
    assert storage.missing_archives(feeds, months) == {
        ("en", "energy", "rss", "2026-08"),
        ("en", "energy", "rss", "2026-10"),
    }
    assert storage.missing_archives(feeds, []) == set() == storage.missing_archives([], months)


def test_streaming_a_month_reads_every_article_once_in_key_order(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small batches and groups, so that the keyset paging and size grouping both turn."""
    monkeypatch.setattr(articles_module, "STREAM_BATCH", 3)
    monkeypatch.setattr(articles_module, "STREAM_CHARS", 40)
    storage.sync_sources([("s1", "http://a/feed", None, True)])
    september = datetime(2026, 9, 1, tzinfo=UTC)
    same = september + timedelta(days=3)  # several articles at one instant: ids break ties
    routed = [
        RoutedArticle(
            article(f"a{i}", published=same if i % 3 == 0 else september + timedelta(hours=7 * i)),
            (("energy", TopicReason.CATEGORY),) if i % 2 else (),
        )
        for i in range(11)
    ]
    routed.append(RoutedArticle(article("october", published=datetime(2026, 10, 1, tzinfo=UTC))))
    routed.append(RoutedArticle(article("august", published=september - timedelta(seconds=1))))
    storage.upsert_articles("s1", routed, NOW)
    span = {"since": september, "before": datetime(2026, 10, 1, tzinfo=UTC)}
    streamed = list(storage.stream_articles_for_feed(["en"], None, **span))
    keys = [(s.sort_date, s.id) for s in streamed]
    assert keys == sorted(keys) and len(set(keys)) == 11
    assert {s.article.guid for s in streamed} == {f"a{i}" for i in range(11)}
    energy = [s.article.guid for s in storage.stream_articles_for_feed(["en"], "energy", **span)]
    assert sorted(energy) == sorted(f"a{i}" for i in range(11) if i % 2)
    # A span of keys: after the 4th, up to and including the 8th.
    middle = storage.stream_articles_for_feed(["en"], None, after=keys[3], upto=keys[7], **span)
    assert [(s.sort_date, s.id) for s in middle] == keys[4:8]
    assert list(storage.stream_articles_for_feed(["it"], None, **span)) == []
    # Mentions come with every article, but those in the language asked to go without.
    mention = Mention("storage", "energy storage", "preferred", False, 1)
    storage.upsert_articles(
        "s1",
        [
            RoutedArticle(article("it1", lang="it", published=same), mentions=(mention,)),
            RoutedArticle(article("en1", published=same), mentions=(mention,)),
        ],
        NOW,
    )
    both = {
        s.article.guid: s.mentions
        for s in storage.stream_articles_for_feed(["it", "en"], None, **span)
        if s.article.guid in ("it1", "en1")
    }
    assert both == {"it1": (mention,), "en1": (mention,)}
    lean = {
        s.article.guid: s.mentions
        for s in storage.stream_articles_for_feed(
            ["it", "en"], None, without_mentions_in="en", **span
        )
        if s.article.guid in ("it1", "en1")
    }
    assert lean == {"it1": (mention,), "en1": ()}


def test_archive_pages_are_recorded_once(storage: SqlStorage) -> None:
    first = ArchivePage("it", "all", "2026-09", 1, 4, (NOW, 7), True)
    assert storage.record_archive_page(first, NOW) == first
    other = ArchivePage("it", "all", "2026-09", 1, 2, (NOW, 3), False)
    assert storage.record_archive_page(other, NOW) == first  # the first record stands
    empty = ArchivePage("it", "all", "2026-10", 1, 0, None, False)
    assert storage.record_archive_page(empty, NOW) == empty
    assert storage.archive_pages("it", "all", "2026-09") == [first]
    storage.save_archive(("it", "all", "atom", "2026-09"), "h", NOW, pages=3)
    storage.save_archive(("it", "all", "atom", "2026-10"), "h", NOW)
    assert storage.archive_page_counts(["2026-09", "2026-10"]) == {
        ("it", "all", "atom", "2026-09"): 3,
        ("it", "all", "atom", "2026-10"): 1,
    }


def test_concurrent_writers_do_not_duplicate(database_url: str) -> None:
    """Two workers storing the same entries at once: each guid is stored exactly once."""
    stores = [open_storage(database_url) for _ in range(2)]
    try:
        stores[0].sync_sources([("s1", "http://a/feed", "en", True)])
        routed = [
            RoutedArticle(article(f"g{i}"), (("energy", TopicReason.CATEGORY),)) for i in range(60)
        ]
        errors: list[BaseException] = []

        def write(store: SqlStorage) -> None:
            try:
                for _ in range(3):
                    store.upsert_articles("s1", routed, NOW)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert stores[0].count_articles() == 60
        assert stores[0].duplicate_guids() == []
    finally:
        for s in stores:
            s.close()


def test_the_change_log_names_the_topics_changed_since_a_node_last_looked(
    storage: SqlStorage,
) -> None:
    storage.sync_sources([("s1", "http://a/feed", "en", True)])
    start = storage.feed_changes_since(None)
    assert start.topics is None  # a node that knows nothing checks every feed
    assert storage.feed_changes_since(start.latest) == FeedChanges(start.latest, frozenset())
    routed = [RoutedArticle(article("g1"), (("energy", TopicReason.CATEGORY),))]
    storage.upsert_articles("s1", routed, NOW)
    storage.upsert_articles("s1", routed, NOW)  # unchanged: no change noted
    storage.upsert_articles(
        "s1", [RoutedArticle(article("g2"), (("ai", TopicReason.KEYWORD),))], NOW
    )
    changes = storage.feed_changes_since(start.latest)
    assert changes == FeedChanges(start.latest + 2, frozenset({"energy", "ai"}))
    storage.note_feed_change(None, NOW)  # a glossary change: any feed
    assert storage.feed_changes_since(changes.latest).topics is None
    assert storage.feed_changes_since(changes.latest + 1) == FeedChanges(
        changes.latest + 1, frozenset()
    )
    # a node whose state names a later change than the database knows (another database)
    assert storage.feed_changes_since(changes.latest + 50).topics is None


def test_the_change_log_is_trimmed_and_a_node_left_behind_checks_every_feed(
    storage: SqlStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syndicate.storage import changes as changes_module

    monkeypatch.setattr(changes_module, "KEEP_CHANGES", 10)
    monkeypatch.setattr(changes_module, "_TRIM_EVERY", 5)
    for _ in range(30):
        storage.note_feed_change(["energy"], NOW)
    latest = storage.feed_changes_since(None).latest
    assert storage.feed_changes_since(latest - 3).topics == {"energy"}
    assert storage.feed_changes_since(latest - 25).topics is None  # trimmed away


def test_changes_from_concurrent_writers_are_numbered_in_commit_order(
    storage: SqlStorage,
) -> None:
    """Numbers come from one locked row: whoever reads up to N has seen every change up to N,
    so a reader never skips one that committed late."""
    before = storage.feed_changes_since(None).latest
    errors: list[BaseException] = []

    def writer(topic: str) -> None:
        try:
            for _ in range(20):
                storage.note_feed_change([topic], NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = storage.feed_changes_since(before)
    assert final.latest == before + 80
    assert final.topics == {"t0", "t1", "t2", "t3"}
