"""Faults around a running worker: the disk fills during a publish; PostgreSQL goes away in
the middle of a cycle and comes back."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug import Request, Response

from syndicate.errors import StorageError
from syndicate.publish.written import STATE_FILE
from syndicate.run.scheduler import Worker
from syndicate.storage import open_storage

from ..conftest import free_port, make_config
from .conftest import GOOD_FEED, Case, Poll

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("fault", "code", "where"),
    [
        ("disk full during publish", errno.ENOSPC, "fsync"),
        ("read-only output directory during publish", errno.EROFS, "open"),
    ],
)
def test_a_failing_disk_during_publish_keeps_the_old_feeds_and_publishes_later(
    case: Case,
    poll: Callable[..., Poll],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    code: int,
    where: str,
) -> None:
    case(
        fault,
        "error reported, old feeds intact, nothing half-written, published on the next cycle",
    )
    p = poll({})
    first = p.cycle()
    assert first.publish_error is None
    feed = p.config.output_dir / "it" / "all.atom"
    before = {path: path.read_bytes() for path in p.config.output_dir.rglob("*") if path.is_file()}
    p.server.clear()  # the source gains an article
    p.server.expect_request("/good.xml").respond_with_data(
        GOOD_FEED.replace(b"<guid>good-1</guid>", b"<guid>good-1</guid>").replace(
            b"</channel>",
            b"<item><title>Terza notizia</title><guid>good-3</guid>"
            b"<pubDate>Wed, 25 Nov 2026 09:00:00 GMT</pubDate></item></channel>",
        ),
        content_type="application/rss+xml",
    )

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    # as the kernel answers on a full disk (at fsync) or a read-only mount (at open)
    target = (os, "fsync") if where == "fsync" else (tempfile, "mkstemp")
    with monkeypatch.context() as patched:
        patched.setattr(*target, broken)
        failed = p.cycle()
    after = {path: path.read_bytes() for path in p.config.output_dir.rglob("*") if path.is_file()}
    leftovers = [p for p in after if p.name.startswith(".") and p.name != STATE_FILE]
    stored = p.storage.count_articles("good")
    # nothing new from the source now: the change log still names the unwritten article
    again = p.cycle()
    rewritten = len(again.published.written) if again.published else 0
    case.saw(
        f"error: {failed.publish_error}; files unchanged: {after == before}; "
        f"temporary files left: {len(leftovers)}; next cycle wrote {rewritten} files"
    )
    assert failed.publish_error and os.strerror(code) in failed.publish_error
    assert after == before and not leftovers and stored == 3
    assert again.publish_error is None and b"Terza notizia" in feed.read_bytes()


class Proxy:
    """A TCP proxy to PostgreSQL that can be cut (every connection dropped, new ones
    refused) and restored, as a database server going away and coming back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        listener.settimeout(0.1)
        self._listener = listener
        self._stop.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[tuple[Proxy, str]]:
    host_port = postgres_url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    proxy = Proxy((host, int(port or 5432)))
    proxy.start()
    yield proxy, postgres_url.replace(host_port, f"127.0.0.1:{proxy.port}")
    proxy.cut()


def test_postgresql_going_away_mid_cycle(
    case: Case, poll: Callable[..., Poll], proxy: tuple[Proxy, str], tmp_path: Path
) -> None:
    case(
        "PostgreSQL stopped mid-cycle, back 3 s later",
        "cycle fails with a clear error, worker backs off, resumes, loses nothing",
    )
    cut, url = proxy
    p = poll({})  # for its feed server
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(10)  # the cycle is in the middle of its fetches when the database goes
        return Response(GOOD_FEED.replace(b"good-", b"slow-"), content_type="application/rss+xml")

    p.server.expect_request("/slow.xml").respond_with_handler(slow)
    sources = "\n".join(
        f'[[sources]]\nid = "{sid}"\nlanguage = "it"\nurl = "{p.server.url_for(path)}"'
        for sid, path in (("good", "/good.xml"), ("slow", "/slow.xml"))
    )
    (tmp_path / "pg").mkdir()
    config = make_config(
        tmp_path / "pg", sources=sources, database=url, extra='[schedule]\ntick = "1s"\n'
    )
    storage = open_storage(url)

    async def scenario() -> tuple[int, str, int, int]:
        worker = Worker(config, storage)
        await worker.start()
        try:
            await asyncio.sleep(0.5)
            cut.cut()  # PostgreSQL away, in the middle of the first cycle
            release.set()
            await asyncio.sleep(3)
            failures = worker._failures
            message = worker.last_error or ""
            cut.start()  # back
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 40
            while loop.time() < deadline:
                await asyncio.sleep(0.5)
                try:
                    if storage.count_articles() >= 4:
                        break
                except StorageError:
                    pass
            return failures, message, storage.count_articles("good"), storage.count_articles("slow")
        finally:
            await worker.stop()

    failures, message, good, slow_count = asyncio.run(scenario())
    storage.close()
    case.saw(
        f"{failures} failed cycle(s) while away ({message[:60]}…); "
        f"then good {good}, slow {slow_count} stored"
    )
    assert failures >= 1 and "database" in message.lower()
    assert good == 2 and slow_count == 2
