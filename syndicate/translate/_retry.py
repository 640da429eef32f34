"""When a failed request or article is tried again: later in the same pass, or in a later
pass. Pure."""

from __future__ import annotations

from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.retry import backoff_seconds

__all__ = [
    "IN_PASS_RETRIES",
    "MAX_IN_PASS_WAIT",
    "RETRY_BASE",
    "RETRY_MAX",
    "in_pass_wait",
    "next_attempt_delay",
]

#: retries inside one pass for a transient failure, and the longest wait between them
IN_PASS_RETRIES = 2
MAX_IN_PASS_WAIT = 10.0
#: backoff between passes for a pending article: base * 2^attempts, capped
RETRY_BASE = 60.0
RETRY_MAX = 6 * 3600.0


def in_pass_wait(error: TranslationError, attempt: int) -> float | None:
    """How long to wait before sending a request again after its ``attempt``-th failure,
    ``error``; None when it is not tried again in this pass: a permanent failure, a spent
    quota, too many attempts, or a long Retry-After (the next pass honours it, through
    :func:`next_attempt_delay`)."""
    if not error.transient or error.kind is TranslationErrorKind.QUOTA or attempt > IN_PASS_RETRIES:
        return None
    wait = error.retry_after
    if wait is None:
        wait = backoff_seconds(2.0, attempt, float("inf"))  # 2, 4, … seconds
    if wait > MAX_IN_PASS_WAIT:
        return None
    return wait


def next_attempt_delay(attempts: int, retry_after: float | None) -> float:
    """Seconds until an article that failed for the ``attempts``-th time is tried again:
    exponential backoff, capped, and never before the provider's Retry-After."""
    delay = backoff_seconds(RETRY_BASE, attempts, RETRY_MAX)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
