"""Feeds served over real HTTP: validators and 304, HEAD, gzip, caching headers, CORS, 404."""

from __future__ import annotations

import gzip
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feedparser
import httpx

from syndicate.models import RoutedArticle, TopicReason
from syndicate.server.files import accepts_gzip

from .conftest import ORIGIN, Site, articles

PUBLIC = "/feeds/it/energy.atom"


def identity(site: Site, path: str = PUBLIC, **headers: str) -> httpx.Response:
    return site.get(path, headers={"Accept-Encoding": "identity", **headers})


def test_a_feed_comes_with_validators_caching_headers_and_its_type(site: Site) -> None:
    response = identity(site)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.content == (site.config.output_dir / "it/energy.atom").read_bytes()
    assert response.headers["etag"].startswith('"') and len(response.headers["etag"]) == 34
    assert response.headers["cache-control"] == "public, max-age=60"
    assert "Accept-Encoding" in response.headers["vary"]
    assert response.headers["content-length"] == str(len(response.content))
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0 and parsed.feed.title == "Energia"
    for path, kind in (
        ("/feeds/ja/all.rss", "application/rss+xml"),
        ("/feeds/en/all.json", "application/feed+json"),
        ("/feeds/index.opml", "text/x-opml"),
    ):
        assert identity(site, path).headers["content-type"] == f"{kind}; charset=utf-8"


def test_conditional_requests_answer_304_with_no_body(site: Site) -> None:
    first = identity(site)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = identity(site, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"]
    # a list of tags, weak ones included, matches as RFC 9110 says
    assert identity(site, **{"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert identity(site, **{"If-Modified-Since": modified}).status_code == 304
    # If-None-Match decides when present, even with a matching date
    both = identity(site, **{"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert both.status_code == 200 and both.content == first.content
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert identity(site, **{"If-Modified-Since": earlier}).status_code == 200
    assert identity(site, **{"If-Modified-Since": "not a date"}).status_code == 200
    # not a date either (RFC 9110 13.1.3: ignored), though the date parser reads a number
    for absurd in (
        "Sat, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Sat, 01 Jan 99999 00:00:00 GMT",
    ):
        assert identity(site, **{"If-Modified-Since": absurd}).status_code == 200


def test_head_gives_the_headers_of_get_and_no_body(site: Site) -> None:
    get = identity(site)
    head = site.client.head(f"{site.base}{PUBLIC}", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length", "cache-control"):
        assert head.headers[name] == get.headers[name]


def test_gzip_is_the_precompressed_twin_with_its_own_etag(site: Site) -> None:
    plain = identity(site)
    with httpx.stream(
        "GET", f"{site.base}{PUBLIC}", headers={"Accept-Encoding": "gzip, br"}
    ) as response:
        raw = b"".join(response.iter_raw())
        headers = response.headers
    assert headers["content-encoding"] == "gzip"
    assert raw == (site.config.output_dir / "it/energy.atom.gz").read_bytes()
    assert gzip.decompress(raw) == plain.content
    assert headers["etag"] != plain.headers["etag"] and headers["etag"].endswith('-gz"')
    assert headers["content-length"] == str(len(raw))
    # either tag revalidates: they name one version of the feed
    assert identity(site, **{"If-None-Match": headers["etag"]}).status_code == 304
    refused = site.get(PUBLIC, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert accepts_gzip(b"deflate, *;q=0.5") and not accepts_gzip(b"*;q=0, br")


def test_the_etag_follows_the_content_only(site: Site) -> None:
    before = identity(site).headers["etag"]
    site.publish()  # nothing changed: same file, same validators
    assert identity(site).headers["etag"] == before
    now = datetime.now(UTC)
    newest = articles(now)[1]  # an English energy article
    changed = RoutedArticle(
        replace(newest.article, title="A corrected title", content_hash="x"),
        (("energy", TopicReason.CATEGORY),),
    )
    site.storage.upsert_articles("s-en", [changed], now + timedelta(seconds=1))
    site.publish()
    after = identity(site)
    assert after.headers["etag"] != before and b"A corrected title" in after.content
    assert identity(site, **{"If-None-Match": before}).status_code == 200


def test_archives_are_cached_as_immutable(site: Site) -> None:
    archives = sorted((site.config.output_dir / "it/archive/energy").glob("*.atom"))
    assert archives, "the fixture spans two past months"
    response = identity(site, f"/feeds/it/archive/energy/{archives[0].name}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_cors_for_the_configured_origins(site: Site) -> None:
    preflight = site.client.options(
        f"{site.base}{PUBLIC}",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "Origin" in preflight.headers["vary"]
    get = identity(site, Origin=ORIGIN)
    assert get.headers["access-control-allow-origin"] == ORIGIN
    assert "etag" in get.headers["access-control-expose-headers"].lower()
    stranger = site.client.options(
        f"{site.base}{PUBLIC}",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert stranger.status_code == 403
    assert "access-control-allow-origin" not in stranger.headers
    assert (
        "access-control-allow-origin"
        not in identity(site, Origin="https://elsewhere.example").headers
    )


def test_unknown_hidden_and_escaping_paths_are_a_clear_404(site: Site) -> None:
    missing = identity(site, "/feeds/it/nothing.atom")
    assert missing.status_code == 404 and "index.opml" in missing.text
    (site.config.output_dir / "it" / ".all.atom.123.tmp").write_bytes(b"half")
    for path in (
        "/feeds/it/.all.atom.123.tmp",
        "/feeds/../config.toml",
        "/feeds/it/%2e%2e/%2e%2e/config.toml",
        "/feeds/it/%252e%252e/%252e%252e/config.toml",  # decoded once, as it should be
        "/feeds/it",
        "/feeds/",
    ):
        assert identity(site, path).status_code == 404, path
    post = site.client.post(f"{site.base}{PUBLIC}")
    assert post.status_code == 405 and "GET" in post.headers["allow"]


def test_a_feed_replaced_on_disk_is_served_new_at_once(site: Site) -> None:
    path = site.config.output_dir / "it/energy.atom"
    first = identity(site)
    data = path.read_bytes().replace(b"Energia", b"Energia!")
    path.write_bytes(data)
    os.utime(path, (1, 1))  # even with an older mtime: the inode/size/mtime key changed
    second = identity(site)
    assert second.content == data and second.headers["etag"] != first.headers["etag"]
    # the stale .gz twin is not served for the new content
    zipped = site.get(PUBLIC, headers={"Accept-Encoding": "gzip"})
    assert zipped.content == data


def test_a_file_named_with_a_percent_sign_is_served_by_its_encoded_name(site: Site) -> None:
    (site.config.output_dir / "it" / "100%.atom").write_bytes(b"<feed/>")
    assert identity(site, "/feeds/it/100%25.atom").content == b"<feed/>"
    # decoded once: "%2525" names "100%25.atom" (absent), not "100%.atom"
    assert identity(site, "/feeds/it/100%2525.atom").status_code == 404
