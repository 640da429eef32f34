"""The feeds a config asks for and what each document says about itself: the
:class:`FeedDocument` of a feed or archive page before its entries. Their paths and URLs are
``paths.py``'s."""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.config import Config
from syndicate.i18n import all_feeds_title, feed_subtitle
from syndicate.models import FeedFormat, FeedKey, FeedSpec, StoredArticle
from syndicate.publish.document import FeedDocument
from syndicate.publish.paths import feed_relpath, feed_url

__all__ = ["FORMATS", "feed_document", "feed_specs"]

FORMATS = (FeedFormat.ATOM, FeedFormat.RSS, FeedFormat.JSON)


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


def feed_document(
    config: Config,
    spec: FeedSpec,
    entries: Sequence[StoredArticle],
    archive_links: dict[str, str],
    *,
    relpath: str | None = None,
    is_archive: bool = False,
) -> FeedDocument:
    """The document of ``spec``'s feed (or, with ``relpath``, of one of its archive pages)."""
    base = config.service.base_url
    url = feed_url(base, relpath or spec.relpath)
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
            (lang, feed_url(base, feed_relpath(FeedKey(lang, spec.topic, spec.format.value))))
            for lang in others
        ),
        entries=tuple(entries),
        topic_names={t.id: t.title_in(spec.lang) for t in config.topics},
        hub=config.publish.hub,
        archive_links=archive_links,
        is_archive=is_archive,
    )
