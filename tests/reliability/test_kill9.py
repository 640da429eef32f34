"""SIGKILL of ``syndicate poll`` at random points of its cycle, 50 times, then a clean run.

Between kills the sources change (each gains an article per round, and every article's date
moves), so kills land in fetching, storing, publishing and archiving alike; archive pages
hold 5 entries, so a month's archive is several pages. Afterwards: no duplicate article, no
article a source still serves missing, every published file complete and valid, no archive
page ever seen with other bytes than when it was first seen, and every prev-archive link
leading to a page that exists.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import load_config
from syndicate.storage import open_storage

from ..conftest import free_port, make_config
from .conftest import Case

KILLS = 50
LEASE = 8
SOURCES = ("alpha", "beta", "gamma", "delta")
pytestmark = pytest.mark.timeout(600)


class ChangingFeeds:
    """Each source's feed: one more article per round, older ones dated back months."""

    def __init__(self) -> None:
        self.round = 0
        self.start = datetime.now(UTC) - timedelta(days=90)

    def items(self, source: str) -> list[tuple[str, str, datetime]]:
        count = 20 + self.round
        return [
            (f"{source}-{i}", f"{source} news {i}", self.start + timedelta(days=i * 90 / count))
            for i in range(count)
        ]

    def body(self, source: str) -> bytes:
        entries = "".join(
            f"<item><guid>{guid}</guid><title>{title}</title>"
            f"<link>https://{source}.example.org/{guid}</link>"
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>&lt;p&gt;{title}, {'testo ' * 40}&lt;/p&gt;</description></item>"
            for guid, title, when in self.items(source)
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{source}</title><link>https://{source}.example.org/</link>"
            f"<description>x</description>{entries}</channel></rss>"
        ).encode()


def published_problems(output: Path) -> list[str]:
    """Every published file that is not complete and valid (XML, JSON, gzip twin)."""
    problems = []
    for path in sorted(output.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        data = path.read_bytes()
        try:
            if path.suffix == ".gz":
                twin = path.with_suffix("")
                if gzip.decompress(data) != twin.read_bytes():
                    problems.append(f"{path}: not the twin of {twin.name}")
            elif path.suffix == ".json":
                json.loads(data)
            elif path.suffix in (".atom", ".rss", ".opml"):
                etree.fromstring(data)
        except (ValueError, OSError, EOFError, etree.XMLSyntaxError) as exc:
            problems.append(f"{path}: {exc}")
    return problems


class ArchivePages:
    """Every archive page seen after each round, with the bytes it was first seen with."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.first: dict[Path, bytes] = {}
        self.rewritten: set[Path] = set()

    def look(self) -> None:
        for path in self.output.glob("*/archive/*/*"):
            if path.name.startswith(".") or path.suffix == ".gz":
                continue
            data = path.read_bytes()
            if self.first.setdefault(path, data) != data:
                self.rewritten.add(path)


def broken_links(output: Path, base_url: str) -> list[str]:
    """prev-archive links (Atom) that lead to no file."""
    broken = []
    for path in output.rglob("*.atom"):
        for href in etree.fromstring(path.read_bytes()).xpath(
            "//a:link[@rel='prev-archive']/@href", namespaces={"a": "http://www.w3.org/2005/Atom"}
        ):
            if not (output / str(href).removeprefix(f"{base_url}/feeds/")).is_file():
                broken.append(f"{path.relative_to(output)} -> {href}")
    return broken


def test_fifty_kills_lose_and_duplicate_nothing(case: Case, tmp_path: Path) -> None:
    case(
        f"SIGKILL of the worker at random points, {KILLS} times",
        "0 duplicates, 0 losses, 0 invalid files after a clean run",
    )
    feeds = ChangingFeeds()
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    for source in SOURCES:

        def handler(request: Request, source: str = source) -> Response:
            return Response(feeds.body(source), content_type="application/rss+xml")

        server.expect_request(f"/{source}.xml").respond_with_handler(handler)
    server.start()
    sources = "\n".join(
        f'[[sources]]\nid = "{s}"\nurl = "{server.url_for(f"/{s}.xml")}"\nlanguage = "it"'
        for s in SOURCES
    )
    # Short leases: a killed worker's claims block its sources until they expire.
    config = make_config(
        tmp_path,
        sources=sources,
        extra=(
            f"[publish]\narchive_months = 6\narchive_page_entries = 5\n"
            f'[schedule]\nlease = "{LEASE}s"\n'
        ),
        fetch='total_timeout = "4s"',
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    command = [sys.executable, "-m", "syndicate", "--config", str(config.path)]
    rng = random.Random(9)
    kills = 0
    pages = ArchivePages(config.output_dir)
    try:
        for _ in range(KILLS * 3):
            if kills == KILLS:
                break
            feeds.round += 1
            process = subprocess.Popen(
                [*command, "poll", "--once", "--force"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.3, 2.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
            pages.look()
        time.sleep(LEASE + 1)  # the last killed worker's leases run out
        clean = subprocess.run(
            [*command, "poll", "--once", "--force"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.clear()
        server.stop()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    pages.look()
    storage = open_storage(load_config(config.path, env={}).database_url)
    with storage.engine.connect() as conn:
        duplicates = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT source_id, guid FROM articles "
                "GROUP BY source_id, guid HAVING count(*) > 1) AS d"
            )
        ).scalar_one()
        stored = {
            (r[0], r[1]) for r in conn.execute(sa.text("SELECT source_id, guid FROM articles"))
        }
    storage.close()
    served = {(s, guid) for s in SOURCES for guid, _, _ in feeds.items(s)}
    lost = served - stored
    invalid = published_problems(config.output_dir)
    broken = broken_links(config.output_dir, config.service.base_url)
    later_pages = [p for p in pages.first if "-p" in p.name]
    summary = (
        f"{kills} kills, {duplicates} duplicates, {len(lost)} losses, "
        f"{len(invalid)} invalid files ({len(stored)} articles stored), "
        f"{len(pages.first)} archive pages ({len(later_pages)} after a month's first), "
        f"{len(pages.rewritten)} rewritten, {len(broken)} broken prev-archive links"
    )
    case.saw(summary)
    print(summary)
    assert kills == KILLS
    assert duplicates == 0 and not lost and not invalid, (lost, invalid)
    assert later_pages and not pages.rewritten and not broken, (pages.rewritten, broken)
