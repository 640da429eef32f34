"""Polite, robust polling against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import Config, FetchConfig
from syndicate.errors import FetchError
from syndicate.ingest.fetch import Fetcher
from syndicate.models import SourceState
from syndicate.run import CycleReport, Outcome, run_cycle, sync_sources
from syndicate.storage import SqlStorage, open_storage

from .conftest import DATA, make_config

FEED = (DATA / "parse" / "rss2-basic.xml").read_bytes()
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Harness:
    """A config of the given sources, its storage, and a controllable clock."""

    def __init__(self, tmp_path: Path, sources: str, extra: str = "") -> None:
        self.config: Config = make_config(tmp_path, sources=sources, extra=extra)
        self.storage: SqlStorage = open_storage(self.config.database_url)
        self.clock = Clock()
        sync_sources(self.config, self.storage)

    def cycle(self, *, force: bool = False) -> CycleReport:
        async def go() -> CycleReport:
            async with Fetcher(self.config.fetch) as fetcher:
                return await run_cycle(
                    self.config,
                    self.storage,
                    fetcher,
                    clock=self.clock,
                    rng=random.Random(3),
                    force=force,
                )

        return asyncio.run(go())

    def state(self, source_id: str) -> SourceState:
        (state,) = self.storage.source_states([source_id])
        return state

    def close(self) -> None:
        self.storage.close()


def source(source_id: str, url: str) -> str:
    return f'[[sources]]\nid = "{source_id}"\nurl = "{url}"\n'


FIXED = '[schedule]\nadaptive = false\ninterval = "10m"\njitter = 0\nmax_backoff = "2h"\n'


def hits(server: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in server.log if request.path == path)


@pytest.mark.parametrize("header", ["120", "Wed, 25 Nov 2026 12:02:00 GMT"])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_even_when_forced(
    httpserver: HTTPServer, tmp_path: Path, header: str, status: int
) -> None:
    answers = [Response("busy", status=status, headers={"Retry-After": header}), Response(FEED)]
    httpserver.expect_request("/f").respond_with_handler(lambda r: answers.pop(0))
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        (outcome,) = h.cycle().sources
        assert outcome.outcome is Outcome.ERROR and outcome.status == status
        state = h.state("s")
        assert state.retry_until == T0 + timedelta(seconds=120)
        assert state.next_poll_at is not None and state.next_poll_at >= state.retry_until
        h.clock.advance(seconds=60)
        assert h.cycle(force=True).sources == ()  # --force never overrides Retry-After
        assert hits(httpserver, "/f") == 1
        h.clock.advance(seconds=61)
        (outcome,) = h.cycle(force=True).sources
        assert outcome.outcome is Outcome.NEW and h.state("s").retry_until is None
    finally:
        h.close()


def test_hostile_retry_after_is_capped(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/f").respond_with_data(
        "no", status=429, headers={"Retry-After": "99999999"}
    )
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        h.cycle()
        assert h.state("s").retry_until == T0 + timedelta(hours=2)  # schedule.max_backoff
    finally:
        h.close()


def test_backoff_grows_with_each_failure_and_is_capped(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/f").respond_with_data("down", status=500)
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        waits = []
        for _ in range(7):
            h.cycle(force=True)
            state = h.state("s")
            assert state.next_poll_at is not None
            waits.append((state.next_poll_at - h.clock.now).total_seconds())
            h.clock.advance(seconds=1)
        assert h.state("s").error_count == 7 and h.state("s").last_error_kind == "http"
        for failures, wait in enumerate(waits, start=1):
            ceiling = min(7200, 600 * 2 ** (failures - 1))
            assert ceiling / 2 <= wait <= ceiling, (failures, waits)
        assert waits[3] > waits[0] and max(waits) <= 7200
        assert hits(httpserver, "/f") == 7  # failing sources are retried, never dropped
    finally:
        h.close()


def test_404_is_failing_but_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/f").respond_with_data("missing", status=404)
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        h.cycle()
        h.clock.advance(hours=3)
        h.cycle()
        state = h.state("s")
        assert (state.error_count, state.last_status, state.disabled_reason) == (2, 404, None)
    finally:
        h.close()


def test_410_gone_disables_the_source(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/f").respond_with_data("gone", status=410)
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        h.cycle()
        state = h.state("s")
        assert state.disabled_reason and "410 Gone" in state.disabled_reason
        assert "syndicate sources enable s" in state.disabled_reason
        h.clock.advance(days=2)
        assert h.cycle(force=True).sources == ()
        assert hits(httpserver, "/f") == 1
        h.storage.enable_source("s")
        assert len(h.cycle().sources) == 1
    finally:
        h.close()


def test_permanent_redirect_updates_the_url_after_consecutive_polls(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(FEED)
    h = Harness(tmp_path, source("s", httpserver.url_for("/old")), FIXED)
    try:
        h.cycle()
        first = h.state("s")
        assert first.final_url is None and first.moved_to == httpserver.url_for("/new")
        h.clock.advance(seconds=1)
        h.cycle(force=True)
        assert h.state("s").final_url == httpserver.url_for("/new")
        h.clock.advance(seconds=1)
        h.cycle(force=True)
        assert (hits(httpserver, "/old"), hits(httpserver, "/new")) == (2, 3)
        assert h.storage.count_articles() == 3
    finally:
        h.close()


def test_temporary_redirect_never_moves_the_source(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/old").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(FEED)
    h = Harness(tmp_path, source("s", httpserver.url_for("/old")), FIXED)
    try:
        for _ in range(3):
            h.cycle(force=True)
            h.clock.advance(seconds=1)
        assert h.state("s").final_url is None and hits(httpserver, "/old") == 3
    finally:
        h.close()


def test_unchanged_body_without_validators_is_not_parsed_again(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/f").respond_with_data(FEED)  # no ETag, no Last-Modified
    h = Harness(tmp_path, source("s", httpserver.url_for("/f")), FIXED)
    try:
        assert h.cycle().sources[0].outcome is Outcome.NEW
        h.clock.advance(seconds=1)
        again = h.cycle(force=True)
        assert again.sources[0].outcome is Outcome.SAME_BODY
        assert again.published is not None and again.published.written == ()
        ((request, _),) = httpserver.log[-1:]
        assert "If-None-Match" not in request.headers
    finally:
        h.close()


def test_slow_source_times_out_and_others_are_stored(
    threaded_server: HTTPServer, tmp_path: Path
) -> None:
    def slow(request: Request) -> Response:
        time.sleep(2.5)
        return Response(FEED)

    threaded_server.expect_request("/slow").respond_with_handler(slow)
    threaded_server.expect_request("/ok").respond_with_data(FEED)
    sources = source("slow", threaded_server.url_for("/slow")) + source(
        "ok", threaded_server.url_for("/ok")
    )
    h = Harness(tmp_path, sources, FIXED)
    h.config = replace(
        h.config, fetch=FetchConfig(allow_private_networks=True, timeout=1.0, total_timeout=1.5)
    )
    try:
        report = h.cycle()
        outcomes = {o.source_id: o for o in report.sources}
        assert outcomes["slow"].outcome is Outcome.ERROR
        assert h.state("slow").last_error_kind == "timeout"
        assert outcomes["ok"].result.inserted == 3
    finally:
        h.close()


def test_tls_errors_are_reported_plainly(tmp_path: Path) -> None:
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/f").respond_with_data(FEED)
    server.start()
    try:
        config = FetchConfig(allow_private_networks=True, timeout=5)

        async def go() -> None:
            async with Fetcher(config) as fetcher:
                await fetcher.fetch(SourceState("tls", server.url_for("/f")))

        with pytest.raises(FetchError) as caught:
            asyncio.run(go())
        assert caught.value.kind == "tls"
        assert "certificate" in str(caught.value) and "Traceback" not in str(caught.value)
    finally:
        server.stop()


def test_dns_failure_is_named() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("lookup failed", request=request) from socket.gaierror(
            -2, "Name or service not known"
        )

    async def go() -> None:
        async with Fetcher(FetchConfig(), transport=httpx.MockTransport(refuse)) as fetcher:
            await fetcher.fetch(SourceState("dns", "http://feeds.example.invalid/f"))

    with pytest.raises(FetchError) as caught:
        asyncio.run(go())
    assert caught.value.kind == "dns" and "cannot resolve feeds.example.invalid" in str(
        caught.value
    )
