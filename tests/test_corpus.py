"""The whole feedparser test corpus through fetch, parse, normalize and store.

Every file is served by a local HTTP server (with its ``Header:`` lines as response headers,
gzip/deflate for the compression cases) and configured as a source; one cycle polls them
all. No exception may escape, no file may hit an internal error, and the counts are
reported (printed, and written to tests/artifacts/corpus-counts.json).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
import zlib
from collections import Counter
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from syndicate.config import load_config
from syndicate.ingest.fetch import Fetcher
from syndicate.ingest.parse import parse_feed
from syndicate.run import Outcome, run_cycle, sync_sources
from syndicate.storage import open_storage

from .conftest import CORPORA, ROOT, free_port

CORPUS = CORPORA / "feedparser"
FOLDERS = ("wellformed", "illformed", "encoding", "entities", "compression", "http")
HEADER_RE = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.M)
STATUS_RE = re.compile(rb"^Status:\s*(\d{3})", re.M)


def corpus_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (CORPUS / folder).rglob("*") if p.is_file())


def respond(path: Path) -> Response:
    body = path.read_bytes()
    headers = {}
    status = 200
    for name, value in HEADER_RE.findall(body[:4096]):
        if name.lower() == b"status":
            status = int(value[:3])
        else:
            headers[name.decode("latin-1")] = value.decode("latin-1")
    if match := STATUS_RE.search(body[:4096]):
        status = int(match.group(1))
    if path.suffix == ".gz":
        headers["Content-Encoding"] = "gzip"
    elif path.suffix == ".z":
        headers["Content-Encoding"] = "deflate"
    headers.setdefault("Content-Type", "application/xml")
    return Response(body, status=status, headers=headers)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora is absent (a user's clone)")
def test_whole_corpus_goes_through_the_pipeline(tmp_path: Path) -> None:
    files = corpus_files()
    assert len(files) > 2000
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)

    def handler(request: Request) -> Response:
        path = (CORPUS / request.path.lstrip("/")).resolve()
        if CORPUS.resolve() not in path.parents or not path.is_file():
            return Response("not here", status=404)
        return respond(path)

    server.expect_request(re.compile("^/")).respond_with_handler(handler)
    server.start()
    try:
        urls = [server.url_for("/" + str(p.relative_to(CORPUS))) for p in files]
        sources = "".join(
            f'[[sources]]\nid = "c{i:04d}"\nurl = "{url}"\n' for i, url in enumerate(urls)
        )
        config_path = tmp_path / "config.toml"
        config_path.write_text(
            f"""
[service]
languages = ["en", "it", "ja"]
database = "sqlite:///{tmp_path / "corpus.db"}"
output_dir = "feeds"

[fetch]
allow_private_networks = true
concurrency = 40
per_host = 40
timeout = "10s"

{sources}""",
            "utf-8",
        )
        config = load_config(config_path, env={})
        storage = open_storage(config.database_url)
        try:
            sync_sources(config, storage)

            async def go():  # type: ignore[no-untyped-def]
                async with Fetcher(config.fetch) as fetcher:
                    return await run_cycle(config, storage, fetcher, publish=True)

            report = asyncio.run(go())
            states = storage.source_states()
            stored = storage.count_articles()
            duplicates = storage.duplicate_guids()
        finally:
            storage.close()
    finally:
        server.stop()

    outcomes = Counter(o.outcome.value for o in report.sources)
    kinds = Counter(s.last_error_kind for s in states if s.error_count)
    counts = {
        "files": len(files),
        "polled": len(report.sources),
        "outcomes": dict(outcomes),
        "entries_stored": stored,
        "errors_recorded": sum(1 for s in states if s.error_count),
        "error_kinds": dict(kinds),
        "feeds_written": len(report.published.written) if report.published else 0,
    }
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "corpus-counts.json").write_text(json.dumps(counts, indent=2) + "\n")
    print("\nfeedparser corpus through the pipeline:", json.dumps(counts))

    assert counts["polled"] == len(files)  # every file was tried, none stopped the cycle
    assert "internal" not in kinds, [
        s.last_error for s in states if s.last_error_kind == "internal"
    ]
    assert duplicates == []
    assert outcomes[Outcome.NEW.value] > 2000
    # Every entry that parsing yields from the files that were stored is in the database once.
    # Relative links are resolved against the URL a file was served from.
    parsed_ok = {int(o.source_id[1:]) for o in report.sources if o.outcome is Outcome.NEW}
    expected = sum(
        len(
            {
                a.guid
                for a in parse_feed(_decoded(files[i]), source_id="x", base_url=urls[i]).articles
            }
        )
        for i in parsed_ok
    )
    assert stored == expected


def _decoded(path: Path) -> bytes:
    body = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(body)
    if path.suffix == ".z":
        for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
            with contextlib.suppress(zlib.error):
                return zlib.decompress(body, wbits)
    return body
