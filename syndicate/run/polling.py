"""When to poll a source next. Pure decisions: no I/O, the clock and randomness passed in.

- a fixed interval, or an adaptive one learned from how often the source publishes;
- jitter, so that sources configured alike do not all fire in the same second;
- exponential backoff with jitter after failures, capped;
- a server's ``Retry-After`` (seconds or an HTTP-date), honoured and capped;
- a permanent redirect adopted only once it was seen on consecutive polls.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from syndicate.config import Config, ScheduleConfig, SourceConfig

__all__ = [
    "REDIRECTS_TO_ADOPT",
    "Interval",
    "adaptive_interval",
    "choose_interval",
    "interval_in_force",
    "jittered",
    "redirect_step",
]

#: consecutive polls that must see the same permanent redirect before the URL is updated
REDIRECTS_TO_ADOPT = 2
#: the publishing history adaptive polling looks at
HISTORY = timedelta(days=30)
#: fewer dated articles than this in HISTORY: not enough to learn from
MIN_HISTORY = 3


@dataclass(frozen=True)
class Interval:
    """A poll interval and, in words, why it was chosen."""

    seconds: float
    reason: str


def jittered(seconds: float, fraction: float, rng: random.Random) -> float:
    """``seconds`` moved at random by up to ``fraction`` of itself, either way."""
    return seconds * (1 + rng.uniform(-fraction, fraction)) if fraction else seconds


def adaptive_interval(
    dates: Sequence[datetime], now: datetime, schedule: ScheduleConfig
) -> Interval:
    """Poll about twice per typical gap between the source's recent articles, within bounds.

    ``dates`` are when the source's articles were published (or first seen when undated).
    A source that published nothing lately is polled at the slowest rate.
    """
    low, high = schedule.min_interval, schedule.max_interval
    recent = sorted(d for d in dates if now - HISTORY <= d <= now)
    if len(recent) < MIN_HISTORY:
        if recent or dates:
            return Interval(
                high,
                f"adaptive: {len(recent)} articles in the last 30 days, "
                f"polled at the slowest rate ({_human(high)})",
            )
        seconds = min(max(schedule.interval, low), high)
        return Interval(seconds, f"adaptive: no history yet, starting at {_human(seconds)}")
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(recent)]
    typical = max(statistics.median(gaps), 1.0)
    seconds = min(max(typical / 2, low), high)
    return Interval(
        seconds,
        f"adaptive: {len(recent)} articles in the last 30 days, typically "
        f"one every {_human(typical)}; polled every {_human(seconds)} "
        f"(bounds {_human(low)}–{_human(high)})",
    )


def choose_interval(
    config: Config, source: SourceConfig, dates: Sequence[datetime], now: datetime
) -> Interval:
    """The source's own interval, else the schedule's (fixed or adaptive)."""
    if source.interval is not None:
        return Interval(source.interval, f"fixed: sources.interval = {_human(source.interval)}")
    if not config.schedule.adaptive:
        seconds = config.schedule.interval
        return Interval(seconds, f"fixed: schedule.interval = {_human(seconds)}")
    return adaptive_interval(dates, now, config.schedule)


def interval_in_force(
    config: Config, source: SourceConfig, learned: float | None, reason: str | None
) -> Interval:
    """The interval a source is polled at now: the one its last poll chose and stored
    (``learned``, with its ``reason``), else the configured one (before its first poll)."""
    if source.interval is not None:
        configured = Interval(source.interval, "configured: sources.interval")
    else:
        configured = Interval(config.schedule.interval, "configured: schedule.interval")
    return Interval(learned or configured.seconds, reason or configured.reason)


def redirect_step(
    moved_to: str | None, moved_count: int, target: str | None
) -> tuple[str | None, int, bool]:
    """Track permanent redirects across polls: (moved_to, moved_count, adopt now?)."""
    if target is None:
        return None, 0, False
    count = moved_count + 1 if target == moved_to else 1
    if count >= REDIRECTS_TO_ADOPT:
        return None, 0, True
    return target, count, False


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value == int(value) else f"{value:.1f}{unit}"
            )
    return f"{seconds:.0f}s"
