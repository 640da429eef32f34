"""Ingest benchmark: syndicate against a naive cron script and against raw HTTP, in one run.

    make bench        (or: .venv/bin/python bench/ingest.py [--feeds N] [--profile])

A local fixture server (bench/fixture.py, its own process) serves N feeds of 5–300 KB:
70% answer 304 to a conditional request, 20% send the same body without validators, 10%
change on every request. Each variant runs in its own process, measured with wait4():
  (a) naive: feedparser.parse(url) for each source, one after another (a cron script);
  (b) limit: raw concurrent httpx GETs of the same URLs, bodies read and dropped;
  (c) syndicate poll --once --force: the first cycle (everything new), then the second.
Prints wall time, CPU time (user+sys) and peak RSS, and the ratios c/a and c/b.
``--language ja`` serves Japanese items; ``--glossary`` gives syndicate the shipped term
base (locales/glossary), so every new article is matched and routed (for Japanese, with
the analyser): run with and without it to see what term matching costs a cycle.
Everything stays on 127.0.0.1; the fixture server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
CONCURRENCY = 50

NAIVE = """
import sys, feedparser
for url in open(sys.argv[1]).read().split():
    feedparser.parse(url)
"""


@dataclass(frozen=True)
class Run:
    name: str
    wall: float
    cpu: float
    rss_mb: float


def measure(name: str, argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` as a child; its wall time, CPU time and peak RSS from wait4()."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} failed:\n{child.stderr.read().decode() if child.stderr else ''}")
    return Run(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


async def raw_gets(urls: list[str]) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def get(url: str) -> None:
            async with semaphore:
                response = await client.get(url)
                assert response.status_code == 200

        await asyncio.gather(*(get(url) for url in urls))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("the fixture server did not start")


def fetch_and_schedule(timeout: str = "60s") -> str:
    """The ``[fetch]`` and ``[schedule]`` tables of a benchmark: every feed polled at once,
    one fixture host standing for many publishers."""
    return f"""
[fetch]
allow_private_networks = true
concurrency = {CONCURRENCY}
per_host = {CONCURRENCY}   # one fixture host stands for many publishers
timeout = "{timeout}"
total_timeout = "120s"

[schedule]
adaptive = false
jitter = 0
"""


@contextlib.contextmanager
def fixture_feeds(feeds: int, *options: str) -> Iterator[str]:
    """bench/fixture.py serving ``feeds`` feeds on 127.0.0.1 (``options`` passed on) for the
    time of the block: yields the URL the feeds hang from (``{base}/{i}.xml``), and stops
    the server at the end."""
    port = free_port()
    command = [sys.executable, str(HERE / "fixture.py"), "--port", str(port)]
    fixture = subprocess.Popen([*command, "--feeds", str(feeds), *options])
    try:
        base = f"http://127.0.0.1:{port}/feeds"
        wait_ready(f"{base}/0.xml")
        yield base
    finally:
        fixture.send_signal(signal.SIGTERM)
        try:
            fixture.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fixture.kill()


def config_text(directory: Path, urls: list[str], language: str, glossary: bool) -> str:
    sources = "".join(f'[[sources]]\nid = "f{i:04d}"\nurl = "{u}"\n' for i, u in enumerate(urls))
    terms = f'[glossary]\nfiles = ["{HERE.parent / "locales" / "glossary"}/*.csv"]\n'
    return f"""
{terms if glossary else ""}
[service]
languages = ["{language}"]
database = "sqlite:///{directory / "bench.db"}"
output_dir = "{directory / "feeds"}"
{fetch_and_schedule()}
{sources}"""


def main() -> None:
    parser = argparse.ArgumentParser(description="syndicate ingest benchmark")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="profile one more second cycle")
    parser.add_argument("--language", choices=["en", "ja"], default="en", help="of the items")
    parser.add_argument("--glossary", action="store_true", help="match the shipped term base")
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)  # child mode for (b)
    args = parser.parse_args()
    if args.raw:
        asyncio.run(raw_gets(args.raw.read_text().split()))
        return

    with fixture_feeds(args.feeds, "--language", args.language) as base:
        urls = [f"{base}/{i}.xml" for i in range(args.feeds)]
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            url_file = directory / "urls.txt"
            url_file.write_text("\n".join(urls))
            config = directory / "config.toml"
            config.write_text(config_text(directory, urls, args.language, args.glossary))
            env = dict(os.environ)
            env.pop("SYNDICATE_DATABASE_URL", None)
            # --force: the second cycle polls every source again at once, not after its interval
            poll = [
                sys.executable,
                "-m",
                "syndicate",
                "--config",
                str(config),
                "poll",
                "--once",
                "--force",
            ]
            print(
                f"{args.feeds} feeds ({args.language}"
                f"{', shipped term base' if args.glossary else ''}) on {base}; "
                "running (a) naive sequential …",
                flush=True,
            )
            naive = measure(
                "(a) naive feedparser.parse(url), sequential",
                [sys.executable, "-c", NAIVE, str(url_file)],
            )
            raw = measure(
                f"(b) raw httpx GETs, {CONCURRENCY} at once, no processing",
                [sys.executable, str(Path(__file__)), "--raw", str(url_file)],
            )
            first = measure("(c1) syndicate poll --once --force, first cycle", poll, env)
            second = measure("(c2) syndicate poll --once --force, second cycle", poll, env)
            runs = [naive, raw, first, second]
            print_table(runs, naive, raw)
            if args.profile:
                profile(directory, poll, env)


def print_table(runs: list[Run], naive: Run, raw: Run) -> None:
    print()
    print(f"{'variant':<52} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8} {'wall/a':>8} {'wall/b':>8}")
    for run in runs:
        print(
            f"{run.name:<52} {run.wall:>8.2f} {run.cpu:>8.2f} {run.rss_mb:>8.0f} "
            f"{run.wall / naive.wall:>8.3f} {run.wall / raw.wall:>8.2f}"
        )
    second = runs[-1]
    print()
    print(
        f"second cycle: {naive.wall / second.wall:.1f}x faster than (a) (goal: at least 20x); "
        f"{second.wall / raw.wall:.2f}x the time of (b) (goal: at most 2x)"
    )


def profile(directory: Path, poll: list[str], env: dict[str, str]) -> None:
    out = directory / "cycle.prof"
    argv = [poll[0], "-m", "cProfile", "-o", str(out), *poll[1:]]
    measure("(c3) another second cycle, under cProfile", argv, env)
    print("\nwhere the second cycle's time goes (cProfile, top 15 by cumulative time):")
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
