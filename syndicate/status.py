"""The health of each configured source, for ``sources status`` and the status page. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from syndicate.config import Config
from syndicate.models import SourceState

__all__ = ["SourceStatus", "source_statuses"]


@dataclass(frozen=True)
class SourceStatus:
    """One row of ``sources status``."""

    id: str
    url: str
    #: ok, failing, disabled or new (never polled)
    health: str
    last_status: int | None
    last_polled_at: datetime | None
    next_poll_at: datetime | None
    interval_seconds: float
    error_count: int
    last_error: str | None
    articles: int
    etag: str | None
    last_modified: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_polled_at", "next_poll_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def source_statuses(config: Config, states: list[SourceState]) -> list[SourceStatus]:
    """One status per configured source, failing ones first, then by id."""
    by_id = {state.id: state for state in states}
    rows = []
    for source in config.sources:
        state = by_id.get(source.id) or SourceState(source.id, source.url)
        if state.disabled_reason:
            health = "disabled"
        elif state.error_count:
            health = "failing"
        elif state.last_polled_at is None:
            health = "new"
        else:
            health = "ok"
        rows.append(
            SourceStatus(
                id=source.id,
                url=state.fetch_url,
                health=health,
                last_status=state.last_status,
                last_polled_at=state.last_polled_at,
                next_poll_at=state.next_poll_at,
                interval_seconds=config.interval_of(source),
                error_count=state.error_count,
                last_error=state.disabled_reason or state.last_error,
                articles=state.article_count,
                etag=state.etag,
                last_modified=state.last_modified,
            )
        )
    order = {"failing": 0, "disabled": 1, "new": 2, "ok": 3}
    return sorted(rows, key=lambda r: (order[r.health], r.id))
