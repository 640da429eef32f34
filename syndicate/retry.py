"""When to try again: a server's ``Retry-After``, and exponential backoff. Pure.

Both the poller (a source that fails or asks to wait) and the translation runner (an
engine that fails or rate-limits) read ``Retry-After`` here, so a hostile header is
handled once: a number of seconds or an HTTP date, anything else ignored.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["backoff_seconds", "parse_retry_after", "retry_after_seconds"]

#: the longest wait a Retry-After may ask for (a year): larger numbers are nonsense, and
#: a datetime cannot hold an unbounded one
MAX_RETRY_AFTER = 365 * 24 * 3600.0


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After: 120`` or ``Retry-After: Wed, 25 Nov 2026 15:00:00 GMT`` -> when to
    retry (never before ``now``); None when the header is absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return now + timedelta(seconds=min(seconds, MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when, now), now + timedelta(seconds=MAX_RETRY_AFTER))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """:func:`parse_retry_after` as seconds from ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    when = parse_retry_after(value, now)
    return None if when is None else (when - now).total_seconds()


def backoff_seconds(
    base: float, failures: int, cap: float, rng: random.Random | None = None
) -> float:
    """The wait after ``failures`` consecutive failures: ``base`` doubled per failure beyond
    the first, capped at ``cap``; with ``rng``, "equal jitter" (between half and all of it),
    so that many waiters that failed together do not all come back in the same second."""
    if failures <= 0:
        return base
    ceiling = min(cap, base * 2.0 ** min(failures - 1, 30))
    return ceiling / 2 + rng.uniform(0, ceiling / 2) if rng is not None else ceiling
