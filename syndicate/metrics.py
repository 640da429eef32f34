"""Prometheus metrics of this process, served at /metrics.

The worker records each cycle (:func:`record_cycle`); the server records each request
(:func:`record_request`) and each request with a partner's token
(:func:`record_partner_request`). Partner names are labels only when
``server.metrics_partner_labels`` is on: /metrics is usually readable by more people than
/status, and the list of partners is business information.

One registry per process: with ``syndicate run`` it holds both the worker's and the server's;
with ``serve`` and ``worker`` in separate processes, each exposes its own.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Metric,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from syndicate.run import CycleReport, Outcome

__all__ = ["REGISTRY", "record_cycle", "record_partner_request", "record_request"]

REGISTRY = CollectorRegistry(auto_describe=True)
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: noise

FETCHES = Counter(
    "syndicate_fetches",
    "Source fetches, by outcome (new, same-body, not-modified, error).",
    ["outcome"],
    registry=REGISTRY,
)
CYCLE_SECONDS = Histogram(
    "syndicate_cycle_duration_seconds",
    "Poll cycles: fetch, store, translate and publish.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
LAST_CYCLE = Gauge(
    "syndicate_last_cycle_timestamp_seconds",
    "When this process's last poll cycle ended (Unix time).",
    registry=REGISTRY,
)
ARTICLES = Counter(
    "syndicate_articles_ingested",
    "Articles stored, by kind (new, updated).",
    ["kind"],
    registry=REGISTRY,
)
TRANSLATION_CHARS = Counter(
    "syndicate_translation_characters",
    "Characters billed by translation engines.",
    ["engine"],
    registry=REGISTRY,
)
PUBLISH_SECONDS = Histogram(
    "syndicate_publish_duration_seconds",
    "Publishing runs within poll cycles.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
FILES_WRITTEN = Counter(
    "syndicate_feed_files_written",
    "Feed, archive and OPML files written.",
    registry=REGISTRY,
)


class _RequestCounts(Collector):
    """Requests served by status, counted in a plain dict (the server counts every request,
    most of them 304s, from the event loop's one thread) and read at each scrape."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "syndicate_http_requests", "HTTP requests served, by status code.", labels=["status"]
        )
        for status, count in sorted(self.counts.items()):
            family.add_metric([str(status)], count)
        yield family


class _PartnerCounts(Collector):
    """Requests with a partner's token, by partner (None: not named) and outcome; a plain
    dict, like :class:`_RequestCounts`. Unnamed counts have the ``outcome`` label only."""

    NAME = "syndicate_partner_requests"

    def __init__(self) -> None:
        self.counts: dict[tuple[str | None, str], int] = {}

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            self.NAME,
            "Requests with a partner's token, by outcome (served, limited, forbidden) and, "
            "when server.metrics_partner_labels is on, by partner.",
            labels=["outcome"],
        )
        ordered = sorted(self.counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
        for (partner, outcome), count in ordered:
            labels = (
                {"outcome": outcome}
                if partner is None
                else {"partner": partner, "outcome": outcome}
            )
            family.add_sample(f"{self.NAME}_total", labels, count)
        yield family


_REQUESTS = _RequestCounts()
REGISTRY.register(_REQUESTS)
_PARTNER_REQUESTS = _PartnerCounts()
REGISTRY.register(_PARTNER_REQUESTS)


def record_cycle(cycle: CycleReport, *, engine: str | None = None) -> None:
    for outcome in Outcome:
        n = sum(1 for o in cycle.sources if o.outcome is outcome)
        if n:
            FETCHES.labels(outcome.value).inc(n)
    CYCLE_SECONDS.observe(cycle.seconds)
    LAST_CYCLE.set_to_current_time()
    ARTICLES.labels("new").inc(sum(o.result.inserted for o in cycle.sources))
    ARTICLES.labels("updated").inc(sum(o.result.updated for o in cycle.sources))
    if cycle.published is not None:
        PUBLISH_SECONDS.observe(cycle.publish_seconds)
        FILES_WRITTEN.inc(len(cycle.published.written))
    if cycle.translation is not None and engine:
        TRANSLATION_CHARS.labels(engine).inc(cycle.translation.chars_billed)


def record_request(status: int) -> None:
    """Count one HTTP answer (from the event loop's thread)."""
    counts = _REQUESTS.counts
    counts[status] = counts.get(status, 0) + 1


def record_partner_request(partner: str | None, outcome: str) -> None:
    """Count one request with a partner's token (from the event loop's thread); ``partner``
    is None when partners are not to be named in /metrics."""
    counts = _PARTNER_REQUESTS.counts
    key = (partner, outcome)
    counts[key] = counts.get(key, 0) + 1
