"""Whole-system fixtures: a recording feed server and `syndicate run` in a subprocess."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.server.app import DEMO_DIR

from ..conftest import DEMO_CONFIG, free_port

DEMO_FILES = sorted(DEMO_DIR.glob("*.xml"))


@dataclass
class FeedServer:
    """Serves the demo feeds with ETag/Last-Modified and records every request's headers."""

    server: HTTPServer
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: path -> seconds to wait before answering (to catch a cycle in the middle)
    delays: dict[str, float] = field(default_factory=dict)
    arrived: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def requests_for(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    feeds = FeedServer(server)
    last_modified = formatdate(time.time() - 3600, usegmt=True)
    for path in DEMO_FILES:
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'

        def handler(request: Request, body: bytes = body, etag: str = etag) -> Response:
            feeds.requests.append((request.path, dict(request.headers)))
            feeds.arrived.set()
            time.sleep(feeds.delays.get(request.path, 0))
            headers = {"ETag": etag, "Last-Modified": last_modified}
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers=headers)
            return Response(body, headers=headers, content_type="application/xml")

        server.expect_request(f"/demo/{path.name}").respond_with_handler(handler)
    server.start()
    try:
        yield feeds
    finally:
        server.clear()
        if server.is_running():
            server.stop()


@dataclass
class Service:
    """A `syndicate` configuration in a temporary folder, and the commands run on it."""

    directory: Path
    port: int
    config: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("SYNDICATE_DATABASE_URL", None)
        env.pop("SYNDICATE_CONFIG", None)
        return env

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start ``syndicate COMMAND`` (``run`` by default) in the background, logging to a file."""
        log = (self.directory / f"run-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "syndicate", "--config", str(self.config), *(args or ("run",))],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env(),
            cwd=self.directory,
        )
        self.processes.append(process)
        return process

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syndicate", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            cwd=self.directory,
        )

    def log(self, index: int = -1) -> str:
        return (self.directory / f"run-{index % len(self.processes)}.log").read_text("utf-8")

    def wait_for(self, check: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except httpx.HTTPError:
                pass
            for p in self.processes:
                if p.poll() is not None and p.returncode not in (0, -signal.SIGTERM):
                    raise AssertionError(f"syndicate exited with {p.returncode}:\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log()}")

    def stop_all(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


@pytest.fixture
def service(tmp_path: Path, feed_server: FeedServer) -> Iterator[Service]:
    """The demo config, pointed at the recording server, on a free port, in tmp_path."""
    port = free_port()
    text = DEMO_CONFIG.read_text("utf-8")
    text = text.replace("http://127.0.0.1:8080/demo/", feed_server.url("/demo/"))
    text = text.replace(
        'base_url = "http://127.0.0.1:8080"', f'base_url = "http://127.0.0.1:{port}"'
    )
    text = text.replace("port = 8080", f"port = {port}")
    text = text.replace('"locales/glossary/', f'"{DEMO_CONFIG.parent}/locales/glossary/')
    assert "8080" not in text
    config = tmp_path / "config.toml"
    config.write_text(text, "utf-8")
    svc = Service(tmp_path, port, config)
    yield svc
    svc.stop_all()
