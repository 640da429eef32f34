"""Storage of the workers: each one's last poll cycle (for /healthz and the status page),
the leases they hold on sources and translations."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa

from syndicate.models import WorkerCycle
from syndicate.storage.common import StoreBase, as_utc, errors, insert, record
from syndicate.storage.protocols import WorkerStorage
from syndicate.storage.schema import sources, translations, worker_cycles

__all__ = ["WorkerStore"]


class WorkerStore(StoreBase, WorkerStorage):
    """Cycles and leases: see :class:`syndicate.storage.WorkerStorage` for the contracts."""

    def record_cycle(self, cycle: WorkerCycle) -> None:
        values = asdict(cycle)
        with errors("record cycle"), self._write() as conn:
            statement = insert(conn, worker_cycles).values(values)
            update = {k: statement.excluded[k] for k in values if k != "owner"}
            if not cycle.ok:
                update["last_success_at"] = worker_cycles.c.last_success_at
            conn.execute(statement.on_conflict_do_update(index_elements=["owner"], set_=update))

    def worker_cycles(self) -> list[WorkerCycle]:
        query = sa.select(worker_cycles).order_by(worker_cycles.c.finished_at.desc())
        with errors("read cycles"), self.engine.connect() as conn:
            return [
                record(WorkerCycle, row._mapping, ok=bool(row.ok)) for row in conn.execute(query)
            ]

    def leased_sources(self, now: datetime) -> list[tuple[str, str, datetime]]:
        c = sources.c
        query = (
            sa.select(c.id, c.lease_owner, c.lease_until)
            .where(c.lease_owner.is_not(None) & (c.lease_until > now))
            .order_by(c.id)
        )
        with errors("read leases"), self.engine.connect() as conn:
            return [(r.id, r.lease_owner, as_utc(r.lease_until)) for r in conn.execute(query)]

    def lease_owners(self) -> set[str]:
        with errors("read leases"), self.engine.connect() as conn:
            return {
                owner
                for table in (sources, translations)
                for owner in conn.scalars(
                    sa.select(table.c.lease_owner)
                    .where(table.c.lease_owner.is_not(None))
                    .distinct()
                )
            }

    def release_leases(self, owner: str) -> None:
        with errors("release leases"), self._write() as conn:
            for table in (sources, translations):
                conn.execute(
                    table.update()
                    .where(table.c.lease_owner == owner)
                    .values(lease_owner=None, lease_until=None)
                )
