"""A published site served by a real uvicorn on 127.0.0.1: feeds of three languages and
three topics (one public, two private), two partners, an operator token."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from syndicate.config import Config
from syndicate.ingest.parse import article_hash
from syndicate.models import Article, RoutedArticle, TopicReason
from syndicate.publish import publish_feeds
from syndicate.server import SyndicateApp, create_app, uvicorn_config
from syndicate.server.partners import hash_token
from syndicate.storage import SqlStorage, open_storage

from ..conftest import free_port, make_config
from .rawhttp import Connection

PARTNER_TOKEN = "tokyo-office-3c1f9a7e"
MOBILITY_TOKEN = "mobility-desk-77d02b"
OPERATOR_TOKEN = "operator-5e8b1d"
ORIGIN = "https://partner.example.org"
LANGS = ("it", "en", "ja")
HOSTILE_TITLE = '<script>alert("x")</script> Batterie & "sale"'

TOPICS = """
[[topics]]
id = "energy"
title = { it = "Energia", en = "Energy", ja = "エネルギー" }
categories = ["energy"]

[[topics]]
id = "startups"
title = { it = "Startup", en = "Startups", ja = "スタートアップ" }
categories = ["startups"]
private = true

[[topics]]
id = "mobility"
title = { it = "Mobilità", en = "Mobility", ja = "モビリティ" }
categories = ["mobility"]
private = true
"""

PARTNERS = f"""
[server]
cors_origins = ["{ORIGIN}"]
health_max_age = "10m"

[[partners]]
id = "tokyo-office"
token_sha256 = "{hash_token(PARTNER_TOKEN)}"
requests_per_minute = 60
burst = 5

[[partners]]
id = "mobility-desk"
token_sha256 = "{hash_token(MOBILITY_TOKEN)}"
topics = ["mobility"]
"""

SOURCES = "\n".join(
    f'[[sources]]\nid = "s-{lang}"\nurl = "http://127.0.0.1:9/{lang}.xml"\nlanguage = "{lang}"'
    for lang in LANGS
)


def articles(now: datetime) -> list[RoutedArticle]:
    """Four articles per language and topic, spread over this month and the two before."""
    out = []
    topics = ("energy", "startups", "mobility")
    for i in range(36):
        lang, topic = LANGS[i % 3], topics[(i // 3) % 3]
        title = HOSTILE_TITLE if i == 0 else f"{lang} {topic} story {i}"
        article = Article(
            source_id=f"s-{lang}",
            guid=f"g{i}",
            link="javascript:alert(1)" if i == 0 else f"https://news.example.org/{lang}/{i}",
            title=title,
            summary=f"<p>Summary {i}</p>",
            content=f"<p>Body {i}</p>",
            categories=(topic,),
            published=now - timedelta(days=i * 2, hours=1),
            language=lang,
        )
        article = replace(article, content_hash=article_hash(article))
        out.append(RoutedArticle(article, ((topic, TopicReason.CATEGORY),)))
    return out


@dataclass
class Site:
    config: Config
    storage: SqlStorage
    app: SyndicateApp
    base: str
    client: httpx.Client

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(f"{self.base}{path}", **kwargs)

    def publish(self) -> None:
        publish_feeds(self.config, self.storage, datetime.now(UTC))


def build_config(directory: Path, database: str | None = None) -> Config:
    return make_config(
        directory, sources=SOURCES, database=database, extra=TOPICS + PARTNERS, topics=False
    )


def fill(config: Config, storage: SqlStorage) -> None:
    storage.sync_sources([(s.id, s.url, s.language, True) for s in config.sources])
    now = datetime.now(UTC)
    for lang in LANGS:
        routed = [r for r in articles(now) if r.article.language == lang]
        storage.upsert_articles(f"s-{lang}", routed, now)
    publish_feeds(config, storage, now)


@contextlib.contextmanager
def serve(app: SyndicateApp, port: int | None = None, **options: Any) -> Iterator[str]:
    """``app`` on a real uvicorn on 127.0.0.1 (a thread), as ``syndicate run`` configures it
    (``options`` go to uvicorn's config), until the block ends."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    config = build_config(tmp_path)
    storage = open_storage(config.database_url)
    fill(config, storage)
    app = create_app(config, storage, env={"SYNDICATE_OPERATOR_TOKEN": OPERATOR_TOKEN})
    with serve(app) as base, httpx.Client(timeout=10) as client:
        yield Site(config, storage, app, base, client)
    storage.close()


@pytest.fixture
def connect(site: Site) -> Iterator[Callable[[], Connection]]:
    """Raw connections to ``site``'s server, closed at the end of the test."""
    opened: list[Connection] = []

    def make() -> Connection:
        opened.append(Connection(site.base))
        return opened[-1]

    yield make
    for conn in opened:
        conn.close()
