"""The reliability suite: each test is a case with what we expect and what we observed.

``make reliability`` runs this folder and prints the table (case, expected, observed,
pass/fail) at the end; ``make test`` runs the same tests among the others. A test states its
case with the ``case`` fixture before asserting, so a failing assertion still leaves its row.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from syndicate.config import Config
from syndicate.ingest.fetch import Fetcher
from syndicate.run import CycleReport, run_cycle, sync_sources
from syndicate.storage import SqlStorage, open_storage

from ..conftest import free_port, make_config


@dataclass
class Row:
    case: str
    expected: str
    observed: str = ""
    outcome: str = "not run"


ROWS: list[Row] = []
_KEY = pytest.StashKey[Row]()


class Case:
    """Handed to a test: ``case("billion laughs", expected="…")``, then ``.saw("…")``."""

    def __init__(self, item: pytest.Item) -> None:
        self._item = item
        self.row: Row | None = None
        self.examples = 0

    def __call__(self, name: str, expected: str) -> Case:
        """Name the case (again, for each example of a property test: one row)."""
        if self.row is None or self.row.case != name:
            self.row = Row(name, expected)
            ROWS.append(self.row)
            self._item.stash[_KEY] = self.row
        self.examples += 1
        return self

    def saw(self, observed: str) -> None:
        assert self.row is not None, "name the case first"
        self.row.observed = observed


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Case:
    return Case(request.node)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    row = item.stash.get(_KEY, None)
    if row is not None and (report.when == "call" or report.failed or report.skipped):
        if report.skipped:
            row.outcome = "SKIPPED"
        elif report.failed:
            row.outcome = "FAIL"
        elif report.when == "call":
            row.outcome = "pass"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    width = {"case": 34, "expected": 44, "observed": 52}
    write = terminalreporter.write_line
    write("")
    write("reliability cases".center(140, "="))
    write(
        f"{'case':<{width['case']}} {'expected':<{width['expected']}} "
        f"{'observed':<{width['observed']}} result"
    )
    for row in ROWS:
        cells = [
            textwrap.wrap(row.case, width["case"]) or [""],
            textwrap.wrap(row.expected, width["expected"]) or [""],
            textwrap.wrap(row.observed, width["observed"]) or [""],
            [row.outcome],
        ]
        for i in range(max(len(c) for c in cells)):
            parts = [c[i] if i < len(c) else "" for c in cells]
            write(
                f"{parts[0]:<{width['case']}} {parts[1]:<{width['expected']}} "
                f"{parts[2]:<{width['observed']}} {parts[3]}"
            )
    passed = sum(1 for r in ROWS if r.outcome == "pass")
    write(f"{passed} of {len(ROWS)} cases pass")


GOOD_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Good</title><link>https://good.example.org/</link>
<description>A well-behaved source</description>
<item><title>Batterie al sodio in prova</title><link>https://good.example.org/1</link>
<guid>good-1</guid><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate>
<description>Il laboratorio prova una batteria.</description></item>
<item><title>Nuove linee di bus elettrici</title><link>https://good.example.org/2</link>
<guid>good-2</guid><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate>
<description>La citta rinnova la flotta.</description></item>
</channel></rss>
"""


@dataclass
class Poll:
    """A config with a good source and the hostile ones, polled by real cycles."""

    config: Config
    storage: SqlStorage
    server: HTTPServer
    reports: list[CycleReport] = field(default_factory=list)

    def cycle(self, **kwargs: Any) -> CycleReport:
        async def once() -> CycleReport:
            fetcher = Fetcher(self.config.fetch)
            try:
                return await run_cycle(self.config, self.storage, fetcher, force=True, **kwargs)
            finally:
                await fetcher.aclose()

        report = asyncio.run(once())
        self.reports.append(report)
        return report

    def outcome(self, report: CycleReport, source_id: str) -> Any:
        return next(o for o in report.sources if o.source_id == source_id)


@pytest.fixture
def poll(tmp_path: Path) -> Iterator[Callable[..., Poll]]:
    """``poll({"bomb": "/bomb.xml"}, extra="…")``: a config with source ``good`` and one
    source per name, each at that path of a local server the test sets up."""
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    server.start()
    server.expect_request("/good.xml").respond_with_data(
        GOOD_FEED, content_type="application/rss+xml"
    )
    opened: list[SqlStorage] = []

    def make(paths: dict[str, str], *, extra: str = "", fetch: str = "") -> Poll:
        urls = {"good": "/good.xml", **paths}
        sources = "\n".join(
            f'[[sources]]\nid = "{sid}"\nlanguage = "it"\n'
            f'url = "{url if url.startswith("http") else server.url_for(url)}"'
            for sid, url in urls.items()
        )
        config = make_config(tmp_path, sources=sources, extra=extra, fetch=fetch)
        storage = open_storage(config.database_url)
        opened.append(storage)
        sync_sources(config, storage)
        return Poll(config, storage, server)

    try:
        yield make
    finally:
        for storage in opened:
            storage.close()
        server.clear()
        if server.is_running():
            server.stop()
