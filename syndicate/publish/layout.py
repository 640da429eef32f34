"""Where published files live and what each document says about itself: the feeds a config
asks for, their paths and URLs (the URL scheme the README documents), and the
:class:`FeedDocument` of a feed or archive page before its entries."""

from __future__ import annotations

from collections.abc import Sequence

from syndicate.config import Config
from syndicate.i18n import all_feeds_title, feed_subtitle
from syndicate.models import FeedFormat, FeedSpec, StoredArticle
from syndicate.publish.document import FeedDocument

__all__ = ["FORMATS", "archive_relpath", "feed_document", "feed_specs", "feed_url"]

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


def archive_relpath(lang: str, topic: str, month: str, fmt: FeedFormat, page: int = 1) -> str:
    """Where a page of a month's archive lives: page 1 at ``it/archive/energy/2026-10.atom``
    (the URL a month's single document always had), page 2 at ``…/2026-10-p2.atom``."""
    suffix = "" if page == 1 else f"-p{page}"
    return f"{lang}/archive/{topic}/{month}{suffix}.{fmt.value}"


def feed_url(config: Config, relpath: str) -> str:
    return f"{config.service.base_url}/feeds/{relpath}"


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
    url = feed_url(config, relpath or spec.relpath)
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
            (lang, feed_url(config, f"{lang}/{spec.topic}.{spec.format.value}")) for lang in others
        ),
        entries=tuple(entries),
        topic_names={t.id: t.title_in(spec.lang) for t in config.topics},
        hub=config.publish.hub,
        archive_links=archive_links,
        is_archive=is_archive,
    )
