"""What the storage mixins share: the engine, write transactions, error mapping, helpers."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syndicate.errors import StorageError
from syndicate.storage.database import write_transaction
from syndicate.storage.protocols import BaseStorage

__all__ = ["StoreBase", "as_utc", "chunks", "errors", "insert", "record"]

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Record = TypeVar("_Record", bound="DataclassInstance")


class StoreBase(BaseStorage):
    """The engine, and how to open a writing transaction on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time: the threads of this process take turns here.
        self._lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    def _write(self) -> AbstractContextManager[sa.Connection]:
        return write_transaction(self.engine, self._lock)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with errors("ping"), self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))


def insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL have it).
    Each dialect is imported when first used: SQLite alone never loads PostgreSQL's."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def as_utc(value: Any) -> datetime:
    """coalesce() of two UTC columns loses the column type; mark the naive value UTC."""
    if isinstance(value, str):  # SQLite returns the stored text for an expression
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def record(cls: type[_Record], row: Mapping[Any, Any], **computed: Any) -> _Record:
    """The dataclass ``cls`` made from a row: each field the row's column of the same name,
    unless ``computed`` gives it; a field the row lacks keeps its default."""
    return cls(
        **{name: row[name] for name in _field_names(cls) if name in row and name not in computed},
        **computed,
    )


@cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class errors:
    """Map database failures that are not bugs (connection lost, locked) to StorageError."""

    def __init__(self, action: str) -> None:
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            reason = " ".join(str(getattr(exc, "orig", exc)).split())  # one line
            raise StorageError(f"database unavailable ({self.action}): {reason}") from exc
