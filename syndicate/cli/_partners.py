"""``syndicate partners …``: make a partner's token; list partners."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from syndicate.cli._common import current_config, user_errors

__all__ = ["partners_app"]

partners_app = typer.Typer(no_args_is_help=True, help="Partner sites that read private feeds.")


@partners_app.command("token")
@user_errors
def token(
    partner: Annotated[str, typer.Argument(help="The partner's id, for the config snippet")],
) -> None:
    """Make a new random token; print it (give it to the partner) and the [[partners]]
    table for config.toml, which holds only its SHA-256.

    Example: syndicate partners token tokyo-office
    """
    value = secrets.token_urlsafe(32)
    typer.echo(f"token for {partner} (shown once; give it to the partner): {value}")
    typer.echo("")
    typer.echo("[[partners]]")
    typer.echo(f'id = "{partner}"')
    from syndicate.server.partners import hash_token  # the server's package: imported late

    typer.echo(f'token_sha256 = "{hash_token(value)}"')
    typer.echo("requests_per_minute = 60")


@partners_app.command("list")
@user_errors
def list_partners() -> None:
    """The configured partners, their rate and the private topics they may read.

    Example: syndicate partners list
    """
    config = current_config()
    private = config.private_topics
    typer.echo(f"private topics: {', '.join(private) or 'none'}")
    for p in config.partners:
        topics = ", ".join(p.topics) or "every private topic"
        typer.echo(f"{p.id}: {p.requests_per_minute}/min (burst {p.burst}); reads {topics}")
    if not config.partners:
        typer.echo("no partners configured")
