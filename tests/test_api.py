"""The public API is exactly what __all__ says (kept honest, as httpx does)."""

from __future__ import annotations

import subprocess
import sys

import syndicate

EXPECTED = {
    "Article",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "CycleReport",
    "FeedFormat",
    "FeedSpec",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "GlossaryError",
    "ParsedFeed",
    "PublishError",
    "PublishReport",
    "SourceConfig",
    "SourceError",
    "SourceState",
    "Storage",
    "StorageError",
    "StoredArticle",
    "SyndicateError",
    "TopicConfig",
    "TopicReason",
    "UpsertResult",
    "WorkerCycle",
    "PartnerConfig",
    "create_app",
    "__version__",
    "Concept",
    "Glossary",
    "Matcher",
    "Term",
    "TermBase",
    "TermMatch",
    "TermStatus",
    "load_term_base",
    "load_config",
    "open_storage",
    "parse_feed",
    "publish_feeds",
    "route_article",
    "run_cycle",
    "sanitize_html",
    "Engine",
    "TranslateReport",
    "Translation",
    "TranslationError",
    "TranslationStatus",
    "Translator",
    "check_translation",
    "make_engine",
}


def test_exported_names() -> None:
    assert set(syndicate.__all__) == EXPECTED
    for name in syndicate.__all__:  # create_app comes on first use
        assert getattr(syndicate, name) is not None
    public = {name for name in vars(syndicate) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(syndicate, name)).__name__ == "module"}
    assert public - modules == EXPECTED - {"__version__"}


def test_short_commands_do_not_load_the_server_or_another_database() -> None:
    """The CLI (``poll --once`` and the other short commands) loads neither the HTTP
    server's modules nor PostgreSQL's dialect before they are needed: import time."""
    code = (
        "import sys, syndicate.cli; "
        "print(sorted(m for m in ('uvicorn', 'starlette', 'syndicate.server', "
        "'sqlalchemy.dialects.postgresql', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_share_one_root() -> None:
    for name in (
        "ConfigError",
        "StorageError",
        "SourceError",
        "FetchError",
        "GlossaryError",
        "PublishError",
    ):
        assert issubclass(getattr(syndicate, name), syndicate.SyndicateError)
    assert issubclass(syndicate.FetchError, syndicate.SourceError)
