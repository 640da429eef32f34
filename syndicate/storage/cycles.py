"""Storage of each worker's last poll cycle (for /healthz and the status page)."""

from __future__ import annotations

from dataclasses import asdict

import sqlalchemy as sa

from syndicate.models import WorkerCycle
from syndicate.storage.common import StoreBase, errors, insert
from syndicate.storage.schema import worker_cycles

__all__ = ["CycleStore"]


class CycleStore(StoreBase):
    """See :class:`syndicate.storage.Storage` for the contracts."""

    def record_cycle(self, cycle: WorkerCycle) -> None:
        """Replace the worker's row; a failed cycle keeps the time of the last good one."""
        values = asdict(cycle)
        with errors("record cycle"), self._write() as conn:
            statement = insert(conn, worker_cycles).values(values)
            update = {k: statement.excluded[k] for k in values if k != "owner"}
            if not cycle.ok:
                update["last_success_at"] = worker_cycles.c.last_success_at
            conn.execute(statement.on_conflict_do_update(index_elements=["owner"], set_=update))

    def worker_cycles(self) -> list[WorkerCycle]:
        """Every worker's last cycle, the most recent first."""
        query = sa.select(worker_cycles).order_by(worker_cycles.c.finished_at.desc())
        with errors("read cycles"), self.engine.connect() as conn:
            return [
                WorkerCycle(**{**row._mapping, "ok": bool(row.ok)}) for row in conn.execute(query)
            ]
