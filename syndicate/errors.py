"""The one exception tree of syndicate.

::

    SyndicateError                    root: every error syndicate raises on purpose
     ├── ConfigError(problems)        config.toml is wrong; carries every problem found
     ├── StorageError                 the database failed for a reason that is not a bug
     ├── SourceError(source_id)       one source failed; the others carry on
     │    └── FetchError              the HTTP fetch failed (network, status, size, policy)
     ├── GlossaryError(path, line)    a glossary file is wrong
     ├── TranslationError(engine)     a translation engine failed (timeout, 429, quota, …)
     └── PublishError                 a feed could not be written

Lower-level errors are mapped at the boundary with ``raise ... from exc``; anything
unexpected is re-raised unchanged so that a bug stays a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "FailureKind",
    "FetchError",
    "GlossaryError",
    "PublishError",
    "SourceError",
    "StorageError",
    "SyndicateError",
    "TranslationError",
    "TranslationErrorKind",
]


class SyndicateError(Exception):
    """Root of every error syndicate raises on purpose."""

    message = "syndicate error"

    def __str__(self) -> str:
        return super().__str__() or self.message


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file: where, which key, and what."""

    #: the config file
    path: Path
    #: 1-based line, or None when the key is missing from the file
    line: int | None
    #: dotted key path such as ``sources[2].interval``
    key: str
    #: what is wrong, in words an operator can act on
    message: str

    def __str__(self) -> str:
        where = f"{self.path.name}:{self.line}" if self.line else self.path.name
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(SyndicateError):
    """The configuration is wrong; ``problems`` lists every problem found, in file order."""

    message = "invalid configuration"

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.key))
        super().__init__("\n".join(str(p) for p in self.problems))


class StorageError(SyndicateError):
    """The database failed for a reason that is not a bug (unreachable, locked, ...)."""

    message = "storage error"


class SourceError(SyndicateError):
    """One source failed; carries the source id."""

    message = "source error"

    def __init__(self, source_id: str, message: str) -> None:
        self.source_id = source_id
        super().__init__(f"{source_id}: {message}")


class FailureKind(StrEnum):
    """Why a source's poll failed, for operators (``sources status``) and decisions."""

    #: an HTTP status other than 200/304 (the status says which)
    HTTP = "http"
    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    REDIRECTS = "redirects"
    #: the body (or its decoded form) is over ``fetch.max_bytes``
    TOO_LARGE = "too-large"
    #: the URL names a private, loopback or otherwise refused address
    REFUSED_ADDRESS = "refused-address"
    REFUSED_SCHEME = "refused-scheme"
    #: a broken HTTP answer or content coding
    PROTOCOL = "protocol"
    NOT_A_FEED = "not-a-feed"
    #: a bug of syndicate's while handling this source (the others carry on)
    INTERNAL = "internal"


class FetchError(SourceError):
    """An HTTP fetch failed: network error, bad status, oversized body, refused address.

    ``kind`` names the failure (:class:`FailureKind`); for ``HTTP`` see ``status``.
    """

    message = "fetch failed"

    def __init__(
        self,
        source_id: str,
        message: str,
        *,
        kind: FailureKind = FailureKind.HTTP,
        status: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        self.kind = kind
        self.status = status
        self.reason = message
        #: the raw Retry-After header of a 429/503 answer
        self.retry_after = retry_after
        super().__init__(source_id, message)


class GlossaryError(SyndicateError):
    """A glossary file is wrong at ``path:line``."""

    message = "glossary error"

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class PublishError(SyndicateError):
    """A feed could not be written."""

    message = "publish error"


class TranslationErrorKind(StrEnum):
    """Why a translation waits or failed, for operators (``translations status``, stored
    with the job) and decisions (retry now, later, or never)."""

    TIMEOUT = "timeout"
    NETWORK = "network"
    #: HTTP 429
    RATE_LIMITED = "rate-limited"
    #: the provider's quota (e.g. DeepL's 456): not tried again in the same pass
    QUOTA = "quota"
    #: HTTP 5xx
    UNAVAILABLE = "unavailable"
    #: an answer we cannot use, or one that drops or adds segments
    MALFORMED = "malformed"
    #: a missing or refused key: trying again does not help
    AUTH = "auth"
    #: another 4xx: trying again does not help
    REJECTED = "rejected"
    #: not sent: our own character budget is spent
    BUDGET = "budget"
    #: not sent: the engine's circuit breaker is open after repeated failures
    CIRCUIT_OPEN = "circuit-open"
    #: not sent in this pass for another reason
    DEFERRED = "deferred"


class TranslationError(SyndicateError):
    """A translation engine call failed; the articles concerned wait and are retried.

    ``kind`` names the failure for operators and decisions (:class:`TranslationErrorKind`).
    ``retry_after`` is the delay in seconds the engine asked for, if any.
    """

    message = "translation error"

    def __init__(
        self,
        engine: str,
        message: str,
        *,
        kind: TranslationErrorKind,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.engine = engine
        self.kind = kind
        self.status = status
        self.reason = message
        self.retry_after = retry_after
        super().__init__(f"{engine}: {message}")

    @property
    def transient(self) -> bool:
        """Whether trying again later can help (everything but a bad key or request)."""
        return self.kind not in {TranslationErrorKind.AUTH, TranslationErrorKind.REJECTED}
