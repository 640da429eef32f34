"""``syndicate topics …``: ask the router about a text."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from syndicate.cli._common import JsonFlag, current_config, user_errors
from syndicate.errors import SyndicateError
from syndicate.ingest import detect_language
from syndicate.models import Article
from syndicate.terms import load_term_base
from syndicate.terms.routing import Explanation, explain

__all__ = ["topics_app"]

topics_app = typer.Typer(no_args_is_help=True, help="Ask how texts are routed to topics.")


@topics_app.command("explain")
@user_errors
def explain_command(
    text: Annotated[
        str | None, typer.Argument(help="The text ('-' reads standard input).", show_default=False)
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read the text from FILE (UTF-8).")
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Its language [default: detected].")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="A title: its concepts count double.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """The concepts found in a text, their scores, and the topics it would join, and why.

    Example: syndicate topics explain --lang ja "東京都は電気自動車（EV）の充電スタンドを増やす"
    """
    body = _read(text, file)
    config = current_config()
    language = lang or detect_language(f"{title}\n{body}") or config.service.languages[0]
    if language not in config.service.languages:
        raise SyndicateError(
            f"language {language!r} is not configured (service.languages: "
            f"{', '.join(config.service.languages)}); give one with --lang"
        )
    article = Article("explain", "explain", None, title, "", _html(body), language=language)
    result = explain(article, config, load_term_base(config).matcher)
    if as_json:
        typer.echo(json.dumps(asdict(result), ensure_ascii=False, indent=1))
        return
    typer.echo(_describe(result, detected=lang is None))


def _read(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise SyndicateError("give either TEXT or --file FILE")
    if file is not None:
        try:
            return file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SyndicateError(f"cannot read {file}: {exc}") from exc
    assert text is not None
    return sys.stdin.read() if text == "-" else text


def _html(text: str) -> str:
    """Plain text as the HTML an article's content is (markup in it stays markup)."""
    return text if "<" in text else text.replace("&", "&amp;")


def _describe(result: Explanation, detected: bool) -> str:
    lines = [f"language: {result.language}{' (detected)' if detected else ''}", ""]
    if result.concepts:
        lines.append("concepts (score = weight, x2 in the title; each concept counts once):")
        for c in result.concepts:
            where = "title" if c.in_title else "text"
            topics = ", ".join(c.topics) or "no topic"
            lines.append(
                f"  {c.concept:<32} {c.score:>4g}  {', '.join(c.terms)} "
                f"({c.count}x, {where}, weight {c.weight:g}) -> {topics}"
            )
    else:
        lines.append("concepts: none found")
    lines += ["", "topics:"]
    for t in result.topics:
        verdict = "joins" if t.reason else "no"
        lines.append(f"  {t.topic:<16} {t.score:>5g} of {t.min_score:<3} {verdict}")
    lines += [f"  {topic:<16} joins by {reason}" for topic, reason in result.other]
    return "\n".join(lines)
