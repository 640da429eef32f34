"""The public site: one page per language listing topics, their feeds and the latest articles.

``/`` sends the reader to ``/it/``, ``/en/`` or ``/ja/`` by ``Accept-Language`` (Babel's
negotiation over the configured languages). A page's latest articles are those of the
language's published ``all`` JSON Feed, so the page shows what a subscriber gets
(translated or glossed the same way); nothing in it is taken from a source as HTML.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel import negotiate_locale

from syndicate.config import Config
from syndicate.i18n import language_name, medium_datetime, translator
from syndicate.models import FeedFormat, FeedKey
from syndicate.publish import feed_relpath, feed_specs, opml_relpath, site_path
from syndicate.server.headers import qualities
from syndicate.server.html_page import document, h, safe_url

__all__ = ["LatestArticle", "home_page", "latest_articles", "negotiate", "not_found_page"]

_FORMAT_LABELS = {FeedFormat.ATOM: "Atom", FeedFormat.RSS: "RSS", FeedFormat.JSON: "JSON Feed"}
_MIME = {
    FeedFormat.ATOM: "application/atom+xml",
    FeedFormat.RSS: "application/rss+xml",
    FeedFormat.JSON: "application/feed+json",
}


@dataclass(frozen=True)
class LatestArticle:
    title: str
    url: str | None
    published: datetime | None
    #: the language it was written in, when not the page's
    original_language: str | None


def negotiate(accept_language: str, languages: tuple[str, ...]) -> str:
    """The configured language that best fits ``Accept-Language``; the first one if none."""
    ranked = sorted(
        (-q, index, tag)
        for index, (tag, q) in enumerate(qualities(accept_language))
        if tag != "*" and q > 0
    )
    preferred = [tag for _, _, tag in ranked]
    return negotiate_locale(preferred, list(languages), sep="-") or languages[0]


def latest_articles(config: Config, lang: str, limit: int = 20) -> list[LatestArticle]:
    """The newest entries of ``feeds/{lang}/all.json`` (none if it is not published yet)."""
    path = config.output_dir / feed_relpath(FeedKey(lang, "all", FeedFormat.JSON.value))
    try:
        stat = os.stat(path)
    except OSError:
        return []
    # The inode too: a feed's mtime is its last change, which a rewrite may keep.
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return list(_read_items(path, version, lang)[:limit])


_ITEMS_CACHE: dict[Path, tuple[tuple[int, int, int], tuple[LatestArticle, ...]]] = {}


def _read_items(path: Path, version: tuple[int, int, int], lang: str) -> tuple[LatestArticle, ...]:
    cached = _ITEMS_CACHE.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    try:
        items = json.loads(path.read_bytes()).get("items", [])
    except (OSError, ValueError, AttributeError):
        return ()
    latest = tuple(
        LatestArticle(
            title=str(item.get("title") or ""),
            url=safe_url(item.get("url")),
            published=_date(item.get("date_published")),
            original_language=item.get("language") if item.get("language") != lang else None,
        )
        for item in items
        if isinstance(item, dict)
    )
    _ITEMS_CACHE[path] = (version, latest)
    return latest


def _date(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def home_page(config: Config, lang: str, latest: list[LatestArticle]) -> str:
    """The page of one language: switcher, topics with their feeds, latest articles."""
    _ = translator(lang)
    private = config.private_topics
    specs = [s for s in feed_specs(config) if s.lang == lang]
    head = "".join(
        f'<link rel="alternate" type="{_MIME[s.format]}" '
        f'title="{h(s.title)} ({_FORMAT_LABELS[s.format]})" href="{h(site_path(s.relpath))}">\n'
        for s in specs
        if s.topic not in private and (s.topic == "all" or s.format is FeedFormat.ATOM)
    )
    head += "".join(
        f'<link rel="alternate" hreflang="{h(other)}" href="/{h(other)}/">\n'
        for other in config.service.languages
    )
    # Messages are read into names first: pybabel does not look inside f-strings.
    # TRANSLATORS: beside a topic whose feeds only partner sites may read.
    partners_only = _("For partners: a token is needed")
    no_articles = _("No articles published yet.")
    topics_heading = _("Topics and feeds")
    # TRANSLATORS: a link to the OPML file that lists every feed of the language.
    opml_link = _("Every feed as an OPML list")
    latest_heading = _("Latest articles")
    rows = []
    for topic in dict.fromkeys(s.topic for s in specs):
        of_topic = [s for s in specs if s.topic == topic]
        links = " ".join(
            f'<a href="{h(site_path(s.relpath))}" type="{_MIME[s.format]}">'
            f"{_FORMAT_LABELS[s.format]}</a>"
            for s in of_topic
        )
        note = f' <span class="private">{h(partners_only)}</span>' if topic in private else ""
        rows.append(
            f'<tr data-topic="{h(topic)}"><td>{h(of_topic[0].title)}{note}</td>'
            f'<td class="feeds">{links}</td></tr>'
        )
    articles = "".join(_article_item(article, lang) for article in latest)
    if not articles:
        articles = f"<li>{h(no_articles)}</li>"
    # TRANSLATORS: the title of the site's page in one language, which lists its feeds.
    title = _("News feeds")
    body = (
        f"<header><h1>{h(title)}</h1>{_switcher(config, lang)}</header>\n"
        f"<main>\n<section><h2>{h(topics_heading)}</h2>\n"
        f"<table><tbody>{''.join(rows)}</tbody></table>\n"
        f'<p><a href="{h(site_path(opml_relpath(lang)))}">{h(opml_link)}</a></p>'
        f"</section>\n<section><h2>{h(latest_heading)}</h2>\n"
        f'<ul class="latest">{articles}</ul></section>\n</main>'
    )
    return document(lang, title, body, head=head)


def _article_item(article: LatestArticle, lang: str) -> str:
    _ = translator(lang)
    title = h(article.title)
    link = f'<a href="{h(article.url)}">{title}</a>' if article.url else title
    meta = []
    if article.published is not None:
        meta.append(
            f'<time datetime="{h(article.published.isoformat())}">'
            f"{h(medium_datetime(article.published, lang))}</time>"
        )
    if article.original_language:
        meta.append(
            h(
                # TRANSLATORS: beside an article of the site's list written in another
                # language. {language}: that language, named in yours ("Japanese").
                _("Originally in {language}").format(
                    language=language_name(article.original_language, lang)
                )
            )
        )
    return f'<li>{link} <small class="meta">{" · ".join(meta)}</small></li>'


def _switcher(config: Config, lang: str) -> str:
    _ = translator(lang)
    links = "".join(
        f'<a href="/{h(other)}/" hreflang="{h(other)}" lang="{h(other)}"'
        + (' aria-current="page"' if other == lang else "")
        + f">{h(language_name(other, other).capitalize())}</a>"
        for other in config.service.languages
    )
    # TRANSLATORS: the label of the list of links to the site in other languages.
    label = _("Language")
    return f'<nav class="languages" aria-label="{h(label)}">{links}</nav>'


def not_found_page(config: Config, lang: str, path: str) -> str:
    _ = translator(lang)
    title = _("Page not found")
    body = (
        f"<header><h1>{h(title)}</h1>{_switcher(config, lang)}</header>\n"
        f"<p><code>{h(path)}</code></p>"
    )
    return document(lang, title, body)
