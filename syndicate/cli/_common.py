"""What the CLI's command modules share: the chosen config, error handling, the database."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import typer

from syndicate.config import Config, load_config
from syndicate.errors import ConfigError, SyndicateError
from syndicate.storage import SqlStorage, open_storage

__all__ = ["JsonFlag", "SourceIdArgument", "current_config", "opened", "state", "user_errors"]

F = TypeVar("F", bound=Callable[..., Any])

#: set by the CLI's global options
state: dict[str, Any] = {}

#: the ``--json`` option of the commands that can print JSON
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
#: a command's source id argument
SourceIdArgument = Annotated[str, typer.Argument(help="The source id from the config.")]


def user_errors(func: F) -> F:
    """Turn a SyndicateError into one line (or one line per config problem) and exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(1) from None
        except SyndicateError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def current_config() -> Config:
    return load_config(state.get("config_path"))


@contextlib.contextmanager
def opened(config: Config) -> Iterator[SqlStorage]:
    """The database of ``config``, migrated, closed after the command."""
    storage = open_storage(config.database_url)
    try:
        yield storage
    finally:
        storage.close()
