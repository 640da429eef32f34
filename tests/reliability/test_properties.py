"""Property tests (hypothesis): config parsing, normalization, and anything stored can be
published and read back. Term matching has its own in tests/terms/test_matcher.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.config import load_config
from syndicate.errors import ConfigError
from syndicate.htmltext import plain_text
from syndicate.ingest.parse import MAX_TITLE, parse_feed, sanitize_html
from syndicate.models import Article, FeedFormat, RoutedArticle, SourceUpdate, StoredArticle
from syndicate.publish import publish_feeds
from syndicate.publish.document import FeedDocument
from syndicate.publish.feedgen_adapter import render_feed
from syndicate.publish.jsonfeed import render_json_feed
from syndicate.run import sync_sources
from syndicate.safe import link_url
from syndicate.storage import open_storage

from ..conftest import make_config
from .conftest import Case

FIXTURES = [HealthCheck.function_scoped_fixture]
ATOM = "http://www.w3.org/2005/Atom"

KEYS = [
    "languages", "database", "output_dir", "base_url", "host", "port", "interval", "tick",
    "lease", "max_entries", "hub", "engine", "untranslated", "id", "url", "title", "topics",
    "language", "enabled", "private", "cors_origins", "max_bytes", "timeout", "jitter", "x",
]  # fmt: skip
TABLES = ["service", "server", "fetch", "schedule", "publish", "translation", "glossary", "bogus"]
scalar = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
value = st.one_of(scalar, st.lists(scalar, max_size=4))


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


@st.composite
def config_text(draw: st.DrawFn) -> str:
    lines = []
    for table in draw(st.lists(st.sampled_from(TABLES), unique=True, max_size=5)):
        lines.append(f"[{table}]")
        for key in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=5)):
            lines.append(f"{key} = {toml_value(draw(value))}")
    for array in draw(st.lists(st.sampled_from(["sources", "topics", "partners"]), max_size=3)):
        lines.append(f"[[{array}]]")
        for key in draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=5)):
            lines.append(f"{key} = {toml_value(draw(value))}")
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=FIXTURES)
@given(text=config_text())
def test_any_config_loads_or_says_what_is_wrong(case: Case, tmp_path: Path, text: str) -> None:
    case("property: random config files", "loaded, or ConfigError naming the file")
    case.saw(f"{case.examples} generated configs")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError as exc:
        assert exc.problems
        assert all(p.path == path and str(p).startswith("config.toml") for p in exc.problems)


html_piece = st.one_of(
    st.text(max_size=20),
    st.sampled_from([
        "<p>", "</p>", "<b>", "</b>", "<script>x()</script>", '<a href="javascript:x()">',
        "</a>", "<img src=x onerror=y>", "&amp;", "&lt;", "&#0;", "&#xD800;", "\x00", "\x07",
        "\ufffe", "<div>", "</div>", "<style>a{}</style>", "<![CDATA[", "]]>", "\u3000", "日本",
    ]),
)  # fmt: skip
html_text = st.lists(html_piece, max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(fragment=html_text)
def test_sanitizing_is_idempotent_and_leaves_nothing_xml_cannot_carry(
    case: Case, fragment: str
) -> None:
    case("property: hostile HTML fragments", "sanitized idempotently, XML-safe, no script")
    case.saw(f"{case.examples} generated fragments")
    once = sanitize_html(fragment)
    assert sanitize_html(once) == once
    text = plain_text(fragment)
    for out in (once, text):
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in out)
        assert "\ufffe" not in out and not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    assert "<script" not in once and "javascript:" not in once and "onerror" not in once


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES)
@given(titles=st.lists(html_text, min_size=1, max_size=5), bodies=st.lists(html_text, max_size=5))
def test_parsing_is_deterministic_and_normalized(
    case: Case, titles: list[str], bodies: list[str]
) -> None:
    case("property: random feeds through parse", "same hashes twice; titles capped")
    case.saw(f"{case.examples} generated feeds")
    items = "".join(
        f"<item><guid>g{i}</guid><title>{escape(title)}</title>"
        f"<description>{escape(bodies[i] if i < len(bodies) else '')}</description></item>"
        for i, title in enumerate(titles)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{items}</channel></rss>"
    )
    first = parse_feed(body.encode("utf-8", "surrogatepass"), source_id="s", languages=["it"])
    second = parse_feed(body.encode("utf-8", "surrogatepass"), source_id="s", languages=["it"])
    assert [a.content_hash for a in first.articles] == [a.content_hash for a in second.articles]
    for article in first.articles:
        assert len(article.title) <= MAX_TITLE and article.guid


stored_text = (
    st.text(
        alphabet=st.characters(
            blacklist_categories=["Cs", "Cc"], blacklist_characters="\ufffe\uffff"
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def stored_articles(draw: st.DrawFn) -> list[StoredArticle]:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    out = []
    for i in range(draw(st.integers(1, 6))):
        title = plain_text(draw(stored_text))
        summary = sanitize_html("<p>" + escape(draw(stored_text)) + "</p>")
        article = Article(
            source_id="s",
            guid=f"g{i}",
            link=f"https://example.org/{i}",
            title=title or "untitled",
            summary=summary,
            content=summary,
            authors=(plain_text(draw(stored_text)) or "a",),
            categories=(plain_text(draw(stored_text)) or "c",),
            published=now - timedelta(hours=i),
            language=draw(st.sampled_from(["it", "en", "ja"])),
            content_hash=f"h{i}",
        )
        out.append(StoredArticle(i, article, now, now, ()))
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURES)
@given(entries=stored_articles())
def test_anything_stored_can_be_published_and_read_back(
    case: Case, entries: list[StoredArticle]
) -> None:
    case("property: random stored articles", "every format renders and re-parses, same titles")
    case.saw(f"{case.examples} generated feeds x 3 formats")
    for fmt in FeedFormat:
        doc = FeedDocument(
            format=fmt,
            id="https://feeds.example.org/feeds/it/all",
            title="Tutte",
            subtitle="Tutte le notizie",
            language="it",
            self_url=f"https://feeds.example.org/feeds/it/all.{fmt.value}",
            home_url="https://feeds.example.org/",
            alternates=(),
            entries=tuple(entries),
        )
        if fmt is FeedFormat.JSON:
            data = json.loads(render_json_feed(doc))
            assert [i["title"] for i in data["items"]] == [e.article.title for e in entries]
            continue
        data = render_feed(doc)
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert len(parsed.entries) == len(entries)
        # titles read back by an XML parser (feedparser "repairs" text that looks like
        # UTF-8 read as Latin-1, such as "Â¡", so it is not the judge of exact text)
        path = "//a:entry/a:title" if fmt is FeedFormat.ATOM else "//item/title"
        root = etree.fromstring(data)
        titles = [t.text or "" for t in root.xpath(path, namespaces={"a": ATOM})]
        assert titles == [s.article.title for s in entries]


# Any string in any field of an entry, in each input format: what the parser meets in the
# wild. Character references carry into XML what it cannot hold raw; feedparser's lenient
# parser decodes them, so every code point reaches the fields. JSON escapes everything.
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=40)
FIELDS = ("id", "title", "link", "summary", "content", "author", "category", "mime", "date")


def _xml_text(value: str) -> str:
    """``value`` as XML character data, every character XML cannot hold raw as a reference."""
    return "".join(c if c.isprintable() and c not in "<>&\"'" else f"&#{ord(c)};" for c in value)


def _entry_document(fmt: str, fields: dict[str, str]) -> bytes:
    f = {k: _xml_text(v) for k, v in fields.items()}
    if fmt == "rss":
        return (
            "<rss version='2.0'><channel><title>t</title><item>"
            f"<guid>{f['id']}</guid><title>{f['title']}</title><link>{f['link']}</link>"
            f"<description>{f['summary']}</description><author>{f['author']}</author>"
            f"<category>{f['category']}</category><pubDate>{f['date']}</pubDate>"
            f'<enclosure url="{f["link"]}" type="{f["mime"]}" length="{f["date"]}"/>'
            "</item></channel></rss>"
        ).encode("utf-8", "surrogatepass")
    if fmt == "atom":
        return (
            "<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><entry>"
            f"<id>{f['id']}</id><title type='html'>{f['title']}</title>"
            f'<link href="{f["link"]}"/><summary>{f["summary"]}</summary>'
            f"<content type='html'>{f['content']}</content><author><name>{f['author']}</name>"
            f'</author><category term="{f["category"]}"/><updated>{f["date"]}</updated>'
            f'<link rel=\'enclosure\' href="{f["link"]}" type="{f["mime"]}"/></entry></feed>'
        ).encode("utf-8", "surrogatepass")
    item = {
        "id": fields["id"],
        "url": fields["link"],
        "external_url": fields["link"],
        "title": fields["title"],
        "summary": fields["summary"],
        "content_html": fields["content"],
        "image": fields["link"],
        "tags": [fields["category"]],
        "authors": [{"name": fields["author"]}],
        "date_published": fields["date"],
        "attachments": [{"url": fields["link"], "mime_type": fields["mime"]}],
    }
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [item]}
    return json.dumps(feed).encode()  # ensure_ascii: lone surrogates travel as \ud800


def _only(**fields: str) -> dict[str, str]:
    return {name: fields.get(name, "") for name in FIELDS}


@settings(max_examples=120, deadline=None, suppress_health_check=FIXTURES)
@given(
    fmt=st.sampled_from(["rss", "atom", "json"]),
    fields=st.fixed_dictionaries({name: any_text for name in FIELDS}),
)
# found by this test: a lone surrogate escaped in JSON; a summary of one no-break space
@example(fmt="json", fields=_only(content="\ud800"))
@example(fmt="json", fields=_only(summary="\xa0"))
@example(fmt="json", fields=_only(link="\U0005c547\U000f1306,\x7fý", summary="\xa0"))
def test_any_string_in_any_field_is_stored_and_published_or_refused(
    case: Case, tmp_path: Path, fmt: str, fields: dict[str, str]
) -> None:
    case(
        "property: any string in any field (RSS, Atom, JSON Feed), through storage",
        "stored and in every format, or refused; the next publish succeeds",
    )
    body = _entry_document(fmt, fields)
    parsed = parse_feed(body, source_id="s", languages=["it"], language="it")
    if not parsed.articles and fmt == "json":  # JSON carries every string: refused only
        usable = (  # when nothing in the entry is something a reader could use: no words
            plain_text(fields["title"])  # (a no-break space is none), no link
            or plain_text(sanitize_html(fields["summary"]))
            or plain_text(sanitize_html(fields["content"]))
            or link_url(fields["link"])
        )
        assert not usable, fields
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    config = make_config(
        folder,
        sources='[[sources]]\nid = "s"\nurl = "http://127.0.0.1:9/f"\nlanguage = "it"',
        topics=False,
    )
    storage = open_storage(config.database_url)
    try:
        sync_sources(config, storage)
        storage.record_poll("s", _stored_poll(), routed=[RoutedArticle(a) for a in parsed.articles])
        first = publish_feeds(config, storage, NOW)
        again = publish_feeds(config, storage, NOW, force=True)
        stored = storage.count_articles()
    finally:
        storage.close()
    case.saw(f"{case.examples} generated entries x 3 input formats, each published twice")
    assert stored == len({a.guid for a in parsed.articles})
    for report in (first, again):
        assert report.left_out == () and report.failed == ()
    for out in ("atom", "rss"):
        root = etree.fromstring((config.output_dir / "it" / f"all.{out}").read_bytes())
        assert len(root.xpath("//a:entry|//item", namespaces={"a": ATOM})) == stored
    items = json.loads((config.output_dir / "it" / "all.json").read_bytes())["items"]
    assert len(items) == stored


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _stored_poll() -> SourceUpdate:
    return SourceUpdate(last_polled_at=NOW, next_poll_at=NOW, last_status=200)
