"""Operator status, health and metrics over real HTTP (SQLite, and PostgreSQL going away)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa

from syndicate.metrics import record_cycle
from syndicate.models import SourceUpdate, UpsertResult, WorkerCycle
from syndicate.run import CycleReport, Outcome, SourceOutcome
from syndicate.server import create_app
from syndicate.storage import open_storage

from .conftest import OPERATOR_TOKEN, PARTNER_TOKEN, Site, build_config, fill, serve

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def fail_source(site: Site, source_id: str, error: str) -> None:
    now = datetime.now(UTC)
    site.storage.record_poll(
        source_id,
        SourceUpdate(
            last_polled_at=now,
            next_poll_at=now + timedelta(minutes=5),
            last_status=404,
            error_count=3,
            last_error_kind="http",
            last_error=error,
        ),
    )


def cycle(owner: str, finished: datetime, *, ok: bool = True) -> WorkerCycle:
    return WorkerCycle(
        owner,
        finished - timedelta(seconds=2),
        finished,
        2.0,
        ok,
        None if ok else "database unreachable",
        polled=3,
        failed=1,
        new_articles=4,
        last_success_at=finished if ok else None,
    )


def test_status_needs_the_operator_token(site: Site) -> None:
    assert site.get("/status").status_code == 401
    assert site.get("/api/status", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert (
        site.get("/api/status", headers={"Authorization": f"Bearer {PARTNER_TOKEN}"}).status_code
        == 401
    )
    # ?token= becomes an HttpOnly cookie, and leaves the address
    login = site.get(f"/status?token={OPERATOR_TOKEN}&health=failing")
    assert login.status_code == 303 and login.headers["location"] == "/status?health=failing"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    session = login.cookies["syndicate_operator"]
    assert OPERATOR_TOKEN not in session  # a session made from the token, not the token
    page = site.get("/status?health=failing", headers={"Cookie": f"syndicate_operator={session}"})
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    # the token itself is no session
    raw = site.get("/status", headers={"Cookie": f"syndicate_operator={OPERATOR_TOKEN}"})
    assert raw.status_code == 401


def test_status_pages_are_off_without_a_token_in_the_environment(tmp_path: Path) -> None:
    config = build_config(tmp_path)
    storage = open_storage(config.database_url)
    with serve(create_app(config, storage, env={})) as base:
        off = httpx.get(f"{base}/status?token=anything")
        assert off.status_code == 403 and "SYNDICATE_OPERATOR_TOKEN" in off.text
    storage.close()


def test_failing_sources_come_first_with_what_and_where(site: Site) -> None:
    fail_source(site, "s-ja", "HTTP 404 from http://127.0.0.1:9/ja.xml")
    site.storage.record_cycle(cycle("worker-a", datetime.now(UTC)))
    data = site.get("/api/status", headers=OPERATOR).json()
    first = data["sources"][0]
    assert (
        first["id"] == "s-ja" and first["health"] == "failing" and "HTTP 404" in first["last_error"]
    )
    assert first["error_count"] == 3
    assert {s["id"]: s["articles"] for s in data["sources"]}["s-it"] == 12
    assert data["cycles"][0]["owner"] == "worker-a" and data["cycles"][0]["new_articles"] == 4
    assert data["glossary"]["version"] is not None and data["translation"] is None
    only = site.get("/api/status?health=failing", headers=OPERATOR).json()["sources"]
    assert [s["id"] for s in only] == ["s-ja"]
    by_id = site.get("/api/status?sort=id", headers=OPERATOR).json()["sources"]
    assert [s["id"] for s in by_id] == ["s-en", "s-it", "s-ja"]
    page = site.get("/status", headers=OPERATOR).text
    assert page.index('data-source="s-ja"') < page.index('data-source="s-en"')
    assert "1</strong> of 3 sources need attention" in page
    # secrets never reach the page or the JSON
    for text in (page, str(data)):
        assert OPERATOR_TOKEN not in text and PARTNER_TOKEN not in text
        assert site.config.partners[0].token_sha256 not in text


def test_healthz_follows_the_last_successful_cycle(site: Site) -> None:
    starting = site.get("/healthz")  # no cycle yet, but the server just started
    assert starting.status_code == 200 and "starting" in starting.json()["detail"]
    now = datetime.now(UTC)
    site.storage.record_cycle(cycle("worker-a", now - timedelta(minutes=30)))
    stale = site.get("/healthz")
    assert stale.status_code == 503 and "more than 600 s" in stale.json()["detail"]
    site.storage.record_cycle(cycle("worker-b", now - timedelta(seconds=5)))
    fresh = site.get("/healthz")
    assert fresh.status_code == 200 and fresh.json()["last_success_age_seconds"] < 60
    # a failed cycle keeps the worker's last success
    site.storage.record_cycle(cycle("worker-b", now, ok=False))
    assert site.storage.worker_cycles()[0].last_success_at == now - timedelta(seconds=5)
    assert site.get("/healthz").status_code == 200


def test_healthz_is_503_when_the_database_is_gone(tmp_path: Path, postgres_url: str) -> None:
    """``postgres_url`` is a database of this test's own, which it may drop."""
    scratch_database = postgres_url
    config = build_config(tmp_path, database=scratch_database)
    storage = open_storage(config.database_url)
    fill(config, storage)
    storage.record_cycle(cycle("w", datetime.now(UTC)))
    with serve(create_app(config, storage, env={})) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        name = scratch_database.rsplit("/", 1)[1]
        admin = sa.create_engine(
            scratch_database.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
        gone = httpx.get(f"{base}/healthz")
        assert gone.status_code == 503 and "database unreachable" in gone.json()["detail"]
        # feeds are files: they are still served while the database is away
        assert httpx.get(f"{base}/feeds/it/all.atom").status_code == 200
    storage.close()


def test_metrics_count_requests_cycles_and_partners(site: Site) -> None:
    def value(text: str, line_start: str) -> float:
        for line in text.splitlines():
            if line.startswith(line_start + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = site.get("/metrics").text
    etag = site.get("/feeds/it/all.atom").headers["etag"]
    for _ in range(3):
        site.get("/feeds/it/all.atom", headers={"If-None-Match": etag})
    site.get("/feeds/it/none.atom")
    report = CycleReport(
        started=datetime.now(UTC),
        seconds=1.5,
        sources=(
            SourceOutcome("s-it", Outcome.NEW, 200, UpsertResult(inserted=2, updated=1)),
            SourceOutcome("s-en", Outcome.NOT_MODIFIED, 304),
            SourceOutcome("s-ja", Outcome.ERROR, 0, error="timeout"),
        ),
        published=None,
    )
    record_cycle(replace(report))
    after = site.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    for name, delta in (
        ('syndicate_http_requests_total{status="304"}', 3),
        ('syndicate_http_requests_total{status="404"}', 1),
        ('syndicate_fetches_total{outcome="new"}', 1),
        ('syndicate_fetches_total{outcome="error"}', 1),
        ('syndicate_articles_ingested_total{kind="new"}', 2),
        ("syndicate_cycle_duration_seconds_count", 1),
    ):
        assert value(text, name) - value(before, name) == delta, name


def test_the_session_cookie_is_secure_only_behind_a_trusted_proxy(tmp_path: Path) -> None:
    """Over real HTTP, with uvicorn told to trust the same proxies as the config (as
    ``syndicate run`` should configure it): X-Forwarded-Proto counts only from them."""
    secure = {}
    for trusted in ((), ("127.0.0.1",)):
        config = build_config(tmp_path)
        config = replace(config, server=replace(config.server, trusted_proxies=trusted))
        storage = open_storage(config.database_url)
        app = create_app(config, storage, env={"SYNDICATE_OPERATOR_TOKEN": OPERATOR_TOKEN})
        with serve(app, forwarded_allow_ips=list(trusted)) as base:
            login = httpx.get(
                f"{base}/status?token={OPERATOR_TOKEN}", headers={"X-Forwarded-Proto": "https"}
            )
        storage.close()
        secure[trusted] = "secure" in login.headers["set-cookie"].lower()
    assert secure == {(): False, ("127.0.0.1",): True}
