"""A circuit breaker per engine: after repeated failures, stop calling for a while.

Closed: calls go through. After ``threshold`` failures in a row it opens: no calls until
``cooldown`` has passed. Then one trial call is let through (half-open): success closes
it, failure opens it again for twice as long (up to ``max_cooldown``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["CircuitBreaker"]


@dataclass
class CircuitBreaker:
    threshold: int = 5
    cooldown: float = 60.0
    max_cooldown: float = 3600.0
    failures: int = 0
    open_until: datetime | None = None
    #: the failure that opened it, for operators
    reason: str = ""
    _next_cooldown: float = field(default=0.0, repr=False)

    def allows(self, now: datetime) -> bool:
        """Whether a call may go out now (closed, or half-open after the cooldown)."""
        return self.open_until is None or now >= self.open_until

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = None
        self.reason = ""
        self._next_cooldown = 0.0

    def failed(self, now: datetime, reason: str) -> None:
        self.failures += 1
        half_open = self.open_until is not None and now >= self.open_until
        if half_open or self.failures >= self.threshold:
            wait = min(self._next_cooldown or self.cooldown, self.max_cooldown)
            self.open_until = now + timedelta(seconds=wait)
            self._next_cooldown = min(wait * 2, self.max_cooldown)
            self.reason = reason
