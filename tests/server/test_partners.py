"""Private feeds over real HTTP: tokens missing, wrong and right; topics; rate limit; counts."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.server.partners import PartnerGate, hash_token

from ..conftest import make_config
from .conftest import MOBILITY_TOKEN, OPERATOR_TOKEN, PARTNER_TOKEN, Site

PRIVATE = "/feeds/en/startups.atom"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}


def test_a_private_feed_needs_a_partner_token(site: Site) -> None:
    missing = site.get(PRIVATE)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in missing.text
    wrong = site.get(PRIVATE, headers=bearer("guessed-token"))
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["www-authenticate"]
    right = site.get(PRIVATE, headers=bearer(PARTNER_TOKEN))
    assert right.status_code == 200 and b"startups story" in right.content
    assert right.headers["cache-control"].startswith("private")
    assert "Authorization" in right.headers["vary"]
    assert site.get(f"{PRIVATE}?token={PARTNER_TOKEN}").status_code == 200
    # archives of a private topic are private too; public feeds need nothing
    archive = next((site.config.output_dir / "en/archive/startups").glob("*.atom")).name
    assert site.get(f"/feeds/en/archive/startups/{archive}").status_code == 401
    assert (
        site.get(f"/feeds/en/archive/startups/{archive}", headers=bearer(PARTNER_TOKEN)).status_code
        == 200
    )
    assert site.get("/feeds/en/energy.atom").status_code == 200
    assert site.get("/feeds/en/energy.atom", headers=bearer(PARTNER_TOKEN)).status_code == 200
    # a 304 for a partner still goes through the token check
    etag = right.headers["etag"]
    assert site.get(PRIVATE, headers={"If-None-Match": etag}).status_code == 401
    assert (
        site.get(PRIVATE, headers={**bearer(PARTNER_TOKEN), "If-None-Match": etag}).status_code
        == 304
    )


def test_a_partner_reads_only_its_private_topics(site: Site) -> None:
    assert site.get("/feeds/ja/mobility.rss", headers=bearer(MOBILITY_TOKEN)).status_code == 200
    denied = site.get("/feeds/ja/startups.rss", headers=bearer(MOBILITY_TOKEN))
    assert denied.status_code == 403 and "mobility-desk" in denied.text


def test_the_rate_limit_answers_429_with_retry_after_then_lets_the_partner_back(site: Site) -> None:
    statuses = [site.get(PRIVATE, headers=bearer(PARTNER_TOKEN)).status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5  # the burst
    assert 429 in statuses[5:]
    limited = site.get(PRIVATE, headers=bearer(PARTNER_TOKEN))
    assert limited.status_code == 429
    wait = int(limited.headers["retry-after"])
    assert 1 <= wait <= 2  # 60 a minute: one more each second
    time.sleep(wait)
    assert site.get(PRIVATE, headers=bearer(PARTNER_TOKEN)).status_code == 200
    # another partner has its own bucket
    assert site.get("/feeds/it/mobility.json", headers=bearer(MOBILITY_TOKEN)).status_code == 200
    # what each partner did is counted, in the operator's JSON and in the metrics
    status = site.get("/api/status", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    partners = status.json()["partners"]
    assert partners["tokyo-office"]["served"] >= 6 and partners["tokyo-office"]["limited"] >= 2
    assert partners["tokyo-office"]["topics"]["startups"] >= 6
    assert partners["mobility-desk"]["served"] == 1
    # /metrics counts them by outcome; partners are named only when the config says so
    # (the registry is the process's: other tests may have counted this partner by name,
    # so what this test checks is what its own requests added)
    metrics = site.get("/metrics").text
    assert 'syndicate_partner_requests_total{outcome="limited"}' in metrics
    named_before = named_counts(metrics, "tokyo-office")
    site.get(PRIVATE, headers=bearer(PARTNER_TOKEN))
    assert named_counts(site.get("/metrics").text, "tokyo-office") == named_before
    server = replace(site.config.server, metrics_partner_labels=True)
    site.app.config = replace(site.config, server=server)
    site.get(PRIVATE, headers=bearer(PARTNER_TOKEN))  # served or limited: counted by name
    assert named_counts(site.get("/metrics").text, "tokyo-office") == named_before + 1


def named_counts(metrics: str, partner: str) -> float:
    """The sum of the /metrics partner series that name ``partner``."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("syndicate_partner_requests_total{") and f'partner="{partner}"' in line
    )


def test_the_bucket_refills_at_the_configured_rate(tmp_path: Path) -> None:
    now = [1000.0]
    gate = PartnerGate(clock=lambda: now[0])
    config = make_config(
        tmp_path,
        sources="",
        extra=f"""
[[partners]]
id = "p"
token_sha256 = "{hash_token("t")}"
requests_per_minute = 6
burst = 2
""",
    )
    headers = {b"authorization": b"Bearer t"}
    assert [gate.check("it/all.atom", headers, b"", config) for _ in range(2)] == [False, False]
    denied = gate.check("it/all.atom", headers, b"", config)
    assert getattr(denied, "status", None) == 429 and (b"retry-after", b"10") in denied.headers  # type: ignore[union-attr]
    now[0] += 10  # 6 a minute: one every 10 s
    assert gate.check("it/all.atom", headers, b"", config) is False
    assert gate.access["p"].served == 3 and gate.access["p"].limited == 1


def test_partner_config_mistakes_are_reported_with_their_line(tmp_path: Path) -> None:
    directory = tmp_path
    (directory / "config.toml").write_text(
        """
[[topics]]
id = "energy"
title = "Energy"

[[partners]]
id = "p"
token_sha256 = "my-plain-token"
topics = ["energy"]
rate = 5
""",
        encoding="utf-8",
    )
    try:
        load_config(directory / "config.toml", env={})
    except ConfigError as exc:
        text = str(exc)
    else:
        raise AssertionError("the config was accepted")
    assert "config.toml:8: partners[0].token_sha256" in text and "never the token itself" in text
    assert "partners[0].topics[0]" in text and "not a private topic" in text
    assert "partners[0].rate" in text


def test_private_articles_stay_out_of_public_feeds_and_lists(site: Site) -> None:
    for path in ("/feeds/en/all.atom", "/feeds/ja/all.json", "/feeds/it/energy.rss"):
        public = site.get(path)
        assert public.status_code == 200 and b"energy story" in public.content
        assert b"startups story" not in public.content and b"mobility story" not in public.content
    private = site.get("/feeds/it/mobility.atom", headers=bearer(MOBILITY_TOKEN))
    assert b"mobility story" in private.content
    for opml in ("/feeds/index.opml", "/feeds/en/index.opml"):
        listing = site.get(opml).text
        assert "energy.atom" in listing and "startups" not in listing and "mobility" not in listing
    assert "startups story" not in site.get("/en/").text
