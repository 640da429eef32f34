"""The health of each configured source, for ``sources status`` and the status page. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from syndicate.config import Config
from syndicate.models import SourceState
from syndicate.run import interval_in_force

__all__ = ["Health", "SourceStatus", "source_statuses"]


class Health(StrEnum):
    """A source's health, in the order ``sources status`` lists them (worst first)."""

    FAILING = "failing"
    #: switched off by syndicate (gone, or failing for too long)
    DISABLED = "disabled"
    #: never polled yet
    NEW = "new"
    OK = "ok"
    #: switched off in the config (``enabled = false``)
    OFF = "off"


@dataclass(frozen=True)
class SourceStatus:
    """One row of ``sources status``."""

    id: str
    #: the URL polled (a permanent redirect's target once adopted)
    url: str
    #: declared language, or None (taken from the feed or detected per article)
    language: str | None
    #: configured and not switched off
    enabled: bool
    health: Health
    #: HTTP status of the last poll, or the kind of failure when no status came (timeout, dns…)
    last_status: int | str | None
    last_error: str | None
    error_count: int
    last_fetch_at: datetime | None
    next_poll_at: datetime | None
    #: a server's Retry-After: no request before this
    retry_until: datetime | None
    interval_seconds: float
    interval_reason: str
    disabled_reason: str | None
    articles: int
    etag: str | None
    last_modified: str | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("last_fetch_at", "next_poll_at", "retry_until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def source_statuses(config: Config, states: list[SourceState]) -> list[SourceStatus]:
    """One status per configured source, failing ones first, then by id."""
    by_id = {state.id: state for state in states}
    rows = []
    for source in config.sources:
        state = by_id.get(source.id) or SourceState(source.id, source.url)
        if not source.enabled:
            health = Health.OFF
        elif state.disabled_reason:
            health = Health.DISABLED
        elif state.error_count:
            health = Health.FAILING
        elif state.last_polled_at is None:
            health = Health.NEW
        else:
            health = Health.OK
        last_status: int | str | None = state.last_status
        if state.error_count and not state.last_status:
            last_status = state.last_error_kind or "error"
        interval = interval_in_force(config, source, state.interval_seconds, state.interval_reason)
        rows.append(
            SourceStatus(
                id=source.id,
                url=state.fetch_url,
                language=source.language,
                enabled=source.enabled,
                health=health,
                last_status=last_status,
                last_error=state.last_error,
                error_count=state.error_count,
                last_fetch_at=state.last_polled_at,
                next_poll_at=state.next_poll_at,
                retry_until=state.retry_until,
                interval_seconds=interval.seconds,
                interval_reason=interval.reason,
                disabled_reason=state.disabled_reason,
                articles=state.article_count,
                etag=state.etag,
                last_modified=state.last_modified,
            )
        )
    order = {health: rank for rank, health in enumerate(Health)}
    return sorted(rows, key=lambda r: (order[r.health], r.id))
