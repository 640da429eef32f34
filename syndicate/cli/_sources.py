"""``syndicate sources …``: each source's health, a poll that stores nothing, enabling."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import typer

from syndicate.cli._common import JsonFlag, SourceIdArgument, current_config, opened, user_errors
from syndicate.ingest import EntryChange
from syndicate.run import (
    check_source,
    utcnow,
)
from syndicate.status import source_statuses
from syndicate.translate import usage_by_source

__all__ = ["sources_app"]


sources_app = typer.Typer(no_args_is_help=True, help="Inspect sources.")


@sources_app.command("status")
@user_errors
def sources_status(as_json: JsonFlag = False) -> None:
    """Show each source's health: failing first.

    Example: syndicate sources status --json
    """
    config = current_config()
    with opened(config) as storage:
        rows = source_statuses(config, storage.source_states())
        usage = usage_by_source(storage, utcnow())
    if as_json:
        out = [
            row.to_json()
            | {
                "translated_chars_today": usage.get(row.id, (0, 0, 0))[0],
                "translated_chars_month": usage.get(row.id, (0, 0, 0))[1],
            }
            for row in rows
        ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"{'SOURCE':<22} {'HEALTH':<9} {'LAST':>9} {'ARTICLES':>8} {'ERRORS':>6}  "
        f"{'NEXT POLL (UTC)':<19}  INTERVAL / LAST ERROR"
    )
    for row in rows:
        next_poll = f"{row.next_poll_at:%Y-%m-%d %H:%M:%S}" if row.next_poll_at else "now"
        if row.retry_until:
            next_poll = f"{row.retry_until:%Y-%m-%d %H:%M:%S}"
        typer.echo(
            f"{row.id:<22} {row.health:<9} {row.last_status or '-':>9} {row.articles:>8} "
            f"{row.error_count:>6}  {next_poll:<19}  {row.interval_reason}"
        )
        if row.disabled_reason or row.last_error:
            typer.echo(f"{'':<22} {row.disabled_reason or row.last_error}")
        if row.id in usage:
            today, month, requests = usage[row.id]
            typer.echo(
                f"{'':<22} machine translation: {today} characters today, {month} this month "
                f"({requests} requests); see `syndicate translations status`"
            )


@sources_app.command("check")
@user_errors
def sources_check(source_id: SourceIdArgument) -> None:
    """Fetch one source now and show what a poll would store; stores nothing.

    Example: syndicate sources check campus-it
    """
    config = current_config()
    with opened(config) as storage:
        preview = asyncio.run(check_source(config, storage, source_id))
    typer.echo(
        f"{preview.source_id}: HTTP {preview.status} from {preview.url}, "
        f"{preview.size} bytes{', malformed: ' + preview.problem if preview.problem else ''}"
    )
    counts = Counter(entry.change for entry in preview.entries)
    typer.echo(
        f"{len(preview.entries)} entries: {counts[EntryChange.NEW]} new, "
        f"{counts[EntryChange.CHANGED]} changed, {counts[EntryChange.SAME]} unchanged"
    )
    for entry in preview.entries:
        topics = ",".join(entry.topics) or "-"
        typer.echo(f"  {entry.change:<8} {entry.language:<5} {topics:<24} {entry.title}")


@sources_app.command("enable")
@user_errors
def sources_enable(source_id: SourceIdArgument) -> None:
    """Clear a source's disabling (e.g. after 410 Gone) so that it is polled again at once.

    Example: syndicate sources enable city-it
    """
    config = current_config()
    config.source(source_id)  # unknown ids are a user error
    with opened(config) as storage:
        storage.enable_source(source_id)
    typer.echo(f"{source_id}: enabled; it is polled at the next cycle")
