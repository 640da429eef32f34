"""The public site over real HTTP: language negotiation, pages, escaping, autodiscovery."""

from __future__ import annotations

import re

import pytest

from syndicate.server.site import negotiate

from .conftest import HOSTILE_TITLE, Site


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en;q=0.5", "ja"),
        ("fr-CH, fr;q=0.9, en;q=0.8, it;q=0.7", "en"),
        ("de, it;q=0.1", "it"),
        ("en;q=0.2, ja;q=0.9", "ja"),
        ("fr", "it"),  # nothing fits: the first configured language
        ("", "it"),
        ("*", "it"),
        ("ja;q=0, en", "en"),
        ("garbage;q=x, en", "en"),
    ],
)
def test_negotiation(header: str, lang: str) -> None:
    assert negotiate(header, ("it", "en", "ja")) == lang


def test_the_root_sends_each_reader_to_their_language(site: Site) -> None:
    ja = site.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert ja.status_code == 302 and ja.headers["location"] == "/ja/"
    assert "Accept-Language" in ja.headers["vary"]
    assert site.get("/", headers={"Accept-Language": "en-GB"}).headers["location"] == "/en/"
    assert site.get("/").headers["location"] == "/it/"
    assert site.get("/ja").headers["location"] == "/ja/"


def test_a_language_page_lists_topics_feeds_and_the_latest_articles(site: Site) -> None:
    page = site.get("/ja/")
    assert page.status_code == 200 and page.headers["content-language"] == "ja"
    text = page.text
    assert '<html lang="ja">' in text and "ニュースフィード" in text  # "News feeds"
    assert "エネルギー" in text and "スタートアップ" in text
    for fmt in ("atom", "rss", "json"):
        assert f'href="/feeds/ja/energy.{fmt}"' in text
    # the switcher: each language named in itself
    for lang, name in (("it", "Italiano"), ("en", "English"), ("ja", "日本語")):
        assert f'<a href="/{lang}/" hreflang="{lang}" lang="{lang}"' in text and name in text
    assert 'aria-current="page">日本語' in text
    # autodiscovery: public feeds only
    discovery = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', text)
    assert any('href="/feeds/ja/all.atom"' in link for link in discovery)
    assert any('href="/feeds/ja/energy.atom"' in link for link in discovery)
    assert not any("startups" in link or "mobility" in link for link in discovery)
    # private topics are marked
    row = re.search(r'<tr data-topic="startups">.*?</tr>', text)
    assert row and 'class="private"' in row.group(0)
    # the latest articles: the ja feed's entries, other languages' marked as such
    assert "ja energy story" in text
    assert "元の言語" in text or "原文" in text
    italian = site.get("/it/").text
    assert "Ultimi articoli" in italian and '<html lang="it">' in italian


def test_source_titles_and_links_cannot_inject_markup(site: Site) -> None:
    text = site.get("/it/").text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text  # shown, as text
    assert "javascript:" not in text
    assert HOSTILE_TITLE not in text


def test_unknown_pages_are_a_localized_404(site: Site) -> None:
    page = site.get("/xx/", headers={"Accept-Language": "ja"})
    assert page.status_code == 404 and "ページが見つかりません" in page.text
    assert site.get("/it/nothing").status_code == 404


def test_the_demo_sources_are_served(site: Site) -> None:
    demo = site.get("/demo/campus-it.xml")
    assert demo.status_code == 200
    assert demo.headers["content-type"] == "application/xml; charset=utf-8"
    assert "etag" in demo.headers
