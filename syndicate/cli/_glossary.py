"""``syndicate glossary …``: lint, match, import, export, report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from syndicate.cli._common import current_config, opened, user_errors
from syndicate.errors import SyndicateError
from syndicate.terms import Matcher, load_term_base
from syndicate.terms.csvfile import write_csv
from syndicate.terms.lint import check_concepts, lint_files, read_glossary_file
from syndicate.terms.load import glossary_paths
from syndicate.terms.tbx import write_tbx

__all__ = ["glossary_app"]

glossary_app = typer.Typer(no_args_is_help=True, help="Check, search and convert glossaries.")


@glossary_app.command("lint")
@user_errors
def lint(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files [default: glossary.files]")
    ] = None,
) -> None:
    """Check glossary files; print every problem as FILE:LINE: message (exit 1 if any).

    Example: syndicate glossary lint locales/glossary/syndicate-terms.csv
    """
    config = current_config()
    paths = list(files or glossary_paths(config))
    if not paths:
        raise SyndicateError("no glossary files: name some, or set glossary.files")
    problems = lint_files(paths, config.service.languages)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{len(paths)} file(s): ok")


@glossary_app.command("match")
@user_errors
def match(
    text: Annotated[str, typer.Argument(help="The text to search ('-' reads standard input).")],
    lang: Annotated[str, typer.Option("--lang", help="The language of TEXT.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    html: Annotated[
        bool, typer.Option("--html", help="TEXT is HTML: match text nodes only.")
    ] = False,
) -> None:
    """Find glossary terms in TEXT (offsets are characters of TEXT).

    Example: syndicate glossary match --lang it "L'accumulo dell'energia a Valmora"
    """
    if text == "-":
        text = sys.stdin.read()
    terms = load_term_base(current_config())
    matcher = terms.matcher or Matcher(())
    found = matcher.match_html(text, lang) if html else matcher.match(text, lang)
    if as_json:
        rows = [
            {
                "concept": m.concept,
                "term": m.term,
                "status": m.status.value,
                "start": m.start,
                "end": m.end,
            }
            for m in found
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for m in found:
        typer.echo(
            f"{m.start}-{m.end}\t{text[m.start : m.end]}\t{m.concept}\t{m.term}\t{m.status.value}"
        )


@glossary_app.command("import")
@user_errors
def import_file(
    source: Annotated[Path, typer.Argument(help="A .tbx (v2 or v3) or .csv glossary.")],
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the CSV [default: locales/glossary/NAME.csv beside the config]"
        ),
    ] = None,
) -> None:
    """Import a glossary as our CSV, after checking it; refuses a file with problems.

    Example: syndicate glossary import partner-terms.tbx
    """
    config = current_config()
    concepts, problems = read_glossary_file(source)
    problems += check_concepts(concepts, config.service.languages)
    for problem in sorted(problems):
        typer.echo(str(problem), err=True)
    if problems:
        raise SyndicateError(f"{source}: {len(problems)} problem(s), nothing imported")
    target = output or config.base_dir / "locales" / "glossary" / f"{source.stem}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(write_csv(concepts), "utf-8")
    typer.echo(
        f"{len(concepts)} concepts written to {target}; make sure glossary.files includes it"
    )


@glossary_app.command("export")
@user_errors
def export(
    fmt: Annotated[str, typer.Option("--format", help="tbx or csv")] = "tbx",
    output: Annotated[Path | None, typer.Option(help="File [default: standard output]")] = None,
) -> None:
    """Export every configured glossary, merged, as TBX-Basic or CSV.

    Example: syndicate glossary export --format tbx --output terms.tbx
    """
    if fmt not in ("tbx", "csv"):
        raise SyndicateError(f"--format must be tbx or csv, got {fmt!r}")
    config = current_config()
    glossary = load_term_base(config).glossary
    data = (
        write_tbx(glossary, config.service.languages[0])
        if fmt == "tbx"
        else write_csv(glossary).encode("utf-8")
    )
    if output:
        output.write_bytes(data)
        typer.echo(f"{len(glossary)} concepts written to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


@glossary_app.command("report")
@user_errors
def report(
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
) -> None:
    """Deprecated terms that sources used: the words the organisation has retired.

    Example: syndicate glossary report
    """
    config = current_config()
    glossary = load_term_base(config).glossary
    with opened(config) as storage:
        rows = storage.mentions_with_status("deprecated", limit)
    if not rows:
        typer.echo("no deprecated terms found in stored articles")
        return
    for source_id, title, mention in rows:
        concept = glossary.get(mention.concept)
        lang = (
            next((t.lang for t in concept.terms if t.text == mention.term), "") if concept else ""
        )
        better = concept.preferred(lang) if concept and lang else None
        typer.echo(f"{source_id}\t{mention.term!r} -> {better.text if better else '?'!r}\t{title}")
