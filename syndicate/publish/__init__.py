"""Publish: feed specs, Atom/RSS rendering (feedgen), atomic writes; feed paths and URLs."""

from syndicate.models import FeedKey
from syndicate.publish.paths import (
    FEEDS_PREFIX,
    PUBLISHED_SUFFIXES,
    FeedPath,
    archive_relpath,
    feed_relpath,
    feed_url,
    in_archive,
    opml_relpath,
    parse_relpath,
    request_relpath,
    site_path,
    topic_of,
)
from syndicate.publish.publisher import PublishReport, feed_specs, publish_feeds

__all__ = [
    "FEEDS_PREFIX",
    "PUBLISHED_SUFFIXES",
    "FeedKey",
    "FeedPath",
    "PublishReport",
    "archive_relpath",
    "feed_relpath",
    "feed_specs",
    "feed_url",
    "in_archive",
    "opml_relpath",
    "parse_relpath",
    "publish_feeds",
    "request_relpath",
    "site_path",
    "topic_of",
]
