"""A local feed server for the ingest benchmark: N feeds of 5–300 KB on 127.0.0.1.

Feed i behaves by ``i % 10``:
- 0–6 (70%): ETag; a conditional request with the same ETag is answered 304;
- 7–8 (20%): the same body every time, without ETag or Last-Modified;
- 9   (10%): a new item at the top on every request, with a new ETag.

``--entries N`` gives every feed exactly N items instead (bench/backlog.py). Items are
Italian and English words (``--language en``, the default) or Japanese news
phrases of our own (``--language ja``).

Many hosts: ``--port`` may be given several times, and every port serves every feed, so
each port stands for one publisher's host (only 127.0.0.1 may be used here, so hosts are
told apart by port; the ingest bench gives each port its own block of feeds).
``--latency MS`` waits that long before every answer, 304s included, as a distant server.

Run: python bench/fixture.py --port 8765 [--port 8766 …] --feeds 1000 [--language ja]
     [--latency 50]   (stops on SIGTERM/SIGINT)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import socket
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


# Phrases of Japanese news on our subjects, our own writing; items join them at random.
PHRASES = [
    "市は来年度から",
    "電気自動車の充電スタンドを増やし、",
    "太陽光パネルと蓄電池を組み合わせた設備を整える。",
    "大学の研究チームは",
    "新しい全固体電池の試作に成功したと発表した。",
    "水素を燃料とする路線バスが",
    "駅前のロータリーで実証運行を始めた。",
    "スタートアップ企業が",
    "ベンチャーキャピタルなどから資金を調達し、",
    "人工知能（AI）を使った需要予測のサービスを広げる。",
    "イタリアの都市と東京都は",
    "脱炭素に向けた協力協定を結んだ。",
    "担当者は「市民の暮らしに役立てたい」と話した。",
    "再生可能エネルギーの比率を高める狙いだ。",
    "炭素繊維を再利用した部材は、",
    "従来品より軽く、自動車メーカーの関心も高い。",
    "交差点の信号機にセンサーを取り付け、",
    "渋滞の緩和につなげる計画だ。",
    "国の補助金を活用し、",
    "三年間で実用化を目指す。",
    "会見では今後の課題として",
    "費用の負担や人材の確保を挙げた。",
    "ベンチに座って休む高齢者の姿も見られた。",
    "硫化水素の発生を防ぐ対策も進める。",
]


def item(feed: int, number: int, rng: random.Random, language: str = "en") -> str:
    if language == "ja":
        words = "".join(rng.choice(PHRASES) for _ in range(40))
        title = "".join(rng.choice(PHRASES) for _ in range(2))
    else:
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        title = " ".join(rng.choice(WORDS) for _ in range(8))
    return (
        f"<item><title>Feed {feed} item {number}: {title}"
        f"</title><link>https://bench.example/{feed}/{number}</link>"
        f'<guid isPermaLink="false">bench-{feed}-{number}</guid>'
        f"<pubDate>Mon, {1 + number % 28:02d} Sep 2026 10:{number % 60:02d}:00 GMT</pubDate>"
        f"<description>&lt;p&gt;{words}&lt;/p&gt;</description></item>"
    )


class Feeds:
    def __init__(
        self, count: int, seed: int, language: str = "en", entries: int = 0, latency: float = 0
    ) -> None:
        rng = random.Random(seed)
        self.language = language
        self.latency = latency
        self.items: list[list[str]] = []
        for feed in range(count):
            target = rng.randint(5 * 1024, 300 * 1024)
            items: list[str] = []
            size = 0
            while (len(items) < entries) if entries else (size < target):
                items.append(item(feed, len(items), rng, language))
                size += len(items[-1])
            self.items.append(items[::-1])  # newest first
        self.served = [0] * count
        self.rng = rng

    def body(self, feed: int) -> bytes:
        head = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {feed}</title><link>https://bench.example/{feed}</link>"
            "<description>A feed for the ingest benchmark</description>"
            f"<language>{self.language}</language>"
        )
        return (head + "".join(self.items[feed]) + "</channel></rss>").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self.latency:
            await asyncio.sleep(self.latency)
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
            number = 10_000 + self.served[feed]
            self.items[feed].insert(0, item(feed, number, self.rng, self.language))
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
    parser.add_argument("--port", type=int, action="append", required=True, help="repeatable")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--language", choices=["en", "ja"], default="en")
    parser.add_argument("--entries", type=int, default=0, help="per feed (default: by size)")
    parser.add_argument("--latency", type=float, default=0, help="ms before every answer")
    args = parser.parse_args()
    app = Feeds(args.feeds, args.seed, args.language, args.entries, args.latency / 1000)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", backlog=4096
    )
    sockets = []
    for port in args.port:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sockets.append(sock)
    uvicorn.Server(config).run(sockets=sockets)


if __name__ == "__main__":
    main()
