"""Ingest benchmark: syndicate against a naive cron script, raw HTTP and lemon24/reader, in one run.

    make bench        (or: .venv/bin/python bench/ingest.py [--feeds N] [--profile])
    .venv/bin/python bench/ingest.py --many-hosts      (300 feeds, 30 hosts, 50 ms, with reader)

A local fixture server (bench/fixture.py, its own process) serves N feeds of 5–300 KB:
70% answer 304 to a conditional request, 20% send the same body without validators, 10%
change on every request. Each variant runs in its own process, measured with wait4():
  (a) naive: feedparser.parse(url) for each source, one after another (a cron script);
  (b) limit: raw concurrent httpx GETs of the same URLs, bodies read and dropped;
  (r) lemon24/reader, ``update_feeds(workers=16)``: the first update, then the second
      (with ``--many-hosts`` or ``--reader``);
  (c) syndicate poll --once --force: the first cycle (everything new), then the second;
  (c3) a cycle of syndicate as its worker runs (``syndicate run``): one cycle, then the
      timed one, in the same process with the same client (and (r3), reader likewise).
Prints wall time, CPU time (user+sys) and peak RSS, and the ratios of the second cycle;
(c3) and (r3) are timed by the child itself, from before the cycle to its end.
syndicate's bytecode is written before anything is timed, as an installed package has it.

Many hosts (``--hosts N``, ``--latency MS``; ``--many-hosts`` is 300 feeds on 30 hosts with
50 ms per answer): only 127.0.0.1 may be used here, so each host is one port of the fixture
server, and host h serves its own block of feeds (feeds 10h…10h+9 for 300 on 30). syndicate
then runs with its default ``fetch.concurrency`` and ``fetch.per_host`` (``--per-host``
overrides); with one host, the one fixture host stands for many publishers, so per_host is
lifted to the concurrency as before.

reader is installed in a virtualenv of the bench's own (bench/.venv-peers, made on first
use, pinned to READER_VERSION), never in syndicate's. Like syndicate, it sends the ETag and
Last-Modified it stored back (If-None-Match/If-Modified-Since, reader/_parser/http.py);
it parses every 200 and compares feed and entry hashes to decide what to store.

``--language ja`` serves Japanese items; ``--glossary`` gives syndicate the shipped term
base (locales/glossary), so every new article is matched and routed (for Japanese, with
the analyser): run with and without it to see what term matching costs a cycle.
Everything stays on 127.0.0.1; the fixture server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
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
#: the reader release this bench was run with (3.27 needs Python 3.12), and what it needs
#: beside: its vendored feedparser imports ``sgmllib``, which newer feedparsers stopped
#: requiring (they ship feedparser-sgmllib)
READER_VERSION = "3.26"
PEER_PACKAGES = [f"reader=={READER_VERSION}", "sgmllib3k==1.0.0"]
READER_WORKERS = 16
PEERS = HERE / ".venv-peers"

NAIVE = """
import sys, feedparser
for url in open(sys.argv[1]).read().split():
    feedparser.parse(url)
"""

#: one reader update in its own process: argv is the database, the URL file and the phase
READER = """
import sys
from reader import make_reader
database, urls, phase = sys.argv[1:4]
reader = make_reader(database)
if phase == "first":
    for url in open(urls).read().split():
        reader.add_feed(url, exist_ok=True)
# scheduled=False: every feed now, as syndicate's --force (by default reader would wait
# for each feed's update interval); a failed feed fails the run
results = list(reader.update_feeds_iter(workers=WORKERS, scheduled=False))
failed = [value for _, value in results if isinstance(value, Exception)]
reader.close()
assert len(results) == len(open(urls).read().split()) and not failed, (len(results), failed[:3])
""".replace("WORKERS", str(READER_WORKERS))


#: reader as a long-running process would use it: one update, then the measured one, in the
#: same process (argv: the database the phased runs left)
READER_RUNNING = """
import json, resource, sys, time
from reader import make_reader
reader = make_reader(sys.argv[1])
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def update():
    results = list(reader.update_feeds_iter(workers=WORKERS, scheduled=False))
    assert not [v for _, v in results if isinstance(v, Exception)]
update()
wall, used = time.perf_counter(), cpu()
update()
seconds = time.perf_counter() - wall
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": seconds, "cpu": cpu() - used, "rss": rss}))
""".replace("WORKERS", str(READER_WORKERS))

#: syndicate as its worker runs (``syndicate run``): one cycle, then the measured one, in
#: the same process, with the same client (argv: the config of the poll --once runs)
SYNDICATE_RUNNING = """
import asyncio, json, resource, sys, time
from syndicate import Fetcher, load_config, load_term_base, open_storage, run_cycle
config = load_config(sys.argv[1])
storage = open_storage(config.service.database)
terms = load_term_base(config)
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
async def cycles():
    async with Fetcher(config.fetch) as fetcher:
        await run_cycle(config, storage, fetcher, force=True, terms=terms)
        wall, used = time.perf_counter(), cpu()
        report = await run_cycle(config, storage, fetcher, force=True, terms=terms)
        assert len(report.sources) == len(config.sources) and not report.failed
        return time.perf_counter() - wall, cpu() - used
wall, used = asyncio.run(cycles())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "cpu": used, "rss": rss}))
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


def measure_inside(name: str, argv: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv``, a child that times its own last step and prints it as JSON: the wall
    and CPU time of that step, and its own peak RSS."""
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    if child.returncode != 0:
        sys.exit(f"{name} failed:\n{err.decode()}")
    timed = json.loads(out.decode().strip().splitlines()[-1])
    return Run(name, timed["wall"], timed["cpu"], timed["rss"])


async def raw_gets(urls: list[str]) -> None:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    semaphore = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def get(url: str) -> None:
            async with semaphore:
                response = await client.get(url)
                assert response.status_code == 200

        await asyncio.gather(*(get(url) for url in urls))


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 (all held open until all are chosen)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def free_port() -> int:
    return free_ports(1)[0]


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("the fixture server did not start")


def fetch_and_schedule(timeout: str = "60s", per_host: int | None = CONCURRENCY) -> str:
    """The ``[fetch]`` and ``[schedule]`` tables of a benchmark: every feed polled at once.
    ``per_host`` defaults to the concurrency (one fixture host standing for many
    publishers); None keeps syndicate's defaults for concurrency and per_host."""
    limits = f"concurrency = {CONCURRENCY}\nper_host = {per_host}\n" if per_host else ""
    return f"""
[fetch]
allow_private_networks = true
{limits}timeout = "{timeout}"
total_timeout = "120s"

[schedule]
adaptive = false
jitter = 0
"""


@contextlib.contextmanager
def fixture_hosts(feeds: int, hosts: int, *options: str) -> Iterator[list[str]]:
    """bench/fixture.py serving ``feeds`` feeds on ``hosts`` ports of 127.0.0.1 (``options``
    passed on) for the time of the block: yields the URL each host's feeds hang from
    (``{base}/{i}.xml``), and stops the server at the end."""
    ports = free_ports(hosts)
    command = [sys.executable, str(HERE / "fixture.py")]
    command += [f"--port={port}" for port in ports]
    fixture = subprocess.Popen([*command, "--feeds", str(feeds), *options])
    try:
        bases = [f"http://127.0.0.1:{port}/feeds" for port in ports]
        for base in bases:
            wait_ready(f"{base}/0.xml")
        yield bases
    finally:
        fixture.send_signal(signal.SIGTERM)
        try:
            fixture.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fixture.kill()


@contextlib.contextmanager
def fixture_feeds(feeds: int, *options: str) -> Iterator[str]:
    """:func:`fixture_hosts` with one host: yields the URL the feeds hang from."""
    with fixture_hosts(feeds, 1, *options) as (base,):
        yield base


def feed_urls(bases: list[str], feeds: int) -> list[str]:
    """Feed i on host ``i * hosts // feeds``: each host its own block of consecutive feeds,
    so every host has each kind of feed (the kind is ``i % 10``)."""
    return [f"{bases[i * len(bases) // feeds]}/{i}.xml" for i in range(feeds)]


def peer_python() -> Path | None:
    """The bench's own virtualenv with reader (made on first use); None if it cannot be."""
    python = PEERS / "bin" / "python"
    check = [
        str(python),
        "-c",
        f"import sgmllib, reader; assert reader.__version__ == {READER_VERSION!r}",
    ]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing {' '.join(PEER_PACKAGES)} into {PEERS} (the bench's own) …", flush=True)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES]
        subprocess.run(pip, check=True)
        subprocess.run(check, check=True, capture_output=True)
    except subprocess.CalledProcessError:
        print("reader could not be installed: the peer is left out of this run")
        return None
    return python


def config_text(
    directory: Path, urls: list[str], language: str, glossary: bool, per_host: int | None
) -> str:
    sources = "".join(f'[[sources]]\nid = "f{i:04d}"\nurl = "{u}"\n' for i, u in enumerate(urls))
    terms = f'[glossary]\nfiles = ["{HERE.parent / "locales" / "glossary"}/*.csv"]\n'
    return f"""
{terms if glossary else ""}
[service]
languages = ["{language}"]
database = "sqlite:///{directory / "bench.db"}"
output_dir = "{directory / "feeds"}"
{fetch_and_schedule(per_host=per_host)}
{sources}"""


def main() -> None:
    parser = argparse.ArgumentParser(description="syndicate ingest benchmark")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=1, help="fixture hosts (ports)")
    parser.add_argument("--latency", type=float, default=0, help="ms before every answer")
    parser.add_argument(
        "--many-hosts", action="store_true", help="300 feeds on 30 hosts, 50 ms, with reader"
    )
    parser.add_argument(
        "--per-host", type=int, help="fetch.per_host (default: syndicate's with many hosts)"
    )
    parser.add_argument("--reader", action="store_true", help="run the reader peer too")
    parser.add_argument("--profile", action="store_true", help="profile one more second cycle")
    parser.add_argument("--language", choices=["en", "ja"], default="en", help="of the items")
    parser.add_argument("--glossary", action="store_true", help="match the shipped term base")
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)  # child mode for (b)
    args = parser.parse_args()
    if args.raw:
        asyncio.run(raw_gets(args.raw.read_text().split()))
        return
    if args.many_hosts:
        args.feeds, args.hosts, args.latency, args.reader = 300, 30, 50.0, True
    per_host = args.per_host or (CONCURRENCY if args.hosts == 1 else None)
    compile_bytecode()
    peer = peer_python() if args.reader else None

    options = ["--language", args.language, "--latency", str(args.latency)]
    with fixture_hosts(args.feeds, args.hosts, *options) as bases:
        urls = feed_urls(bases, args.feeds)
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            url_file = directory / "urls.txt"
            url_file.write_text("\n".join(urls))
            config = directory / "config.toml"
            config.write_text(config_text(directory, urls, args.language, args.glossary, per_host))
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
                f"{', shipped term base' if args.glossary else ''}) on {args.hosts} host(s) "
                f"{bases[0].rsplit(':', 1)[0]}:{'…' if args.hosts > 1 else ''}"
                f"{bases[0].rsplit(':', 1)[1].split('/')[0]}, {args.latency:g} ms per answer; "
                f"syndicate fetch.per_host = {per_host or 'default'}; "
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
            peers: list[Run] = []
            if peer is not None:
                database = str(directory / "reader.sqlite")
                for phase in ("first", "second"):
                    name = f"(r{len(peers) + 1}) reader {READER_VERSION}, {phase} update"
                    argv = [str(peer), "-c", READER, database, str(url_file), phase]
                    peers.append(measure(name, argv))
            first = measure("(c1) syndicate poll --once --force, first cycle", poll, env)
            second = measure("(c2) syndicate poll --once --force, second cycle", poll, env)
            running: list[Run] = []
            if peer is not None:
                argv = [str(peer), "-c", READER_RUNNING, database]
                running.append(measure_inside("(r3) reader, an update in a running process", argv))
            argv = [sys.executable, "-c", SYNDICATE_RUNNING, str(config)]
            running.append(measure_inside("(c3) syndicate, a cycle in a running worker", argv, env))
            print_table([naive, raw, *peers, first, second, *running], naive, raw, peers, second)
            if args.profile:
                profile(directory, poll, env)


def compile_bytecode() -> None:
    """Write syndicate's bytecode before anything is timed, as pip does for an installed
    package: the checkout is an editable install, and where PYTHONDONTWRITEBYTECODE is set
    (it is on our CI machines) every ``poll --once`` would compile syndicate's source again
    (0.45 s measured), while the libraries the other variants import were compiled at
    install."""
    package = HERE.parent / "syndicate"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def print_table(runs: list[Run], naive: Run, raw: Run, peers: list[Run], second: Run) -> None:
    print()
    print(f"{'variant':<52} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8} {'wall/a':>8} {'wall/b':>8}")
    for run in runs:
        print(
            f"{run.name:<52} {run.wall:>8.2f} {run.cpu:>8.2f} {run.rss_mb:>8.0f} "
            f"{run.wall / naive.wall:>8.3f} {run.wall / raw.wall:>8.2f}"
        )
    worker = runs[-1]
    print()
    print(
        f"second cycle, poll --once process: {naive.wall / second.wall:.1f}x faster than (a) "
        f"(goal: at least 20x); {second.wall / raw.wall:.2f}x the time of (b)"
    )
    print(f"a cycle of the running worker: {naive.wall / worker.wall:.1f}x faster than (a)")
    if peers:
        reader_running = runs[-2]
        print(
            f"second cycle, processes: {peers[-1].wall / second.wall:.1f}x faster than reader's "
            f"second update (goal: at least 2x); CPU {peers[-1].cpu / second.cpu:.1f}x less"
        )
        print(
            f"running processes: {reader_running.wall / worker.wall:.1f}x faster than reader's "
            f"update; CPU {reader_running.cpu / worker.cpu:.1f}x less"
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
