"""The typed config: one frozen dataclass per table of ``config.toml``, and the whole.

Read and checked by :mod:`syndicate.config._load`; the ``[server]``/``[[partners]]`` and
``[translation]`` tables have their own modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from syndicate.config._positions import KeyLines
from syndicate.config._server import PartnerConfig, ServerConfig
from syndicate.config._translation import TranslationConfig
from syndicate.errors import ConfigError, ConfigProblem

__all__ = [
    "CONFIG_ENV",
    "DATABASE_ENV",
    "MAX_ARCHIVE_PAGE_ENTRIES",
    "Config",
    "FetchConfig",
    "GlossaryConfig",
    "PublishConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "SourceConfig",
    "TopicConfig",
    "private_topics",
]

CONFIG_ENV = "SYNDICATE_CONFIG"
DATABASE_ENV = "SYNDICATE_DATABASE_URL"
#: the most publish.archive_page_entries may be (pages also stop at 2 MiB, archives.py)
MAX_ARCHIVE_PAGE_ENTRIES = 5000


@dataclass(frozen=True)
class ServiceConfig:
    #: BCP 47 tags; the first is the default language
    languages: tuple[str, ...] = ("it", "en", "ja")
    #: SQLAlchemy URL; relative SQLite paths are resolved against the config file
    database: str = "sqlite:///var/syndicate.db"
    #: where feeds are written; relative to the config file
    output_dir: Path = Path("feeds")
    #: public URL of the server, used for self/alternate links
    base_url: str = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class FetchConfig:
    user_agent: str = "syndicate/0.1 (+https://example.org/contact)"
    concurrency: int = 50
    per_host: int = 2
    #: seconds to open a connection (TCP and TLS)
    connect_timeout: float = 10.0
    #: seconds without a byte from the server
    timeout: float = 20.0
    #: seconds for the whole fetch, body included
    total_timeout: float = 60.0
    #: bytes
    max_bytes: int = 10 * 1024 * 1024
    allow_private_networks: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    #: per-source poll interval (seconds): the fixed one, or the start of adaptive polling
    interval: float = 15 * 60.0
    #: poll busy sources more often and quiet ones less, within the bounds below
    adaptive: bool = True
    min_interval: float = 5 * 60.0
    max_interval: float = 6 * 3600.0
    #: each next poll moves by up to this fraction of the interval, so sources spread out
    jitter: float = 0.1
    #: the longest wait after consecutive failures (and the cap on a server's Retry-After)
    max_backoff: float = 6 * 3600.0
    #: how often workers look for due sources, seconds
    tick: float = 30.0
    #: how long a worker holds a claimed source before others may take it, seconds
    lease: float = 5 * 60.0


@dataclass(frozen=True)
class PublishConfig:
    #: newest entries kept in each feed (older ones are in the monthly archives)
    max_entries: int = 50
    #: a WebSub hub: feeds advertise it and it is pinged when a feed changes
    hub: str | None = None
    #: how many past months get RFC 5005 archive documents (older articles are not archived)
    archive_months: int = 24
    #: the most entries one archive page holds (a month takes as many pages as it needs)
    archive_page_entries: int = 200


@dataclass(frozen=True)
class GlossaryConfig:
    #: glob patterns relative to the config file
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicConfig:
    id: str
    #: language -> localized title
    title: dict[str, str]
    concepts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    #: how much an article must mention the topic's concepts (title mention 2, text mention 1)
    min_score: int = 2
    #: the topic's feeds are served only to partners with a token ([[partners]])
    private: bool = False

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or next(iter(self.title.values()), self.id)


@dataclass(frozen=True)
class SourceConfig:
    id: str
    url: str
    #: declared language, or None to take it from the feed
    language: str | None = None
    title: str | None = None
    #: topics every article of this source is routed to
    topics: tuple[str, ...] = ()
    #: seconds; None means the schedule default (adaptive when schedule.adaptive)
    interval: float | None = None
    #: false: kept, never polled
    enabled: bool = True
    #: fields to machine-translate for this source; None: ``translation.fields``
    translate: tuple[str, ...] | None = None


def private_topics(topics: Sequence[TopicConfig]) -> tuple[str, ...]:
    """The ids of the private topics (``private = true``), in order."""
    return tuple(topic.id for topic in topics if topic.private)


@dataclass(frozen=True)
class Config:
    path: Path
    service: ServiceConfig
    server: ServerConfig
    fetch: FetchConfig
    schedule: ScheduleConfig
    publish: PublishConfig
    translation: TranslationConfig
    glossary: GlossaryConfig
    topics: tuple[TopicConfig, ...]
    sources: tuple[SourceConfig, ...]
    partners: tuple[PartnerConfig, ...] = ()
    #: where each key was written, for messages about the config found later
    lines: KeyLines | None = field(default=None, compare=False, repr=False)
    _by_id: dict[str, SourceConfig] = field(init=False, compare=False, repr=False)
    #: the ids of the private topics, in config order: only partners read their feeds, and
    #: their articles stay out of every public feed, ``all`` included
    private_topics: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {source.id: source for source in self.sources})
        object.__setattr__(self, "private_topics", private_topics(self.topics))

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def output_dir(self) -> Path:
        return self.base_dir / self.service.output_dir

    @property
    def database_url(self) -> str:
        return self.service.database

    def find_source(self, source_id: str) -> SourceConfig | None:
        """The configured source with this id, or None (an article of a removed source)."""
        return self._by_id.get(source_id)

    def source(self, source_id: str) -> SourceConfig:
        """The configured source; a ConfigError naming the file when there is none."""
        if (source := self._by_id.get(source_id)) is not None:
            return source
        known = ", ".join(s.id for s in self.sources) or "none"
        raise ConfigError(
            [
                ConfigProblem(
                    self.path, None, "sources", f"no source with id {source_id!r} (known: {known})"
                )
            ]
        )
