"""Hostile HTTP clients against the built-in server: pipelined requests never read, absurd
validators, tokens in URLs and headers, oversized heads after the hand-off to uvicorn, and
links in the output directory that lead out of it.

The memory and head-size cases run ``syndicate serve`` as a subprocess (its own RSS in
/proc, its own log on stderr); the log cases run the server in this process, where the log
records can be collected.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from syndicate.config import Config
from syndicate.server import create_app
from syndicate.storage import open_storage

from ..conftest import free_port
from ..server.conftest import MOBILITY_TOKEN, PARTNER_TOKEN, build_config, fill, serve
from .conftest import Case

ROOT = Path(__file__).resolve().parents[2]
BIG = "/feeds/ja/all.atom"
CONNECTIONS = 10
PIPELINED = 230 * 1024
MiB = 1024 * 1024
pytestmark = pytest.mark.timeout(180)


@dataclass
class Server:
    """``syndicate serve`` in a subprocess."""

    config: Config
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def connect(self, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def memory(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the server process, in bytes."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        return _kb(fields["VmRSS"]), _kb(fields["VmHWM"])

    def cpu(self) -> int:
        """Clock ticks the server has used (user + system)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        rest = stat.rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])

    def settle(self, limit: float = 20.0) -> None:
        """Wait until the server has been idle for half a second (at most ``limit`` s)."""
        deadline = time.monotonic() + limit
        last = self.cpu()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu()
            if now == last:
                return
            last = now


def _kb(value: str) -> int:
    return int(value.split()[0]) * 1024


def get(path: str, **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Replies:
    """Reads the replies of one connection in order (Content-Length bodies)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        self.buffer += chunk
        return bool(chunk)

    def next(self) -> tuple[int, bytes]:
        """Status and body of the next reply; (0, b"") when the server closed or reset
        the connection before a whole head."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return 0, b""
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(self.buffer) < length and self._fill():
            pass
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), body


def exchange(server: Server, data: bytes) -> tuple[int, bytes]:
    with server.connect() as sock:
        sock.sendall(data)
        return Replies(sock).next()


def send_what_fits(sock: socket.socket, data: bytes, limit: float = 2.0) -> int:
    """Send ``data`` without ever reading; stop when the server stops taking it."""
    sock.settimeout(limit)
    sent = 0
    try:
        while sent < len(data):
            sent += sock.send(data[sent : sent + 65536])
    except (TimeoutError, ConnectionResetError, BrokenPipeError):
        pass
    return sent


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Config]:
    """A published site (3 languages, public and private topics), and beside its feeds
    what a server must not serve: links that leave the directory, a dangling link, files
    the publisher never writes."""
    directory = tmp_path_factory.mktemp("hostile")
    config = build_config(directory)
    storage = open_storage(config.database_url)
    fill(config, storage)
    storage.close()
    outside = directory / "private"
    outside.mkdir()
    (outside / "secret.atom").write_text("outside-secret\n")
    feeds = config.output_dir
    (feeds / "it" / "leak.atom").symlink_to(outside / "secret.atom")
    (feeds / "passwd.atom").symlink_to("/etc/passwd")
    (feeds / "outside").symlink_to(outside, target_is_directory=True)
    (feeds / "it" / "gone.atom").symlink_to(directory / "nowhere.atom")
    (feeds / "it" / "latest.atom").symlink_to("energy.atom")  # stays inside: served
    (feeds / "notes.txt").write_text("not published\n")
    (feeds / "it" / "energy.atom.bak").write_text("not published\n")
    yield config


@pytest.fixture(scope="module")
def server(published: Config) -> Iterator[Server]:
    port = free_port()
    log = published.path.parent / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    command = [sys.executable, "-m", "syndicate", "--config", str(published.path)]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=stderr)
    running = Server(published, process, port, log)
    deadline = time.monotonic() + 20
    while True:
        try:
            running.connect(timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"syndicate serve did not start: {log.read_text()}") from None
            time.sleep(0.1)
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_pipelined_requests_never_read_keep_server_memory_bounded(
    case: Case, server: Server
) -> None:
    case(
        f"{CONNECTIONS} connections pipeline {PIPELINED // 1024} KB of GETs, never read",
        "server RSS peak grows < 50 MB; other clients still served",
    )
    status, body = exchange(server, get(BIG, Accept_Encoding="identity"))
    assert status == 200 and len(body) > 4000
    server.settle(5)
    rss_before, peak_before = server.memory()
    one = get(BIG, Accept_Encoding="identity")
    burst = one * (PIPELINED // len(one))
    sockets = [server.connect() for _ in range(CONNECTIONS)]
    try:
        sent = sum(send_what_fits(sock, burst) for sock in sockets)
        server.settle()
        rss_during, peak_during = server.memory()
        alive, _ = exchange(server, get(BIG, Accept_Encoding="identity"))
    finally:
        for sock in sockets:
            sock.close()
    server.settle(5)
    rss_after, _ = server.memory()
    growth = peak_during - peak_before
    case.saw(
        f"{sent // 1024} KB sent in {sent // len(one)} requests; RSS {rss_before // MiB} -> "
        f"{rss_during // MiB} MB (peak +{growth // MiB} MB), {rss_after // MiB} MB after "
        f"close; another client got {alive}"
    )
    assert alive == 200
    assert growth < 50 * MiB, f"peak RSS grew by {growth // MiB} MB"


ABSURD_DATES = (
    "Sat, 01 Jan 99999 00:00:00 GMT",
    "Sat, 01 Jan 0 00:00:00 GMT",
    "Sat, 01 Jan 99999999999999999999 00:00:00 GMT",
    "Sat, 01 Jan 2020 00:00:00 +9999",
    "Sat, 01 Jan 2020 99:99:99 GMT",
    "Sat, 32 Jan 2020 00:00:00 GMT",
)


def test_an_absurd_if_modified_since_is_ignored_not_a_500(case: Case, server: Server) -> None:
    case(
        "If-Modified-Since with absurd years and offsets",
        "ignored (RFC 9110 13.1.3): 200, no traceback in the log",
    )
    before = server.log.read_text(errors="replace")
    statuses = [
        exchange(server, get("/feeds/it/energy.atom", If_Modified_Since=date))[0]
        for date in ABSURD_DATES
    ]
    partner = exchange(
        server,
        get(f"/feeds/it/startups.atom?token={PARTNER_TOKEN}", If_Modified_Since=ABSURD_DATES[2]),
    )[0]
    time.sleep(0.2)
    logged = server.log.read_text(errors="replace")[len(before) :]
    case.saw(
        f"statuses {statuses}, partner {partner}; log grew {len(logged)} chars, "
        f"traceback: {'Traceback' in logged}"
    )
    assert statuses == [200] * len(ABSURD_DATES) and partner == 200
    assert "Traceback" not in logged and PARTNER_TOKEN not in logged


class Collect(logging.Handler):
    """Keeps every record it handles, formatted as a plain handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def collecting(handler: Collect, *names: str) -> Iterator[None]:
    """``handler`` on the loggers ``names`` (at INFO) until the block ends; uvicorn sets
    up its own loggers when its config is made, so theirs are added once it runs."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def _ask(base: str, data: bytes) -> int:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        return Replies(sock).next()[0]


def test_tokens_never_reach_the_log(
    case: Case, published: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    case(
        "partner tokens in ?token= and Authorization: Bearer, access log on, failing answer",
        "every log line shows token=[redacted], never the token",
    )
    storage = open_storage(published.database_url)
    app = create_app(published, storage)
    asked = [
        get(f"/feeds/it/mobility.atom?token={MOBILITY_TOKEN}"),
        get("/feeds/it/startups.atom", Authorization=f"Bearer {PARTNER_TOKEN}"),
        get(f"/status?token={PARTNER_TOKEN}&sort=name"),
    ]
    collected = Collect()
    try:
        # access logging on: every request goes through uvicorn, which logs its URL
        with (
            serve(app, access_log=True, log_level="info") as base,
            collecting(collected, "", "uvicorn", "uvicorn.access"),
        ):
            statuses = [_ask(base, data) for data in asked]
            logging.getLogger("uvicorn.error").warning(  # as a debugging line could
                "headers %s", [(b"authorization", b"Bearer " + PARTNER_TOKEN.encode())]
            )
        # a bug in answering a file: the fast path logs what it was asked
        monkeypatch.setattr(app, "answer_file_remembered", _broken)
        with serve(app) as base, collecting(collected, ""):
            failed = _ask(base, get(f"/feeds/it/startups.atom?token={PARTNER_TOKEN}"))
    finally:
        storage.close()
    lines = collected.lines
    leaked = [line for line in lines if PARTNER_TOKEN in line or MOBILITY_TOKEN in line]
    redacted = [line for line in lines if "[redacted]" in line]
    case.saw(
        f"{len(lines)} log lines, {len(redacted)} redacted, {len(leaked)} with a token"
        + (f": {leaked[0][:90]}" if leaked else "")
    )
    assert statuses[0] == 200 and failed == 500
    assert redacted and not leaked


def _broken(scope: Any) -> None:
    raise RuntimeError("a bug in answering")


def test_the_head_size_cap_holds_after_the_hand_off_to_uvicorn(case: Case, server: Server) -> None:
    case(
        "2 MB of headers on a connection already handed to uvicorn",
        "431 and the connection closed, as on its first request",
    )
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(2048))
    outcomes = []
    for first in (get("/healthz"), get("/feeds/it/energy.atom") + get("/healthz")):
        with server.connect() as sock:
            sock.sendall(first)
            replies = Replies(sock)
            statuses = [replies.next()[0] for _ in range(first.count(b"GET "))]
            send_what_fits(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + filler + b"\r\n")
            outcomes.append((statuses, replies.next()[0]))
    case.saw(f"(earlier answers, answer to the 2 MB head): {outcomes}")
    assert all(0 not in statuses for statuses, _ in outcomes)
    assert [status for _, status in outcomes] == [431, 431]


PATHS = {
    "/feeds/it/leak.atom": 404,  # a link to a file outside the directory
    "/feeds/passwd.atom": 404,  # a link to /etc/passwd
    "/feeds/outside/secret.atom": 404,  # through a directory link that leaves it
    "/feeds/it/gone.atom": 404,  # dangling
    "/feeds/notes.txt": 404,  # a file the publisher never writes
    "/feeds/it/energy.atom.bak": 404,
    "/demo/README.md": 404,
    "/feeds/it/latest.atom": 200,  # a link that stays inside
    "/feeds/it/energy.atom.gz": 200,  # a published gzip twin
    "/feeds/index.opml": 200,
    "/demo/city-it.xml": 200,
}


def test_only_published_files_inside_the_output_dir_are_served(case: Case, server: Server) -> None:
    case(
        "links out of the output dir, dangling links, unpublished files",
        "404 on the fast path and through ASGI; published files 200",
    )
    fast = {path: exchange(server, get(path))[0] for path in PATHS}
    through_asgi = {}
    for path in PATHS:  # after /healthz the connection is uvicorn's: files go through ASGI
        with server.connect() as sock:
            sock.sendall(get("/healthz") + get(path))
            replies = Replies(sock)
            replies.next()
            through_asgi[path] = replies.next()[0]
    wrong = {
        p: (fast[p], through_asgi[p])
        for p in PATHS
        if (fast[p], through_asgi[p])
        != (
            PATHS[p],
            PATHS[p],
        )
    }
    case.saw(f"wrong (fast, asgi): {wrong}" if wrong else f"all {len(PATHS)} paths as expected")
    assert not wrong
