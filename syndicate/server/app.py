"""Starlette application serving ``feeds/``, the bundled demo sources and an index page."""

from __future__ import annotations

import html
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from syndicate.config import Config
from syndicate.errors import StorageError
from syndicate.publish import feed_specs
from syndicate.storage import Storage

__all__ = ["CONTENT_TYPES", "DEMO_DIR", "create_app"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"

CONTENT_TYPES = {
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
}


class FeedFiles(StaticFiles):
    """Static files with feed content types; Starlette adds ETag, Last-Modified and 304."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        media_type = CONTENT_TYPES.get(Path(full_path).suffix)
        response = FileResponse(
            full_path, status_code=status_code, stat_result=stat_result, media_type=media_type
        )
        if self.is_not_modified(response.headers, Request(scope).headers):
            return NotModifiedResponse(response.headers)
        return response


def create_app(config: Config, storage: Storage | None = None) -> Starlette:
    """The ASGI app. ``storage`` is only needed for /healthz."""
    config.output_dir.mkdir(parents=True, exist_ok=True)

    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(_index_page(request.app.state.config))

    def healthz(request: Request) -> PlainTextResponse:  # sync: Starlette runs it in a thread
        if storage is None:
            return PlainTextResponse("ok\n")
        try:
            storage.ping()
        except StorageError as exc:
            return PlainTextResponse(f"database unreachable: {exc}\n", status_code=503)
        return PlainTextResponse("ok\n")

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/healthz", healthz),
            Mount("/feeds", app=FeedFiles(directory=config.output_dir), name="feeds"),
            Mount("/demo", app=FeedFiles(directory=DEMO_DIR), name="demo"),
        ]
    )
    app.state.config = config  # replaced when the config is reloaded
    return app


def _index_page(config: Config) -> str:
    """A plain page listing every feed, grouped by language."""
    sections = []
    specs = feed_specs(config)
    for lang in config.service.languages:
        items = []
        for spec in (s for s in specs if s.lang == lang):
            href = f"/feeds/{spec.relpath}"
            items.append(
                f'<li><a href="{html.escape(href)}">{html.escape(spec.title)}</a> '
                f"({spec.format.value.upper()})</li>"
            )
        sections.append(
            f'<section lang="{html.escape(lang)}"><h2>{html.escape(lang)}</h2>'
            f"<ul>{''.join(items)}</ul></section>"
        )
    links = "".join(
        f'<link rel="alternate" type="application/atom+xml" hreflang="{html.escape(s.lang)}" '
        f'title="{html.escape(s.title)}" href="/feeds/{html.escape(s.relpath)}">'
        for s in specs
        if s.topic == "all" and s.format.value == "atom"
    )
    return (
        f'<!doctype html><html lang="{html.escape(config.service.languages[0])}"><head>'
        f'<meta charset="utf-8"><title>syndicate</title>{links}</head><body>'
        f"<h1>syndicate feeds</h1>{''.join(sections)}</body></html>"
    )
