"""Storage of what the translation engines keep: the segment cache, usage (what each
engine was sent, per source and day, for budgets), and the glossaries held remotely."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from syndicate.storage.common import StoreBase, chunks, errors, insert
from syndicate.storage.protocols import EngineStateStorage
from syndicate.storage.schema import engine_glossaries, translation_cache, translation_usage

__all__ = ["EngineStateStore"]

#: what names a row of ``translation_usage``, and the counts each use adds to it
_USAGE_KEY = ("engine", "source_id", "day")
_USAGE_COUNTS = ("chars", "tokens", "requests")


class EngineStateStore(StoreBase, EngineStateStorage):
    """Engines' cache, usage, glossaries: see :class:`syndicate.storage.EngineStateStorage`
    for the contracts."""

    def cached_segments(self, keys: Sequence[str]) -> dict[str, str]:
        c = translation_cache.c
        found: dict[str, str] = {}
        with errors("read translation cache"), self.engine.connect() as conn:
            for part in chunks(list(keys), 500):
                query = sa.select(c.key, c.text).where(c.key.in_(part))
                found |= {r.key: r.text for r in conn.execute(query)}
        return found

    def cache_segments(
        self, entries: Sequence[tuple[str, str, str, str, str, int]], now: datetime
    ) -> None:
        if not entries:
            return
        rows = [
            {
                "key": key,
                "engine": engine,
                "source_lang": source,
                "target_lang": target,
                "text": text,
                "chars": chars,
                "created_at": now,
            }
            for key, engine, source, target, text, chars in entries
        ]
        with errors("write translation cache"), self._write() as conn:
            for part in chunks(rows, 200):
                conn.execute(
                    insert(conn, translation_cache)
                    .values(list(part))
                    .on_conflict_do_nothing(index_elements=["key"])
                )

    def record_usage(
        self, engine: str, source_id: str, day: date, chars: int, tokens: int, requests: int
    ) -> None:
        spent = (engine, source_id, day, chars, tokens, requests)
        values = dict(zip((*_USAGE_KEY, *_USAGE_COUNTS), spent, strict=True))
        u = translation_usage.c
        with errors("record usage"), self._write() as conn:
            statement = insert(conn, translation_usage).values(values)
            added = {name: u[name] + statement.excluded[name] for name in _USAGE_COUNTS}
            conn.execute(statement.on_conflict_do_update(index_elements=_USAGE_KEY, set_=added))

    def usage(
        self, engine: str | None = None, since: date | None = None
    ) -> list[tuple[str, str, date, int, int, int]]:
        u = translation_usage.c
        query = sa.select(u.engine, u.source_id, u.day, u.chars, u.tokens, u.requests)
        if engine is not None:
            query = query.where(u.engine == engine)
        if since is not None:
            query = query.where(u.day >= since)
        query = query.order_by(u.day.desc(), u.engine, u.source_id)
        with errors("read usage"), self.engine.connect() as conn:
            return [
                (r.engine, r.source_id, r.day, int(r.chars), int(r.tokens), int(r.requests))
                for r in conn.execute(query)
            ]

    def chars_used(self, engine: str, since: date) -> int:
        u = translation_usage.c
        query = sa.select(sa.func.coalesce(sa.func.sum(u.chars), 0)).where(
            (u.engine == engine) & (u.day >= since)
        )
        with errors("read usage"), self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def remote_glossary(self, engine: str, source: str, target: str) -> tuple[str, str] | None:
        g = engine_glossaries.c
        query = sa.select(g.glossary_version, g.remote_id).where(
            (g.engine == engine) & (g.source_lang == source) & (g.target_lang == target)
        )
        with errors("read remote glossary"), self.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        return None if row is None else (row.glossary_version, row.remote_id)

    def save_remote_glossary(
        self, engine: str, source: str, target: str, version: str, remote_id: str, now: datetime
    ) -> None:
        values = {"glossary_version": version, "remote_id": remote_id, "updated_at": now}
        with errors("save remote glossary"), self._write() as conn:
            statement = insert(conn, engine_glossaries).values(
                engine=engine, source_lang=source, target_lang=target, **values
            )
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["engine", "source_lang", "target_lang"], set_=values
                )
            )
