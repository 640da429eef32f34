"""The ``syndicate`` command: a thin skin that parses arguments, calls the library, prints.

Exit codes: 0 ok, 1 user error (one clear message, no traceback), 2 usage, 3 a bug.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from syndicate.cli._common import current_config, opened, state, user_errors
from syndicate.cli._glossary import glossary_app
from syndicate.cli._partners import partners_app
from syndicate.cli._sources import sources_app
from syndicate.cli._topics import topics_app
from syndicate.cli._translations import translations_app
from syndicate.config import Config
from syndicate.errors import ConfigError, SyndicateError
from syndicate.ingest import Fetcher
from syndicate.publish import PublishReport, publish_feeds
from syndicate.publish.websub import send_pings
from syndicate.run import (
    CycleReport,
    make_owner,
    release_dead_leases,
    reroute_stored,
    run_cycle,
    sync_sources,
    utcnow,
)
from syndicate.storage import SqlStorage, create_engine, current_revision, upgrade
from syndicate.terms import concept_problems, load_term_base
from syndicate.terms.load import load_glossary
from syndicate.translate import Translator, make_engine

__all__ = ["app", "main"]


app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Poll multilingual feeds, route them by topic, republish per language.",
)
config_app = typer.Typer(no_args_is_help=True, help="Check the configuration.")
db_app = typer.Typer(no_args_is_help=True, help="Manage the database.")
app.add_typer(config_app, name="config")
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")
app.add_typer(glossary_app, name="glossary")
app.add_typer(translations_app, name="translations")
app.add_typer(partners_app, name="partners")
app.add_typer(topics_app, name="topics")


@app.callback()
def _global(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="SYNDICATE_CONFIG",
            help="Config file [default: config.toml]",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    """syndicate: one clean feed per language and topic.

    Example: syndicate --config config.toml poll --once
    """
    state["config_path"] = config
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
@user_errors
def run(
    host: Annotated[str | None, typer.Option(help="Listen address [default: server.host]")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [default: server.port]")] = None,
) -> None:
    """Run the worker and the HTTP server until Ctrl-C or SIGTERM.

    Example: syndicate run --port 8080
    """
    from syndicate.run.service import run_async, run_service  # the server: not for short commands

    config = current_config()
    with opened(config) as storage:
        run_async(
            run_service(config, storage, host or config.server.host, port or config.server.port)
        )


@app.command()
@user_errors
def poll(
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, then exit.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Ignore intervals and backoff (never a disabled source)."),
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source id (repeatable).")
    ] = None,
) -> None:
    """Fetch due sources, store what changed, publish changed feeds.

    Example: syndicate poll --once --source campus-it
    """
    config = current_config()
    unknown = [s for s in source or [] if s not in {c.id for c in config.sources}]
    if unknown:
        raise SyndicateError(f"unknown source id: {', '.join(unknown)}")
    with opened(config) as storage:
        if once:
            report = asyncio.run(_poll_once(config, storage, force, source or None))
            _print_cycle(report)
            _print_held(storage, report, source or None)
        else:
            from syndicate.run.service import run_worker

            asyncio.run(run_worker(config, storage))


async def _poll_once(
    config: Config, storage: SqlStorage, force: bool, only: list[str] | None
) -> CycleReport:
    await asyncio.to_thread(sync_sources, config, storage)
    await asyncio.to_thread(release_dead_leases, storage)
    terms = await asyncio.to_thread(load_glossary, config)
    await asyncio.to_thread(reroute_stored, config, storage, terms)
    engine = make_engine(config, storage, lambda: terms)
    translator = None if engine is None else Translator(config, storage, engine, owner=make_owner())
    try:
        async with Fetcher(config.fetch) as fetcher:
            return await run_cycle(
                config,
                storage,
                fetcher,
                force=force,
                only=only,
                terms=terms,
                translator=translator,
            )
    finally:
        if engine is not None:
            await engine.aclose()


def _print_held(storage: SqlStorage, report: CycleReport, only: list[str] | None) -> None:
    """The sources this cycle left to a live worker that holds them, and until when."""
    polled = {o.source_id for o in report.sources}
    for source_id, owner, until in storage.leased_sources(utcnow()):
        if source_id not in polled and (only is None or source_id in only):
            typer.echo(
                f"{source_id}: skipped, held by worker {owner} until {until:%Y-%m-%d %H:%M:%S} UTC"
            )


def _print_cycle(report: CycleReport) -> None:
    for outcome in report.sources:
        detail = outcome.error or (
            f"{outcome.result.inserted} new, {outcome.result.updated} "
            f"updated, {outcome.result.unchanged} unchanged"
        )
        typer.echo(f"{outcome.source_id}: {outcome.outcome.value} (HTTP {outcome.status}) {detail}")
    written = len(report.published.written) if report.published else 0
    t = report.translation
    if t is not None and (t.claimed or t.queued):
        typer.echo(
            f"translation: {t.translated} translated, {t.postponed} waiting, {t.failed} failed; "
            f"{t.requests} requests, {t.chars_billed} characters billed, "
            f"{t.cache_hits} segments from the cache"
            + (f"; stopped: {t.stopped}" if t.stopped else "")
        )
    typer.echo(
        f"{len(report.sources)} sources polled, {len(report.failed)} failed, "
        f"{written} feeds written in {report.seconds:.2f}s"
    )
    if report.published:
        _print_publish_problems(report.published)
    if report.publish_error:
        raise SyndicateError(
            f"publishing failed (the previous feeds are kept): {report.publish_error}"
        )


@app.command()
@user_errors
def worker() -> None:
    """Poll sources on schedule without serving; run several against one PostgreSQL.

    Workers claim due sources with a lease (SELECT ... FOR UPDATE SKIP LOCKED), so each
    source is fetched once per due time however many run. Reloads the config on SIGHUP.

    Example: SYNDICATE_DATABASE_URL=postgresql://syndicate@db/syndicate syndicate worker
    """
    from syndicate.run.service import run_worker

    config = current_config()
    with opened(config) as storage:
        asyncio.run(run_worker(config, storage))


@app.command()
@user_errors
def publish(
    force: Annotated[bool, typer.Option("--force", help="Rewrite every feed.")] = False,
) -> None:
    """Rebuild the feeds whose content changed (all of them with --force).

    Example: syndicate publish
    """
    config = current_config()
    with opened(config) as storage:
        terms = load_glossary(config)
        reroute_stored(config, storage, terms)
        report = publish_feeds(config, storage, utcnow(), force=force, glossary=terms.glossary)
        if config.publish.hub:
            send_pings(storage, utcnow(), user_agent=config.fetch.user_agent)
    typer.echo(
        f"{len(report.written)} feeds written, {report.unchanged} unchanged in {config.output_dir}"
    )
    _print_publish_problems(report)


def _print_publish_problems(report: PublishReport, most: int = 20) -> None:
    """Entries left out and feeds not written, on stderr: at most ``most`` lines."""
    lines = [str(note) for note in report.left_out]
    lines += [f"{path} not written (the previous file stays): {why}" for path, why in report.failed]
    for line in lines[:most]:
        typer.echo(f"warning: {line}", err=True)
    if len(lines) > most:
        typer.echo(f"warning: and {len(lines) - most} more (see the log)", err=True)


@app.command("serve")
@user_errors
def serve_command(
    host: Annotated[str | None, typer.Option(help="Listen address [default: server.host]")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port [default: server.port]")] = None,
) -> None:
    """Serve the feeds, keeping this node's files up to the database (no polling).

    Example: syndicate serve --host 0.0.0.0 --port 8080
    """
    from syndicate.run.service import run_async, serve

    config = current_config()
    with opened(config) as storage:
        run_async(serve(config, storage, host or config.server.host, port or config.server.port))


@config_app.command("check")
@user_errors
def config_check() -> None:
    """Validate the config; print every problem as file:line: key: message.

    Example: syndicate --config config.toml config check
    """
    config = current_config()
    terms = load_term_base(config)
    for problem in terms.problems:
        typer.echo(f"warning: {problem} (row left out)", err=True)
    unknown = concept_problems(config, terms.glossary)
    if unknown:
        raise ConfigError(unknown)
    typer.echo(
        f"{config.path.name}: ok ({len(config.sources)} sources, {len(config.topics)} "
        f"topics, languages {', '.join(config.service.languages)})"
    )


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Migrate the database to the newest schema.

    Example: syndicate db upgrade
    """
    config = current_config()
    engine = create_engine(config.database_url)
    try:
        before = current_revision(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    typer.echo(f"database at revision {after}" + ("" if before == after else f" (was {before})"))


def main() -> None:
    """Console entry point: bugs exit 3 with a traceback; user errors were handled above."""
    try:
        app(prog_name="syndicate")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        typer.echo("syndicate: internal error (a bug); please report the traceback above", err=True)
        sys.exit(3)
