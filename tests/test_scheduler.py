"""The worker's lanes: polling, translation and publishing never wait on each other
(issue 19, acceptance 3)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.run.scheduler import Worker
from syndicate.storage import open_storage

from .conftest import free_port, make_config
from .translate.fake_engines import FakeOpenAI

TICK = 1.0
INTERVAL = 2.0


def rss(title: str, guid: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://e.org/</link><description>d</description>"
        f"<item><title>{title}</title><link>https://e.org/{guid}</link><guid>{guid}</guid>"
        "<description>A story about the city and its new tram line.</description>"
        "<pubDate>Wed, 02 Dec 2026 09:00:00 GMT</pubDate></item></channel></rss>"
    ).encode()


def test_a_slow_source_and_a_slow_engine_never_delay_a_source_that_falls_due(
    tmp_path: Path,
) -> None:
    stop = threading.Event()
    slow_started = threading.Event()
    fast_times: list[float] = []
    #: at each poll of the fast source: (slow source still sending, engine requests seen)
    seen_then: list[tuple[bool, int]] = []
    slow_done = threading.Event()
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)

    def one_byte_a_second() -> Iterator[bytes]:
        slow_started.set()
        try:
            for byte in rss("Lenta", "slow-1"):
                if stop.wait(1.0):
                    return
                yield bytes([byte])
        finally:
            slow_done.set()

    def slow(request: Request) -> Response:
        return Response(one_byte_a_second(), content_type="application/rss+xml")

    with FakeOpenAI(delay=30.0) as engine:

        def fast(request: Request) -> Response:
            fast_times.append(time.monotonic())
            seen_then.append((not slow_done.is_set(), len(engine.requests)))
            return Response(
                rss("A new tram line opens", "fast-1"), content_type="application/rss+xml"
            )

        server.expect_request("/slow.xml").respond_with_handler(slow)
        server.expect_request("/fast.xml").respond_with_handler(fast)
        server.start()
        sources = (
            f'[[sources]]\nid = "slow"\nlanguage = "it"\nurl = "{server.url_for("/slow.xml")}"\n'
            f'[[sources]]\nid = "fast"\nlanguage = "en"\nurl = "{server.url_for("/fast.xml")}"\n'
            f'interval = "{INTERVAL:.0f}s"\n'
        )
        extra = f"""
[schedule]
tick = "{TICK:.0f}s"
interval = "1h"
min_interval = "1s"
adaptive = false
jitter = 0

[translation]
engine = "openai"
targets = ["it"]

[translation.openai]
base_url = "{engine.url}/v1"
model = "demo-model"
"""
        config = make_config(tmp_path, sources=sources, extra=extra, fetch='total_timeout = "60s"')
        storage = open_storage(config.database_url)

        async def scenario() -> None:
            worker = Worker(config, storage)
            await worker.start()
            try:
                deadline = time.monotonic() + 20
                while len(fast_times) < 3 and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await worker.stop()

        try:
            asyncio.run(scenario())
        finally:
            stop.set()
            storage.close()
            server.clear()
            server.stop()

    assert slow_started.is_set()
    assert len(fast_times) >= 3, fast_times
    gaps = [b - a for a, b in itertools.pairwise(fast_times)]
    print(f"\nfast source polled {len(fast_times)} times, gaps {[round(g, 2) for g in gaps]} s")
    # each poll of the fast source comes within a tick of its falling due (plus the time to
    # store a poll), while the slow source is still sending and the engine still thinking
    assert all(gap <= INTERVAL + TICK + 0.5 for gap in gaps), gaps
    later = seen_then[1:]
    assert all(sending for sending, _ in later), seen_then
    assert any(requests >= 1 for _, requests in later), seen_then


def test_idle_ticks_write_no_cycle_row_each_time(tmp_path: Path) -> None:
    """A tick that polled and wrote nothing is recorded at most once a minute: /healthz
    still sees the worker, and the database is not written every tick."""
    server = HTTPServer(host="127.0.0.1", port=free_port())
    server.expect_request("/f.xml").respond_with_data(
        rss("One story", "one-1"), content_type="application/rss+xml"
    )
    server.start()
    sources = f'[[sources]]\nid = "f"\nlanguage = "en"\nurl = "{server.url_for("/f.xml")}"\n'
    extra = '[schedule]\ntick = "1s"\ninterval = "1h"\nadaptive = false\n'
    config = make_config(tmp_path, sources=sources, extra=extra)
    storage = open_storage(config.database_url)

    async def scenario() -> tuple[int, list[object], list[object]]:
        worker = Worker(config, storage)
        await worker.start()
        try:
            while worker.cycles < 1:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            first = [c.finished_at for c in storage.worker_cycles()]
            while worker.cycles < 4:  # three idle ticks
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            return worker.cycles, first, [c.finished_at for c in storage.worker_cycles()]
        finally:
            await worker.stop()

    try:
        cycles, first, later = asyncio.run(scenario())
    finally:
        storage.close()
        server.clear()
        server.stop()
    assert cycles >= 4 and len(first) == 1
    assert later == first  # the idle ticks left the first cycle's row as it was
