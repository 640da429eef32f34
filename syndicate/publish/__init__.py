"""Publish: feed specs, Atom/RSS rendering (feedgen), atomic writes."""

from syndicate.publish.publisher import PublishReport, feed_specs, publish_feeds

__all__ = ["PublishReport", "feed_specs", "publish_feeds"]
