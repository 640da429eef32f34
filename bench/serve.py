"""Serving benchmark: a 50-entry Atom feed from syndicate's server vs a static file server.

    .venv/bin/python bench/serve.py [--seconds S] [--connections C]    (part of make bench)

60 synthetic Italian articles (~1 KB of HTML each) are stored in SQLite and published;
the file served is ``feeds/it/all.atom`` (50 entries), at ``/feeds/it/all.atom`` by:
  - syndicate's own server as ``syndicate run`` serves it (``create_app`` under uvicorn with
    ``uvicorn_config``: files answered in the protocol, uvloop when installed), one process;
  - the same app through uvicorn's plain httptools protocol and ASGI, for comparison;
  - nginx (one worker) on the same file, or ``python -m http.server`` when nginx is missing
    (a floor only: install nginx-light for the real comparison).
Each server runs in a subprocess, so that it does not share a GIL with the load generator.
Three scenarios each: a full GET answered 200 with the whole body (``Accept-Encoding:
identity``); a partner's conditional GET answered 304 (``If-None-Match`` with the server's
ETag; ``If-Modified-Since`` for http.server, which sends no ETag), the same request each
time, as a poller sends it; and that 304 with every request different (an ``X-Poll``
header that counts), so that syndicate's server parses each one (``server/repeats.py``
answers a request read before without parsing it). Each response is checked with one
request before it is measured. Load: wrk (one thread) when installed, else an
asyncio keep-alive client in this process; a warm-up of about a second before each run.
Prints requests/s and p99 latency, and the ratios syndicate/static per scenario.
Goal: syndicate's 304 path (as ``syndicate run`` serves) at least 0.5x the static server's
rate. Loopback (127.0.0.1) only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from syndicate.config import load_config  # noqa: E402
from syndicate.ingest.parse import article_hash  # noqa: E402
from syndicate.models import Article, RoutedArticle, TopicReason  # noqa: E402
from syndicate.publish import publish_feeds  # noqa: E402
from syndicate.storage import open_storage  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LANG = "it"
TOPICS = ("energia", "clima", "trasporti")
URL_PATH = f"/feeds/{LANG}/all.atom"
ENTRIES = 50
WARMUP_SECONDS = 1.0
START_TIMEOUT = 15.0
#: prose the synthetic articles draw their words from
SAMPLE = (
    "La rete elettrica della regione ha superato il picco di consumo previsto dal rapporto "
    "annuale del ministero, mentre i nuovi impianti di accumulo con batterie e il solare sui "
    "tetti dei comuni hanno coperto la domanda nelle ore serali; il prezzo del gas resta alto, "
    "e il progetto per l'idrogeno nel porto attende i fondi. Sulla ferrovia, i treni regionali "
    "e gli autobus elettrici riducono le emissioni della città, ma la siccità dell'estate e la "
    "pioggia scarsa hanno abbassato il fiume e rallentato il cantiere della centrale."
)
WORDS = SAMPLE.split()

SERVER_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import uvicorn
from syndicate.config import load_config
from syndicate.server import create_app, uvicorn_config
from syndicate.storage import open_storage
config = load_config(Path(sys.argv[2]), env={})
app = create_app(config, open_storage(config.database_url))
http = None if sys.argv[4] == "fast" else "httptools"
options = {} if http is None else {"http": http}
uvicorn.Server(uvicorn_config(app, "127.0.0.1", int(sys.argv[3]), **options)).run()
"""


#: syndicate's server as ``syndicate run`` runs it, and the same app through ASGI only
SYNDICATE_MODES = (
    ("fast", "syndicate (uvicorn + file fast path)"),
    ("asgi", "syndicate (uvicorn, ASGI only)"),
)


@dataclass(frozen=True)
class Result:
    """One measured run: requests per second, p99 latency, and what went wrong."""

    rps: float
    p99_ms: float
    bad: int  # responses with another status than the one intended (non-2xx/3xx for wrk)
    errors: int  # socket errors (connect, read, write, timeout)


@dataclass(frozen=True)
class Target:
    """A running server and how to ask it for a 304."""

    label: str
    url: str
    conditional: dict[str, str]


def config_text(tmp: Path) -> str:
    topics = "\n".join(f'[[topics]]\nid = "{t}"\ntitle = "Tema {t}"' for t in TOPICS)
    return f"""
[service]
languages = ["{LANG}"]
database = "sqlite:///{tmp / "bench.db"}"
base_url = "https://feeds.example.org"
output_dir = "{tmp / "feeds"}"

{topics}

[[sources]]
id = "s-{LANG}"
url = "http://127.0.0.1:9/x.xml"
language = "{LANG}"
"""


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS).strip(",.;") for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, i: int) -> str:
    link = f'<a href="https://example.org/{LANG}/ref/{i}">{rng.choice(WORDS).strip(",.;")}</a>'
    return f"<p>{sentence(rng, 8, 14)} Vedi {link} &amp; {sentence(rng, 10, 16)}</p>"


def make_article(i: int, rng: random.Random) -> RoutedArticle:
    content = "".join(paragraph(rng, i) for _ in range(rng.randint(4, 6)))  # ~1 KB of HTML
    a = Article(
        source_id=f"s-{LANG}",
        guid=f"tag:bench,2026:{i}",
        link=f"https://example.org/{LANG}/{i}",
        title=f"Articolo {i}: {sentence(rng, 5, 8)[:-1]}",
        summary=f"<p>{sentence(rng, 12, 20)}</p>",
        content=content,
        authors=("Redazione",),
        categories=(TOPICS[i % len(TOPICS)],),
        published=NOW - timedelta(minutes=i * 17 + rng.randint(0, 9)),
        language=LANG,
    )
    topics = ((TOPICS[i % len(TOPICS)], TopicReason.CATEGORY),)
    return RoutedArticle(replace(a, content_hash=article_hash(a)), topics)


def build_feed(tmp: Path, articles: int) -> tuple[Path, Path]:
    """Store the articles, publish; the config's path and the Atom file to serve."""
    path = tmp / "config.toml"
    path.write_text(config_text(tmp), "utf-8")
    config = load_config(path, env={})
    storage = open_storage(config.database_url)
    try:
        storage.sync_sources([(s.id, s.url, s.language, True) for s in config.sources])
        rng = random.Random(7)
        storage.upsert_articles(f"s-{LANG}", [make_article(i, rng) for i in range(articles)], NOW)
        publish_feeds(config, storage, NOW)
    finally:
        storage.close()
    feed = config.output_dir / LANG / "all.atom"
    entries = feed.read_bytes().count(b"<entry>")
    if entries != ENTRIES:
        raise SystemExit(f"{feed} has {entries} <entry> elements, expected {ENTRIES}")
    return path, feed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(cmd: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own process group; return once its port accepts connections."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise SystemExit(
        f"{cmd[0]} did not listen on {port} in {START_TIMEOUT:g} s:\n{log.read_text()}"
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL to the process group (nginx's worker too) if it lingers."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found is None and os.access("/usr/sbin/nginx", os.X_OK):
        found = "/usr/sbin/nginx"
    return found


def nginx_version(binary: str) -> str:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10)
    match = re.search(r"nginx/(\S+)", out.stderr + out.stdout)
    return match.group(1) if match else "?"


def nginx_conf(tmp: Path, output_dir: Path, port: int) -> Path:
    """One worker, no access log, sendfile as Debian's nginx.conf; temp paths under ``tmp``.

    Not Debian's ``tcp_nopush on``: with it about 1% of the full responses wait out a 40 ms
    delayed ACK on loopback, which sets nginx's p99, not its rate."""
    # as root the worker would run as nobody, who cannot read the 0700 temporary directory
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {name}_temp_path {tmp / 'nginx' / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    types {{ application/atom+xml atom; }}
{temp}
    server {{
        listen 127.0.0.1:{port};
        root {output_dir};
        location /feeds/ {{ alias {output_dir}/; }}
    }}
}}
""",
        "utf-8",
    )
    return conf


def check(target: Target, body: bytes) -> dict[str, str]:
    """One full and one conditional request: 200 with the file, then 304; fail otherwise."""
    identity = {"Accept-Encoding": "identity"}
    with httpx.Client(timeout=10) as client:
        full = client.get(target.url, headers=identity)
        if full.status_code != 200 or full.content != body:
            raise SystemExit(
                f"{target.label}: full GET gave {full.status_code} with "
                f"{len(full.content)} bytes, expected 200 with the {len(body)}-byte file"
            )
        if "etag" in full.headers:
            conditional = {"If-None-Match": full.headers["etag"]}
        else:
            conditional = {"If-Modified-Since": full.headers["last-modified"]}
        answer = client.get(target.url, headers={**identity, **conditional})
        if answer.status_code != 304:
            raise SystemExit(f"{target.label}: {conditional} gave {answer.status_code}, not 304")
    return conditional


# -- load generators ------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


#: a wrk script that adds a counting X-Poll header, so that every request differs
VARY_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["X-Poll"] = tostring(n)
  return wrk.format(nil, nil, headers)
end
"""


def run_wrk(
    url: str, headers: dict[str, str], seconds: float, connections: int, vary: bool
) -> Result:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in {**headers, "Accept-Encoding": "identity"}.items():
        cmd += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if vary:
            script.write(VARY_SCRIPT)
            script.flush()
            cmd += ["-s", script.name]
        out = subprocess.run(
            [*cmd, url], capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if rps is None or p99 is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Result(
        rps=float(rps.group(1)),
        p99_ms=float(p99.group(1)) * _UNITS[p99.group(2)],
        bad=int(bad.group(1)) if bad else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


async def _client(
    port: int, request: bytes, vary: bool, expect: int, until: float, latencies: list[float]
) -> tuple[int, int]:
    """One keep-alive connection sending requests until ``until``: (bad statuses, errors);
    with ``vary``, each request with a counting ``X-Poll`` header."""
    bad = errors = sent_count = 0
    writer: asyncio.StreamWriter | None = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < until:
            sent = time.perf_counter()
            sent_count += 1
            if vary:  # a counter per connection, and the connection's own id
                poll = b"X-Poll: %d-%d\r\n\r\n" % (id(writer), sent_count)
                writer.write(request[:-2] + poll)
            else:
                writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = 0
            close = lines[0].startswith("HTTP/1.0")  # unless it says keep-alive
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection":
                    close = value.strip().lower() != "keep-alive"
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            bad += status != expect
            if close:  # http.server (HTTP/1.0) closes after each response: reconnect
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        errors += 1
    finally:
        if writer is not None:
            writer.close()
    return bad, errors


async def _python_load(
    port: int, request: bytes, vary: bool, expect: int, seconds: float, connections: int
) -> Result:
    latencies: list[float] = []
    start = time.perf_counter()
    until = start + seconds
    clients = (_client(port, request, vary, expect, until, latencies) for _ in range(connections))
    try:  # bounded even if the server stops answering mid-response
        outcomes = await asyncio.wait_for(asyncio.gather(*clients), seconds + 10)
    except TimeoutError:
        raise SystemExit(f"port {port}: no answer {seconds + 10:g} s after the start") from None
    elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return Result(
        rps=len(latencies) / elapsed,
        p99_ms=p99 * 1000,
        bad=sum(b for b, _ in outcomes),
        errors=sum(e for _, e in outcomes),
    )


def run_python(
    url: str, headers: dict[str, str], seconds: float, connections: int, vary: bool
) -> Result:
    port = int(url.split(":")[2].split("/")[0])
    lines = [f"GET {URL_PATH} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Encoding: identity"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    expect = 304 if headers else 200
    return asyncio.run(_python_load(port, request, vary, expect, seconds, connections))


# -- main -------------------------------------------------------------------------------------


#: the scenarios: name, whether the request is conditional, whether each one differs
SCENARIOS = (("full 200", False, False), ("304", True, False), ("304, each new", True, True))


def measure(
    target: Target, seconds: float, connections: int, wrk: bool
) -> list[tuple[str, Result]]:
    run = run_wrk if wrk else run_python
    rows = []
    for scenario, conditional, vary in SCENARIOS:
        headers = target.conditional if conditional else {}
        run(target.url, headers, WARMUP_SECONDS, connections, vary)
        rows.append((scenario, run(target.url, headers, seconds, connections, vary)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--articles", type=int, default=60, help="stored (the feed shows 50)")
    args = parser.parse_args()
    wrk = shutil.which("wrk") is not None
    if wrk:
        load = f"wrk -t1 -c{args.connections} -d{max(1, round(args.seconds))}s"
    else:
        load = (
            f"python asyncio keep-alive client, {args.connections} connections, {args.seconds:g} s"
        )
    nginx = nginx_binary()
    results: list[tuple[str, list[tuple[str, Result]]]] = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config_path, feed = build_feed(tmp, args.articles)
        body = feed.read_bytes()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            targets = []
            for mode, label in SYNDICATE_MODES:
                port = free_port()
                cmd = [sys.executable, "-c", SERVER_SCRIPT, str(ROOT), str(config_path)]
                procs.append(start([*cmd, str(port), mode], port, tmp / f"syndicate-{mode}.log"))
                targets.append(Target(label, f"http://127.0.0.1:{port}{URL_PATH}", {}))

            port = free_port()
            if nginx is not None:
                (tmp / "nginx").mkdir()
                conf = nginx_conf(tmp, feed.parent.parent, port)
                cmd = [nginx, "-c", str(conf), "-p", str(tmp), "-e", str(tmp / "error.log")]
                label = f"nginx {nginx_version(nginx)} (1 worker)"
            else:
                cmd = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
                cmd += ["--directory", str(feed.parent.parent.parent)]
                label = "python -m http.server (floor; install nginx-light for the real comparison)"
            procs.append(start(cmd, port, tmp / "static.log"))
            targets.append(Target(label, f"http://127.0.0.1:{port}{URL_PATH}", {}))

            for server in targets:
                target = replace(server, conditional=check(server, body))
                results.append((target.label, measure(target, args.seconds, args.connections, wrk)))
        finally:
            for proc in reversed(procs):
                stop(proc)

    width = max(len(label) for label, _ in results)
    print(f"{ENTRIES}-entry Atom feed, {len(body):,} bytes; load: {load}; {os.cpu_count()} cores")
    print(f"{'server':<{width}} {'scenario':<13} {'req/s':>10} {'p99 ms':>8}")
    for label, rows in results:
        for scenario, r in rows:
            warn = ""
            if r.bad or r.errors:
                warn = f"  WARNING: {r.bad} unexpected responses, {r.errors} socket errors"
            print(f"{label:<{width}} {scenario:<13} {r.rps:>10,.0f} {r.p99_ms:>8.2f}{warn}")
    theirs = results[-1][1]
    short = "nginx" if nginx else "http.server"
    for (_, ours), (mode, _) in zip(results, SYNDICATE_MODES, strict=False):
        ratios = [
            a.rps / b.rps if b.rps else 0.0 for (_, a), (_, b) in zip(ours, theirs, strict=True)
        ]
        verdict = "met" if ratios[1] >= 0.5 else "NOT met"
        if nginx is None:
            verdict = "which is against nginx: not measured here"
        goal = f" (goal: 304 >= 0.5, {verdict})" if mode == "fast" else ""
        shown = "; ".join(
            f"{name}: {r:.2f}" for (name, _, _), r in zip(SCENARIOS, ratios, strict=True)
        )
        print(f"ratio syndicate {mode}/{short}: {shown}{goal}")


if __name__ == "__main__":
    main()
