"""`syndicate run` as a user runs it: a subprocess, real HTTP, real signals."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import feedparser
import httpx
import pytest

from syndicate.config import load_config
from syndicate.storage import open_storage

from .conftest import DEMO_FILES, FeedServer, Service

pytestmark = pytest.mark.e2e


def demo_titles_by_language() -> dict[str, set[str]]:
    """Titles of the bundled demo entries, by the language of their feed."""
    titles: dict[str, set[str]] = {}
    for path in DEMO_FILES:
        parsed = feedparser.parse(path.read_bytes())
        lang = parsed.feed.get("language", "")[:2]
        titles.setdefault(lang, set()).update(e.title for e in parsed.entries)
    return titles


def demo_entry_count() -> int:
    return sum(len(feedparser.parse(p.read_bytes()).entries) for p in DEMO_FILES)


def fetch_feed(service: Service, relpath: str) -> feedparser.FeedParserDict:
    response = httpx.get(f"{service.base_url}/feeds/{relpath}", timeout=5)
    response.raise_for_status()
    return feedparser.parse(response.content)


def feeds_ready(service: Service, minimum: int = 10) -> bool:
    return all(
        len(fetch_feed(service, f"{lang}/all.atom").entries) >= minimum
        for lang in ("it", "en", "ja")
    )


def stored(service: Service) -> tuple[int, list[tuple[str, str, int]]]:
    config = load_config(service.config, env={})
    storage = open_storage(config.database_url, migrate=False)
    try:
        return storage.count_articles(), storage.duplicate_guids()
    finally:
        storage.close()


def test_run_serves_feeds_and_second_poll_is_conditional(
    service: Service, feed_server: FeedServer
) -> None:
    assert len(DEMO_FILES) >= 6
    process = service.start()
    service.wait_for(lambda: feeds_ready(service), what="feeds with 10+ entries per language")

    titles = demo_titles_by_language()
    everything = set().union(*titles.values())
    header = {"it": "Pubblicato in", "en": "Published in", "ja": "で公開"}
    for relpath, lang in (("it/all.atom", "it"), ("en/all.atom", "en"), ("ja/all.rss", "ja")):
        feed = fetch_feed(service, relpath)
        assert feed.bozo == 0, feed.get("bozo_exception")
        assert {e.title for e in feed.entries} <= everything
        own = [e for e in feed.entries if e.title in titles[lang]]
        assert len(own) >= 10, relpath
        # Articles written in another language are glossed for this feed's readers
        # (translation.untranslated = "gloss", the default).
        for entry in feed.entries:
            body = entry.content[0].value if entry.get("content") else entry.summary
            assert (header[lang] in body) == (entry not in own), (relpath, entry.title)

    # A Japanese article in the Italian feed: an Italian header and an Italian key-terms box.
    italian = fetch_feed(service, "it/all.atom")
    japanese = [e for e in italian.entries if e.title in titles["ja"]]
    assert japanese
    glossed = japanese[0].content[0].value
    assert "Pubblicato in giapponese il " in glossed and "Termini chiave" in glossed
    assert re.search(r"<li>[^<]+ \(<span lang=\"ja\">[^<]+</span>\)</li>", glossed)

    # A second cycle, while `run` keeps serving: every source is asked conditionally.
    first_requests = {p.name: len(feed_server.requests_for(f"/demo/{p.name}")) for p in DEMO_FILES}
    assert all(n == 1 for n in first_requests.values()), first_requests
    done = service.cli("poll", "--once", "--force")
    assert done.returncode == 0, done.stderr
    for path in DEMO_FILES:
        second = feed_server.requests_for(f"/demo/{path.name}")[1]
        assert second.get("If-None-Match") or second.get("If-Modified-Since"), path.name
    assert "not-modified" in done.stdout

    count, duplicates = stored(service)
    assert count == demo_entry_count()
    assert duplicates == []

    status = service.cli("sources", "status", "--json")
    rows = json.loads(status.stdout)
    assert {r["id"] for r in rows} == {
        "campus-it",
        "city-it",
        "campus-en",
        "hub-en",
        "hub-ja",
        "city-ja",
    }
    assert all(r["health"] == "ok" and r["last_status"] == 304 for r in rows)
    assert sum(r["articles"] for r in rows) == count

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0


def test_sigterm_during_a_cycle_loses_and_duplicates_nothing(
    service: Service, feed_server: FeedServer
) -> None:
    # One source answers slowly, so the first cycle is surely in progress when SIGTERM comes.
    feed_server.delays["/demo/hub-ja.xml"] = 4.0
    process = service.start()
    service.wait_for(
        lambda: len(feed_server.requests_for("/demo/hub-ja.xml")) >= 1,
        timeout=60,
        what="the slow source to be asked",
    )
    time.sleep(0.3)  # let the quick sources be stored while the slow one is still answering
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=5) == 0, service.log()
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(
            "syndicate did not stop within 5 s of SIGTERM:\n" + service.log()
        ) from None
    leftovers = [p for p in (service.directory / "feeds").rglob(".*.tmp")]
    assert leftovers == []
    count_after_kill, duplicates = stored(service)
    assert duplicates == []
    assert count_after_kill < demo_entry_count()  # the slow source had not been stored yet

    # Started again, the service fetches what it missed and stores each article once.
    feed_server.delays.clear()
    service.start()
    service.wait_for(lambda: stored(service)[0] == demo_entry_count(), what="every demo article")
    service.wait_for(lambda: feeds_ready(service), what="feeds")
    count, duplicates = stored(service)
    assert count == demo_entry_count() and duplicates == []


def test_sigkill_during_a_cycle_then_a_restart_polls_every_source_at_once(
    service: Service, feed_server: FeedServer
) -> None:
    """The killed process still holds the slow source's lease (``schedule.lease``, default
    several minutes); started again at once on the same host, the service frees it and
    polls that source in its first cycle, storing each article once."""
    feed_server.delays["/demo/hub-ja.xml"] = 15.0
    process = service.start()
    service.wait_for(
        lambda: len(feed_server.requests_for("/demo/hub-ja.xml")) >= 1,
        timeout=60,
        what="the slow source to be asked",
    )
    time.sleep(0.3)
    process.kill()
    process.wait(timeout=5)
    service.processes.remove(process)  # its exit (-9) is expected: no longer watched
    count_after_kill, duplicates = stored(service)
    assert duplicates == [] and count_after_kill < demo_entry_count()
    feed_server.delays.clear()
    asked_before = len(feed_server.requests_for("/demo/hub-ja.xml"))
    started = time.monotonic()
    service.start()
    service.wait_for(
        lambda: len(feed_server.requests_for("/demo/hub-ja.xml")) > asked_before,
        timeout=12,  # well within the default lease: only a released lease allows it
        what="the killed worker's source to be polled again",
    )
    service.wait_for(lambda: stored(service)[0] == demo_entry_count(), what="every demo article")
    count, duplicates = stored(service)
    assert count == demo_entry_count() and duplicates == []
    assert time.monotonic() - started < 30
    assert "a process of this host that is gone" in service.log()


def test_config_edits_apply_without_restart_and_bad_edits_are_refused(
    service: Service, feed_server: FeedServer
) -> None:
    process = service.start()
    service.wait_for(lambda: feeds_ready(service), what="feeds")
    original = service.config.read_text("utf-8")

    def status() -> dict[str, dict[str, object]]:
        rows = json.loads(service.cli("sources", "status", "--json").stdout)
        return {row["id"]: row for row in rows}

    # A bad edit: reported in the log, the running config is kept.
    service.config.write_text(original.replace('interval = "15m"', 'interval = "soon"'), "utf-8")
    service.wait_for(lambda: "config not reloaded" in service.log(), what="the refusal")
    assert 'schedule.interval: expected a duration like "15m", got "soon"' in service.log()
    assert process.poll() is None

    # A good edit adds a source, which is polled without a restart; its [server] change
    # waits for a restart, as the log says.
    url = feed_server.url("/demo/hub-en.xml")
    extra = original.replace("[server]\n", '[server]\ncache_control = "no-store"\n', 1)
    extra += f'\n[[sources]]\nid = "hub-en-copy"\nurl = "{url}"\nlanguage = "en"\n'

    service.config.write_text(extra, "utf-8")
    service.wait_for(lambda: "config reloaded: 7 sources" in service.log(), what="the reload")
    service.wait_for(lambda: status()["hub-en-copy"]["articles"] == 12, what="the new source")
    assert "config: [server] changed; it takes effect after a restart" in service.log()
    served = httpx.get(f"{service.base_url}/feeds/en/all.atom", timeout=5)
    assert served.headers["cache-control"] == "public, max-age=60"

    # SIGHUP re-reads the file at once; a removed source is kept in the database, disabled.
    service.config.write_text(original, "utf-8")
    process.send_signal(signal.SIGHUP)
    service.wait_for(lambda: "config reloaded: 6 sources" in service.log(), what="SIGHUP reload")
    assert "hub-en-copy" not in status()
    assert stored(service)[0] == demo_entry_count() + 12
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=5) == 0
