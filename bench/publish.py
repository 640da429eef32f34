"""Publishing benchmark: a full rebuild and a one-article update, against feedgen called directly.

    .venv/bin/python bench/publish.py [--articles N]              (part of make bench)

100,000 synthetic articles (it/en/ja, 10 topics, spread over two years) are stored in SQLite;
syndicate publishes 3 languages x (10 topics + all) x 3 formats (Atom, RSS, JSON Feed) with
50 entries each, plus the monthly RFC 5005 archives and the OPML lists. Measured in one run:
  - first publish (feeds, every archive, OPML, .gz twins);
  - full rebuild of the feeds (--force);
  - one changed article, then publish the feeds of its topics and ``all`` (what a poll
    cycle does: the upsert reports the topics);
  - baseline: the same 99 feeds' entries (already in memory) rendered by calling feedgen
    (Atom, RSS) and json.dumps directly, with no adapter, no database, no hashing, no writes.
Prints seconds, and the ratio of the full rebuild to the baseline.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedgen.feed import FeedGenerator  # noqa: E402

from syndicate.config import load_config  # noqa: E402
from syndicate.ingest.parse import article_hash  # noqa: E402
from syndicate.models import Article, RoutedArticle, TopicReason  # noqa: E402
from syndicate.publish import publish_feeds  # noqa: E402
from syndicate.storage import open_storage  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LANGS = ("it", "en", "ja")
TOPICS = [f"t{i}" for i in range(10)]


def config_text(db: Path) -> str:
    topics = "\n".join(
        f'[[topics]]\nid = "{t}"\ntitle = {{ it = "Tema {t}", en = "Topic {t}", ja = "話題{t}" }}'
        for t in TOPICS
    )
    sources = "\n".join(
        f'[[sources]]\nid = "s-{lang}"\nurl = "http://127.0.0.1:9/{lang}"\nlanguage = "{lang}"'
        for lang in LANGS
    )
    return f"""
[service]
languages = ["it", "en", "ja"]
database = "sqlite:///{db}"
base_url = "https://feeds.example.org"

[translation]
untranslated = "original"

{topics}
{sources}
"""


def make_article(i: int, rng: random.Random) -> RoutedArticle:
    lang = LANGS[i % 3]
    published = NOW - timedelta(minutes=i * 10 + rng.randint(0, 9))
    a = Article(
        source_id=f"s-{lang}",
        guid=f"g{i}",
        link=f"https://example.org/{lang}/{i}",
        title=f"Article {i} about topic {i % 10}",
        summary=f"<p>Summary of article {i}.</p>",
        content=f"<p>Body of article {i}, with a <b>few</b> words &amp; an entity.</p>" * 3,
        authors=("Desk",),
        categories=("news",),
        published=published,
        language=lang,
    )
    topics = ((TOPICS[i % 10], TopicReason.CATEGORY),)
    return RoutedArticle(replace(a, content_hash=article_hash(a)), topics)


def feedgen_direct(docs: list[tuple[str, str, list]]) -> None:  # type: ignore[type-arg]
    """The baseline: each feed rendered straight from its entries with feedgen / json.dumps."""
    for lang, topic, entries in docs:
        for fmt in ("atom", "rss"):
            fg = FeedGenerator()
            fg.id(f"https://feeds.example.org/feeds/{lang}/{topic}.{fmt}")
            fg.title(topic)
            fg.subtitle(topic)
            fg.link(href="https://feeds.example.org/", rel="alternate")
            fg.language(lang)
            fg.updated(NOW)
            for s in entries:
                fe = fg.add_entry(order="append")
                fe.id(s.article.guid if s.article.guid.startswith("tag:") else s.article.link)
                fe.title(s.article.title)
                fe.link(href=s.article.link)
                fe.updated(s.article.published)
                fe.summary(s.article.summary)
                fe.content(s.article.content, type="html")
            fg.atom_str(pretty=True) if fmt == "atom" else fg.rss_str(pretty=True)
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": topic,
                "items": [
                    {
                        "id": s.article.link,
                        "title": s.article.title,
                        "content_html": s.article.content,
                        "date_published": s.article.published.isoformat(),
                    }
                    for s in entries
                ],
            },
            ensure_ascii=False,
            indent=2,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15, help="one-article updates measured")
    args = parser.parse_args()
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(config_text(Path(tmp) / "bench.db"), "utf-8")
        config = load_config(path, env={})
        storage = open_storage(config.database_url)
        storage.sync_sources([(s.id, s.url, s.language, True) for s in config.sources])
        start = time.perf_counter()
        batch: dict[str, list[RoutedArticle]] = {}
        for i in range(args.articles):
            routed = make_article(i, rng)
            batch.setdefault(routed.article.source_id, []).append(routed)
            if (i + 1) % 3000 == 0 or i + 1 == args.articles:
                for source_id, items in batch.items():
                    storage.upsert_articles(source_id, items, NOW)
                batch = {}
        stored_s = time.perf_counter() - start

        start = time.perf_counter()
        first = publish_feeds(config, storage, NOW)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        rebuild = publish_feeds(config, storage, NOW, force=True)
        rebuild_s = time.perf_counter() - start

        updates: list[float] = []
        for n in range(args.repeat):
            newest = storage.articles_for_feed(["en"], "t1", 1)[0]
            changed = replace(newest.article, title=f"Corrected {n}", content_hash=f"c{n}")
            result = storage.upsert_articles(
                changed.source_id,
                [RoutedArticle(changed, ((TOPICS[1], TopicReason.CATEGORY),))],
                NOW,
            )
            start = time.perf_counter()  # as a poll cycle does: the upsert says which topics
            update = publish_feeds(config, storage, NOW, topics=result.topics)
            updates.append(time.perf_counter() - start)
        docs = [
            (
                lang,
                topic,
                storage.articles_for_feed(list(LANGS), None if topic == "all" else topic, 50),
            )
            for lang in LANGS
            for topic in ("all", *TOPICS)
        ]
        start = time.perf_counter()
        feedgen_direct(docs)
        direct_s = time.perf_counter() - start
        storage.close()

    feeds = len([w for w in rebuild.written])
    print(
        f"{args.articles} stored articles ({stored_s:.1f} s to store); {feeds} feed files "
        f"(3 languages x 11 x 3 formats), {len(first.archives)} archive files"
    )
    print(f"{'run':<58} {'seconds':>9}")
    print(f"{'first publish: feeds, archives, OPML, .gz':<58} {first_s:>9.3f}")
    print(f"{'full rebuild of the feeds (--force)':<58} {rebuild_s:>9.3f}")
    print(f"{'baseline: feedgen + json.dumps directly, same entries':<58} {direct_s:>9.3f}")
    updates.sort()
    median = updates[len(updates) // 2]
    label = f"one changed article, then publish (median of {args.repeat})"
    print(f"{label:<58} {median:>9.3f}")
    print(f"{'  fastest / slowest of those':<58} {updates[0]:>9.3f} / {updates[-1]:.3f}")
    print(f"files the one-article update rewrote: {len(update.written)}")
    print(
        f"full rebuild / baseline: {rebuild_s / direct_s:.2f}x; "
        f"goal: one-article update under 0.050 s (measured {median:.3f} s: "
        f"{'met' if median < 0.050 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
