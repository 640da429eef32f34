"""Scale-out: three `syndicate worker` processes share 200 sources on one PostgreSQL.

Each source must be fetched exactly once for its due time. One worker is killed with
SIGKILL in the middle of a cycle; its leased sources are taken over by the others once
the lease expires. No article row may be duplicated.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.storage import open_storage

from ..conftest import free_port

pytestmark = pytest.mark.e2e

SOURCES = 200
WORKERS = 3
ENTRIES = 3


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Source {n} story {i}</title><link>https://e.org/{n}/{i}</link>"
        f"<guid>tag:e.org,2026:{n}/{i}</guid><description>Story {i} of source {n}.</description>"
        f"<pubDate>Mon, 2{i} Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(ENTRIES)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Source {n}</title>'
        f"<link>https://e.org/{n}</link><description>d</description>{items}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def slow_feeds() -> Iterator[tuple[HTTPServer, Counter[str]]]:
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    requests: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            requests[request.path] += 1
        time.sleep(0.25)  # slow enough that a worker is surely mid-fetch when it is killed
        n = int(request.path.rsplit("/", 1)[1].split(".")[0])
        return Response(feed(n), content_type="application/rss+xml", headers={"ETag": f'"{n}"'})

    server.expect_request(re.compile(r"^/feeds/\d+\.xml$")).respond_with_handler(handler)
    server.start()
    yield server, requests
    server.clear()
    server.stop()


def test_workers_share_sources_and_survive_a_killed_worker(
    postgres_url: str, tmp_path: Path, slow_feeds: tuple[HTTPServer, Counter[str]]
) -> None:
    server, requests = slow_feeds
    sources = "".join(
        f'[[sources]]\nid = "s{n:03d}"\nurl = "{server.url_for(f"/feeds/{n}.xml")}"\n'
        for n in range(SOURCES)
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[service]
languages = ["en"]
output_dir = "feeds"

[fetch]
allow_private_networks = true
concurrency = 8
per_host = 8
timeout = "1s"
total_timeout = "2s"

[schedule]
interval = "1h"
adaptive = false
jitter = 0
tick = "1s"
lease = "4s"

{sources}""",
        "utf-8",
    )
    env = dict(os.environ, SYNDICATE_DATABASE_URL=postgres_url)
    env.pop("SYNDICATE_CONFIG", None)
    open_storage(postgres_url).close()  # migrate once, before the workers race to
    logs = [(tmp_path / f"worker-{i}.log").open("wb") for i in range(WORKERS)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(config), "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
        for log in logs
    ]
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        deadline = time.monotonic() + 60
        while sum(requests.values()) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        with engine.connect() as conn:
            orphaned = {
                row.id
                for row in conn.execute(
                    sa.text("SELECT id FROM sources WHERE lease_owner LIKE :pattern"),
                    {"pattern": f"%:{victim.pid}:%"},
                )
            }
        assert orphaned, "the killed worker held no lease: the test did not kill it mid-cycle"

        def done() -> int:
            with engine.connect() as conn:
                return int(
                    conn.execute(
                        sa.text("SELECT count(*) FROM sources WHERE last_polled_at IS NOT NULL")
                    ).scalar_one()
                )

        while done() < SOURCES and time.monotonic() < deadline + 30:
            time.sleep(0.2)
        assert done() == SOURCES, [p.read_text() for p in tmp_path.glob("worker-*.log")]

        with engine.connect() as conn:
            articles = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT (source_id, guid)) FROM articles")
            ).one()
            leftover = conn.execute(
                sa.text(
                    "SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL "
                    "AND lease_owner NOT LIKE :p"
                ),
                {"p": f"%:{victim.pid}:%"},
            ).scalar_one()
        assert tuple(articles) == (SOURCES * ENTRIES, SOURCES * ENTRIES)
        assert leftover == 0
        # Exactly once per due time; a source the dead worker was fetching at most once more.
        for n in range(SOURCES):
            count = requests[f"/feeds/{n}.xml"]
            if f"s{n:03d}" in orphaned:
                assert 1 <= count <= 2, (n, count)
            else:
                assert count == 1, (n, count)
        assert sum(requests.values()) <= SOURCES + len(orphaned)
    finally:
        for worker in workers[1:]:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers[1:]:
            try:
                assert worker.wait(timeout=10) == 0
            except subprocess.TimeoutExpired:
                worker.kill()
                raise
        engine.dispose()
        for log in logs:
            log.close()
