"""Size limits that hold for the bytes decoded, not only for the bytes received.

A body compressed twice (``Content-Encoding: gzip, gzip``) multiplies two ratios: 600 bytes on
the wire hold 256 MB of zeros. ``syndicate poll --once`` runs in a fresh process against a good
source alone, then with such a bomb beside it, and the peak memory of each run is compared:
the bomb may cost no more than 64 MB over the plain run, whatever it inflates to.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from syndicate.run import Outcome
from syndicate.storage import open_storage

from ..conftest import make_config
from .conftest import GOOD_FEED, Case, Poll

pytestmark = pytest.mark.timeout(300)

BOMB_MB = 256
ALLOWED_EXTRA_MB = 64


def stacked_bomb(megabytes: int) -> bytes:
    """gzip(gzip(``megabytes`` MB of zeros)), built a megabyte at a time."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [inner.compress(block) for _ in range(megabytes)]
    parts.append(inner.flush())
    return gzip.compress(b"".join(parts), 9)


def poll_once(config_path: Path, log: Path) -> tuple[int, str]:
    """Run ``syndicate poll --once`` in a fresh process; its peak RSS (KiB) and its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    command = [sys.executable, "-m", "syndicate", "--config", str(config_path)]
    with log.open("w+b") as out:
        process = subprocess.Popen(
            [*command, "poll", "--once", "--force"], env=env, stdout=out, stderr=out
        )
        deadline = time.monotonic() + 120
        while True:  # wait4 gives this child's own peak, unlike RUSAGE_CHILDREN
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"poll --once still running after 120 s: {log.read_text()}")
            time.sleep(0.02)
    return usage.ru_maxrss, log.read_text()


def test_a_stacked_gzip_bomb_costs_no_memory_beyond_the_cap(
    case: Case, httpserver: HTTPServer, tmp_path: Path
) -> None:
    case(
        f"gzip, gzip bomb ({BOMB_MB} MB) in poll --once",
        f"too-large; peak RSS within {ALLOWED_EXTRA_MB} MB of the same poll without it",
    )
    bomb = stacked_bomb(BOMB_MB)
    httpserver.expect_request("/good.xml").respond_with_data(
        GOOD_FEED, content_type="application/rss+xml"
    )
    httpserver.expect_request("/bomb.xml").respond_with_data(
        bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip, gzip"}
    )
    good = f'[[sources]]\nid = "good"\nlanguage = "it"\nurl = "{httpserver.url_for("/good.xml")}"'
    bad = f'[[sources]]\nid = "bomb"\nlanguage = "it"\nurl = "{httpserver.url_for("/bomb.xml")}"'
    peaks: dict[str, int] = {}
    outputs: dict[str, str] = {}
    for name, sources in (("plain", good), ("bomb", f"{good}\n{bad}")):
        directory = tmp_path / name
        directory.mkdir()
        config = make_config(directory, sources=sources, fetch='max_bytes = "1MB"')
        peaks[name], outputs[name] = poll_once(config.path, directory / "poll.log")
    storage = open_storage(config.database_url)
    try:
        states = {s.id: s for s in storage.source_states()}
    finally:
        storage.close()
    extra_mb = (peaks["bomb"] - peaks["plain"]) / 1024
    case.saw(
        f"{len(bomb)} bytes sent; peak {peaks['plain'] / 1024:.0f} MB without, "
        f"{peaks['bomb'] / 1024:.0f} MB with the bomb (+{extra_mb:.0f} MB); "
        f"bomb: {states['bomb'].last_error_kind}"
    )
    print(f"peak RSS of poll --once: {peaks}  (KiB)")
    assert states["bomb"].last_error_kind == "too-large", outputs["bomb"]
    assert "max_bytes" in (states["bomb"].last_error or "")
    assert states["good"].article_count == 2, outputs["bomb"]
    assert extra_mb < ALLOWED_EXTRA_MB


def test_more_than_two_stacked_codings_are_refused(case: Case, poll: Callable[..., Poll]) -> None:
    case("three stacked Content-Encodings", "refused (protocol), naming the codings")
    body = gzip.compress(gzip.compress(zlib.compress(GOOD_FEED)))
    p = poll({"stacked": "/stacked.xml"})
    p.server.expect_request("/stacked.xml").respond_with_data(
        body,
        content_type="application/rss+xml",
        headers={"Content-Encoding": "deflate, gzip, gzip"},
    )
    outcome = p.outcome(p.cycle(), "stacked")
    case.saw(f"{outcome.outcome.value}: {outcome.error}")
    assert outcome.outcome is Outcome.ERROR and "stacked" in (outcome.error or "")
    assert p.storage.count_articles("good") == 2
