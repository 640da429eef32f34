"""SqlStorage: syndicate's storage on SQLAlchemy Core, the same code for SQLite and PostgreSQL.

One mixin per domain, each on ``common.py``'s StoreBase and declaring the domain's Protocol
it implements (so mypy checks each method against its contract): sources (``sources.py``, a
poll's outcome included), articles (``articles.py``, writing them in ``upsert.py``),
translation jobs (``translations.py``), the engines' cache and usage (``engine_state.py``),
feed state, archives and pings (``feeds.py``), workers' cycles and leases (``workers.py``),
the change log (``changes.py``).
"""

from __future__ import annotations

from syndicate.storage.articles import ArticleStore
from syndicate.storage.changes import ChangeStore
from syndicate.storage.engine_state import EngineStateStore
from syndicate.storage.feeds import FeedStore
from syndicate.storage.protocols import Storage
from syndicate.storage.sources import SourceStore
from syndicate.storage.translations import TranslationStore
from syndicate.storage.workers import WorkerStore

__all__ = ["SqlStorage"]


class SqlStorage(
    SourceStore,
    ArticleStore,
    TranslationStore,
    EngineStateStore,
    FeedStore,
    WorkerStore,
    ChangeStore,
    Storage,
):
    """The storage of syndicate on one SQLAlchemy engine. See :class:`syndicate.storage.Storage`."""
