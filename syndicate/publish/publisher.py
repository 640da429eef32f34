"""Write the feeds whose content changed (``plan.py`` decides which, from data alone).

Per language and per topic (plus ``all``): Atom, RSS and JSON Feed files holding the newest
``publish.max_entries`` entries; per past month, RFC 5005 archive pages (``archives.py``),
written once and never again (``--force`` writes again those gone from disk, from the spans
recorded for them); OPML lists of every feed. Each file is written atomically with a
precompressed ``.gz`` beside it, and only when its content changed, so an unchanged feed
keeps its bytes and its HTTP validators.

Every call brings one output directory up to the database, whichever node stored the
changes: the database's change log (``storage/changes.py``) says which topics changed
since the change the directory reflects, and the directory's own state (``written.py``)
says what each of its files was written from. Several nodes, each with its own directory,
thus converge on the same bytes; a node that was down catches up on its first publish.

Failures stay small: an entry that cannot be rendered is left out of that file and
reported (:class:`LeftOut`); a feed that cannot be rendered at all is reported, keeps its
previous file and is tried again next time, and the other feeds are written as usual.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

from syndicate.config import Config
from syndicate.i18n import language_label, opml_title
from syndicate.models import FeedKey, FeedSpec, StoredArticle
from syndicate.publish.archives import ArchiveWriter
from syndicate.publish.atomic import AtomicWriter
from syndicate.publish.document import FeedDocument, LeftOut
from syndicate.publish.entries import FeedEntries, next_month
from syndicate.publish.feeds import feed_document, feed_specs
from syndicate.publish.opml import OpmlFeed, OpmlGroup, render_opml
from syndicate.publish.paths import archive_relpath, feed_url, opml_relpath
from syndicate.publish.plan import (
    archive_months_to_write,
    linked_months,
    opml_writes,
    plan_publish,
)
from syndicate.publish.render import render
from syndicate.publish.written import Written, load_written, save_written
from syndicate.storage import Storage
from syndicate.terms.model import Glossary

__all__ = ["PublishReport", "feed_specs", "publish_feeds"]

#: the feed_state row that remembers what the OPML lists were written from, and since when
_OPML_KEY = FeedKey("", "index", "opml")
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


def publish_feeds(
    config: Config,
    storage: Storage,
    now: datetime,
    *,
    force: bool = False,
    glossary: Glossary | None = None,
) -> PublishReport:
    """Bring the output directory up to the database: write every feed whose content changed
    since it was last written there (or is missing), the archive months it lacks, and the
    OPML lists. Cheap when nothing changed: one query.

    With ``translation.untranslated`` = ``gloss`` (the default) or ``original``, a language's
    feeds also carry the articles written in the other languages: translated where an
    engine has done so, else glossed (a header and a key-terms box in the feed's language)
    or as they are; with ``skip`` untranslated ones are left out.

    Only the ``all`` feeds and the feeds of the topics the change log names are read, unless
    the directory's state is missing or was written with another config or glossary (then
    every feed is checked). ``force`` checks every feed and every archive file on disk.
    """
    glossary = glossary or Glossary()
    before = load_written(config.output_dir)
    state = before or Written()
    changes = storage.feed_changes_since(state.generation if before else None)
    setup = _setup_digest(config, glossary)
    this_month = f"{now.astimezone(UTC):%Y-%m}"
    specs = feed_specs(config)
    # files gone (a directory emptied but for its hidden state): archives checked on disk
    complete = all(_exists(config, spec.relpath) for spec in specs)  # a few stats
    plan = plan_publish(
        before, changes, setup=setup, month=this_month, complete=complete, force=force
    )
    if plan.idle:
        return PublishReport((), len(specs))  # nothing changed, on any node
    months = _closed_months(config, storage, now)
    keys = [spec.key for spec in specs]
    unarchived = storage.missing_archives(keys, months)
    if plan.check_disk:  # what is on disk counts; the rest is written again
        done = {(*key, month) for key in keys for month in months} - unarchived
        pages = storage.archive_page_counts(months)  # every month's: they all get looked at
        gone = _archives_gone(config, specs, months, unarchived, pages)
        state.archives = {key: pages.get(key, 1) for key in done - gone}
        unarchived |= gone
    else:  # months another node wrote, not this one: written here from their recorded spans
        unarchived = archive_months_to_write(keys, months, unarchived, state.archives.keys())
        pages = storage.archive_page_counts(linked_months(months, unarchived))
    salt = (
        f"{config.translation.untranslated.value}:{glossary.version}:"
        f"{config.translation.output.value}"
    )
    shared = storage.feed_hashes()  # what any node last wrote: a change there is pinged
    archives: list[str] = []
    written: list[str] = []
    changed_urls: list[str] = []
    saved: list[tuple[FeedKey, str]] = []
    unchanged = 0
    left_out: list[LeftOut] = []
    failed: list[tuple[str, str]] = []
    read = FeedEntries(config, storage, glossary)
    archiver = ArchiveWriter(config, storage, read, now, left_out, failed)
    with AtomicWriter() as writer:
        archives += _write_archives(config, archiver, specs, months, unarchived, pages)
        state.archives |= {key: pages.get(key, 1) for key in archiver.saved}
        for (lang, topic), group in _by_feed(specs):
            missing = any((*spec.key, month) in unarchived for spec in group for month in months)
            if not plan.reads(topic, archive_missing=missing):
                unchanged += len(group)
                continue
            entries = read.newest(lang, topic)
            entries_digest = _entries_digest(entries, salt)  # the same in every format
            for spec in group:
                links = (
                    {"prev-archive": _archive_url(config, spec, months[-1], pages)}
                    if months
                    else {}
                )
                doc = feed_document(config, spec, entries, links)
                digest = _digest(doc, entries_digest)
                key = spec.key
                on_disk = partial(_exists, config, spec.relpath)
                if not plan.writes(digest, state.feeds.get(key), on_disk=on_disk):
                    unchanged += 1
                    continue
                data = _render_or_report(doc, spec.relpath, left_out, failed)
                if data is None:
                    continue
                # mtime: the feed's last change, the same on every node writing it
                writer.add(
                    config.output_dir / spec.relpath, data, gzip_twin=True, modified=doc.updated
                )
                state.feeds[key] = digest
                written.append(spec.relpath)
                if shared.get(key) != digest:  # news to every node: ping the hub once
                    saved.append((key, digest))
                    changed_urls.append(doc.self_url)
        opml = _opml_documents(config, specs)
        opml_digest = _hash(repr(opml))  # plain frozen dataclasses and strings: a stable repr

        def lists_on_disk() -> bool:
            return all(_exists(config, relpath) for relpath, _, _ in opml)

        if opml_writes(opml_digest, state.feeds.get(_OPML_KEY, ""), on_disk=lists_on_disk):
            since = storage.first_published(_OPML_KEY, opml_digest, now)
            for relpath, title, groups in opml:
                writer.add(
                    config.output_dir / relpath,
                    render_opml(title, groups),
                    gzip_twin=True,
                    modified=since,
                )
                written.append(relpath)
            state.feeds[_OPML_KEY] = f"{opml_digest}@{since.isoformat()}"
    # Saved once every file is in place: a crash before that only means identical files
    # written again. A file that could not be written keeps this directory at its earlier
    # change, so the next publish looks at the same feeds again.
    if not failed:  # (with a failure, an old or missing setup keeps the next one full too)
        state.generation, state.setup, state.month = changes.latest, setup, this_month
    save_written(config.output_dir, state)
    storage.save_feed_hashes(saved, now)
    if config.publish.hub and changed_urls:
        storage.queue_pings(config.publish.hub, changed_urls, now)
    return PublishReport(
        (*written, *archives), unchanged, tuple(archives), tuple(left_out), tuple(failed)
    )


def _setup_digest(config: Config, glossary: Glossary) -> str:
    """A hash of what shapes every feed besides the articles: the config and the glossary."""
    return _hash(f"{config!r}:{glossary.version}")


def _render_or_report(
    doc: FeedDocument, relpath: str, left_out: list[LeftOut], failed: list[tuple[str, str]]
) -> bytes | None:
    """The file's bytes, or None when it cannot be rendered (reported in ``failed``)."""
    try:
        return render(doc, left_out)
    except Exception as exc:  # a bug or bad data in one feed must not stop the others
        log.exception("feed %s not written: it could not be rendered", relpath)
        failed.append((relpath, f"{type(exc).__name__}: {exc}"[:300]))
        return None


def _exists(config: Config, relpath: str) -> bool:
    return (config.output_dir / relpath).exists()


def _archive_url(
    config: Config, spec: FeedSpec, month: str, pages: dict[tuple[str, str, str, str], int]
) -> str:
    """The URL of the last page of a feed's archive of ``month`` (the first, until the
    month is written: it is written before any document links to it)."""
    last = pages.get((*spec.key, month), 1)
    return feed_url(config.service.base_url, archive_relpath(spec.key, month, last))


def _write_archives(
    config: Config,
    archiver: ArchiveWriter,
    specs: Sequence[FeedSpec],
    months: Sequence[str],
    unarchived: set[tuple[str, str, str, str]],
    pages: dict[tuple[str, str, str, str], int],
) -> list[str]:
    """The missing archive months of every feed, a language's month at a time (read once
    for all its feeds), oldest month first: each month's first page links to the last page
    before it. ``pages`` learns each month's number of pages."""
    written: list[str] = []
    for lang in config.service.languages:
        for index, month in enumerate(months):
            feeds: dict[str, list[FeedSpec]] = {}
            for spec in specs:
                if spec.lang == lang and (*spec.key, month) in unarchived:
                    feeds.setdefault(spec.topic, []).append(spec)
            if not feeds:
                continue
            before = months[index - 1] if index else None
            prev_links = {
                topic: {s.format: _archive_url(config, s, before, pages) for s in todo}
                for topic, todo in feeds.items()
                if before
            }
            for topic, (count, paths) in archiver.write_month(
                lang, month, feeds, prev_links
            ).items():
                written += paths
                pages.update({(*s.key, month): count for s in feeds[topic]})
    return written


def _archives_gone(
    config: Config,
    specs: Sequence[FeedSpec],
    months: Sequence[str],
    unarchived: set[tuple[str, str, str, str]],
    pages: dict[tuple[str, str, str, str], int],
) -> set[tuple[str, str, str, str]]:
    """The archive months marked written whose first or last page is not on disk."""
    gone = set()
    for spec in specs:
        for month in months:
            key = (*spec.key, month)
            if key in unarchived:
                continue
            ends = {1, pages.get(key, 1)}
            paths = (archive_relpath(spec.key, month, n) for n in ends)
            if not all(_exists(config, path) for path in paths):
                gone.add(key)
    return gone


def _by_feed(specs: Sequence[FeedSpec]) -> Iterator[tuple[tuple[str, str], list[FeedSpec]]]:
    """The specs grouped by (language, topic), in order: one query serves every format."""
    groups: dict[tuple[str, str], list[FeedSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.lang, spec.topic), []).append(spec)
    yield from groups.items()


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
        month = next_month(month)
    return months


def _month_start(when: datetime) -> date:
    return when.astimezone(UTC).date().replace(day=1)


def _opml_documents(
    config: Config, specs: Sequence[FeedSpec]
) -> list[tuple[str, str, list[OpmlGroup]]]:
    """(path, title, groups) of ``index.opml`` (every public feed, by language) and of each
    ``{lang}/index.opml``."""
    private = config.private_topics
    groups = []
    for lang in config.service.languages:
        feeds = tuple(
            OpmlFeed(
                title=spec.title,
                xml_url=feed_url(config.service.base_url, spec.relpath),
                html_url=f"{config.service.base_url}/",
                language=lang,
                format=spec.format.value,
                description=spec.subtitle,
            )
            for spec in specs
            if spec.lang == lang and spec.topic not in private
        )
        groups.append(OpmlGroup(language_label(lang), feeds))
    documents = [(opml_relpath(), opml_title(None), groups)]
    documents += [
        (opml_relpath(g.feeds[0].language), opml_title(g.feeds[0].language), [g])
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
