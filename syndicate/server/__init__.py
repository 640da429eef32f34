"""The built-in HTTP server: feeds, the localized site, operator status, health, metrics."""

from syndicate.server.app import SyndicateApp, create_app
from syndicate.server.protocol import FileFastPath
from syndicate.server.serving import uvicorn_config

__all__ = ["FileFastPath", "SyndicateApp", "create_app", "uvicorn_config"]
