"""Decide which feeds to write and write the ones whose content changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from syndicate.config import Config, UntranslatedPolicy
from syndicate.models import FeedFormat, FeedSpec, StoredArticle
from syndicate.publish.atomic import write_atomic
from syndicate.publish.document import FeedDocument
from syndicate.publish.feedgen_adapter import render_feed
from syndicate.publish.translated import translated_article
from syndicate.storage import Storage
from syndicate.terms.gloss import gloss_article
from syndicate.terms.model import Glossary

__all__ = ["PublishReport", "feed_specs", "publish_feeds"]

FORMATS = (FeedFormat.ATOM, FeedFormat.RSS)

# Feed metadata per language until the gettext catalogs arrive with the publisher issue.
_ALL_TITLE = {"it": "Tutte le notizie", "en": "All news", "ja": "すべてのニュース"}
_SUBTITLE = {
    "it": "{title}: articoli in italiano",
    "en": "{title}: articles in English",
    "ja": "{title}：日本語の記事",
}


@dataclass(frozen=True)
class PublishReport:
    """What a publish run did. Sent by the publisher to the scheduler and CLI."""

    #: paths written, relative to the output directory
    written: tuple[str, ...]
    #: feeds whose content had not changed
    unchanged: int


def feed_specs(config: Config) -> list[FeedSpec]:
    """Every feed the config asks for: per language, ``all`` and each topic, in each format."""
    specs: list[FeedSpec] = []
    for lang in config.service.languages:
        topics = [("all", _ALL_TITLE.get(lang, "All"))]
        topics += [(t.id, t.title_in(lang)) for t in config.topics]
        for topic, title in topics:
            subtitle = _SUBTITLE.get(lang, "{title} ({lang})").format(title=title, lang=lang)
            specs.extend(FeedSpec(lang, topic, fmt, title, subtitle) for fmt in FORMATS)
    return specs


def publish_feeds(
    config: Config,
    storage: Storage,
    now: datetime,
    *,
    force: bool = False,
    glossary: Glossary | None = None,
) -> PublishReport:
    """Write every feed whose content changed since it was last written (or is missing).

    With ``translation.untranslated`` = ``gloss`` (the default) or ``original``, a language's
    feeds also carry the articles written in the other languages: glossed (a header and a
    key-terms box in the feed's language) or as they are; with ``skip`` they are left out.
    """
    glossary = glossary or Glossary()
    policy = config.translation.untranslated
    hashes = storage.feed_hashes()
    written: list[str] = []
    unchanged = 0
    cache: dict[tuple[str, str], list[StoredArticle]] = {}
    for spec in feed_specs(config):
        key = (spec.lang, spec.topic)
        if key not in cache:
            cache[key] = _entries(config, storage, spec, glossary)
        doc = _document(config, spec, cache[key])
        digest = _digest(
            doc, f"{policy.value}:{glossary.version}:{config.translation.output.value}"
        )
        path = config.output_dir / spec.relpath
        state_key = (spec.lang, spec.topic, spec.format.value)
        if not force and hashes.get(state_key) == digest and path.exists():
            unchanged += 1
            continue
        write_atomic(path, render_feed(doc))
        storage.save_feed_hash(state_key, digest, now)
        written.append(spec.relpath)
    return PublishReport(tuple(written), unchanged)


def _entries(
    config: Config, storage: Storage, spec: FeedSpec, glossary: Glossary
) -> list[StoredArticle]:
    """The feed's entries: its language's articles, the others' translations where done,
    and the rest under the untranslated policy (glossed, original, or left out)."""
    policy = config.translation.untranslated
    translating = config.translation.enabled and spec.lang in config.translation.targets
    everyone = policy is not UntranslatedPolicy.SKIP or translating
    languages = config.service.languages if everyone else [spec.lang]
    topic = None if spec.topic == "all" else spec.topic
    stored = storage.articles_for_feed(languages, topic, config.publish.max_entries)
    others = [s.id for s in stored if s.article.language != spec.lang]
    done = storage.translations_for(others, spec.lang) if translating and others else {}
    entries: list[StoredArticle] = []
    for s in stored:
        if s.article.language == spec.lang:
            entries.append(s)
        elif s.id in done:
            entries.append(translated_article(s, done[s.id], config.translation.output))
        elif policy is UntranslatedPolicy.GLOSS:
            entries.append(gloss_article(s, spec.lang, glossary))
        elif policy is UntranslatedPolicy.ORIGINAL:
            entries.append(s)
    return entries


def _document(config: Config, spec: FeedSpec, entries: Sequence[StoredArticle]) -> FeedDocument:
    base = config.service.base_url
    url = f"{base}/feeds/{spec.relpath}"
    others = [lang for lang in config.service.languages if lang != spec.lang]
    return FeedDocument(
        format=spec.format,
        id=url,
        title=spec.title,
        subtitle=spec.subtitle,
        language=spec.lang,
        self_url=url,
        home_url=f"{base}/",
        alternates=tuple(
            (lang, f"{base}/feeds/{lang}/{spec.topic}.{spec.format.value}") for lang in others
        ),
        entries=tuple(entries),
        topic_names={t.id: t.title_in(spec.lang) for t in config.topics},
    )


def _digest(doc: FeedDocument, salt: str) -> str:
    """A hash of everything that shapes the file: metadata and each entry's identity and
    version, and (``salt``) the policy and glossary that shape glossed entries."""
    entries = [
        (
            e.id,
            e.article.content_hash,
            e.last_changed.isoformat(),
            e.translator,
            e.article.title if e.translator else None,
            e.article.content if e.translator else None,
            list(e.topics),
            [(m.concept, m.term, m.count, m.in_title) for m in e.mentions],
        )
        for e in doc.entries
    ]
    meta = [
        doc.format.value,
        doc.id,
        doc.title,
        doc.subtitle,
        doc.language,
        doc.self_url,
        doc.home_url,
        list(doc.alternates),
        sorted(doc.topic_names.items()),
    ]
    blob = json.dumps([salt, meta, entries], ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()
