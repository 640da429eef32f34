"""WebSub: tell the hub a feed changed (``hub.mode=publish``), retrying until it listens.

The publisher queues one ping per changed feed (storage ``hub_pings``); :func:`send_pings`
sends the due ones. A failed ping stays queued with backoff, so a hub that is down is
pinged again later, also after a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from syndicate.storage import Storage

__all__ = ["PingReport", "send_pings"]

log = logging.getLogger("syndicate.publish")

RETRY_BASE = 60.0
RETRY_MAX = 6 * 3600.0


@dataclass(frozen=True)
class PingReport:
    sent: int = 0
    failed: int = 0


def send_pings(
    storage: Storage, now: datetime, *, timeout: float = 10.0, user_agent: str = "syndicate/0.1"
) -> PingReport:
    """Send every due ping, one POST per feed URL. Blocking: run it in a thread."""
    due = storage.due_pings(now)
    if not due:
        return PingReport()
    sent = failed = 0
    with httpx.Client(timeout=timeout, headers={"User-Agent": user_agent}) as client:
        for feed_url, hub, attempts in due:
            try:
                response = client.post(hub, data={"hub.mode": "publish", "hub.url": feed_url})
                problem = None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is None:
                storage.ping_sent(feed_url, now)
                sent += 1
                continue
            delay = min(RETRY_BASE * 2**attempts, RETRY_MAX)
            storage.ping_failed(feed_url, problem, now + timedelta(seconds=delay))
            log.warning("WebSub ping of %s for %s failed: %s", hub, feed_url, problem)
            failed += 1
    return PingReport(sent, failed)
