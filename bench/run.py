"""syndicate benchmarks: each measurement beside a baseline taken in the same run, as a ratio.

    make bench            (or: .venv/bin/python bench/run.py [--quick])

Each row: a measurement and its baseline, both taken in this run.
- parse: parse_feed (feedparser + nh3 + normalization) vs feedparser.parse alone; and
  with the language detected per article vs declared by the source.
- store: upsert of new articles, and of unchanged ones (what every poll does), vs a plain
  executemany INSERT of the same rows.
- publish with nothing changed (incremental) vs a forced full publish.
- serve: a partner's conditional GET answered 304 vs a full GET 200 of the same feed.

Times are the median of several rounds (time.perf_counter). Everything runs on this machine;
HTTP goes to a uvicorn on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import sqlalchemy as sa
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.config import load_config  # noqa: E402
from syndicate.ingest.parse import article_hash, parse_feed  # noqa: E402
from syndicate.models import Article, RoutedArticle, TopicReason  # noqa: E402
from syndicate.publish import publish_feeds  # noqa: E402
from syndicate.server import create_app  # noqa: E402
from syndicate.server.app import DEMO_DIR  # noqa: E402
from syndicate.storage import open_storage  # noqa: E402
from syndicate.storage.schema import articles  # noqa: E402

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def median_seconds(func: Callable[[], object], rounds: int) -> float:
    func()  # warm up
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def make_articles(n: int) -> list[RoutedArticle]:
    out = []
    for i in range(n):
        a = Article(
            source_id="bench",
            guid=f"tag:bench,2026:{i}",
            link=f"https://e.org/{i}",
            title=f"Article {i} on energy storage",
            summary="<p>A summary.</p>",
            content="<p>" + "Body text. " * 80 + "</p>",
            authors=("Desk",),
            categories=("energy",),
            published=NOW,
            language=("it", "en", "ja")[i % 3],
        )
        topics = (("energy", TopicReason.CATEGORY),)
        out.append(RoutedArticle(replace(a, content_hash=article_hash(a)), topics))
    return out


def bench_parse(rounds: int) -> tuple[float, float, int]:
    bodies = [p.read_bytes() for p in sorted(DEMO_DIR.glob("*.xml"))]
    entries = sum(len(feedparser.parse(b).entries) for b in bodies)

    def baseline() -> None:
        for body in bodies:
            feedparser.parse(body)

    def ours() -> None:
        for body in bodies:
            parse_feed(body, source_id="bench", languages=["it", "en", "ja"])

    return median_seconds(baseline, rounds), median_seconds(ours, rounds), entries


def bench_language(rounds: int) -> tuple[float, float, int]:
    """parse_feed on the demo feeds stripped of language declarations: detected per article
    (py3langid) against the same bodies with the language declared by the source."""
    bodies = [
        re.sub(rb"<language>[^<]*</language>|xml:lang=\"[^\"]*\"", b"", p.read_bytes())
        for p in sorted(DEMO_DIR.glob("*.xml"))
    ]
    entries = sum(len(parse_feed(b, source_id="b").articles) for b in bodies)  # loads the model

    def declared() -> None:
        for body in bodies:
            parse_feed(body, source_id="bench", language="en", languages=["it", "en", "ja"])

    def detected() -> None:
        for body in bodies:
            parse_feed(body, source_id="bench", languages=["it", "en", "ja"])

    return median_seconds(declared, rounds), median_seconds(detected, rounds), entries


def bench_store(directory: Path, n: int, rounds: int) -> tuple[float, float, float]:
    routed = make_articles(n)
    rows = [
        {
            "source_id": "bench",
            "guid": a.guid,
            "link": a.link,
            "title": a.title,
            "summary": a.summary,
            "content": a.content,
            "authors": "[]",
            "categories": "[]",
            "published": a.published,
            "updated": None,
            "language": a.language,
            "content_hash": a.content_hash,
            "first_seen": NOW,
            "last_changed": NOW,
        }
        for a in (r.article for r in routed)
    ]
    first, again, plain = [], [], []
    for r in range(rounds):
        storage = open_storage(f"sqlite:///{directory / f'store-{r}.db'}")
        storage.sync_sources([("bench", "http://127.0.0.1/", None, True)])
        start = time.perf_counter()
        storage.upsert_articles("bench", routed, NOW)
        first.append(time.perf_counter() - start)
        start = time.perf_counter()
        storage.upsert_articles("bench", routed, NOW)
        again.append(time.perf_counter() - start)
        with storage.engine.begin() as conn:
            conn.execute(sa.delete(articles))
        start = time.perf_counter()
        with storage.engine.begin() as conn:
            conn.execute(articles.insert(), rows)
        plain.append(time.perf_counter() - start)
        storage.close()
    return statistics.median(plain), statistics.median(first), statistics.median(again)


def demo_config(directory: Path, port: int = 8080) -> Path:
    text = (ROOT / "config.toml").read_text("utf-8")
    text = text.replace('"sqlite:///var/syndicate.db"', f'"sqlite:///{directory}/demo.db"')
    text = text.replace('output_dir = "feeds"', f'output_dir = "{directory}/feeds"')
    path = directory / "config.toml"
    path.write_text(text, "utf-8")
    return path


def bench_publish(directory: Path, n: int, rounds: int) -> tuple[float, float, int]:
    config = load_config(demo_config(directory), env={})
    storage = open_storage(config.database_url)
    storage.sync_sources([("bench", "http://127.0.0.1/", None, True)])
    storage.upsert_articles("bench", make_articles(n), NOW)
    files = len(publish_feeds(config, storage, NOW, force=True).written)
    full = median_seconds(lambda: publish_feeds(config, storage, NOW, force=True), rounds)
    incremental = median_seconds(lambda: publish_feeds(config, storage, NOW), rounds)
    storage.close()
    return full, incremental, files


def bench_serve(directory: Path, requests: int) -> tuple[float, float]:
    config = load_config(directory / "config.toml", env={})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{port}/feeds/it/all.atom"
    try:
        with httpx.Client() as client:
            etag = client.get(url).headers["etag"]

            def full() -> None:
                for _ in range(requests):
                    assert client.get(url).status_code == 200

            def conditional() -> None:
                for _ in range(requests):
                    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

            return median_seconds(full, 3) / requests, median_seconds(conditional, 3) / requests
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller data")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    rounds, n, requests = (3, 600, 50) if args.quick else (7, 3000, 300)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        base, ours, entries = bench_parse(rounds)
        rows.append(("parse demo feeds", f"feedparser alone ({entries} entries)", base, ours))
        declared, detected, entries = bench_language(rounds)
        rows.append(
            ("parse, language detected per article", "language declared", declared, detected)
        )
        detection_us = (detected - declared) / entries * 1e6
        plain, first, again = bench_store(directory, n, max(3, rounds // 2))
        rows.append((f"store {n} new articles", "executemany INSERT", plain, first))
        rows.append((f"store {n} unchanged articles", "executemany INSERT", plain, again))
        full, incremental, files = bench_publish(directory, n, rounds)
        rows.append(
            (f"publish, nothing changed ({files} feeds)", "forced full publish", full, incremental)
        )
        get200, get304 = bench_serve(directory, requests)
        rows.append(("serve it/all.atom, per request", "GET 200", get200, get304))
    print(f"{'benchmark':<38} {'baseline':<32} {'baseline s':>11} {'measured s':>11} {'ratio':>7}")
    for name, baseline, b, m in rows:
        print(f"{name:<38} {baseline:<32} {b:>11.5f} {m:>11.5f} {m / b:>7.2f}")
    print("ratio = measured / baseline (below 1: faster than the baseline)")
    print(f"language detection: {detection_us:.0f} µs per article")
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {"benchmark": r[0], "baseline": r[1], "baseline_s": r[2], "measured_s": r[3]}
                    for r in rows
                ]
            )
        )


if __name__ == "__main__":
    main()
