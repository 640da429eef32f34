"""Storage of machine translation's job queue (what the engines keep, the segment cache,
usage and remote glossaries, is in ``engine_state.py``).

A row of ``translations`` is both a job and its result: ``pending`` until an engine has
translated every requested field, then ``done`` with the fields and the QA outcome, or
``failed`` after too many attempts. Rows are claimed with a lease, like sources, so workers
sharing a PostgreSQL database never translate the same article twice at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syndicate.models import Translation, TranslationJob, TranslationStatus
from syndicate.storage.changes import note_change
from syndicate.storage.common import StoreBase, chunks, errors, insert, record
from syndicate.storage.protocols import TranslationStorage
from syndicate.storage.schema import articles, translations

__all__ = ["TranslationStore"]

_FIELDS = ("title", "summary", "content")


class TranslationStore(StoreBase, TranslationStorage):
    """Translation jobs: see :class:`syndicate.storage.TranslationStorage` for the contracts."""

    def queue_translations(
        self,
        targets: Sequence[str],
        fields_of: Mapping[str, tuple[str, ...]],
        engine: str,
        glossary_version: str,
        now: datetime,
        limit: int = 1000,
    ) -> int:
        t, a = translations.c, articles.c
        wanted = {source: ",".join(fields) for source, fields in fields_of.items() if fields}
        if not wanted:
            return 0
        sort = a.sort_date
        queued = 0
        with errors("queue translations"), self._write() as conn:
            for target in targets:
                joined = articles.outerjoin(
                    translations, (t.article_id == a.id) & (t.target_lang == target)
                )
                fields_now = sa.case(wanted, value=a.source_id, else_="")
                stale = (
                    t.article_id.is_(None)
                    | (t.source_hash != a.content_hash)
                    | (t.engine != engine)
                    | (t.glossary_version != glossary_version)
                    | (t.fields != fields_now)
                )
                rows = conn.execute(
                    sa.select(a.id, a.source_id, a.language, a.content_hash, t.article_id)
                    .select_from(joined)
                    .where(a.source_id.in_(sorted(wanted)) & (a.language != target))
                    .where((a.language != "") & stale)
                    .order_by(sort.desc(), a.id.desc())
                    .limit(max(0, limit - queued))
                ).fetchall()
                for row in rows:
                    values = {
                        "engine": engine,
                        "glossary_version": glossary_version,
                        "source_lang": row.language,
                        "source_hash": row.content_hash,
                        "fields": wanted[row.source_id],
                        "status": TranslationStatus.PENDING.value,
                        "title": None,
                        "summary": None,
                        "content": None,
                        "qa": None,
                        "error": None,
                        "error_kind": None,
                        "attempts": 0,
                        "next_attempt_at": None,
                        "chars_billed": 0,
                        "tokens": 0,
                        "updated_at": now,
                    }
                    if row[4] is not None:
                        conn.execute(
                            translations.update()
                            .where((t.article_id == row.id) & (t.target_lang == target))
                            .values(values)
                        )
                    else:
                        conn.execute(
                            insert(conn, translations)
                            .values(article_id=row.id, target_lang=target, created_at=now, **values)
                            .on_conflict_do_nothing(index_elements=["article_id", "target_lang"])
                        )
                    queued += 1
        return queued

    def claim_translations(
        self, owner: str, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[TranslationJob]:
        t, a = translations.c, articles.c
        due = (
            (t.status == TranslationStatus.PENDING.value)
            & (t.next_attempt_at.is_(None) | (t.next_attempt_at <= now))
            & (t.lease_until.is_(None) | (t.lease_until < now))
        )
        sort = a.sort_date
        pick = (
            sa.select(t.article_id, t.target_lang)
            .join(articles, a.id == t.article_id)
            .where(due)
            .order_by(sort.desc(), t.article_id.desc(), t.target_lang)
            .limit(limit)
        )
        with errors("claim translations"), self._write() as conn:
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(of=translations, skip_locked=True)
            keys = [(r.article_id, r.target_lang) for r in conn.execute(pick)]
            jobs: list[TranslationJob] = []
            for article_id, target in keys:
                claimed = conn.execute(
                    translations.update()
                    .where((t.article_id == article_id) & (t.target_lang == target) & due)
                    .values(lease_owner=owner, lease_until=lease_until)
                ).rowcount
                if not claimed:
                    continue
                row = conn.execute(
                    sa.select(
                        a.id,
                        a.source_id,
                        a.language,
                        a.title,
                        a.summary,
                        a.content,
                        a.content_hash,
                        t.fields,
                        t.attempts,
                    )
                    .join(translations, t.article_id == a.id)
                    .where((a.id == article_id) & (t.target_lang == target))
                ).one()
                wanted = [f for f in row.fields.split(",") if f in _FIELDS]
                jobs.append(
                    TranslationJob(
                        article_id=row.id,
                        source_id=row.source_id,
                        source_lang=row.language,
                        target_lang=target,
                        fields={f: getattr(row, f) or "" for f in wanted},
                        source_hash=row.content_hash,
                        attempts=row.attempts,
                    )
                )
        return jobs

    def save_translation(
        self, job: TranslationJob, done: Translation, owner: str, now: datetime
    ) -> bool:
        t = translations.c
        values = {
            "status": TranslationStatus.DONE.value,
            "engine": done.engine,
            "glossary_version": done.glossary_version,
            "title": done.title,
            "summary": done.summary,
            "content": done.content,
            "qa": json.dumps(
                {
                    "fixes": list(done.fixes),
                    "retranslated": list(done.retranslated),
                    "flags": list(done.flags),
                }
            ),
            "chars_billed": done.chars_billed,
            "tokens": done.tokens,
            "error": None,
            "error_kind": None,
            "next_attempt_at": None,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
            "attempts": t.attempts + 1,
        }
        with errors("save translation"), self._write() as conn:
            current = conn.execute(
                sa.select(articles.c.content_hash).where(articles.c.id == job.article_id)
            ).scalar_one_or_none()
            if current != job.source_hash:
                _release(conn, job, owner)
                return False
            saved = conn.execute(
                translations.update()
                .where(_key(job) & (t.source_hash == job.source_hash))
                .values(values)
            ).rowcount
            if saved:  # the target language's feeds change on every node (changes.py)
                note_change(conn, None, now)
            return bool(saved)

    def postpone_translation(
        self,
        job: TranslationJob,
        owner: str,
        *,
        kind: str,
        error: str,
        next_attempt_at: datetime | None,
        now: datetime,
        attempt: bool = True,
        give_up: bool = False,
    ) -> None:
        t = translations.c
        values: dict[str, Any] = {
            "error": error,
            "error_kind": kind,
            "next_attempt_at": next_attempt_at,
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        if attempt:
            values["attempts"] = t.attempts + 1
        if give_up:
            values["status"] = TranslationStatus.FAILED.value
        with errors("postpone translation"), self._write() as conn:
            conn.execute(
                translations.update()
                .where(
                    _key(job)
                    & (t.lease_owner == owner)
                    & (t.status == TranslationStatus.PENDING.value)
                )
                .values(values)
            )

    def retry_translations(self, status: TranslationStatus = TranslationStatus.FAILED) -> int:
        with errors("retry translations"), self._write() as conn:
            return int(
                conn.execute(
                    translations.update()
                    .where(translations.c.status == status.value)
                    .values(
                        status=TranslationStatus.PENDING.value, attempts=0, next_attempt_at=None
                    )
                ).rowcount
            )

    def translations_for(self, article_ids: Sequence[int], target: str) -> dict[int, Translation]:
        t, a = translations.c, articles.c
        found: dict[int, Translation] = {}
        with errors("read translations"), self.engine.connect() as conn:
            for part in chunks(list(article_ids), 500):
                query = (
                    sa.select(translations)
                    .join(articles, a.id == t.article_id)
                    .where(t.article_id.in_(part) & (t.target_lang == target))
                    .where(
                        (t.status == TranslationStatus.DONE.value)
                        & (t.source_hash == a.content_hash)
                    )
                )
                found |= {row.article_id: _translation(row._mapping) for row in conn.execute(query)}
        return found

    def translation_rows(
        self, statuses: Iterable[str], limit: int = 200
    ) -> list[tuple[str, str, Translation]]:
        t, a = translations.c, articles.c
        query = (
            sa.select(translations, a.source_id, a.title.label("article_title"))
            .join(articles, a.id == t.article_id)
            .where(t.status.in_(list(statuses)))
            .order_by(t.updated_at.desc(), t.article_id.desc())
            .limit(limit)
        )
        with errors("read translations"), self.engine.connect() as conn:
            return [
                (r.source_id, r.article_title, _translation(r._mapping))
                for r in conn.execute(query)
            ]

    def translation_counts(self) -> dict[tuple[str, str], int]:
        t = translations.c
        query = sa.select(t.target_lang, t.status, sa.func.count()).group_by(
            t.target_lang, t.status
        )
        with errors("count translations"), self.engine.connect() as conn:
            return {(r[0], r[1]): int(r[2]) for r in conn.execute(query)}


def _key(job: TranslationJob) -> Any:
    t = translations.c
    return (t.article_id == job.article_id) & (t.target_lang == job.target_lang)


def _release(conn: sa.Connection, job: TranslationJob, owner: str) -> None:
    t = translations.c
    conn.execute(
        translations.update()
        .where(_key(job) & (t.lease_owner == owner))
        .values(lease_owner=None, lease_until=None)
    )


def _translation(row: Any) -> Translation:
    qa = json.loads(row["qa"]) if row["qa"] else {}
    return record(
        Translation,
        row,
        status=TranslationStatus(row["status"]),
        fixes=tuple(qa.get("fixes", ())),
        flags=tuple(qa.get("flags", ())),
        retranslated=tuple(qa.get("retranslated", ())),
    )
