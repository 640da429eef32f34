"""Golden files: fixed input articles (tests/data/publish/articles.json) rendered in each
format must equal the expected files beside them, byte for byte.

After a deliberate change of the output, regenerate them with
``SYNDICATE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/publish/test_golden.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from syndicate.models import Article, Enclosure, FeedFormat, StoredArticle
from syndicate.publish.document import FeedDocument
from syndicate.publish.feedgen_adapter import render_feed
from syndicate.publish.jsonfeed import render_json_feed

DATA = Path(__file__).resolve().parents[1] / "data" / "publish"
UPDATE = os.environ.get("SYNDICATE_UPDATE_GOLDEN") == "1"


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def stored(entry: dict[str, Any]) -> StoredArticle:
    article = Article(
        source_id=entry["source_id"],
        guid=entry["guid"],
        link=entry["link"],
        title=entry["title"],
        summary=entry["summary"],
        content=entry["content"],
        authors=tuple(entry["authors"]),
        categories=tuple(entry["categories"]),
        published=_date(entry["published"]),
        updated=_date(entry["updated"]),
        language=entry["language"],
        content_hash=entry["content_hash"],
        enclosures=tuple(Enclosure(*e) for e in entry["enclosures"]),
        image=entry["image"],
    )
    first_seen, last_changed = _date(entry["first_seen"]), _date(entry["last_changed"])
    assert first_seen and last_changed
    return StoredArticle(
        entry["id"],
        article,
        first_seen,
        last_changed,
        tuple(entry["topics"]),
        translated_from=entry.get("translated_from"),
        translator=entry.get("translator"),
        original_link=entry.get("original_link"),
    )


def document(fmt: FeedFormat) -> FeedDocument:
    data = json.loads((DATA / "articles.json").read_text("utf-8"))
    feed = data["feed"]
    url = feed["self_url"].format(format=fmt.value)
    return FeedDocument(
        format=fmt,
        id=url,
        title=feed["title"],
        subtitle=feed["subtitle"],
        language=feed["language"],
        self_url=url,
        home_url=feed["home_url"],
        alternates=tuple((lang, u.format(format=fmt.value)) for lang, u in feed["alternates"]),
        entries=tuple(stored(e) for e in data["entries"]),
        topic_names=feed["topic_names"],
        hub=feed["hub"],
        archive_links={k: v.format(format=fmt.value) for k, v in feed["archive_links"].items()},
    )


@pytest.mark.parametrize("fmt", list(FeedFormat), ids=[f.value for f in FeedFormat])
def test_golden(fmt: FeedFormat) -> None:
    doc = document(fmt)
    rendered = render_json_feed(doc) if fmt is FeedFormat.JSON else render_feed(doc)
    expected = DATA / f"expected.{fmt.value}"
    if UPDATE:
        expected.write_bytes(rendered)
    assert rendered == expected.read_bytes()
