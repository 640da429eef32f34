"""Plain records that cross module borders. No ORM rows, no feedparser dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "Article",
    "Enclosure",
    "FeedChanges",
    "FeedFormat",
    "FeedKey",
    "FeedSpec",
    "FetchResult",
    "Mention",
    "RoutedArticle",
    "SourceState",
    "SourceUpdate",
    "StoredArticle",
    "TopicReason",
    "Translation",
    "TranslationJob",
    "TranslationStatus",
    "UpsertResult",
    "WorkerCycle",
]


class FeedFormat(StrEnum):
    """The syndication formats syndicate writes."""

    ATOM = "atom"
    RSS = "rss"
    JSON = "json"


class TopicReason(StrEnum):
    """Why an article was routed to a topic."""

    SOURCE = "source"
    CATEGORY = "category"
    KEYWORD = "keyword"
    CONCEPT = "concept"


@dataclass(frozen=True)
class SourceState:
    """What storage knows about one source. Sent by storage to the scheduler and CLI."""

    #: the id from config.toml
    id: str
    #: the URL from config.toml
    url: str
    #: where a permanent redirect said the feed now lives, if anywhere
    final_url: str | None = None
    #: declared language (BCP 47) or None to detect per article
    language: str | None = None
    #: validators from the last 200 answer, sent back as If-None-Match / If-Modified-Since
    etag: str | None = None
    last_modified: str | None = None
    #: sha256 of the last body parsed
    body_hash: str | None = None
    #: HTTP status of the last fetch (0 for a network error), None before the first
    last_status: int | None = None
    #: consecutive failures; 0 when the last poll worked
    error_count: int = 0
    #: the last failure in words, None when the last poll worked
    last_error: str | None = None
    #: when the source is due again (aware UTC)
    next_poll_at: datetime | None = None
    #: when the source was last polled (aware UTC)
    last_polled_at: datetime | None = None
    #: why the source no longer polls (e.g. 410 Gone), None while active
    disabled_reason: str | None = None
    #: articles stored for this source
    article_count: int = 0
    #: false when the source left the config or was switched off there
    enabled: bool = True
    #: a server's Retry-After: no request before this, not even forced
    retry_until: datetime | None = None
    #: a permanent redirect seen on the last poll(s), not adopted yet, and how many times
    moved_to: str | None = None
    moved_count: int = 0
    #: the interval chosen at the last poll and why
    interval_seconds: float | None = None
    interval_reason: str | None = None
    #: what kind of failure the last one was (timeout, dns, tls, http, not-a-feed, ...)
    last_error_kind: str | None = None
    #: the worker holding the source now, and until when
    lease_owner: str | None = None
    lease_until: datetime | None = None
    #: hashes of the last body's entry blocks (see syndicate.ingest.entry_split)
    entries_fingerprint: str | None = None

    @property
    def fetch_url(self) -> str:
        """The URL to ask: where a permanent redirect pointed, else the configured one."""
        return self.final_url or self.url


@dataclass(frozen=True)
class SourceUpdate:
    """A source row's new state after one poll. Sent by the pipeline to storage."""

    last_polled_at: datetime
    next_poll_at: datetime
    #: HTTP status, or 0 when no answer came
    last_status: int
    error_count: int = 0
    last_error_kind: str | None = None
    last_error: str | None = None
    retry_until: datetime | None = None
    disabled_reason: str | None = None
    moved_to: str | None = None
    moved_count: int = 0
    #: a permanent redirect adopted now (None: keep the stored final URL)
    final_url: str | None = None
    interval_seconds: float | None = None
    interval_reason: str | None = None
    #: (etag, last_modified, body_hash) of a new body; None keeps the stored ones
    validators: tuple[str | None, str | None, str | None] | None = None
    #: the new body's entry fingerprint, saved with the validators
    entries_fingerprint: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one HTTP fetch. Sent by fetch to the scheduler."""

    #: the source fetched
    source_id: str
    #: HTTP status of the final answer
    status: int
    #: the URL that answered, after redirects
    url: str
    #: the body of a 200 answer; None for 304
    body: bytes | None = None
    #: validators to store for the next conditional GET
    etag: str | None = None
    last_modified: str | None = None
    #: response headers of the final answer, lower-cased names
    headers: dict[str, str] = field(default_factory=dict)
    #: a 301/308 pointed here from the configured URL
    permanent_redirect: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Enclosure:
    """A file attached to an article (podcast audio, a PDF, an image): RSS ``enclosure``,
    Atom ``link rel="enclosure"``, JSON Feed ``attachments``."""

    url: str
    #: MIME type ("" when the source did not say)
    type: str = ""
    #: bytes (0 when unknown)
    length: int = 0


@dataclass(frozen=True)
class Article:
    """One normalized entry of a source feed. Sent by parse to storage."""

    #: the source it came from
    source_id: str
    #: stable identity within the source: feed id, else link, else hash of title+date
    guid: str
    #: link to the original article
    link: str | None
    #: plain-text title
    title: str
    #: sanitized HTML summary
    summary: str
    #: sanitized HTML content (may equal the summary when the feed has none)
    content: str
    #: author names
    authors: tuple[str, ...] = ()
    #: category terms as the source wrote them
    categories: tuple[str, ...] = ()
    #: aware UTC datetimes; None when the feed gave none
    published: datetime | None = None
    updated: datetime | None = None
    #: BCP 47 language of the article
    language: str = ""
    #: sha256 over the fields that matter; a change means the article changed
    content_hash: str = ""
    #: attached files, and the article's main image (a URL), when the source gave them
    enclosures: tuple[Enclosure, ...] = ()
    image: str | None = None


@dataclass(frozen=True)
class Mention:
    """A glossary concept an article mentions, by one of its terms."""

    concept: str
    #: the glossary term (base form) that was found
    term: str
    #: preferred, admitted or deprecated
    status: str
    #: found in the title (else only in the summary or content)
    in_title: bool
    #: how many times
    count: int
    #: what the term weighs in topic scores (``generic`` terms less)
    weight: float = 1.0


@dataclass(frozen=True)
class RoutedArticle:
    """An article with its topics and the concepts it mentions. Sent by the pipeline to storage."""

    article: Article
    topics: tuple[tuple[str, TopicReason], ...] = ()
    mentions: tuple[Mention, ...] = ()
    #: the concept score of each topic that had concepts to score (whether or not it won)
    scores: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class StoredArticle:
    """An article as storage holds it. Sent by storage to publish."""

    #: database id
    id: int
    article: Article
    #: when syndicate first stored it and when its content last changed (aware UTC)
    first_seen: datetime
    last_changed: datetime
    #: topic ids the article is routed to
    topics: tuple[str, ...] = ()
    #: the glossary concepts it mentions
    mentions: tuple[Mention, ...] = ()
    #: for a machine translation shown in a feed: the original's language and the engine
    translated_from: str | None = None
    translator: str | None = None
    #: the original's URL, for a translation (``article.link`` may be the same)
    original_link: str | None = None
    #: the id feeds publish, when storage gave it one (see :mod:`syndicate.safe`)
    entry_id: str | None = None

    @property
    def sort_date(self) -> datetime:
        """The date feeds sort by: published, else updated, else first seen."""
        return self.article.published or self.article.updated or self.first_seen


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did. Sent by storage to the scheduler."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    #: the topics of the new and changed articles, before and after the change: the topic
    #: feeds a publish must look at (besides ``all``)
    topics: frozenset[str] = frozenset()

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


class FeedKey(NamedTuple):
    """Which feed: language, topic (or ``all``) and a FeedFormat's value, as storage keys it."""

    lang: str
    topic: str
    format: str


@dataclass(frozen=True)
class FeedSpec:
    """One feed file to publish."""

    #: BCP 47 language of the feed
    lang: str
    #: topic id, or ``all``
    topic: str
    format: FeedFormat
    #: localized title and subtitle
    title: str
    subtitle: str

    @property
    def key(self) -> FeedKey:
        return FeedKey(self.lang, self.topic, self.format.value)

    @property
    def relpath(self) -> str:
        """Path under the output directory, e.g. ``it/energy.atom``."""
        from syndicate.publish.paths import feed_relpath  # the scheme's home, above models

        return feed_relpath(self.key)


@dataclass(frozen=True)
class FeedChanges:
    """What changed in the feeds since a node last wrote them. Sent by storage to the publisher."""

    #: the number of the latest change
    latest: int
    #: the topics whose feeds (besides ``all``) may have changed; None: any feed may have
    topics: frozenset[str] | None


@dataclass(frozen=True)
class ArchivePage:
    """One page of a feed's RFC 5005 archive of a month, as recorded before it is written:
    which articles it holds, so that a page is never written twice with different content.
    Sent by the publisher to storage and back."""

    lang: str
    topic: str
    #: "YYYY-MM"
    month: str
    #: 1, 2, ...: page 1 holds the month's oldest entries
    page: int
    #: entries on the page
    entries: int
    #: (sort date, article id) of the page's newest entry; None for an empty month's page
    last: tuple[datetime, int] | None
    #: whether a later page of the same month follows (its next-archive link)
    more: bool


class TranslationStatus(StrEnum):
    PENDING = "pending"  # waiting for an engine (new, retrying, over budget, circuit open)
    DONE = "done"  # every requested field translated and checked
    FAILED = "failed"  # gave up after translation.max_attempts; `translations retry` requeues


@dataclass(frozen=True)
class TranslationJob:
    """One article to translate into one language. Sent by storage to the translate runner."""

    article_id: int
    source_id: str
    #: the article's language and the target
    source_lang: str
    target_lang: str
    #: the fields to translate and their source text (title as plain text, others HTML)
    fields: dict[str, str]
    #: the article's content_hash: a translation is saved only if it still matches
    source_hash: str
    attempts: int = 0


@dataclass(frozen=True)
class Translation:
    """A stored translation of one article into one language. Sent by storage to publish
    and to status reports; ``status`` says whether the fields are there."""

    article_id: int
    target_lang: str
    status: TranslationStatus
    engine: str = ""
    glossary_version: str = ""
    #: translated fields (None where not requested or not done)
    title: str | None = None
    summary: str | None = None
    content: str | None = None
    #: the glossary QA outcome, as sentences: deprecated terms fixed in place, fields the
    #: engine was asked to translate again (a fix in place would have broken agreement),
    #: and problems flagged for a human
    fixes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    chars_billed: int = 0
    tokens: int = 0
    attempts: int = 0
    error_kind: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    retranslated: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class WorkerCycle:
    """A worker's last poll cycle. Sent by the worker to storage, read by /healthz and /status."""

    #: the worker (host, process and a random part)
    owner: str
    started_at: datetime
    finished_at: datetime
    seconds: float
    #: False when the cycle failed as a whole (the database, a bug); source failures don't count
    ok: bool
    error: str | None = None
    polled: int = 0
    failed: int = 0
    new_articles: int = 0
    #: the end of this worker's last cycle that was ok
    last_success_at: datetime | None = None
