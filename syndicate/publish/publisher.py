"""Decide which feeds to write and write the ones whose content changed.

Per language and per topic (plus ``all``): Atom, RSS and JSON Feed files holding the newest
``publish.max_entries`` entries; per past month, RFC 5005 archive documents, written once
and never again; OPML lists of every feed. Each file is written atomically with a
precompressed ``.gz`` beside it, and only when its content changed (a hash of what shapes
it is kept in ``feed_state``), so an unchanged feed keeps its bytes and its HTTP validators.

Failures stay small: an entry that cannot be rendered is left out of that file and
reported (:class:`LeftOut`); a feed that cannot be rendered at all is reported, keeps its
previous file and is tried again next time, and the other feeds are written as usual.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from syndicate.config import Config, UntranslatedPolicy
from syndicate.i18n import (
    all_feeds_title,
    archive_title,
    feed_subtitle,
    language_label,
    opml_title,
)
from syndicate.models import FeedFormat, FeedSpec, StoredArticle
from syndicate.publish.atomic import AtomicWriter, write_files_atomic
from syndicate.publish.document import FeedDocument, LeftOut
from syndicate.publish.feedgen_adapter import render_feed
from syndicate.publish.jsonfeed import render_json_feed
from syndicate.publish.opml import OpmlFeed, OpmlGroup, render_opml
from syndicate.publish.translated import translated_article
from syndicate.storage import Storage
from syndicate.terms.gloss import gloss_article
from syndicate.terms.model import Glossary

__all__ = ["PublishReport", "archive_relpath", "feed_specs", "publish_feeds"]

FORMATS = (FeedFormat.ATOM, FeedFormat.RSS, FeedFormat.JSON)
#: the feed_state row that remembers what the OPML lists were written from
_OPML_KEY = ("", "index", "opml")
log = logging.getLogger("syndicate.publish")


@dataclass(frozen=True)
class PublishReport:
    """What a publish run did. Sent by the publisher to the scheduler and CLI."""

    #: paths written (feeds, archives, OPML), relative to the output directory
    written: tuple[str, ...]
    #: feeds whose content had not changed
    unchanged: int
    #: of ``written``, the archive documents
    archives: tuple[str, ...] = ()
    #: entries left out of a file because they could not be rendered
    left_out: tuple[LeftOut, ...] = ()
    #: (path, reason) of files that could not be rendered: their previous version stays,
    #: and the next publish tries again
    failed: tuple[tuple[str, str], ...] = ()


def feed_specs(config: Config) -> list[FeedSpec]:
    """Every feed the config asks for: per language, ``all`` and each topic, in each format."""
    specs: list[FeedSpec] = []
    for lang in config.service.languages:
        topics = [("all", all_feeds_title(lang))]
        topics += [(t.id, t.title_in(lang)) for t in config.topics]
        for topic, title in topics:
            subtitle = feed_subtitle(lang, title)
            specs.extend(FeedSpec(lang, topic, fmt, title, subtitle) for fmt in FORMATS)
    return specs


def archive_relpath(lang: str, topic: str, month: str, fmt: FeedFormat) -> str:
    """Where a month's archive document lives: ``it/archive/energy/2026-10.atom``."""
    return f"{lang}/archive/{topic}/{month}.{fmt.value}"


def publish_feeds(
    config: Config,
    storage: Storage,
    now: datetime,
    *,
    force: bool = False,
    glossary: Glossary | None = None,
    topics: Collection[str] | None = None,
) -> PublishReport:
    """Write every feed whose content changed since it was last written (or is missing),
    the archive documents of months that ended since, and the OPML lists.

    With ``translation.untranslated`` = ``gloss`` (the default) or ``original``, a language's
    feeds also carry the articles written in the other languages: translated where an
    engine has done so, else glossed (a header and a key-terms box in the feed's language)
    or as they are; with ``skip`` untranslated ones are left out.

    ``topics``: only the ``all`` feeds and these topics' feeds can have changed (what a poll
    cycle's upserts report), so the others are not even read. Archives and OPML are checked
    either way.
    """
    glossary = glossary or Glossary()
    hashes = storage.feed_hashes()
    months = _closed_months(config, storage, now)
    specs = feed_specs(config)
    unarchived = storage.missing_archives(
        [(s.lang, s.topic, s.format.value) for s in specs], months
    )
    salt = (
        f"{config.translation.untranslated.value}:{glossary.version}:"
        f"{config.translation.output.value}"
    )
    archives: list[str] = []
    written: list[str] = []
    changed_urls: list[str] = []
    # Hashes saved once every file is in place: a crash before that only means identical
    # files written again.
    saved: list[tuple[tuple[str, str, str], str]] = []
    unchanged = 0
    left_out: list[LeftOut] = []
    failed: list[tuple[str, str]] = []
    read = _Reader(config, storage, glossary)
    with AtomicWriter() as writer:
        for (lang, topic), group in _by_feed(specs):
            missing = [
                (month, spec)
                for month in months
                for spec in group
                if (lang, topic, spec.format.value, month) in unarchived
            ]
            # A month that just ended changes every feed's prev-archive link: no skipping.
            if topics is not None and topic != "all" and topic not in topics and not missing:
                unchanged += len(group)
            else:
                entries = read.entries(lang, topic)
                entries_digest = _entries_digest(entries, salt)  # the same in every format
                for spec in group:
                    doc = _document(config, spec, entries, _prev_archive(config, spec, months))
                    digest = _digest(doc, entries_digest)
                    key = (spec.lang, spec.topic, spec.format.value)
                    if not force and hashes.get(key) == digest and _exists(config, spec.relpath):
                        unchanged += 1
                        continue
                    data = _render_or_report(doc, spec.relpath, left_out, failed)
                    if data is None:
                        continue
                    writer.add(config.output_dir / spec.relpath, data, gzip_twin=True)
                    saved.append((key, digest))
                    written.append(spec.relpath)
                    changed_urls.append(doc.self_url)
            if missing:
                archives += _write_archives(
                    config, storage, read, missing, months, now, left_out, failed
                )
        opml = _opml_documents(config, specs)
        opml_digest = _hash(repr(opml))  # plain frozen dataclasses and strings: a stable repr
        if hashes.get(_OPML_KEY) != opml_digest or not all(_exists(config, p) for p, _, _ in opml):
            for relpath, title, groups in opml:
                writer.add(config.output_dir / relpath, render_opml(title, groups), gzip_twin=True)
                written.append(relpath)
            saved.append((_OPML_KEY, opml_digest))
    storage.save_feed_hashes(saved, now)
    if config.publish.hub and changed_urls:
        storage.queue_pings(config.publish.hub, changed_urls, now)
    return PublishReport(
        (*written, *archives), unchanged, tuple(archives), tuple(left_out), tuple(failed)
    )


def _render_or_report(
    doc: FeedDocument, relpath: str, left_out: list[LeftOut], failed: list[tuple[str, str]]
) -> bytes | None:
    """The file's bytes, or None when it cannot be rendered (reported in ``failed``)."""
    try:
        return _render(doc, left_out)
    except Exception as exc:  # a bug or bad data in one feed must not stop the others
        log.exception("feed %s not written: it could not be rendered", relpath)
        failed.append((relpath, f"{type(exc).__name__}: {exc}"[:300]))
        return None


def _exists(config: Config, relpath: str) -> bool:
    return (config.output_dir / relpath).exists()


def _prev_archive(config: Config, spec: FeedSpec, months: Sequence[str]) -> dict[str, str]:
    """A feed's RFC 5005 link to the newest archive document, if there is one."""
    if not months:
        return {}
    return {
        "prev-archive": _url(
            config, archive_relpath(spec.lang, spec.topic, months[-1], spec.format)
        )
    }


def _write_archives(
    config: Config,
    storage: Storage,
    read: _Reader,
    missing: Sequence[tuple[str, FeedSpec]],
    months: Sequence[str],
    now: datetime,
    left_out: list[LeftOut],
    failed: list[tuple[str, str]],
) -> list[str]:
    """The missing (month, spec) archive documents of one feed, read in one query; those
    that cannot be rendered are reported in ``failed`` and tried again next time."""
    lang, topic = missing[0][1].lang, missing[0][1].topic
    span = (missing[0][0], max(month for month, _ in missing))
    by_month: dict[str, list[StoredArticle]] = {}
    for entry in read.entries(lang, topic, months=span):
        by_month.setdefault(f"{entry.sort_date.astimezone(UTC):%Y-%m}", []).append(entry)
    written = (
        _write_archive(
            config, storage, spec, month, months, by_month.get(month, []), now, left_out, failed
        )
        for month, spec in missing
    )
    return [relpath for relpath in written if relpath is not None]


def _by_feed(specs: Sequence[FeedSpec]) -> Iterator[tuple[tuple[str, str], list[FeedSpec]]]:
    """The specs grouped by (language, topic), in order: one query serves every format."""
    groups: dict[tuple[str, str], list[FeedSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.lang, spec.topic), []).append(spec)
    yield from groups.items()


def _render(doc: FeedDocument, left_out: list[LeftOut] | None = None) -> bytes:
    if doc.format is FeedFormat.JSON:
        return render_json_feed(doc, left_out)
    return render_feed(doc, left_out)


def _url(config: Config, relpath: str) -> str:
    return f"{config.service.base_url}/feeds/{relpath}"


def _closed_months(config: Config, storage: Storage, now: datetime) -> list[str]:
    """The months (``YYYY-MM``) from the oldest article's to last month, oldest first, at
    most ``publish.archive_months`` of them (a bogus 1970 date must not make 600 files)."""
    oldest = storage.oldest_article_date(config.service.languages)
    if oldest is None or config.publish.archive_months == 0:
        return []
    current = _month_start(now)
    earliest = current
    for _ in range(config.publish.archive_months):
        earliest = (earliest - timedelta(days=1)).replace(day=1)
    months: list[str] = []
    month = max(_month_start(oldest), earliest)
    while month < current:
        months.append(f"{month:%Y-%m}")
        month = _next_month(month)
    return months


def _month_start(when: datetime) -> date:
    return when.astimezone(UTC).date().replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


class _Reader:
    """Reads feeds' entries: a language's articles, the others' translations where done,
    and the rest under the untranslated policy (glossed, original, or left out). Feeds of
    different languages often read the same newest rows; that query runs once per publish."""

    def __init__(self, config: Config, storage: Storage, glossary: Glossary) -> None:
        self.config = config
        self.storage = storage
        self.glossary = glossary
        self._rows: dict[tuple[tuple[str, ...], str], list[StoredArticle]] = {}

    def entries(
        self, lang: str, topic: str, *, months: tuple[str, str] | None = None
    ) -> list[StoredArticle]:
        """A feed's entries. With ``months`` (first and last ``YYYY-MM``), every entry of
        those months (for archives); else the newest ``publish.max_entries``."""
        config = self.config
        policy = config.translation.untranslated
        translating = config.translation.enabled and lang in config.translation.targets
        everyone = policy is not UntranslatedPolicy.SKIP or translating
        languages = tuple(config.service.languages if everyone else [lang])
        stored = self._read(languages, topic, months)
        others = [s.id for s in stored if s.article.language != lang]
        done = self.storage.translations_for(others, lang) if translating and others else {}
        entries: list[StoredArticle] = []
        for s in stored:
            if s.article.language == lang:
                entries.append(s)
            elif s.id in done:
                entries.append(translated_article(s, done[s.id], config.translation.output))
            elif policy is UntranslatedPolicy.GLOSS:
                entries.append(gloss_article(s, lang, self.glossary))
            elif policy is UntranslatedPolicy.ORIGINAL:
                entries.append(s)
        return entries

    def _read(
        self, languages: tuple[str, ...], topic: str, months: tuple[str, str] | None
    ) -> list[StoredArticle]:
        """The newest rows of a feed, kept for the other languages' feeds of this publish;
        a span of months (archives, possibly most of the table) is read and let go."""
        if months is not None:
            return self._query(languages, topic, months)
        key = (languages, topic)
        if key not in self._rows:
            self._rows[key] = self._query(languages, topic, None)
        return self._rows[key]

    def _query(
        self, languages: tuple[str, ...], topic: str, months: tuple[str, str] | None
    ) -> list[StoredArticle]:
        window: dict[str, datetime] = {}
        if months is not None:
            start = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=UTC)
            end = _next_month(datetime.strptime(months[1], "%Y-%m").date())
            window = {"since": start, "before": datetime(end.year, end.month, 1, tzinfo=UTC)}
        private = [t.id for t in self.config.topics if t.private]
        return self.storage.articles_for_feed(
            list(languages),
            None if topic == "all" else topic,
            None if months else self.config.publish.max_entries,
            # a private topic's articles stay out of the public feeds, "all" included
            exclude_topics=[] if topic in private else private,
            **window,
        )


def _write_archive(
    config: Config,
    storage: Storage,
    spec: FeedSpec,
    month: str,
    months: Sequence[str],
    entries: Sequence[StoredArticle],
    now: datetime,
    left_out: list[LeftOut],
    failed: list[tuple[str, str]],
) -> str | None:
    """One month's immutable archive document (RFC 5005), linked to the feed and to the
    months before and after (the next month's URL is known before it is written); None
    when it cannot be rendered."""
    index = months.index(month)
    following = _next_month(datetime.strptime(month, "%Y-%m").date())
    links = {"current": _url(config, spec.relpath)}
    if index > 0:
        links["prev-archive"] = _url(
            config, archive_relpath(spec.lang, spec.topic, months[index - 1], spec.format)
        )
    links["next-archive"] = _url(
        config, archive_relpath(spec.lang, spec.topic, f"{following:%Y-%m}", spec.format)
    )
    relpath = archive_relpath(spec.lang, spec.topic, month, spec.format)
    title = archive_title(spec.lang, spec.title, datetime.strptime(month, "%Y-%m").date())
    archive_spec = FeedSpec(spec.lang, spec.topic, spec.format, title, spec.subtitle)
    doc = _document(config, archive_spec, entries, links, relpath=relpath, is_archive=True)
    data = _render_or_report(doc, relpath, left_out, failed)
    if data is None:
        return None
    write_files_atomic({config.output_dir / relpath: data}, gzip_twins=True)
    storage.save_archive(
        (spec.lang, spec.topic, spec.format.value, month), hashlib.sha256(data).hexdigest(), now
    )
    return relpath


def _document(
    config: Config,
    spec: FeedSpec,
    entries: Sequence[StoredArticle],
    archive_links: dict[str, str],
    *,
    relpath: str | None = None,
    is_archive: bool = False,
) -> FeedDocument:
    base = config.service.base_url
    url = _url(config, relpath or spec.relpath)
    others = [lang for lang in config.service.languages if lang != spec.lang]
    return FeedDocument(
        format=spec.format,
        id=url,
        title=spec.title,
        subtitle=spec.subtitle,
        language=spec.lang,
        self_url=url,
        home_url=f"{base}/",
        alternates=()
        if is_archive
        else tuple(
            (lang, _url(config, f"{lang}/{spec.topic}.{spec.format.value}")) for lang in others
        ),
        entries=tuple(entries),
        topic_names={t.id: t.title_in(spec.lang) for t in config.topics},
        hub=config.publish.hub,
        archive_links=archive_links,
        is_archive=is_archive,
    )


def _opml_documents(
    config: Config, specs: Sequence[FeedSpec]
) -> list[tuple[str, str, list[OpmlGroup]]]:
    """(path, title, groups) of ``index.opml`` (every public feed, by language) and of each
    ``{lang}/index.opml``."""
    private = {t.id for t in config.topics if t.private}
    groups = []
    for lang in config.service.languages:
        feeds = tuple(
            OpmlFeed(
                title=spec.title,
                xml_url=_url(config, spec.relpath),
                html_url=f"{config.service.base_url}/",
                language=lang,
                format=spec.format.value,
                description=spec.subtitle,
            )
            for spec in specs
            if spec.lang == lang and spec.topic not in private
        )
        groups.append(OpmlGroup(language_label(lang), feeds))
    documents = [("index.opml", opml_title(None), groups)]
    documents += [
        (f"{g.feeds[0].language}/index.opml", opml_title(g.feeds[0].language), [g])
        for g in groups
        if g.feeds
    ]
    return documents


def _entries_digest(entries: Sequence[StoredArticle], salt: str) -> str:
    """A hash of each entry's identity and version, and (``salt``) of the policy and
    glossary that shape glossed entries."""
    shapes = [
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
        for e in entries
    ]
    return _hash(json.dumps([salt, shapes], ensure_ascii=False))


def _digest(doc: FeedDocument, entries_digest: str) -> str:
    """A hash of everything that shapes the file: its metadata and its entries' digest."""
    return _hash(json.dumps([entries_digest, doc.metadata()], ensure_ascii=False))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
