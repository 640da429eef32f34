"""The built-in HTTP server: published feeds, the demo sources and a plain index page."""

from syndicate.server.app import create_app

__all__ = ["create_app"]
