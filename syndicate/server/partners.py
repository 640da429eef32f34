"""Partner access: bearer tokens for private feeds, a rate limit per partner, access counts.

A partner sends ``Authorization: Bearer <token>`` (or ``?token=<token>`` where it cannot set
headers). Tokens are known only by their SHA-256 (``partners[].token_sha256``), so a leaked
config gives no access, and looking a token up by its hash leaks nothing about other tokens
through timing. Every request carrying a partner's token counts against that partner's rate
(a token bucket: ``requests_per_minute`` sustained, ``burst`` at once); above it the answer
is 429 with ``Retry-After``. Private topics' feeds and archives need a token; other feeds
are public, with or without one.

Called from the event loop only (one thread), so the buckets need no lock.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from syndicate.config import Config, PartnerConfig
from syndicate.publish import topic_of
from syndicate.server.headers import bearer_token

__all__ = ["Denied", "PartnerGate", "hash_token"]

_CHALLENGE = b'Bearer realm="syndicate"'


@dataclass(frozen=True)
class Denied:
    """A request turned away: the status, a message for the partner, extra headers."""

    status: int
    reason: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class PartnerAccess:
    """What one partner did since the server started."""

    served: int = 0
    limited: int = 0
    forbidden: int = 0
    last_seen: float | None = None
    topics: Counter[str] = field(default_factory=Counter)


def hash_token(token: str) -> str:
    """The lowercase hex SHA-256 of a token, as ``partners[].token_sha256`` holds it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PartnerGate:
    """Decides, per request for a published file, whether it may be served."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        on_access: Callable[[str, str], None] | None = None,
    ) -> None:
        """``on_access(partner id, outcome)`` is told of each request with a known token
        (outcome: served, limited or forbidden)."""
        self._clock = clock
        self._on_access = on_access
        self._buckets: dict[str, _Bucket] = {}
        self._source: tuple[PartnerConfig, ...] | None = None
        self._by_digest: dict[str, PartnerConfig] = {}
        self.access: dict[str, PartnerAccess] = {}
        #: requests with a token no partner has
        self.unknown_tokens = 0

    def check(
        self, relpath: str, headers: dict[bytes, bytes], query: bytes, config: Config
    ) -> Denied | bool:
        """A :class:`Denied`, or whether the file is private (served to a partner)."""
        topic = topic_of(relpath)
        private = topic is not None and topic in config.private_topics
        token = bearer_token(headers.get(b"authorization")) or _query_token(query)
        if token is None:
            if private:
                return Denied(
                    401,
                    "this feed is for partners: send 'Authorization: Bearer <token>' "
                    "or add ?token=<token> to the URL",
                    ((b"www-authenticate", _CHALLENGE),),
                )
            return False
        partner = self._partner(hash_token(token), config)
        if partner is None:
            self.unknown_tokens += 1
            return Denied(
                401,
                "this token belongs to no partner (ask the operator for yours)",
                ((b"www-authenticate", _CHALLENGE + b', error="invalid_token"'),),
            )
        access = self.access.setdefault(partner.id, PartnerAccess())
        wait = self._take(partner)
        if wait > 0:
            access.limited += 1
            self._tell(partner.id, "limited")
            seconds = max(1, math.ceil(wait))
            return Denied(
                429,
                f"partner {partner.id}: more than {partner.requests_per_minute} requests per "
                f"minute; retry in {seconds} s",
                ((b"retry-after", str(seconds).encode()),),
            )
        if private and partner.topics and topic not in partner.topics:
            access.forbidden += 1
            self._tell(partner.id, "forbidden")
            return Denied(403, f"partner {partner.id} may not read the {topic!r} feeds")
        access.served += 1
        self._tell(partner.id, "served")
        access.last_seen = time.time()
        if topic is not None:
            access.topics[topic] += 1
        return private

    def _tell(self, partner_id: str, outcome: str) -> None:
        if self._on_access is not None:
            self._on_access(partner_id, outcome)

    def _partner(self, digest: str, config: Config) -> PartnerConfig | None:
        if config.partners is not self._source:  # the config was (re)loaded
            self._source = config.partners
            self._by_digest = {p.token_sha256: p for p in config.partners}
            known = {p.id for p in config.partners}
            self._buckets = {k: v for k, v in self._buckets.items() if k in known}
        return self._by_digest.get(digest)

    def _take(self, partner: PartnerConfig) -> float:
        """Take one request from the partner's bucket: 0, or seconds until one is left."""
        now = self._clock()
        rate = partner.requests_per_minute / 60.0
        bucket = self._buckets.get(partner.id)
        if bucket is None:
            bucket = self._buckets[partner.id] = _Bucket(float(partner.burst), now)
        bucket.tokens = min(float(partner.burst), bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


def _query_token(query_string: bytes) -> str | None:
    if b"token=" not in query_string:
        return None
    values = parse_qs(query_string.decode("latin-1")).get("token")
    return values[0] if values else None
