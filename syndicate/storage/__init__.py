"""Storage: the database schema, its migrations, and the functions the pipeline calls.

A newcomer's map: ``schema.py`` is the data model, ``migrations/`` evolves it,
``database.py`` opens it; ``protocols.py`` says what the pipeline needs from it, one
Protocol per domain; one mixin per domain (on ``common.py``) reads and writes it:
``sources.py``, ``articles.py`` (its writing in ``upsert.py``), ``translations.py``,
``engine_state.py``, ``feeds.py``, ``workers.py``, ``changes.py``; ``repository.py``
combines them as :class:`SqlStorage`. Other packages import from here.
"""

from __future__ import annotations

from syndicate.storage.database import create_engine, current_revision, upgrade
from syndicate.storage.protocols import (
    ArticleStorage,
    BaseStorage,
    ChangeStorage,
    ConfiguredSource,
    EngineStateStorage,
    FeedStorage,
    SourceStorage,
    Storage,
    TranslationStorage,
    WorkerStorage,
)
from syndicate.storage.repository import SqlStorage

__all__ = [
    "ArticleStorage",
    "BaseStorage",
    "ChangeStorage",
    "ConfiguredSource",
    "EngineStateStorage",
    "FeedStorage",
    "SourceStorage",
    "SqlStorage",
    "Storage",
    "TranslationStorage",
    "WorkerStorage",
    "create_engine",
    "current_revision",
    "open_storage",
    "upgrade",
]


def open_storage(url: str, *, migrate: bool = True) -> SqlStorage:
    """Open the database at ``url`` and (by default) migrate it to the newest schema."""
    engine = create_engine(url)
    try:
        if migrate:
            upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStorage(engine)
