"""The `syndicate translations` commands: what machine translation is doing, and retrying."""

from __future__ import annotations

import json

import typer

from syndicate.cli._common import JsonFlag, current_config, opened, user_errors
from syndicate.run import utcnow
from syndicate.translate import translation_status

__all__ = ["translations_app"]

translations_app = typer.Typer(no_args_is_help=True, help="Inspect machine translation.")


@translations_app.command("status")
@user_errors
def translations_status(as_json: JsonFlag = False) -> None:
    """Counts per language, spending against the caps, and each waiting article with why.

    Example: syndicate translations status --json
    """
    config = current_config()
    with opened(config) as storage:
        report = translation_status(config, storage, utcnow())
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return
    caps = []
    if report.daily_cap is not None:
        caps.append(f"today {report.chars_today} of {report.daily_cap}")
    else:
        caps.append(f"today {report.chars_today}")
    if report.monthly_cap is not None:
        caps.append(f"this month {report.chars_month} of {report.monthly_cap}")
    else:
        caps.append(f"this month {report.chars_month}")
    typer.echo(f"engine: {report.engine}; characters sent: {', '.join(caps)}")
    if report.tokens_month:
        typer.echo(f"tokens this month: {report.tokens_month}")
    for target, by_status in sorted(report.counts.items()):
        parts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        typer.echo(f"into {target}: {parts}")
    for source_id, (today, month, requests) in sorted(report.per_source.items()):
        typer.echo(f"  {source_id}: {today} chars today, {month} this month, {requests} requests")
    for w in report.waiting:
        when = f", next try {w.next_attempt_at:%Y-%m-%d %H:%M} UTC" if w.next_attempt_at else ""
        typer.echo(
            f"{w.status}: {w.source_id} #{w.article_id} -> {w.target} "
            f"(attempts {w.attempts}{when}): {w.kind or '-'}: {w.reason or 'not tried yet'}"
        )
        typer.echo(f"    {w.title}")
    for target, outcomes in sorted(report.qa.items()):
        parts = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items())
        typer.echo(f"glossary QA into {target}, newest translations: {parts}")
    for source_id, title, target, flags in report.flagged:
        typer.echo(f"QA: {source_id} -> {target}: {title}")
        for flag in flags:
            typer.echo(f"    {flag}")


@translations_app.command("retry")
@user_errors
def translations_retry() -> None:
    """Make failed translations pending again (due at the next cycle).

    Example: syndicate translations retry
    """
    config = current_config()
    with opened(config) as storage:
        count = storage.retry_translations()
    typer.echo(f"{count} failed translations queued again")
