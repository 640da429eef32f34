"""Scaling benchmark: N worker processes ("nodes") on one PostgreSQL, many hosts, one table.

    make bench        (or: .venv/bin/python bench/scale.py [--sources 2000] [--hosts 200]
                       [--workers 1,2,4] [--runs 3] [--quick])

What runs. One fixture process (bench/fixture.py's feeds, served on ``--hosts`` listening
ports of 127.0.0.1, each answer after ``--latency``; source i lives on port i % hosts) and,
for each worker count N, a fresh PostgreSQL database (``scale_bench_<random>``, created on
``--server`` and dropped at the end, whatever happens) and N ``syndicate worker``
processes, each a node with its own ``output_dir`` as separate machines have, the same
``[[sources]]`` and ``schedule.tick = --tick``. Feeds hold ``--entries`` items; by i % 10
a feed answers 304 to a conditional request (70%), the same body without validators
(20%), or a new item every time (10%). ``[fetch]`` keeps syndicate's defaults
(``concurrency`` 50, ``per_host`` 2, counted by host name and port). Everything is on
loopback; every phase has a deadline; processes and the database are cleaned up on any
exit (the children also get SIGTERM if this script is killed).

Each node runs through a wrapper (``WRAPPER``) that counts, without touching syndicate,
what its process sends to the database: every statement (SQLAlchemy's
``before_cursor_execute``, kept by kind: verb and first table), every BEGIN, COMMIT and
ROLLBACK (psycopg 3 sends BEGIN as a round trip of its own before a transaction's first
statement), and every pool checkout (``pool_pre_ping`` sends a ping then). The sum is the
round trips; it writes them to a file several times a second.

Phases, for each N:
1. first poll: the nodes start; every source is due at once and everything is new
   (``--entries`` articles per source). Reported as its wall time only.
2. quiet: no source due (``next_poll_at`` a day ahead), until the nodes' CPU rests;
   a ``--idle`` second window then gives the cost of an idle tick.
3. burst: every source due at once (``UPDATE sources SET next_poll_at``), the second poll
   (70% 304, 20% same body, 10% one new item). **sources/s** = sources / (the moment the
   last one is stored - the first ``last_polled_at``). Then quiet again, and between the
   two quiet moments: **CPU per source** (user+sys of the node processes from
   /proc/PID/stat, every node's publishing included), **round trips per source** (the
   wrapper's counts), **PostgreSQL CPU per source** (its client backends for this
   database, from /proc: PostgreSQL runs on this machine) and bytes served per source.
4. probes, at a steady load: every source's next poll spread at random over
   sources / ``--load`` seconds (so about ``--load`` polls a second go on), then every
   ``--probe-gap`` seconds one more probe: a new item with today's date goes on top of a
   source's feed (a source kept out of the background load), and that source is made due
   at once (its ``next_poll_at`` is the probe's "due" moment). Every node's
   ``{output_dir}/en/all.atom`` is watched (stat every 20 ms, read when it changed) for
   the probe's guid: **due -> first node** (the node that polled it, or the first to
   publish it) and **due -> every node**, p50 and p99 over the probes. A probe not in
   every node's feed ``--converge-timeout`` seconds after the last probe counts as not
   arrived, and the table says so (until the cross-node convergence of issue 19 item 1,
   only the polling node publishes what it polled).

The tick is short (1 s by default, against the 30 s default of ``schedule.tick``) so the
latencies show syndicate's own costs; with the default tick, add up to one tick.
The extrapolation at the end works from the per-source costs (medians over runs) and
prints its arithmetic. One process is held to about one core by the GIL, so a worker
machine of ``--cores`` runs that many worker processes, each a node that publishes every
change and asks the database at every tick: the CPU and PostgreSQL costs per source are
read off straight lines through the measured worker counts at ``--cores`` nodes. CPU:
cores / CPU per source; database: ``--db-cores`` / PostgreSQL CPU per source, with the
commits per second that makes, and the round trips' waiting at ``--rtt-ms``; network:
``--link-gbit`` / bytes per source, and the ``fetch.concurrency`` lanes needed at
``--fetch-ms`` per fetch. The lowest is where it stops; as sources per minute and as sources
at a 15-minute interval. This machine has 2 cores shared by the nodes, the fixture,
PostgreSQL and this script: ``--runs`` repeats everything and the table shows ranges.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fixture import Feeds, Receive, Scope, Send, _respond  # noqa: E402  (bench/fixture.py)
from ingest import fetch_and_schedule, wait_ready  # noqa: E402  (bench/ingest.py)

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
#: the language of the fixture's items: the feed watched for probes is ``en/all.atom``
LANGUAGE = "en"
BENCH_APP = "scale-bench"  # application_name of this script's own connections

# Runs one node: counts what its process sends to the database, then is `syndicate ...`.
WRAPPER = r"""
import atexit, json, os, re, sys, threading, time
from collections import Counter

import sqlalchemy as sa

out = sys.argv.pop(1)
counts = Counter()
lock = threading.Lock()
TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?(\w+)', re.I)

def kind(statement):
    words = statement.split(None, 1)
    verb = words[0].upper() if words else "?"
    if verb == "WITH":
        found = re.search(r"\)\s*(SELECT|INSERT|UPDATE|DELETE)\b", statement, re.I)
        verb = found.group(1).upper() if found else verb
    table = TABLE.search(statement)
    return f"{verb} {table.group(1)}" if table else verb

def count(key):
    with lock:
        counts[key] += 1

@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _statement(conn, cursor, statement, parameters, context, executemany):
    count(kind(statement))

for name in ("begin", "commit", "rollback"):
    sa.event.listen(sa.engine.Engine, name, lambda conn, _k=name.upper(): count(_k))

@sa.event.listens_for(sa.pool.Pool, "checkout")
def _checkout(dbapi_connection, record, proxy):
    count("ping (pool_pre_ping)")

@sa.event.listens_for(sa.pool.Pool, "connect")
def _connect(dbapi_connection, record):
    count("connect")

def dump():
    with lock:
        text = json.dumps(counts)
    with open(out + ".tmp", "w") as f:
        f.write(text)
    os.replace(out + ".tmp", out)

def keep_dumping():
    while True:
        time.sleep(0.2)
        dump()

threading.Thread(target=keep_dumping, daemon=True).start()
atexit.register(dump)
sys.argv[0] = "syndicate"
from syndicate.cli import main
main()
"""

#: kinds that are transaction control or connection care, not statements of syndicate's own
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "ping (pool_pre_ping)", "connect")


class BenchError(Exception):
    """A phase did not finish in time, or a process died: the run stops, cleaned up."""


# ---------------------------------------------------------------- fixture (child process)


class ScaleFeeds(Feeds):
    """bench/fixture.py's feeds (answered after its latency), with probes and counts.

    ``GET /probe/{feed}/{n}`` puts probe ``n`` (an item dated now, guid ``scale-probe-n``)
    on top of that feed; ``GET /stats`` gives the answers and bytes served so far."""

    def __init__(self, count: int, seed: int, entries: int, latency: float) -> None:
        super().__init__(count, seed, LANGUAGE, entries, latency)
        self.answers: Counter[int] = Counter()
        self.bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/probe/"):
            feed, number = (int(part) for part in path.split("/")[2:4])
            self.items[feed].insert(0, probe_item(feed, number))
            await _respond(send, 200, b"ok", [])
            return
        if path == "/stats":
            stats = {"answers": dict(self.answers), "bytes": self.bytes}
            await _respond(send, 200, json.dumps(stats).encode(), [])
            return

        async def counted(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                assert isinstance(status, int)
                self.answers[status] += 1
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                assert isinstance(body, bytes)
                self.bytes += len(body)
            await send(message)

        await super().__call__(scope, receive, counted)


def probe_item(feed: int, number: int) -> str:
    date = format_datetime(datetime.now(UTC), usegmt=True)
    return (
        f"<item><title>Probe {number} of feed {feed}</title>"
        f"<link>https://bench.example/probe/{number}</link>"
        f'<guid isPermaLink="false">{probe_guid(number)}</guid>'
        f"<pubDate>{date}</pubDate>"
        "<description>&lt;p&gt;A probe of the scaling benchmark.&lt;/p&gt;</description></item>"
    )


def probe_guid(number: int) -> str:
    return f"scale-probe-{number:06d}"


def serve_fixture(args: argparse.Namespace) -> None:
    """Child mode: bind ``--hosts`` ports on 127.0.0.1, write them to ``--ready``, serve."""
    app = ScaleFeeds(args.sources, args.seed, args.entries, args.latency / 1000)
    sockets = []
    for _ in range(args.hosts):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        sockets.append(sock)
    ports = [sock.getsockname()[1] for sock in sockets]
    Path(args.ready).write_text(json.dumps(ports))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    asyncio.run(uvicorn.Server(config).serve(sockets=sockets))


# ---------------------------------------------------------------- processes and /proc


def _die_with_parent() -> None:
    """In a child, before exec: SIGTERM when this script dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )


def stop(processes: Sequence[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """SIGTERM each (syndicate stops cleanly on it), then SIGKILL what is left."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """user + sys of a process (all its threads) from /proc, None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@contextlib.contextmanager
def fixture_server(
    args: argparse.Namespace, directory: Path
) -> Iterator[tuple[list[str], str, subprocess.Popen[bytes]]]:
    """The fixture process: yields each source's URL, the control URL and the process."""
    ready = directory / "fixture.json"
    argv = [sys.executable, str(Path(__file__)), "--serve-fixture", "--ready", str(ready)]
    argv += ["--sources", str(args.sources), "--hosts", str(args.hosts)]
    argv += ["--entries", str(args.entries), "--latency", str(args.latency)]
    process = spawn(argv, directory / "fixture.log")
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the fixture server did not start; see fixture.log")
            time.sleep(0.05)
        ports = json.loads(ready.read_text())
        urls = [
            f"http://127.0.0.1:{ports[i % len(ports)]}/feeds/{i}.xml" for i in range(args.sources)
        ]
        wait_ready(urls[0])
        yield urls, f"http://127.0.0.1:{ports[0]}", process
    finally:
        stop([process])


# ---------------------------------------------------------------- the database


@contextlib.contextmanager
def bench_database(server: str) -> Iterator[str]:
    """A new database on ``server`` for one run; dropped at the end, whatever happens."""
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"scale_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def naive_utc(seconds: float) -> datetime:
    """A time.time() value as the database keeps times (naive UTC)."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


class Database:
    """This script's view of the bench database: scheduling, progress, PostgreSQL's CPU."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1),
            connect_args={"application_name": BENCH_APP},
        )
        self.name = sa.engine.make_url(url).database
        self._backends: dict[int, float] = {}
        #: transactions of this script's own (subtracted from PostgreSQL's count)
        self.own = 0

    @contextlib.contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection for one transaction, committed at the end."""
        self.own += 1
        with self.engine.begin() as conn:
            yield conn

    def execute(self, sql: str, **params: object) -> None:
        with self.connect() as conn:
            conn.execute(sa.text(sql), params)

    def due_all(self, at: float) -> None:
        self.execute("UPDATE sources SET next_poll_at = :t", t=naive_utc(at))

    def due(self, source: str, at: float) -> None:
        self.execute(
            "UPDATE sources SET next_poll_at = :t WHERE id = :id", t=naive_utc(at), id=source
        )

    def spread(self, interval: float, keep_out: Sequence[str]) -> None:
        """Every source's next poll at random within ``interval``; ``keep_out`` a day ahead."""
        now = time.time()
        self.execute(
            "UPDATE sources SET next_poll_at = CAST(:t AS timestamp) + random() * :s"
            " * interval '1 second'",
            t=naive_utc(now),
            s=interval,
        )
        with self.connect() as conn:
            conn.execute(
                sa.text("UPDATE sources SET next_poll_at = :t WHERE id = ANY(:ids)"),
                {"t": naive_utc(now + 86400), "ids": list(keep_out)},
            )

    def polled_since(self, at: float) -> tuple[int, float | None]:
        """How many sources were polled at ``at`` or later, and the first of those polls."""
        with self.connect() as conn:
            count, first = conn.execute(
                sa.text(
                    "SELECT count(*), min(last_polled_at) FROM sources WHERE last_polled_at >= :t"
                ),
                {"t": naive_utc(at)},
            ).one()
        return int(count), None if first is None else first.replace(tzinfo=UTC).timestamp()

    def busy(self, far: float) -> int:
        """Sources leased now, or due before ``far`` (a poll ending just now moved them)."""
        now = naive_utc(time.time())
        with self.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM sources WHERE lease_until > :now"
                        " OR next_poll_at < :far"
                    ),
                    {"now": now, "far": naive_utc(far - 3600)},
                ).scalar_one()
            )

    def backend_cpu(self) -> float:
        """CPU seconds of the client backends serving the nodes (not this script)."""
        with self.connect() as conn:
            pids = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :db"
                    " AND backend_type = 'client backend' AND application_name <> :me"
                ),
                {"db": self.name, "me": BENCH_APP},
            ).scalars()
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds is not None:
                    self._backends[pid] = seconds
        return sum(self._backends.values())

    def transactions(self) -> int:
        """Commits and rollbacks in this database as PostgreSQL counts them, less this
        script's own: a check on the wrapper's counts (a ping is a transaction too)."""
        with self.connect() as conn:
            return -self.own + int(
                conn.execute(
                    sa.text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database"
                        " WHERE datname = :db"
                    ),
                    {"db": self.name},
                ).scalar_one()
            )

    def close(self) -> None:
        self.engine.dispose()


# ---------------------------------------------------------------- nodes and snapshots


@dataclass
class Node:
    index: int
    process: subprocess.Popen[bytes]
    counts: Path
    feed: Path
    log: Path

    def statements(self) -> Counter[str]:
        try:
            return Counter(json.loads(self.counts.read_text()))
        except (OSError, ValueError):
            return Counter()

    def cpu(self) -> float:
        seconds = cpu_seconds(self.process.pid)
        if seconds is None or self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise BenchError(f"node {self.index} died:\n{tail}")
        return seconds


@dataclass(frozen=True)
class Costs:
    """What the nodes, PostgreSQL and the fixture had done by a moment (a snapshot:
    ``seconds`` is the monotonic clock), or between two snapshots (``seconds`` between)."""

    seconds: float
    cpu: float
    statements: Counter[str]
    pg_cpu: float
    fixture_cpu: float
    answers: Counter[str]
    bytes: int
    transactions: int

    @property
    def round_trips(self) -> int:
        return sum(self.statements.values())


def snapshot(
    nodes: Sequence[Node], db: Database, fixture: subprocess.Popen[bytes], control: str
) -> Costs:
    statements: Counter[str] = Counter()
    for node in nodes:
        statements += node.statements()
    stats = httpx.get(f"{control}/stats", timeout=10).json()
    return Costs(
        time.monotonic(),
        sum(node.cpu() for node in nodes),
        statements,
        db.backend_cpu(),
        cpu_seconds(fixture.pid) or 0.0,
        Counter(stats["answers"]),
        int(stats["bytes"]),
        db.transactions(),
    )


def between(a: Costs, b: Costs) -> Costs:
    statements = Counter(b.statements)
    statements.subtract(a.statements)
    answers = Counter(b.answers)
    answers.subtract(a.answers)
    return Costs(
        b.seconds - a.seconds,
        b.cpu - a.cpu,
        +statements,
        b.pg_cpu - a.pg_cpu,
        b.fixture_cpu - a.fixture_cpu,
        +answers,
        b.bytes - a.bytes,
        b.transactions - a.transactions,
    )


def config_text(database: str, output: Path, urls: Sequence[str], args: argparse.Namespace) -> str:
    sources = "".join(
        f'[[sources]]\nid = "{source_id(i)}"\nurl = "{u}"\n' for i, u in enumerate(urls)
    )
    languages = ", ".join(f'"{lang}"' for lang in args.languages.split(","))
    # fetch_and_schedule() ends in the [schedule] table: its keys go on under it. per_host=None:
    # syndicate's own fetch.concurrency (50) and per_host (2, counted by name and port).
    interval = args.sources / args.load
    return f"""
[service]
languages = [{languages}]
database = "{database}"
output_dir = "{output}"
{fetch_and_schedule(per_host=None)}interval = "{interval:.0f}s"
tick = "{args.tick}s"

{sources}"""


def source_id(i: int) -> str:
    return f"s{i:05d}"


# ---------------------------------------------------------------- one worker count


@dataclass
class Result:
    workers: int
    first_poll: float
    burst_seconds: float
    burst: Costs
    idle: Costs
    probes: int
    first_node: list[float] = field(default_factory=list)
    every_node: list[float] = field(default_factory=list)
    sources: int = 0
    load: float = 0.0

    @property
    def rate(self) -> float:
        return self.sources / self.burst_seconds

    def per_source(self, value: float) -> float:
        return value / self.sources


def wait_until(what: str, done: Callable[[], bool], seconds: float, step: float = 0.1) -> float:
    """Call ``done`` until true; the time.time() it was first true. BenchError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not done within {seconds:.0f} s")
        time.sleep(step)
    return time.time()


def quiet(nodes: Sequence[Node], db: Database, seconds: float, tick: float) -> None:
    """No source due for a day, no poll running, the nodes' CPU at rest (publishes done)."""
    deadline = time.monotonic() + seconds
    far = time.time() + 86400
    while True:
        db.due_all(far)
        time.sleep(tick)
        if db.busy(far) == 0:
            break
        if time.monotonic() > deadline:
            raise BenchError("the nodes did not finish their polls")
    window = max(2.0, 2 * tick)
    while True:
        before = sum(node.cpu() for node in nodes)
        time.sleep(window)
        used = sum(node.cpu() for node in nodes) - before
        if used / window < 0.04 * len(nodes) + 0.02:
            return
        if time.monotonic() > deadline:
            raise BenchError("the nodes' CPU did not come to rest")


def run_workers(
    workers: int,
    args: argparse.Namespace,
    urls: Sequence[str],
    control: str,
    fixture: subprocess.Popen[bytes],
    directory: Path,
) -> Result:
    with bench_database(args.server) as url:
        db = Database(url)
        nodes: list[Node] = []
        try:
            env = {k: v for k, v in os.environ.items() if k != "SYNDICATE_DATABASE_URL"}
            configs = []
            for k in range(workers):
                home = directory / f"n{workers}-{k}"
                home.mkdir()
                config = home / "config.toml"
                config.write_text(config_text(url, home / "feeds", urls, args))
                configs.append(config)
            syndicate = [sys.executable, "-m", "syndicate", "--config", str(configs[0])]
            upgrade = subprocess.run(
                [*syndicate, "db", "upgrade"], env=env, capture_output=True, timeout=120
            )
            if upgrade.returncode:
                raise BenchError(f"db upgrade failed: {upgrade.stderr.decode()[-2000:]}")
            started = time.time()
            for k, config in enumerate(configs):
                home = config.parent
                counts, log = home / "counts.json", home / "worker.log"
                argv = [sys.executable, "-c", WRAPPER, str(counts), "--config", str(config)]
                process = spawn([*argv, "worker"], log, env)
                nodes.append(Node(k, process, counts, home / "feeds" / LANGUAGE / "all.atom", log))

            def all_polled(since: float) -> bool:
                for node in nodes:
                    node.cpu()  # raises if a node died
                return db.polled_since(since)[0] >= int(args.sources)

            done = wait_until("first poll", lambda: all_polled(started), args.phase_timeout, 0.5)
            first_poll = done - started
            print(
                f"  {workers} worker(s): first poll of every source {first_poll:.1f} s", flush=True
            )

            quiet(nodes, db, args.phase_timeout, args.tick)
            idle_start = snapshot(nodes, db, fixture, control)
            time.sleep(args.idle)
            before = snapshot(nodes, db, fixture, control)
            due = time.time()
            db.due_all(due)
            done = wait_until("burst", lambda: all_polled(due), args.phase_timeout, 0.05)
            first = db.polled_since(due)[1] or due
            quiet(nodes, db, args.phase_timeout, args.tick)
            after = snapshot(nodes, db, fixture, control)
            result = Result(
                workers,
                first_poll,
                done - first,
                between(before, after),
                between(idle_start, before),
                args.probes,
                sources=args.sources,
            )
            print(
                f"  {workers} worker(s): burst {result.burst_seconds:.1f} s, "
                f"{result.rate:.0f} sources/s; probes …",
                flush=True,
            )
            result.first_node, result.every_node = probe(nodes, db, control, args)
            return result
        finally:
            stop([node.process for node in nodes])
            db.close()


def probe(
    nodes: Sequence[Node], db: Database, control: str, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """Probes at a steady load: (due -> first node, due -> every node) per probe, in
    seconds; ``inf`` for a probe that did not arrive within ``--converge-timeout``."""
    rng = random.Random(args.seed)
    feeds = rng.sample(range(args.sources), args.probes)
    db.spread(args.sources / args.load, [source_id(f) for f in feeds])
    due: list[float] = []
    seen: list[dict[int, float]] = [{} for _ in feeds]
    versions: dict[int, tuple[int, int, int]] = {}
    start = time.monotonic()
    end: float | None = None
    with httpx.Client(timeout=10) as client:
        while True:
            now = time.monotonic()
            if len(due) < len(feeds) and now >= start + len(due) * args.probe_gap:
                n = len(due)
                client.get(f"{control}/probe/{feeds[n]}/{n}").raise_for_status()
                at = time.time()
                db.due(source_id(feeds[n]), at)
                due.append(at)
                if n == len(feeds) - 1:
                    end = time.monotonic() + args.converge_timeout
            for node in nodes:
                watch(node, versions, due, seen)
            if len(due) == len(feeds) and all(len(s) == len(nodes) for s in seen):
                break
            if end is not None and time.monotonic() > end:
                break
            for node in nodes:
                node.cpu()  # raises if a node died
            time.sleep(0.02)
    first = [min(s.values()) - d if s else math.inf for s, d in zip(seen, due, strict=True)]
    every = [
        max(s.values()) - d if len(s) == len(nodes) else math.inf
        for s, d in zip(seen, due, strict=True)
    ]
    return first, every


def watch(
    node: Node,
    versions: dict[int, tuple[int, int, int]],
    due: Sequence[float],
    seen: list[dict[int, float]],
) -> None:
    """Read the node's feed if it changed; note when each probe was first in it."""
    try:
        stat = node.feed.stat()
    except FileNotFoundError:
        return
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if versions.get(node.index) == version:
        return
    versions[node.index] = version
    now = time.time()
    text = node.feed.read_bytes()
    for n in range(len(due)):
        if node.index not in seen[n] and probe_guid(n).encode() in text:
            seen[n][node.index] = now


# ---------------------------------------------------------------- the table


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def span(values: Sequence[float], digits: int = 0) -> str:
    """One value, or "low–high" over runs; ``inf`` as "never"."""
    if any(math.isinf(v) for v in values):
        finite = [v for v in values if not math.isinf(v)]
        return "not all" + (f" ({span(finite, digits)})" if finite else "")
    low, high = min(values), max(values)
    if round(low, digits) == round(high, digits):
        return f"{low:.{digits}f}"
    return f"{low:.{digits}f}–{high:.{digits}f}"


def print_table(results: dict[int, list[Result]], args: argparse.Namespace) -> None:
    runs = len(next(iter(results.values())))
    print()
    print(
        f"{args.sources} sources over {args.hosts} hosts (ports of 127.0.0.1), "
        f"{args.latency:g} ms per answer, {args.entries} items per feed, languages "
        f"{args.languages}, tick {args.tick:g} s; {runs} run(s): ranges are low–high"
    )
    print(
        "burst = every source due at once (2nd poll: 70% 304, 20% same body, 10% one new "
        f"item); probes at a steady load of {args.load:g} polls/s, {args.probes} per run"
    )
    head = (
        "workers",
        "sources/s",
        "CPU ms/source",
        "DB round trips/source",
        "PG CPU ms/source",
        "p50 due→first node s",
        "p99 due→first node s",
        "p99 due→all nodes s",
        "first poll s",
    )
    rows = []
    for workers, rs in results.items():
        rows.append(
            (
                str(workers),
                span([r.rate for r in rs]),
                span([1000 * r.per_source(r.burst.cpu) for r in rs], 2),
                span([r.per_source(r.burst.round_trips) for r in rs], 1),
                span([1000 * r.per_source(r.burst.pg_cpu) for r in rs], 2),
                span([percentile(r.first_node, 0.5) for r in rs], 2),
                span([percentile(r.first_node, 0.99) for r in rs], 2),
                span([percentile(r.every_node, 0.99) for r in rs], 2),
                span([r.first_poll for r in rs]),
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    for workers, rs in results.items():
        missing = [sum(math.isinf(v) for v in r.every_node) for r in rs]
        if any(missing):
            print(
                f"{workers} worker(s): probes not in every node's feed within "
                f"{args.converge_timeout:g} s of the last probe: {missing} of {args.probes}"
            )
    print_breakdown(results)
    print_idle(results, args)


def print_breakdown(results: dict[int, list[Result]]) -> None:
    """Round trips per source in the burst, by kind (the median run of each worker count)."""
    print("\nround trips per source in the burst, by kind (median over runs):")
    kinds: Counter[str] = Counter()
    for rs in results.values():
        for r in rs:
            kinds.update(r.burst.statements)
    order = sorted(kinds, key=lambda k: -kinds[k])
    print(f"{'kind':<40}" + "".join(f"{f'{w} worker(s)':>14}" for w in results))
    for kind in order:
        values = [
            statistics.median(r.per_source(r.burst.statements[kind]) for r in rs)
            for rs in results.values()
        ]
        if max(values) >= 0.005:
            print(f"{kind:<40}" + "".join(f"{v:>14.2f}" for v in values))
    check = [
        statistics.median(r.per_source(r.burst.transactions) for r in rs) for rs in results.values()
    ]
    print(f"{'(PostgreSQL: transactions per source)':<40}" + "".join(f"{v:>14.2f}" for v in check))


def print_idle(results: dict[int, list[Result]], args: argparse.Namespace) -> None:
    print(f"\nidle (no source due, {args.idle:g} s), per node and tick:")
    for workers, rs in results.items():
        ticks = [r.idle.seconds / args.tick * workers for r in rs]
        trips = [r.idle.round_trips / t for r, t in zip(rs, ticks, strict=True)]
        cpu = [1000 * r.idle.cpu / t for r, t in zip(rs, ticks, strict=True)]
        print(f"  {workers} worker(s): {span(trips, 1)} round trips, {span(cpu, 1)} ms CPU")


def line(measured: dict[int, float], at: int) -> float:
    """The least-squares line through (workers, cost), read at ``at`` workers (never
    below the cost measured with the fewest)."""
    counts = sorted(measured)
    if len(counts) == 1:
        return measured[counts[0]]
    mean_n = statistics.fmean(counts)
    mean_c = statistics.fmean(measured.values())
    slope = sum((n - mean_n) * (measured[n] - mean_c) for n in counts) / sum(
        (n - mean_n) ** 2 for n in counts
    )
    return max(measured[counts[0]], mean_c + slope * (at - mean_n))


def print_extrapolation(results: dict[int, list[Result]], args: argparse.Namespace) -> None:
    """What one worker machine of ``--cores`` and one PostgreSQL of ``--db-cores`` carry,
    from the measured per-source costs (medians over runs), with the arithmetic."""

    def cost(rs: list[Result], value: Callable[[Result], float]) -> float:
        return statistics.median(r.per_source(value(r)) for r in rs)

    counts = sorted(results)
    base = results[counts[0]]
    cpu = {n: 1000 * cost(results[n], lambda r: r.burst.cpu) for n in counts}
    pg = {n: 1000 * cost(results[n], lambda r: r.burst.pg_cpu) for n in counts}
    trips = cost(base, lambda r: r.burst.round_trips)
    commits = cost(base, lambda r: r.burst.statements["COMMIT"])
    wire = cost(base, lambda r: r.burst.bytes)
    busy = statistics.median(r.burst.cpu / r.burst_seconds / r.workers for r in base)
    # Every node publishes what any node polled, and asks the database at every tick: the
    # costs per source grow with the nodes. Straight lines through the measured worker
    # counts, carried to one node per core of the worker machine.
    at_cores = line(cpu, args.cores)
    pg_at_cores = line(pg, args.cores)
    limits = {
        "CPU": args.cores * 1000 / at_cores,
        "database": args.db_cores * 1000 / pg_at_cores,
        "network": args.link_gbit * 125e6 / wire,
    }
    print(f"\nextrapolation (medians over runs; {counts[0]}-worker costs unless said):")
    print(
        "  per source: "
        + ", ".join(f"{cpu[n]:.2f} ms worker CPU with {n} node(s)" for n in counts)
        + "; "
        + ", ".join(f"{pg[n]:.2f} ms PostgreSQL CPU with {n}" for n in counts)
        + f"; {trips:.1f} round trips ({commits:.2f} commits); {wire / 1024:.1f} KB served"
        " (uncompressed)"
    )
    print(
        f"  a worker process kept {busy:.2f} cores busy while polling the burst; the GIL holds "
        f"one process to about one core, so {args.cores} cores run {args.cores} worker "
        "processes, each a node that publishes every change"
    )
    print(
        f"  CPU:      per source with {args.cores} nodes (fitted line) = {at_cores:.2f} ms; "
        f"{args.cores} cores x 1000 / {at_cores:.2f} ms = {limits['CPU']:,.0f} sources/s"
    )
    print(
        f"  database: per source with {args.cores} nodes (fitted line) = {pg_at_cores:.2f} ms;"
        f" {args.db_cores} PostgreSQL cores x 1000 / {pg_at_cores:.2f} ms = "
        f"{limits['database']:,.0f} sources/s ({limits['database'] * commits:,.0f} commits/s)"
    )
    threads = min(32, args.cores + 4)  # asyncio.to_thread's default pool
    per_process = limits["CPU"] / args.cores
    print(
        f"            round trips: {trips:.1f} x {args.rtt_ms:g} ms RTT = "
        f"{trips * args.rtt_ms:.1f} ms of waiting per source, in {threads} threads per process:"
        f" up to {threads * 1000 / (trips * args.rtt_ms):,.0f} sources/s per process "
        f"(needed: {per_process:,.0f})"
    )
    print(
        f"  network:  {args.link_gbit:g} Gbit/s / {wire / 1024:.1f} KB = "
        f"{limits['network']:,.0f} sources/s; lanes: at {args.fetch_ms:g} ms per fetch a "
        f"process polling {per_process:,.0f} sources/s needs fetch.concurrency >= "
        f"{math.ceil(per_process * args.fetch_ms / 1000)} (default 50)"
    )
    bottleneck = min(limits, key=lambda k: limits[k])
    rate = limits[bottleneck]
    print(
        f"  carried:  {rate:,.0f} polls/s = {rate * 60:,.0f} per minute; at a 15-minute interval "
        f"that is {rate * 900:,.0f} sources; the {bottleneck} stops it first"
    )


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description="syndicate scaling benchmark (PostgreSQL)")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything; ranges shown")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 sources, 1,2")
    parser.add_argument("--server", default=os.environ.get("SYNDICATE_TEST_DATABASE_URL"))
    parser.add_argument("--entries", type=int, default=5, help="items per feed")
    parser.add_argument("--latency", type=float, default=50, help="ms before each answer")
    parser.add_argument("--languages", default="it,en,ja")
    parser.add_argument("--tick", type=float, default=1.0, help="schedule.tick, seconds")
    parser.add_argument("--load", type=float, default=20, help="polls/s during the probes")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--probe-gap", type=float, default=0.25, help="seconds")
    parser.add_argument("--converge-timeout", type=float, default=20, help="seconds")
    parser.add_argument("--idle", type=float, default=4, help="seconds of idle measured")
    parser.add_argument("--phase-timeout", type=float, default=900, help="seconds")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--cores", type=int, default=8, help="of the worker machine")
    parser.add_argument("--db-cores", type=int, default=8, help="of the PostgreSQL machine")
    parser.add_argument("--link-gbit", type=float, default=1.0)
    parser.add_argument("--rtt-ms", type=float, default=0.5, help="worker to database")
    parser.add_argument("--fetch-ms", type=float, default=300, help="a fetch on the internet")
    parser.add_argument("--serve-fixture", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fixture:
        serve_fixture(args)
        return
    if args.quick:
        args.sources, args.hosts, args.workers = 200, 20, "1,2"
        args.probes, args.idle = 20, 2
    args.server = args.server or DEFAULT_SERVER
    counts = [int(w) for w in args.workers.split(",")]
    results = measure(counts, args)
    print_table(results, args)
    print_extrapolation(results, args)


def measure(counts: Sequence[int], args: argparse.Namespace) -> dict[int, list[Result]]:
    results: dict[int, list[Result]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        directory = Path(tmp)
        with fixture_server(args, directory) as (urls, control, fixture):
            print(
                f"{args.sources} feeds on {args.hosts} ports of 127.0.0.1; PostgreSQL at "
                f"{sa.engine.make_url(args.server).render_as_string()} (a database per run)",
                flush=True,
            )
            for run in range(args.runs):
                for workers in counts:
                    work = directory / f"run{run}"
                    work.mkdir(exist_ok=True)
                    try:
                        result = run_workers(workers, args, urls, control, fixture, work)
                    except BenchError as exc:
                        sys.exit(f"scale benchmark failed: {exc}")
                    result.load = args.load
                    results[workers].append(result)
    return results


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    main()
