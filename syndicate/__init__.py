"""syndicate: poll multilingual source feeds, route articles by topic, republish per language.

Where things happen: a feed is fetched in :mod:`syndicate.ingest.fetch`, parsed and normalized in
:mod:`syndicate.ingest.parse`, routed to topics in :mod:`syndicate.terms`, stored by
:mod:`syndicate.storage`, written by :mod:`syndicate.publish`, served by
:mod:`syndicate.server`; :mod:`syndicate.run.cycle` runs one cycle of all of it.
"""

from syndicate.config import Config, PartnerConfig, SourceConfig, TopicConfig, load_config
from syndicate.errors import (
    ConfigError,
    ConfigProblem,
    FetchError,
    GlossaryError,
    PublishError,
    SourceError,
    StorageError,
    SyndicateError,
    TranslationError,
)
from syndicate.ingest import Fetcher, ParsedFeed, parse_feed, sanitize_html
from syndicate.models import (
    Article,
    FeedFormat,
    FeedSpec,
    FetchResult,
    SourceState,
    StoredArticle,
    TopicReason,
    Translation,
    TranslationStatus,
    UpsertResult,
    WorkerCycle,
)
from syndicate.publish import PublishReport, publish_feeds
from syndicate.run import CycleReport, run_cycle
from syndicate.storage import Storage, open_storage
from syndicate.terms import (
    Concept,
    Glossary,
    Matcher,
    Term,
    TermBase,
    TermMatch,
    TermStatus,
    load_term_base,
    route_article,
)
from syndicate.translate import Engine, TranslateReport, Translator, check_translation, make_engine

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``create_app`` on first use: the HTTP server's modules (Starlette, uvicorn) are not
    loaded by the commands that do not serve."""
    if name == "create_app":
        from syndicate.server import create_app

        globals()["create_app"] = create_app
        return create_app
    raise AttributeError(f"module 'syndicate' has no attribute {name!r}")


__all__ = [
    "Article",
    "Concept",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "CycleReport",
    "Engine",
    "FeedFormat",
    "FeedSpec",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "Glossary",
    "GlossaryError",
    "Matcher",
    "ParsedFeed",
    "PartnerConfig",
    "PublishError",
    "PublishReport",
    "SourceConfig",
    "SourceError",
    "SourceState",
    "Storage",
    "StorageError",
    "StoredArticle",
    "SyndicateError",
    "Term",
    "TermBase",
    "TermMatch",
    "TermStatus",
    "TopicConfig",
    "TopicReason",
    "TranslateReport",
    "Translation",
    "TranslationError",
    "TranslationStatus",
    "Translator",
    "UpsertResult",
    "WorkerCycle",
    "__version__",
    "check_translation",
    "create_app",
    "load_config",
    "load_term_base",
    "make_engine",
    "open_storage",
    "parse_feed",
    "publish_feeds",
    "route_article",
    "run_cycle",
    "sanitize_html",
]
