"""What the pipeline needs from a database, one Protocol per domain, each implemented by
the mixin of the same domain (named in its docstring); :class:`Storage` is all of them, as
:class:`~syndicate.storage.SqlStorage` implements it. Every method raises StorageError
when the database fails for a reason that is not a bug (unreachable, locked past the
timeout).

Each method's contract is written here, and only here: a mixin names its Protocol as a base
(so mypy checks every signature against it, and ``help()`` shows these docstrings on the
mixin's methods), and its methods say how in comments, not what again in docstrings.

A function that needs one domain can ask for that Protocol alone. A public method added to
a mixin belongs in its Protocol too (tests/test_storage_protocols.py checks that they match).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from syndicate.models import (
    ArchivePage,
    FeedChanges,
    Mention,
    RoutedArticle,
    SourceState,
    SourceUpdate,
    StoredArticle,
    Translation,
    TranslationJob,
    TranslationStatus,
    UpsertResult,
    WorkerCycle,
)

__all__ = [
    "ArticleStorage",
    "BaseStorage",
    "ChangeStorage",
    "ConfiguredSource",
    "EngineStateStorage",
    "FeedStorage",
    "SourceStorage",
    "Storage",
    "TranslationStorage",
    "WorkerStorage",
]

#: (id, url, language, enabled) of a configured source
ConfiguredSource = tuple[str, str, str | None, bool]


class BaseStorage(Protocol):
    """The connection itself.
    Implemented by ``common.py``'s StoreBase."""

    def close(self) -> None: ...

    def ping(self) -> None:
        """Raise StorageError unless the database answers."""


class SourceStorage(Protocol):
    """Sources: kept in step with the config, claimed for polling, a poll's outcome stored.
    Implemented by ``sources.py``'s SourceStore."""

    def sync_sources(self, configured: Iterable[ConfiguredSource]) -> None:
        """Make the rows match the config: one per (id, url, language, enabled). A changed URL
        starts the source afresh (validators, errors, redirects, disabling); a source no longer
        configured is kept, with its articles, but disabled."""

    def source_states(
        self, ids: Iterable[str] | None = None, *, counts: bool = True
    ) -> list[SourceState]:
        """Every source (or those in ``ids``), ordered by id; article counts unless told not."""

    def claim_due(
        self,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        limit: int,
        force: bool = False,
        only: Sequence[str] | None = None,
        not_polled_since: datetime | None = None,
    ) -> list[SourceState]:
        """Lease up to ``limit`` due sources to ``owner`` and return them, ordered by id; no two
        owners get the same one. Due: enabled, not disabled, past any Retry-After, not leased by a
        live worker, and past its next poll time (any time with ``force``); ``only`` limits the
        claim to those ids; ``not_polled_since`` keeps one cycle from polling a source twice."""

    def record_poll(
        self,
        source_id: str,
        update: SourceUpdate,
        *,
        owner: str | None = None,
        routed: Sequence[RoutedArticle] = (),
        routing_version: str = "",
    ) -> UpsertResult:
        """Store one poll's outcome and its routed articles in ONE transaction, and end ``owner``'s
        lease. New validators (ETag, Last-Modified, body hash) are saved only together with the
        articles of that body: if the process dies before commit, neither is saved and the next poll
        fetches the body again, so no article is ever hidden behind a 304."""

    def record_polls(
        self, polls: Sequence[tuple[str, SourceUpdate]], *, owner: str | None = None
    ) -> None:
        """Store the outcomes of polls that brought no article (a 304, the same body, a failure) in
        ONE transaction, ending ``owner``'s leases: a group commit."""

    def enable_source(self, source_id: str) -> bool:
        """Undo a disabling (e.g. after 410 Gone): the source is due at once. False if unknown."""

    def publishing_dates(self, source_id: str, since: datetime) -> list[datetime]:
        """When the source's articles since ``since`` appeared (published, else first seen)."""


class ArticleStorage(Protocol):
    """Articles as feeds read them, and rerouting them.
    Implemented by ``articles.py``'s ArticleStore."""

    def articles_for_feed(
        self,
        language: str | Sequence[str],
        topic: str | None,
        limit: int | None,
        *,
        since: datetime | None = None,
        before: datetime | None = None,
        exclude_topics: Sequence[str] = (),
    ) -> list[StoredArticle]:
        """The newest ``limit`` articles (None: all) in ``language``, newest first by sort date
        (published, else updated, else first seen). ``language`` is one language, or several (a feed
        that shows other languages' articles); ``topic`` (None: any) keeps a topic's articles;
        ``since``/``before`` bound the sort date (an archive's month); articles in any of
        ``exclude_topics`` are left out (private topics' articles, for public feeds)."""

    def oldest_article_date(self, languages: Sequence[str]) -> datetime | None:
        """The earliest sort date (published, else updated, else first seen) among the articles in
        ``languages``; None when they have none."""

    def stream_articles_for_feed(
        self,
        languages: Sequence[str],
        topic: str | None,
        *,
        since: datetime,
        before: datetime,
        after: tuple[datetime, int] | None = None,
        upto: tuple[datetime, int] | None = None,
        exclude_topics: Sequence[str] = (),
        without_mentions_in: str | None = None,
    ) -> Iterator[StoredArticle]:
        """The articles of a sort-date span (an archive's month), oldest first (sort date, then id),
        with the same filters as :meth:`articles_for_feed`; ``after``/``upto`` bound the (sort date,
        id) keys: after one, up to and including the other. Articles in ``without_mentions_in`` come
        without their mentions (which only glosses read). Read in bounded batches, each on its own
        short connection: memory holds one batch whatever the span holds, and no read holds the
        database while the caller renders."""

    def articles_to_reroute(self, routing_version: str, limit: int) -> list[StoredArticle]:
        """Up to ``limit`` articles whose topics and mentions were computed for another routing
        version, in the order of their ids."""

    def reroute(self, items: Sequence[tuple[int, RoutedArticle]], routing_version: str) -> None:
        """Replace stored articles' topics and mentions, stamping ``routing_version``."""

    def mentions_with_status(self, status: str, limit: int = 200) -> list[tuple[str, str, Mention]]:
        """(source id, article title, mention) of mentions with ``status``, newest first."""

    def count_articles(self, source_id: str | None = None) -> int: ...

    def article_hashes(self, source_id: str, guids: Sequence[str]) -> dict[str, str]:
        """guid -> content hash of the stored articles among ``guids``."""


class TranslationStorage(Protocol):
    """The translation job queue and its results.
    Implemented by ``translations.py``'s TranslationStore."""

    def queue_translations(
        self,
        targets: Sequence[str],
        fields_of: Mapping[str, tuple[str, ...]],
        engine: str,
        glossary_version: str,
        now: datetime,
        limit: int = 1000,
    ) -> int:
        """(Re)queue as pending each article that needs translating into a target and has no row, or
        whose row was made for other content, fields, engine or glossary; newest articles first,
        ``limit`` at most per call. ``fields_of``: source id -> fields to translate; a source
        missing from it, or with no fields, is not translated. Returns how many rows were
        (re)queued."""

    def claim_translations(
        self, owner: str, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[TranslationJob]:
        """Lease up to ``limit`` due pending translations to ``owner``, newest articles first."""

    def save_translation(
        self, job: TranslationJob, done: Translation, owner: str, now: datetime
    ) -> bool:
        """Store a finished translation, unless the article changed meanwhile: then the job stays
        pending for the new content and False is returned."""

    def postpone_translation(
        self,
        job: TranslationJob,
        owner: str,
        *,
        kind: str,
        error: str,
        next_attempt_at: datetime | None,
        now: datetime,
        attempt: bool = True,
        give_up: bool = False,
    ) -> None:
        """Leave a job pending (or failed, with ``give_up``) with its reason, due again at
        ``next_attempt_at``; ``attempt``: whether it counts as a failed attempt (a budget cap or an
        open circuit does not)."""

    def retry_translations(self, status: TranslationStatus = TranslationStatus.FAILED) -> int:
        """Make the translations with ``status`` pending again, due now, with no attempts counted;
        returns how many."""

    def translations_for(self, article_ids: Sequence[int], target: str) -> dict[int, Translation]:
        """The done translations into ``target`` of these articles that match their current content
        (a changed article's old translation is not used)."""

    def translation_rows(
        self, statuses: Iterable[str], limit: int = 200
    ) -> list[tuple[str, str, Translation]]:
        """(source id, article title, translation) with one of ``statuses``, newest first."""

    def translation_counts(self) -> dict[tuple[str, str], int]:
        """(target language, status) -> count."""


class EngineStateStorage(Protocol):
    """What the translation engines keep: segment cache, usage, remote glossaries.
    Implemented by ``engine_state.py``'s EngineStateStore."""

    def cached_segments(self, keys: Sequence[str]) -> dict[str, str]:
        """Cache key -> translated segment, for the keys the cache holds."""

    def cache_segments(
        self, entries: Sequence[tuple[str, str, str, str, str, int]], now: datetime
    ) -> None:
        """Store (key, engine, source lang, target lang, text, chars) segments; a key already there
        (another worker's) is kept."""

    def record_usage(
        self, engine: str, source_id: str, day: date, chars: int, tokens: int, requests: int
    ) -> None:
        """Add to an engine's spending for a source and UTC day."""

    def usage(
        self, engine: str | None = None, since: date | None = None
    ) -> list[tuple[str, str, date, int, int, int]]:
        """(engine, source, day, chars, tokens, requests), newest day first."""

    def chars_used(self, engine: str, since: date) -> int:
        """Characters sent to the engine since a UTC day, all sources."""

    def remote_glossary(self, engine: str, source: str, target: str) -> tuple[str, str] | None:
        """(version, remote id) of an engine's glossary for a language pair; None if there is
        none."""

    def save_remote_glossary(
        self, engine: str, source: str, target: str, version: str, remote_id: str, now: datetime
    ) -> None: ...


class FeedStorage(Protocol):
    """Publishing: what each feed was last written with, archives, WebSub pings.
    Implemented by ``feeds.py``'s FeedStore."""

    def feed_hashes(self) -> dict[tuple[str, str, str], str]:
        """(lang, topic, format) -> hash of the content last published (by any node)."""

    def first_published(
        self, key: tuple[str, str, str], content_hash: str, now: datetime
    ) -> datetime:
        """When the feed ``key`` first held ``content_hash``, as every node agrees: ``now`` unless a
        node recorded that hash already (then its time stays)."""

    def save_feed_hash(
        self, key: tuple[str, str, str], content_hash: str, now: datetime
    ) -> None: ...

    def save_feed_hashes(
        self, items: Sequence[tuple[tuple[str, str, str], str]], now: datetime
    ) -> None:
        """Record what each of several feeds was last written with, in one transaction."""

    def missing_archives(
        self, feeds: Sequence[tuple[str, str, str]], months: Sequence[str]
    ) -> set[tuple[str, str, str, str]]:
        """(lang, topic, format, "YYYY-MM") of the archive documents among ``feeds`` x
        ``months`` not written yet."""

    def save_archive(
        self, key: tuple[str, str, str, str], content_hash: str, now: datetime, pages: int = 1
    ) -> None:
        """Mark a month's archive (all its ``pages``) written in one format."""

    def archive_page_counts(self, months: Sequence[str]) -> dict[tuple[str, str, str, str], int]:
        """(lang, topic, format, month) -> pages, of the archives written in ``months``."""

    def archive_pages(self, lang: str, topic: str, month: str) -> list[ArchivePage]:
        """The pages recorded for a feed's month, in order."""

    def record_archive_page(self, page: ArchivePage, now: datetime) -> ArchivePage:
        """Record a page before its files are written, unless that page is recorded already: then
        the recorded one (another writer got there first) is returned, to be written as it says."""

    def queue_pings(self, hub: str, feed_urls: Iterable[str], now: datetime) -> None:
        """Ask for one WebSub publish ping per feed URL (one pending ping per feed: a feed that
        changes again before its ping went out is pinged once)."""

    def due_pings(self, now: datetime, limit: int = 100) -> list[tuple[str, str, int]]:
        """(feed url, hub, attempts so far) of the pings due now."""

    def ping_sent(self, feed_url: str, queued_before: datetime) -> None:
        """Drop a ping once sent (unless the feed was queued again after the send began)."""

    def ping_failed(self, feed_url: str, error: str, next_attempt_at: datetime) -> None: ...

    def pending_pings(self) -> list[tuple[str, str, int, str | None]]:
        """(feed url, hub, attempts, last error) of the pings not yet sent."""


class WorkerStorage(Protocol):
    """Workers: their last cycles, the leases they hold.
    Implemented by ``workers.py``'s WorkerStore."""

    def record_cycle(self, cycle: WorkerCycle) -> None:
        """Keep the worker's last cycle in place of its previous one (a failed cycle keeps the time
        of the last good one)."""

    def worker_cycles(self) -> list[WorkerCycle]:
        """Every worker's last cycle, the most recent first."""

    def leased_sources(self, now: datetime) -> list[tuple[str, str, datetime]]:
        """(source id, owner, lease end) of the sources whose lease runs past ``now``."""

    def lease_owners(self) -> set[str]:
        """Every owner that holds a source or translation lease."""

    def release_leases(self, owner: str) -> None:
        """Give back every source and translation job ``owner`` holds (a clean shutdown)."""


class ChangeStorage(Protocol):
    """The change log every node publishes from.
    Implemented by ``changes.py``'s ChangeStore."""

    def note_feed_change(self, topics: Collection[str] | None, now: datetime) -> int:
        """Note that the feeds of ``topics`` (None: any feed) changed; the change's number.
        Storing articles and translations notes their changes themselves."""

    def feed_changes_since(self, after: int | None) -> FeedChanges:
        """The latest change's number and the topics changed after ``after`` (None: a node that
        knows none); the topics are None when any feed may have changed (a change that said so, a
        node that knows none, or one so far behind that the log was trimmed)."""


class Storage(
    BaseStorage,
    SourceStorage,
    ArticleStorage,
    TranslationStorage,
    EngineStateStorage,
    FeedStorage,
    WorkerStorage,
    ChangeStorage,
    Protocol,
):
    """Everything the pipeline needs from a database: every domain's Protocol. Implemented by
    :class:`~syndicate.storage.SqlStorage`."""
