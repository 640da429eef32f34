"""Each storage mixin and its domain's Protocol name the same methods.

mypy checks that each mixin implements its Protocol (each names it as a base, and
``open_storage`` makes a SqlStorage); this checks the other way: a public method added to a
mixin but not to its Protocol fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from syndicate.storage import (
    ArticleStorage,
    BaseStorage,
    ChangeStorage,
    EngineStateStorage,
    FeedStorage,
    SourceStorage,
    SqlStorage,
    Storage,
    TranslationStorage,
    WorkerStorage,
)
from syndicate.storage.articles import ArticleStore
from syndicate.storage.changes import ChangeStore
from syndicate.storage.common import StoreBase
from syndicate.storage.engine_state import EngineStateStore
from syndicate.storage.feeds import FeedStore
from syndicate.storage.sources import SourceStore
from syndicate.storage.translations import TranslationStore
from syndicate.storage.workers import WorkerStore

DOMAINS: list[tuple[type[Any], type[Any]]] = [
    (BaseStorage, StoreBase),
    (SourceStorage, SourceStore),
    (ArticleStorage, ArticleStore),
    (TranslationStorage, TranslationStore),
    (EngineStateStorage, EngineStateStore),
    (FeedStorage, FeedStore),
    (WorkerStorage, WorkerStore),
    (ChangeStorage, ChangeStore),
]

#: public methods of SqlStorage the pipeline does not use, left out of the Protocols on
#: purpose: tests and tools call them on SqlStorage
OUTSIDE_PROTOCOLS: dict[type[Any], set[str]] = {
    ArticleStore: {"upsert_articles", "duplicate_guids"},
}


def public_methods(cls: type[Any]) -> set[str]:
    """The public methods ``cls`` itself defines (not those it inherits)."""
    return {
        name for name, value in vars(cls).items() if not name.startswith("_") and callable(value)
    }


@pytest.mark.parametrize(("protocol", "mixin"), DOMAINS, ids=[p.__name__ for p, _ in DOMAINS])
def test_each_mixin_has_exactly_its_protocols_methods(
    protocol: type[Any], mixin: type[Any]
) -> None:
    expected = public_methods(protocol) | OUTSIDE_PROTOCOLS.get(mixin, set())
    assert public_methods(mixin) == expected


def test_storage_is_every_domain_and_sql_storage_only_its_mixins() -> None:
    assert public_methods(Storage) == set()
    assert {cls for cls in Storage.__mro__ if cls not in (Storage, object)} >= {
        protocol for protocol, _ in DOMAINS
    }
    assert public_methods(SqlStorage) == set()
    assert set(SqlStorage.__mro__) >= {mixin for _, mixin in DOMAINS}
    every = set().union(*(public_methods(protocol) for protocol, _ in DOMAINS))
    assert sum(len(public_methods(protocol)) for protocol, _ in DOMAINS) == len(every)
