"""The built-in HTTP server: feeds, the localized site, operator status, health, metrics."""

from typing import Any

from syndicate.server.app import SyndicateApp, create_app
from syndicate.server.serving import uvicorn_config

__all__ = ["FileFastPath", "SyndicateApp", "create_app", "uvicorn_config"]


def __getattr__(name: str) -> Any:
    # FileFastPath is built on uvicorn's private module: imported only when asked for
    # (uvicorn_config imports it once the installed uvicorn is known to fit)
    if name == "FileFastPath":
        from syndicate.server.protocol import FileFastPath

        return FileFastPath
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
