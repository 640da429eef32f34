"""The engine calls of one translation pass: each let out by the circuit breaker and the
budget, retried in the pass when its failure is transient, and counted.

The runner sends every request through :class:`EngineCalls`, a batch's first one and any
second one that insists on the glossary's terms, so that both are allowed, paid for and
counted alike. When the breaker or the budget stops a batch, the pass spends nothing more
and remembers why (:attr:`EngineCalls.stopped`): the jobs left unsent wait with that
reason, its kind and the time it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from syndicate.errors import TranslationError, TranslationErrorKind
from syndicate.translate._retry import in_pass_wait
from syndicate.translate.budget import Budget
from syndicate.translate.circuit import CircuitBreaker
from syndicate.translate.engine import Engine, EngineReply, TranslationRequest

__all__ = ["EngineCalls"]

log = logging.getLogger("syndicate.translate")


@dataclass
class EngineCalls:
    """One pass's requests to one engine: what they may spend and what they spent."""

    engine: Engine
    breaker: CircuitBreaker
    budget: Budget
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[object]]
    requests: int = 0
    chars_billed: int = 0
    #: why the pass stopped spending early (budget, circuit open), if it did
    stopped: str | None = None
    #: the same as a kind, and when it ends (None: not known), for the jobs left unsent
    stop_kind: TranslationErrorKind | None = None
    resume_at: datetime | None = None

    def stop_before(self, chars: int, now: datetime) -> bool:
        """Whether the pass stops spending here, before a batch of ``chars``: the circuit is
        open or the budget spent (the reason is kept in :attr:`stopped`)."""
        if not self.breaker.allows(now):
            self.stopped = f"circuit open after repeated failures ({self.breaker.reason})"
            self.stop_kind = TranslationErrorKind.CIRCUIT_OPEN
            self.resume_at = self.breaker.open_until
            return True
        if not self.budget.allows(chars):
            self.stopped = self.budget.describe(now)
            self.stop_kind = TranslationErrorKind.BUDGET
            self.resume_at = self.budget.resets_at(now)
            log.warning("translation: %s", self.stopped)
            return True
        return False

    def allows(self, chars: int, now: datetime) -> bool:
        """Whether one more request of ``chars`` may go out at ``now``, leaving the pass as it
        is when not (the pass has not stopped, the circuit and the budget let it out)."""
        return not self.stopped and self.breaker.allows(now) and self.budget.allows(chars)

    async def send(self, request: TranslationRequest) -> EngineReply:
        """The engine's reply to ``request``, retried in the pass for transient failures, with
        the breaker told how it went and what it billed spent from the budget; the
        TranslationError of the last try when it failed."""
        try:
            reply = await self._retried(request)
        except TranslationError as exc:
            self.breaker.failed(self.clock(), exc.reason)
            raise
        self.breaker.succeeded()
        self.requests += 1
        self.chars_billed += reply.chars_billed
        self.budget.spend(reply.chars_billed)
        return reply

    async def _retried(self, request: TranslationRequest) -> EngineReply:
        attempt = 0
        while True:
            try:
                return await self.engine.translate(request)
            except TranslationError as exc:
                attempt += 1
                wait = in_pass_wait(exc, attempt)
                if wait is None:
                    raise  # not in this pass: the next one honours a long Retry-After
                await self.sleep(wait)
