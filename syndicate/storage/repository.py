"""SqlStorage: syndicate's storage on SQLAlchemy Core, the same code for SQLite and PostgreSQL.

One mixin per domain, each on ``common.py``'s StoreBase: sources (``sources.py``, a poll's
outcome included), articles (``articles.py``, writing them in ``upsert.py``), translation
jobs (``translations.py``), the engines' cache and usage (``engine_state.py``), feed state,
archives and pings (``feeds.py``), workers' cycles and leases (``workers.py``), the change
log (``changes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syndicate.storage.articles import ArticleStore
from syndicate.storage.changes import ChangeStore
from syndicate.storage.engine_state import EngineStateStore
from syndicate.storage.feeds import FeedStore
from syndicate.storage.sources import ConfiguredSource, SourceStore
from syndicate.storage.translations import TranslationStore
from syndicate.storage.workers import WorkerStore

__all__ = ["ConfiguredSource", "SqlStorage"]


class SqlStorage(
    SourceStore,
    ArticleStore,
    TranslationStore,
    EngineStateStore,
    FeedStore,
    WorkerStore,
    ChangeStore,
):
    """The storage of syndicate on one SQLAlchemy engine. See :class:`syndicate.storage.Storage`."""


if TYPE_CHECKING:  # mypy checks that each mixin implements its domain's Protocol
    from sqlalchemy.engine import Engine

    from syndicate.storage.common import StoreBase
    from syndicate.storage.protocols import (
        ArticleStorage,
        BaseStorage,
        ChangeStorage,
        EngineStateStorage,
        FeedStorage,
        SourceStorage,
        Storage,
        TranslationStorage,
        WorkerStorage,
    )

    def _implements(
        engine: Engine,
    ) -> tuple[
        BaseStorage,
        SourceStorage,
        ArticleStorage,
        TranslationStorage,
        EngineStateStorage,
        FeedStorage,
        WorkerStorage,
        ChangeStorage,
        Storage,
    ]:
        return (
            StoreBase(engine),
            SourceStore(engine),
            ArticleStore(engine),
            TranslationStore(engine),
            EngineStateStore(engine),
            FeedStore(engine),
            WorkerStore(engine),
            ChangeStore(engine),
            SqlStorage(engine),
        )
