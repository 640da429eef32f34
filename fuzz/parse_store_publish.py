"""atheris harness: arbitrary bytes through parse -> store -> publish.

    make fuzz                      (runs this harness and parse_normalize.py)
    .venv/bin/python fuzz/parse_store_publish.py -max_total_time=60 var/fuzz-corpus

Each input is a source's body (RSS, Atom, JSON Feed or anything), its Content-Type chosen
by the first byte. What parses is stored through the real storage (SQLite in a temporary
folder, one source whose entries pile up across inputs, so updates in place are fuzzed
too), read back as a feed reads it, and rendered in Atom, RSS and JSON Feed. Checked on
every input: storage accepts whatever the parser made; every stored entry renders in every
format (none left out); the XML documents are well-formed and the JSON parses, each with
as many entries as were read. Every ``PUBLISH_EVERY`` inputs the real publisher writes
every feed and must report no entry left out and no feed failed. A failure leaves the
input in a crash-* file.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from lxml import etree

    from syndicate.config import load_config
    from syndicate.ingest import parse_feed
    from syndicate.models import FeedFormat, RoutedArticle, SourceUpdate
    from syndicate.publish import publish_feeds
    from syndicate.publish.document import FeedDocument, LeftOut
    from syndicate.publish.feedgen_adapter import render_feed
    from syndicate.publish.jsonfeed import render_json_feed
    from syndicate.run import sync_sources
    from syndicate.storage import open_storage

CONTENT_TYPES = (
    "application/rss+xml; charset=utf-8",
    "application/atom+xml",
    "application/feed+json",
    "text/xml; charset=iso-8859-1",
    "",
)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PUBLISH_EVERY = 200
FOLDER = Path(tempfile.mkdtemp(prefix="syndicate-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
(FOLDER / "config.toml").write_text(
    f"""
[service]
languages = ["it"]
database = "sqlite:///{FOLDER / "fuzz.db"}"
output_dir = "feeds"
base_url = "http://127.0.0.1:8080"

[[sources]]
id = "fuzz"
url = "http://127.0.0.1:9/feed.xml"
language = "it"
""",
    encoding="utf-8",
)
CONFIG = load_config(FOLDER / "config.toml", env={})
STORAGE = open_storage(CONFIG.database_url)
sync_sources(CONFIG, STORAGE)
POLL = SourceUpdate(last_polled_at=NOW, next_poll_at=NOW, last_status=200)
RUNS = [0]


def check(data: bytes) -> None:
    if not data:
        return
    headers = {"content-type": CONTENT_TYPES[data[0] % len(CONTENT_TYPES)]}
    parsed = parse_feed(
        data[1:], source_id="fuzz", headers=headers, languages=["it"], language="it"
    )
    STORAGE.record_poll("fuzz", POLL, routed=[RoutedArticle(a) for a in parsed.articles])
    entries = tuple(STORAGE.articles_for_feed(["it"], None, 50))
    for fmt in FeedFormat:
        doc = FeedDocument(
            format=fmt,
            id="http://127.0.0.1:8080/feeds/it/all",
            title="Tutte",
            subtitle="Fuzz",
            language="it",
            self_url=f"http://127.0.0.1:8080/feeds/it/all.{fmt.value}",
            home_url="http://127.0.0.1:8080/",
            alternates=(),
            entries=entries,
        )
        left_out: list[LeftOut] = []
        if fmt is FeedFormat.JSON:
            count = len(json.loads(render_json_feed(doc, left_out))["items"])
        else:
            root = etree.fromstring(render_feed(doc, left_out))
            count = len(root.xpath("//*[local-name()='entry' or local-name()='item']"))
        assert not left_out, left_out
        assert count == len(entries), (fmt, count, len(entries))
    RUNS[0] += 1
    if RUNS[0] % PUBLISH_EVERY == 0:
        report = publish_feeds(CONFIG, STORAGE, NOW, force=True)
        assert not report.left_out and not report.failed, (report.left_out, report.failed)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
