"""Storage of sources: rows kept in step with the config, claims, a poll's outcome (with
its articles, in one transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from syndicate.models import RoutedArticle, SourceState, SourceUpdate, UpsertResult
from syndicate.storage.changes import note_change
from syndicate.storage.common import StoreBase, as_utc, errors, insert, record
from syndicate.storage.protocols import ConfiguredSource, SourceStorage
from syndicate.storage.schema import articles, sources
from syndicate.storage.upsert import upsert

__all__ = ["SourceStore"]

# What a changed URL resets: the new URL is a new feed as far as polling knows.
_FRESH_START: dict[str, Any] = {
    "final_url": None,
    "etag": None,
    "last_modified": None,
    "body_hash": None,
    "error_count": 0,
    "last_error": None,
    "last_error_kind": None,
    "next_poll_at": None,
    "disabled_reason": None,
    "retry_until": None,
    "moved_to": None,
    "moved_count": 0,
    "entries_fingerprint": None,
}


@cache
def _poll_update(columns: frozenset[str], end_lease: bool) -> sa.Update:
    """The UPDATE of a source row after a poll, built once per set of columns: values
    arrive as parameters, so a poll does not build and hash a new statement (measured:
    1.6 ms of CPU per poll on SQLite, most of it in SQLAlchemy's statement coercion)."""
    c = sources.c
    values: dict[str, Any] = {name: sa.bindparam(name) for name in sorted(columns)}
    if end_lease:  # the lease ends in the same statement, if it is still ours
        ours = c.lease_owner == sa.bindparam("owner_")
        values["lease_owner"] = sa.case((ours, sa.null()), else_=c.lease_owner)
        values["lease_until"] = sa.case((ours, sa.null()), else_=c.lease_until)
    return sources.update().where(c.id == sa.bindparam("source_id_")).values(values)


class SourceStore(StoreBase, SourceStorage):
    """Sources: see :class:`syndicate.storage.SourceStorage` for each method's contract."""

    def sync_sources(self, configured: Iterable[ConfiguredSource]) -> None:
        configured = list(configured)
        c = sources.c
        with errors("sync sources"), self._write() as conn:
            rows = {r.id: r for r in conn.execute(sa.select(c.id, c.url, c.language, c.enabled))}
            for source_id, url, language, enabled in configured:
                row = rows.get(source_id)
                values: dict[str, Any] = {"language": language, "enabled": enabled}
                if row is None:  # another worker may be adding it right now: theirs wins
                    conn.execute(
                        insert(conn, sources)
                        .values(id=source_id, url=url, **values)
                        .on_conflict_do_nothing(index_elements=["id"])
                    )
                    continue
                if row.url != url:
                    values |= {"url": url, **_FRESH_START}
                elif (row.language, row.enabled) == (language, enabled):
                    continue  # as configured: every start and reload would rewrite each row
                conn.execute(sources.update().where(c.id == source_id).values(values))
            gone = {r.id for r in rows.values() if r.enabled} - {s for s, *_ in configured}
            if gone:
                conn.execute(sources.update().where(c.id.in_(sorted(gone))).values(enabled=False))

    def source_states(
        self, ids: Iterable[str] | None = None, *, counts: bool = True
    ) -> list[SourceState]:
        if counts:  # a scan of the articles: for status pages, not for every claim
            per_source = (
                sa.select(articles.c.source_id, sa.func.count().label("n"))
                .group_by(articles.c.source_id)
                .subquery()
            )
            query = sa.select(
                sources, sa.func.coalesce(per_source.c.n, 0).label("article_count")
            ).outerjoin(per_source, per_source.c.source_id == sources.c.id)
        else:
            query = sa.select(sources, sa.literal(0).label("article_count"))
        query = query.order_by(sources.c.id)
        if ids is not None:
            query = query.where(sources.c.id.in_(list(ids)))
        with errors("read sources"), self.engine.connect() as conn:
            return [record(SourceState, row._mapping) for row in conn.execute(query)]

    def claim_due(
        self,
        owner: str,
        *,
        now: datetime,
        lease_until: datetime,
        limit: int,
        force: bool = False,
        only: Sequence[str] | None = None,
        not_polled_since: datetime | None = None,
    ) -> list[SourceState]:
        c = sources.c
        due = (
            c.enabled.is_(True)
            & c.disabled_reason.is_(None)
            & (c.retry_until.is_(None) | (c.retry_until <= now))
            & (c.lease_until.is_(None) | (c.lease_until < now))
        )
        if not force:
            due &= c.next_poll_at.is_(None) | (c.next_poll_at <= now)
        if not_polled_since is not None:
            due &= c.last_polled_at.is_(None) | (c.last_polled_at < not_polled_since)
        if only is not None:
            due &= c.id.in_(list(only))
        pick = sa.select(c.id).where(due).order_by(c.next_poll_at.asc().nulls_first(), c.id)
        pick = pick.limit(limit)
        with errors("claim sources"), self._write() as conn:
            if conn.dialect.name == "postgresql":  # workers claiming at once skip each other's rows
                pick = pick.with_for_update(skip_locked=True)
            # One statement: pick, lease and read back (UPDATE … RETURNING, both backends).
            claim = (
                sources.update()
                .where(c.id.in_(pick.scalar_subquery()))
                .values(lease_owner=owner, lease_until=lease_until)
                .returning(*sources.c)
            )
            rows = [
                record(SourceState, row._mapping, article_count=0) for row in conn.execute(claim)
            ]
        return sorted(rows, key=lambda state: state.id)

    def record_poll(
        self,
        source_id: str,
        update: SourceUpdate,
        *,
        owner: str | None = None,
        routed: Sequence[RoutedArticle] = (),
        routing_version: str = "",
    ) -> UpsertResult:
        values = _poll_values(update)
        statement = _poll_update(frozenset(values), owner is not None)
        params = values | {"source_id_": source_id, "owner_": owner}
        with errors("store poll"), self._write() as conn:
            outcome = upsert(conn, source_id, routed, update.last_polled_at, routing_version)
            conn.execute(statement, params)
            if outcome.changed:  # last: the change log's row stays locked until commit
                note_change(conn, outcome.topics, update.last_polled_at)
        return outcome

    def record_polls(
        self, polls: Sequence[tuple[str, SourceUpdate]], *, owner: str | None = None
    ) -> None:
        # The rows with the same columns to set go in one executemany.
        grouped: dict[frozenset[str], list[dict[str, Any]]] = {}
        for source_id, update in polls:
            values = _poll_values(update)
            params = values | {"source_id_": source_id, "owner_": owner}
            grouped.setdefault(frozenset(values), []).append(params)
        if not grouped:
            return
        with errors("store polls"), self._write() as conn:
            for columns, rows in grouped.items():
                conn.execute(_poll_update(columns, owner is not None), rows)

    def enable_source(self, source_id: str) -> bool:
        with errors("enable source"), self._write() as conn:
            done = conn.execute(
                sources.update()
                .where(sources.c.id == source_id)
                .values(disabled_reason=None, error_count=0, retry_until=None, next_poll_at=None)
            ).rowcount
        return bool(done)

    def publishing_dates(self, source_id: str, since: datetime) -> list[datetime]:
        when = sa.func.coalesce(articles.c.published, articles.c.first_seen)
        query = sa.select(when.label("when")).where(
            (articles.c.source_id == source_id) & (when >= since)
        )
        with errors("read dates"), self.engine.connect() as conn:
            return [as_utc(row.when) for row in conn.execute(query)]


def _poll_values(update: SourceUpdate) -> dict[str, Any]:
    """The columns a poll sets on its source row."""
    values: dict[str, Any] = {
        "last_polled_at": update.last_polled_at,
        "next_poll_at": update.next_poll_at,
        "last_status": update.last_status,
        "error_count": update.error_count,
        "last_error_kind": update.last_error_kind,
        "last_error": update.last_error,
        "retry_until": update.retry_until,
        "disabled_reason": update.disabled_reason,
        "moved_to": update.moved_to,
        "moved_count": update.moved_count,
        "interval_seconds": update.interval_seconds,
        "interval_reason": update.interval_reason,
    }
    if update.final_url is not None:
        values["final_url"] = update.final_url
    if update.validators is not None:
        values |= dict(zip(("etag", "last_modified", "body_hash"), update.validators, strict=True))
        values["entries_fingerprint"] = update.entries_fingerprint
    return values
