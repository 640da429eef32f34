"""A local feed server for the ingest benchmark: N feeds of 5–300 KB on 127.0.0.1.

Feed i behaves by ``i % 10``:
- 0–6 (70%): ETag; a conditional request with the same ETag is answered 304;
- 7–8 (20%): the same body every time, without ETag or Last-Modified;
- 9   (10%): a new item at the top on every request, with a new ETag.

Run: python bench/fixture.py --port 8765 --feeds 1000   (stops on SIGTERM/SIGINT)
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

WORDS = [
    "energia",
    "accumulo",
    "batteria",
    "idrogeno",
    "rete",
    "mobilità",
    "ricerca",
    "ateneo",
    "startup",
    "materiali",
    "storage",
    "grid",
    "hydrogen",
    "campus",
    "mobility",
    "research",
    "partner",
    "pilot",
    "laboratory",
    "city",
    "tokyo",
    "valmora",
    "perovskite",
    "electrolyte",
    "composite",
    "recycling",
    "funding",
    "programme",
]


def item(feed: int, number: int, rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(120))
    return (
        f"<item><title>Feed {feed} item {number}: {' '.join(rng.choice(WORDS) for _ in range(8))}"
        f"</title><link>https://bench.example/{feed}/{number}</link>"
        f'<guid isPermaLink="false">bench-{feed}-{number}</guid>'
        f"<pubDate>Mon, {1 + number % 28:02d} Sep 2026 10:{number % 60:02d}:00 GMT</pubDate>"
        f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>"
    )


class Feeds:
    def __init__(self, count: int, seed: int) -> None:
        rng = random.Random(seed)
        self.items: list[list[str]] = []
        for feed in range(count):
            target = rng.randint(5 * 1024, 300 * 1024)
            items: list[str] = []
            size = 0
            while size < target:
                items.append(item(feed, len(items), rng))
                size += len(items[-1])
            self.items.append(items[::-1])  # newest first
        self.served = [0] * count
        self.rng = rng

    def body(self, feed: int) -> bytes:
        head = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {feed}</title><link>https://bench.example/{feed}</link>"
            "<description>A feed for the ingest benchmark</description><language>en</language>"
        )
        return (head + "".join(self.items[feed]) + "</channel></rss>").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        try:
            feed = int(path.removeprefix("/feeds/").removesuffix(".xml"))
            kind = feed % 10
            assert 0 <= feed < len(self.items)
        except (ValueError, AssertionError):
            await _respond(send, 404, b"no such feed", [])
            return
        if kind == 9:  # changes on every request
            self.served[feed] += 1
            self.items[feed].insert(0, item(feed, 10_000 + self.served[feed], self.rng))
        body = self.body(feed)
        headers = [(b"content-type", b"application/rss+xml")]
        if kind <= 6 or kind == 9:
            etag = ('"' + hashlib.md5(body).hexdigest() + '"').encode()
            headers.append((b"etag", etag))
            asked = dict(scope["headers"]).get(b"if-none-match")
            if kind <= 6 and asked == etag:
                await _respond(send, 304, b"", headers)
                return
        await _respond(send, 200, body, headers)


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    app = Feeds(args.feeds, args.seed)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
