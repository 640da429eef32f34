"""`syndicate serve` and `syndicate poll` (without --once) as long-running processes."""

from __future__ import annotations

import signal
import socket

import httpx
import pytest

from .conftest import FeedServer, Service

pytestmark = pytest.mark.e2e


def test_poll_without_once_keeps_polling_until_sigterm(
    service: Service, feed_server: FeedServer
) -> None:
    process = service.start("poll")
    service.wait_for(lambda: len(feed_server.requests) >= 6, what="every source to be polled")
    service.wait_for(
        lambda: (service.directory / "feeds" / "ja" / "all.atom").is_file(),
        what="feeds to be published",
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0, service.log()


def test_serve_serves_published_feeds(service: Service) -> None:
    assert service.cli("poll", "--once").returncode == 0
    process = service.start("serve")
    service.wait_for(
        lambda: httpx.get(f"{service.base_url}/it/", timeout=2).status_code == 200,
        what="the server",
    )
    feed = httpx.get(f"{service.base_url}/feeds/it/all.rss")
    assert feed.status_code == 200 and b"<rss" in feed.content
    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=5) == 0, service.log()


def test_taken_port_is_a_clear_error(service: Service) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", service.port))
        sock.listen()
        done = service.cli("run", timeout=30)
    assert done.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{service.port}" in done.stderr
    assert "Traceback" not in done.stderr
