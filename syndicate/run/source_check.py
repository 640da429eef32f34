"""``sources check``: fetch one source now and say what a poll would store, storing nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from syndicate.config import Config
from syndicate.ingest import EntryChange, Fetcher, compare_entries, parse_feed
from syndicate.models import SourceState
from syndicate.storage import Storage
from syndicate.terms import load_term_base, route

__all__ = ["PreviewEntry", "SourcePreview", "check_source"]


@dataclass(frozen=True)
class PreviewEntry:
    guid: str
    title: str
    language: str
    topics: tuple[str, ...]
    #: new, changed or same, compared with what is stored
    change: EntryChange


@dataclass(frozen=True)
class SourcePreview:
    source_id: str
    status: int
    url: str
    size: int
    #: why the feed is malformed, when it is
    problem: str | None
    entries: tuple[PreviewEntry, ...]


async def check_source(config: Config, storage: Storage, source_id: str) -> SourcePreview:
    """Fetch ``source_id`` unconditionally, parse and route it, compare with storage."""
    source = config.source(source_id)
    states = await asyncio.to_thread(storage.source_states, [source_id], counts=False)
    final_url = states[0].final_url if states else None
    async with Fetcher(config.fetch) as fetcher:
        fetched = await fetcher.fetch(SourceState(source_id, source.url, final_url=final_url))
    body = fetched.body or b""
    parsed = await asyncio.to_thread(
        parse_feed,
        body,
        source_id=source_id,
        headers=fetched.headers,
        language=source.language,
        languages=config.service.languages,
        fallback_language=config.service.languages[0],
    )
    matcher = (await asyncio.to_thread(load_term_base, config)).matcher
    stored = await asyncio.to_thread(
        storage.article_hashes, source_id, [a.guid for a in parsed.articles]
    )
    entries = []
    for entry in compare_entries(parsed.articles, stored):
        article = entry.article
        topics = tuple(topic for topic, _ in route(article, config, matcher).topics)
        entries.append(
            PreviewEntry(article.guid, article.title, article.language, topics, entry.change)
        )
    return SourcePreview(
        source_id, fetched.status, fetched.url, len(body), parsed.problem, tuple(entries)
    )
