"""Open a database and bring its schema up to date with Alembic."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syndicate.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

#: the newest migration (a test checks it is Alembic's head): a database already there is
#: opened without loading Alembic, which costs a short command such as ``poll --once``
#: about a tenth of a second
HEAD_REVISION = "0012"

__all__ = ["create_engine", "current_revision", "head_revision", "upgrade", "write_transaction"]

_MIGRATIONS = Path(__file__).with_name("migrations")
# Held while migrating so that workers starting together on PostgreSQL migrate one at a time.
_PG_MIGRATION_LOCK = 0x53594E44  # "SYND"


def create_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        if url.startswith("sqlite"):
            path = sa.engine.make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            sa.event.listen(engine, "begin", _sqlite_begin)
            return engine
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError, OSError) as exc:
        raise StorageError(f"cannot open database {_redact(url)}: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module; _sqlite_begin opens them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


#: execution option marking a connection that is about to write (see write_transaction)
WRITES = "syndicate_writes"


def _sqlite_begin(connection: sa.Connection) -> None:
    # A writing transaction takes the write lock up front (IMMEDIATE), so two processes never
    # deadlock upgrading a read lock (SQLITE_BUSY without waiting); the busy timeout then
    # queues writers. Readers begin DEFERRED and, with WAL, never wait for writers.
    immediate = connection.get_execution_options().get(WRITES)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextlib.contextmanager
def write_transaction(
    engine: Engine, lock: AbstractContextManager[object]
) -> Iterator[sa.Connection]:
    """A transaction that will write. On SQLite the caller passes a process-wide lock, so
    the threads of one process queue on it at once instead of in SQLite's busy handler,
    which sleeps between retries (measured: 28% of a 1000-source cycle spent waiting)."""
    with lock, engine.connect() as connection:
        connection.execution_options(**{WRITES: True})
        with connection.begin():
            yield connection


def _alembic_config(connection: sa.Connection) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(_MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> str:
    """Migrate to the newest schema (or to ``target``); returns the revision reached. Safe to
    run from many workers."""
    if target == "head" and _stamped(engine) == HEAD_REVISION:
        return HEAD_REVISION
    from alembic import command

    try:
        with write_transaction(engine, contextlib.nullcontext()) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                )
            command.upgrade(_alembic_config(connection), target)
    except sa.exc.OperationalError as exc:
        raise StorageError(f"cannot migrate {_redact(str(engine.url))}: {exc.orig}") from exc
    return head_revision() if target == "head" else target


def _stamped(engine: Engine) -> str | None:
    """The revision the database says it is at; None when it says none (or cannot)."""
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar_one_or_none()
    except sa.exc.DBAPIError:  # no table yet, or no database: the migration path says why
        return None


def _redact(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True) if "://" in url else url
