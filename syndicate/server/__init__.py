"""The built-in HTTP server: feeds, the localized site, operator status, health, metrics."""

from syndicate.server.app import SyndicateApp, create_app

__all__ = ["SyndicateApp", "create_app"]
