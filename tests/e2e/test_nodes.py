"""Three nodes on one PostgreSQL serve the same feeds (issue 19, acceptance 1).

Two `syndicate run` nodes (poll, publish, serve) and one `syndicate serve` node (publish,
serve), each with its own output directory and port, as three machines behind a load
balancer. The source feeds change in steps; after each step, within ``BOUND`` seconds,
every node answers every `all` and topic feed, in every language and format, with the same
bytes, ETag and Last-Modified, whichever node polled. One `run` node is killed with SIGKILL
while it writes its files, the sources change meanwhile, and once started again it
catches up: its feeds, and its archive pages on disk, are those of the other nodes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.publish.written import STATE_FILE

from ..conftest import free_port

pytestmark = pytest.mark.e2e

LANGUAGES = ("it", "en", "ja")
FEEDS = [
    f"{lang}/{topic}.{fmt}"
    for lang in LANGUAGES
    for topic in ("all", "energy", "mobility")
    for fmt in ("atom", "rss", "json")
]
#: seconds within which every node serves a step's change: a poll interval (2 s), a
#: tick (1 s), the publish, and slack for a loaded CI machine
BOUND = 20.0
#: seconds for a killed node to start again and catch up
CATCH_UP = 40.0
TOPIC_WORDS = {"it": ("energia", "mobilità"), "en": ("energy", "mobility"), "ja": ("電力", "交通")}


@dataclass
class Sources:
    """One RSS feed per language, whose items the test changes step by step."""

    items: dict[str, list[tuple[str, str, datetime, str]]] = field(
        default_factory=lambda: {lang: [] for lang in LANGUAGES}
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, lang: str, guid: str, title: str, when: datetime, topic: int) -> None:
        with self.lock:
            self.items[lang].append((guid, title, when, TOPIC_WORDS[lang][topic]))

    def retitle(self, lang: str, guid: str, title: str) -> None:
        with self.lock:
            self.items[lang] = [
                (g, title if g == guid else t, w, c) for g, t, w, c in self.items[lang]
            ]

    def body(self, lang: str) -> bytes:
        with self.lock:
            items = "".join(
                f"<item><title>{title}</title><link>https://news.example.org/{lang}/{guid}</link>"
                f"<guid>{guid}</guid><category>{category}</category>"
                f"<description>{title}: {category}.</description>"
                f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
                for guid, title, when, category in self.items[lang]
            )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{lang} news</title><link>https://news.example.org/{lang}</link>"
            f"<description>d</description><language>{lang}</language>{items}</channel></rss>"
        ).encode()


@pytest.fixture
def sources() -> Iterator[tuple[Sources, HTTPServer]]:
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    feeds = Sources()

    def handler(request: Request) -> Response:
        lang = request.path.rsplit("/", 1)[1].split(".")[0]
        return Response(feeds.body(lang), content_type="application/rss+xml")

    for lang in LANGUAGES:
        server.expect_request(f"/{lang}.xml").respond_with_handler(handler)
    server.start()
    yield feeds, server
    server.clear()
    server.stop()


@dataclass
class Node:
    name: str
    command: str
    directory: Path
    config: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.directory.parent / f"{self.name}.log").open("ab")
        command = (self.command, "--port", str(self.port))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(self.config), *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.directory.parent,
        )
        log.close()

    def log(self) -> str:
        return (self.directory.parent / f"{self.name}.log").read_text("utf-8", "replace")

    def answers(self, client: httpx.Client) -> dict[str, tuple[int, bytes, str, str]]:
        """Every feed as this node serves it: status, bytes, ETag, Last-Modified."""
        result = {}
        for feed in FEEDS:
            r = client.get(f"http://127.0.0.1:{self.port}/feeds/{feed}")
            result[feed] = (
                r.status_code,
                r.content,
                r.headers.get("etag", ""),
                r.headers.get("last-modified", ""),
            )
        return result

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def node_config(path: Path, output: Path, sources: HTTPServer) -> Path:
    feeds = "".join(
        f'[[sources]]\nid = "news-{lang}"\nurl = "{sources.url_for(f"/{lang}.xml")}"\n'
        f'language = "{lang}"\n\n'
        for lang in LANGUAGES
    )
    topics = "".join(
        f'[[topics]]\nid = "{topic}"\ntitle = "{topic}"\n'
        f"categories = [{', '.join(repr(TOPIC_WORDS[lang][n]) for lang in LANGUAGES)}]\n\n"
        for n, topic in enumerate(("energy", "mobility"))
    ).replace("'", '"')
    path.write_text(
        f"""
[service]
languages = ["it", "en", "ja"]
output_dir = "{output}"
base_url = "https://feeds.example.org"

[fetch]
allow_private_networks = true
timeout = "5s"

[schedule]
interval = "2s"
min_interval = "1s"
adaptive = false
jitter = 0
tick = "1s"

[publish]
archive_page_entries = 5

{topics}{feeds}""",
        "utf-8",
    )
    return path


def converged(
    nodes: list[Node], client: httpx.Client, marker: str, seconds: float
) -> tuple[float, dict[str, tuple[int, bytes, str, str]]]:
    """Wait until every node serves the same answers for every feed, ``marker`` among
    them; how long it took, and the answers."""
    start = time.monotonic()
    last: list[dict[str, tuple[int, bytes, str, str]]] = []
    while time.monotonic() - start < seconds:
        try:
            last = [node.answers(client) for node in nodes]
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        first = last[0]
        if all(a == first for a in last) and any(marker.encode() in a[1] for a in first.values()):
            assert all(a[0] == 200 and a[2] and a[3] for a in first.values())
            return time.monotonic() - start, first
        time.sleep(0.2)
    differ = sorted(f for f in FEEDS if len({str(a.get(f)) for a in last}) > 1) if last else []
    logs = "\n".join(f"--- {n.name}\n{n.log()[-3000:]}" for n in nodes)
    raise AssertionError(f"no convergence on {marker!r} in {seconds} s; differ: {differ}\n{logs}")


def mid_publish(directory: Path, seconds: float) -> bool:
    """Whether a temporary file (a publish writing) shows up in ``directory`` in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _, _, files in os.walk(directory):
            if any(f.startswith(".") and f.endswith(".tmp") for f in files):
                return True
    return False


def archive_files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in directory.rglob("*")
        if p.is_file() and "/archive/" in str(p) and not p.name.startswith(".")
    }


def test_three_nodes_serve_identical_feeds_and_a_killed_one_catches_up(
    postgres_url: str, tmp_path: Path, sources: tuple[Sources, HTTPServer]
) -> None:
    feeds, server = sources
    now = datetime.now(UTC).replace(microsecond=0)
    for lang in LANGUAGES:
        for i in range(4):
            feeds.add(lang, f"{lang}-{i}", f"{lang} story {i}", now - timedelta(hours=i + 1), i % 2)
    env = dict(os.environ, SYNDICATE_DATABASE_URL=postgres_url)
    env.pop("SYNDICATE_CONFIG", None)
    nodes = [
        Node(
            name,
            command,
            tmp_path / name,
            node_config(tmp_path / f"{name}.toml", tmp_path / name, server),
            free_port(),
            env,
        )
        for name, command in (("a", "run"), ("b", "run"), ("c", "serve"))
    ]
    timings: list[tuple[str, float]] = []
    with httpx.Client(timeout=10) as client:
        try:
            for node in nodes:
                node.start()
            took, _ = converged(nodes, client, "it story 0", BOUND + 20)  # includes start-up
            timings.append(("start", took))

            # Step 1: a new article in Italian; an English one changes its title.
            feeds.add("it", "it-new", "Nuova rete di ricarica", now, 0)
            feeds.retitle("en", "en-1", "Tram line reopens after works")
            took, _ = converged(nodes, client, "Nuova rete di ricarica", BOUND)
            _, answers = converged(nodes, client, "Tram line reopens after works", BOUND)
            timings.append(("new and changed article", took))
            assert b"Nuova rete di ricarica" in answers["it/energy.atom"][1]

            # Step 2: a Japanese article moves from one topic to the other.
            feeds.items["ja"] = [
                (g, t, w, TOPIC_WORDS["ja"][1] if g == "ja-0" else c)
                for g, t, w, c in feeds.items["ja"]
            ]
            feeds.retitle("ja", "ja-0", "路面電車の新路線")
            took, answers = converged(nodes, client, "路面電車の新路線", BOUND)
            timings.append(("article moved to another topic", took))
            assert "路面電車の新路線" in answers["ja/mobility.json"][1].decode()
            assert "路面電車の新路線" not in answers["ja/energy.json"][1].decode()

            # Step 3: a backlog arrives, months of archives to write; node b is killed
            # while it writes its files, and more news comes while it is down.
            month_start = now.replace(day=1, hour=12, minute=0, second=0)
            for lang in LANGUAGES:
                for i in range(40):
                    when = month_start - timedelta(days=1 + i, hours=i % 5)
                    feeds.add(lang, f"{lang}-old-{i}", f"{lang} archive {i}", when, i % 2)
            victim = nodes[1]
            assert mid_publish(victim.directory, BOUND), victim.log()[-3000:]
            assert victim.process is not None
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(timeout=10)
            feeds.add("en", "en-late", "Late news while a node is down", now, 1)
            took, _ = converged(
                [nodes[0], nodes[2]], client, "Late news while a node is down", BOUND
            )
            timings.append(("backlog, two nodes", took))
            victim.start()
            took, answers = converged(nodes, client, "Late news while a node is down", CATCH_UP)
            timings.append(("killed node restarted, caught up", took))
            assert b"archive" in answers["it/all.atom"][1]  # prev-archive links
            disks = [archive_files(node.directory) for node in nodes]
            assert len(disks[0]) > 50
            assert disks[1] == disks[0] and disks[2] == disks[0]
            assert all((node.directory / STATE_FILE).is_file() for node in nodes)
        finally:
            for node in nodes:
                node.stop()
    print(f"\nconvergence (seconds, bound {BOUND:.0f}):")
    for step, took in timings:
        print(f"  {step}: {took:.1f}")
