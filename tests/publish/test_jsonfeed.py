"""JSON Feed 1.1 rendering: schema validity, the field mapping, determinism and escaping."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from syndicate.models import Article, Enclosure, FeedFormat, StoredArticle
from syndicate.publish.document import FeedDocument, LeftOut
from syndicate.publish.feedgen_adapter import render_feed
from syndicate.publish.jsonfeed import render_json_feed

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ESCAPE_TITLE = 'Il "bando" <2026> & 蓄電池の実証実験'


def shared_dir() -> Path:
    """``shared`` beside the repository: present for developers and CI, absent in a user's clone."""
    return Path(__file__).resolve().parents[3] / "shared"


def jsonfeed_schema_dir() -> Path:
    """The JSON Feed schema folder; skips the test when ../shared is not there."""
    folder = shared_dir() / "corpora" / "schemas" / "jsonfeed"
    if not (folder / "schema-v1.1.json").is_file():
        pytest.skip(f"{folder} is absent (a user's clone has no ../shared): no JSON Feed schema")
    return folder


def validator() -> Any:
    """A validator for schema-v1.1.json, of the draft the schema declares."""
    schema = json.loads((jsonfeed_schema_dir() / "schema-v1.1.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # Formats (uri, date-time) are checked only as far as the installed checkers allow.
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(document)]


def stored(article: Article, **kwargs: Any) -> StoredArticle:
    return StoredArticle(
        id=zlib.crc32(article.guid.encode()),  # not hash(): that varies per process
        article=article,
        first_seen=NOW - timedelta(hours=1),
        last_changed=NOW - timedelta(hours=1),
        **kwargs,
    )


def plain() -> StoredArticle:
    return stored(
        Article(
            source_id="valmora",
            guid="it-plain-1",
            link="https://news.example.org/it/plain",
            title="Nuovo bando per le startup",
            summary="<p>Il comune apre un bando &amp; <b>premia</b> le idee.</p><p>Scade.</p>",
            content="<p>Il comune apre un bando.</p><p>Testo completo.</p>",
            published=datetime(2026, 11, 19, 8, 0, tzinfo=UTC),
            language="it",
        )
    )


def rich() -> StoredArticle:
    return stored(
        Article(
            source_id="valmora",
            guid="https://news.example.org/it/podcast-12",
            link="https://news.example.org/it/podcast-12",
            title="Podcast: accumulo di energia",
            summary="<p>Puntata 12</p>",
            content="<p>Puntata 12</p>",  # same as the summary: no JSON summary
            authors=("Redazione", "Anna Rossi"),
            categories=("energia", "Energia", "podcast"),
            published=datetime(2026, 11, 18, 7, 30, tzinfo=UTC),
            updated=datetime(2026, 11, 19, 10, 15, 30, tzinfo=UTC),
            language="it",
            enclosures=(
                Enclosure("https://cdn.example.org/ep12.mp3", "audio/mpeg", 12_345_678),
                Enclosure("https://cdn.example.org/ep12-notes.bin"),
            ),
            image="https://cdn.example.org/ep12.jpg",
        ),
        topics=("energy", "unnamed-topic"),
    )


def translated() -> StoredArticle:
    return stored(
        Article(
            source_id="harbour",
            guid="en-storage-7",
            link="https://harbour.example.com/storage-7",
            title="Batterie al porto",
            summary="<p>Una sintesi tradotta.</p>",
            content="<p>Il testo tradotto.</p>",
            authors=("Port Desk",),
            published=datetime(2026, 11, 17, 6, 0, tzinfo=UTC),
            language="it",
        ),
        translated_from="en",
        translator="deepl",
        original_link="https://harbour.example.com/en/storage-7",
    )


def foreign_bare() -> StoredArticle:
    """Another language, no link, no summary, no content, no dates."""
    return stored(
        Article(
            source_id="tokyo",
            guid="ja-99",
            link=None,
            title=ESCAPE_TITLE,
            summary="",
            content="",
            language="ja",
        )
    )


def document(**changes: Any) -> FeedDocument:
    doc = FeedDocument(
        format=FeedFormat.JSON,
        id="https://feeds.example.org/it/all.json",
        title="Valmora – tutte le notizie",
        subtitle="Notizie da Valmora e dintorni",
        language="it",
        self_url="https://feeds.example.org/it/all.json",
        home_url="https://feeds.example.org/it/",
        alternates=(("en", "https://feeds.example.org/en/all.json"),),
        entries=(plain(), rich(), translated(), foreign_bare()),
        topic_names={"energy": "Energia"},
    )
    return replace(doc, **changes)


def render(doc: FeedDocument) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render_json_feed(doc).decode("utf-8"))
    return parsed


def items_by_title(feed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["title"]: item for item in feed["items"]}


# --- schema ---------------------------------------------------------------------------------


def test_rendered_feed_is_valid_json_feed_1_1() -> None:
    for doc in (
        document(),
        document(hub="https://hub.example.org/", archive_links={"prev-archive": "https://x.y/1"}),
        document(is_archive=True, entries=()),
    ):
        assert schema_errors(render(doc)) == []


def test_schema_examples_validate_and_a_broken_feed_does_not() -> None:
    examples = sorted((jsonfeed_schema_dir() / "examples" / "v1.1").glob("*.json"))
    assert examples, "no JSON Feed 1.1 examples beside the schema"
    for path in examples:
        assert schema_errors(json.loads(path.read_text(encoding="utf-8"))) == [], path.name

    broken = render(document())
    del broken["version"]
    assert any("'version' is a required property" in e for e in schema_errors(broken))
    no_content = render(document())
    del no_content["items"][0]["content_html"]
    assert schema_errors(no_content) != []


# --- the mapping ----------------------------------------------------------------------------


def test_feed_level_fields() -> None:
    feed = render(document())
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["home_page_url"] == "https://feeds.example.org/it/"
    assert feed["feed_url"] == "https://feeds.example.org/it/all.json"
    assert feed["description"] == "Notizie da Valmora e dintorni"
    assert feed["language"] == "it"
    assert feed["authors"] == [{"name": "syndicate"}]
    assert [i["title"] for i in feed["items"]] == [e.article.title for e in document().entries]


def test_full_key_order() -> None:
    feed = render(
        document(
            hub="https://hub.example.org/",
            archive_links={"prev-archive": "https://feeds.example.org/it/all-1.json"},
            is_archive=True,
        )
    )
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "hubs",
        "next_url",
        "expired",
        "authors",
        "items",
    ]
    items = items_by_title(feed)
    assert list(items["Podcast: accumulo di energia"]) == [
        "id",
        "url",
        "title",
        "content_html",
        "image",
        "date_published",
        "date_modified",
        "authors",
        "tags",
        "attachments",
    ]
    assert list(items["Batterie al porto"]) == [
        "id",
        "url",
        "title",
        "content_html",
        "summary",
        "date_published",
        "date_modified",
        "authors",
        "language",
        "_syndicate",
    ]
    assert list(items[ESCAPE_TITLE]) == [
        "id",
        "title",
        "content_html",
        "date_published",
        "date_modified",
        "language",
    ]


def test_item_fields() -> None:
    items = items_by_title(render(document()))

    it = items["Nuovo bando per le startup"]
    assert it["id"] == "tag:syndicate,2026:valmora/it-plain-1"
    assert it["url"] == "https://news.example.org/it/plain"
    assert it["content_html"] == "<p>Il comune apre un bando.</p><p>Testo completo.</p>"
    # plain text: tags gone, entities unescaped, paragraphs kept apart
    assert it["summary"] == "Il comune apre un bando & premia le idee. Scade."
    assert "language" not in it and "authors" not in it and "tags" not in it
    assert "image" not in it and "attachments" not in it and "_syndicate" not in it

    pod = items["Podcast: accumulo di energia"]
    assert pod["id"] == "https://news.example.org/it/podcast-12"  # a URL guid is the id
    assert "summary" not in pod  # identical to content_html
    assert pod["image"] == "https://cdn.example.org/ep12.jpg"
    assert pod["authors"] == [{"name": "Redazione"}, {"name": "Anna Rossi"}]
    # localized topic names first, then the source's categories, duplicates dropped
    assert pod["tags"] == ["Energia", "energia", "podcast"]
    assert pod["attachments"] == [
        {
            "url": "https://cdn.example.org/ep12.mp3",
            "mime_type": "audio/mpeg",
            "size_in_bytes": 12_345_678,
        },
        {"url": "https://cdn.example.org/ep12-notes.bin", "mime_type": "application/octet-stream"},
    ]

    tr = items["Batterie al porto"]
    assert tr["url"] == "https://harbour.example.com/en/storage-7"  # the original, not .link
    assert tr["language"] == "it"  # same as the feed, but a translation says so
    assert tr["_syndicate"] == {"translated_from": "en", "engine": "deepl"}

    ja = items[ESCAPE_TITLE]
    assert ja["id"] == "tag:syndicate,2026:tokyo/ja-99"
    assert "url" not in ja and "summary" not in ja
    assert ja["language"] == "ja"
    assert ja["content_html"] == "Il &quot;bando&quot; &lt;2026&gt; &amp; 蓄電池の実証実験"


def test_ids_titles_and_tags_match_the_atom_feed() -> None:
    doc = document()
    atom = feedparser.parse(render_feed(replace(doc, format=FeedFormat.ATOM)))
    assert atom.bozo == 0, atom.get("bozo_exception")
    feed = render(doc)
    assert [e.id for e in atom.entries] == [i["id"] for i in feed["items"]]
    assert [e.title for e in atom.entries] == [i["title"] for i in feed["items"]]
    assert [[t.term for t in e.get("tags", [])] for e in atom.entries] == [
        i.get("tags", []) for i in feed["items"]
    ]


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_rfc3339_and_come_from_the_data() -> None:
    items = items_by_title(render(document()))
    for item in items.values():
        for key in ("date_published", "date_modified"):
            assert RFC3339.match(item[key]), item[key]
            assert datetime.fromisoformat(item[key]).tzinfo is not None

    assert items["Nuovo bando per le startup"]["date_published"] == "2026-11-19T08:00:00+00:00"
    assert items["Nuovo bando per le startup"]["date_modified"] == "2026-11-19T08:00:00+00:00"
    pod = items["Podcast: accumulo di energia"]
    assert pod["date_published"] == "2026-11-18T07:30:00+00:00"
    assert pod["date_modified"] == "2026-11-19T10:15:30+00:00"
    # no dates at all: first_seen for both
    assert items[ESCAPE_TITLE]["date_published"] == "2026-11-20T08:00:00+00:00"
    assert items[ESCAPE_TITLE]["date_modified"] == "2026-11-20T08:00:00+00:00"


def test_updated_only_and_offsets() -> None:
    cet = timezone(timedelta(hours=1))
    only_updated = replace(
        plain().article, published=None, updated=datetime(2026, 11, 19, 10, 0, tzinfo=cet)
    )
    item = render(document(entries=(stored(only_updated),)))["items"][0]
    assert item["date_published"] == "2026-11-19T10:00:00+01:00"
    assert item["date_modified"] == "2026-11-19T10:00:00+01:00"

    # A date without a time zone is refused: the item is left out and reported, not guessed.
    naive = replace(plain().article, published=datetime(2026, 11, 19, 8, 0))
    left_out: list[LeftOut] = []
    feed = json.loads(render_json_feed(document(entries=(stored(naive),)), left_out))
    assert feed["items"] == []
    assert [n.article_id for n in left_out] == [stored(naive).id]
    assert "time zone" in left_out[0].reason


# --- determinism ----------------------------------------------------------------------------


def test_same_document_same_bytes() -> None:
    first = render_json_feed(document(hub="https://hub.example.org/"))
    second = render_json_feed(document(hub="https://hub.example.org/"))  # rebuilt from scratch
    assert first == second
    assert first.endswith(b"}\n") and not first.endswith(b"\n\n")
    assert first.startswith(b'{\n  "version": "https://jsonfeed.org/version/1.1",\n')
    assert "蓄電池".encode() in first  # ensure_ascii=False: UTF-8, not \u escapes
    assert (
        first.decode("utf-8") == json.dumps(json.loads(first), ensure_ascii=False, indent=2) + "\n"
    )


# --- archives, hubs, paging -----------------------------------------------------------------


def test_archive_is_expired_and_has_no_hub_unless_set() -> None:
    archive = render(document(is_archive=True))
    assert archive["expired"] is True
    assert "hubs" not in archive

    live = render(document())
    assert "expired" not in live and "hubs" not in live

    with_hub = render(document(is_archive=True, hub="https://hub.example.org/"))
    assert with_hub["expired"] is True
    assert with_hub["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]


def test_next_url_is_the_older_archive() -> None:
    older = "https://feeds.example.org/it/all-3.json"
    feed = render(
        document(
            archive_links={
                "current": "https://feeds.example.org/it/all.json",
                "prev-archive": older,
                "next-archive": "https://feeds.example.org/it/all-5.json",
            }
        )
    )
    assert feed["next_url"] == older

    only_newer = render(
        document(archive_links={"next-archive": "https://feeds.example.org/it/all-5.json"})
    )
    assert "next_url" not in only_newer


# --- escaping -------------------------------------------------------------------------------


def test_escaping_round_trips() -> None:
    feed = render(document(title=ESCAPE_TITLE, subtitle=ESCAPE_TITLE))
    assert feed["title"] == ESCAPE_TITLE
    assert feed["description"] == ESCAPE_TITLE
    assert items_by_title(feed)[ESCAPE_TITLE]["title"] == ESCAPE_TITLE
