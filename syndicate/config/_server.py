"""The ``[server]`` table and ``[[partners]]`` of config.toml: how feeds are served, to whom.

Split from :mod:`syndicate.config`, which calls :func:`read_server` and :func:`read_partners`
and re-exports the types. Secrets never sit in the config: a partner is known by the SHA-256
of its token (``syndicate partners token`` makes a token and prints its hash), and the
operator token is read from the environment variable that ``operator_token_env`` names.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from syndicate.config._positions import KeyPath
from syndicate.config._readers import Checker, parse_duration

__all__ = ["SERVER_KEYS", "PartnerConfig", "ServerConfig", "read_partners", "read_server"]

SERVER_KEYS = {
    "host",
    "port",
    "cache_control",
    "archive_cache_control",
    "cors_origins",
    "operator_token_env",
    "health_max_age",
    "metrics_partner_labels",
    "trusted_proxies",
}
_PARTNER_KEYS = {"id", "token_sha256", "requests_per_minute", "burst", "topics"}
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    #: Cache-Control of feeds, OPML and pages
    cache_control: str = "public, max-age=60"
    #: Cache-Control of RFC 5005 archive documents, which never change once written
    archive_cache_control: str = "public, max-age=31536000, immutable"
    #: origins allowed to read feeds from a browser (CORS); ``"*"`` allows any
    cors_origins: tuple[str, ...] = ()
    #: environment variable holding the token of /status and /api/status
    operator_token_env: str = "SYNDICATE_OPERATOR_TOKEN"
    #: /healthz answers 503 when the last successful poll cycle is older than this, seconds
    health_max_age: float = 30 * 60.0
    #: /metrics names each partner in syndicate_partner_requests_total (off: by outcome only,
    #: so whoever can read /metrics does not learn who the partners are)
    metrics_partner_labels: bool = False
    #: addresses or networks of reverse proxies whose X-Forwarded-Proto is believed (the
    #: operator cookie is Secure when the request reached the proxy over https)
    trusted_proxies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartnerConfig:
    """A partner site allowed to read private feeds, by the hash of its bearer token."""

    id: str
    #: lowercase hex SHA-256 of the token
    token_sha256: str
    #: sustained rate; above it the partner gets 429 with Retry-After
    requests_per_minute: int = 60
    #: requests allowed at once above the sustained rate
    burst: int = 10
    #: private topics this partner may read; empty: every private topic
    topics: tuple[str, ...] = ()


def read_server(check: Checker, t: dict[str, Any]) -> ServerConfig:
    key = ("server",)
    origins = check.strings(t, (*key, "cors_origins"), ())
    for i, origin in enumerate(origins):
        if origin != "*" and not re.match(r"^https?://[^/]+$", origin):
            check.problem(
                (*key, "cors_origins", i),
                f'expected "*" or an origin like "https://partner.example.org" '
                f"(scheme and host, no path), got {origin!r}",
            )
    return ServerConfig(
        host=check.string(t, (*key, "host"), ServerConfig.host),
        port=check.integer(t, (*key, "port"), ServerConfig.port, low=1, high=65535),
        cache_control=check.string(t, (*key, "cache_control"), ServerConfig.cache_control),
        archive_cache_control=check.string(
            t, (*key, "archive_cache_control"), ServerConfig.archive_cache_control
        ),
        cors_origins=origins,
        operator_token_env=check.string(
            t, (*key, "operator_token_env"), ServerConfig.operator_token_env
        ),
        health_max_age=check.value(
            t, (*key, "health_max_age"), ServerConfig.health_max_age, parse_duration
        ),
        metrics_partner_labels=check.boolean(
            t, (*key, "metrics_partner_labels"), ServerConfig.metrics_partner_labels
        ),
        trusted_proxies=_trusted_proxies(check, t, (*key, "trusted_proxies")),
    )


def _trusted_proxies(check: Checker, t: dict[str, Any], key: KeyPath) -> tuple[str, ...]:
    """Each entry an IP address or network (``"127.0.0.1"``, ``"10.0.0.0/8"``, ``"::1"``);
    a network with host bits set (``"10.1.2.3/8"``) is refused, as uvicorn would ignore it."""
    proxies = check.strings(t, key, ServerConfig.trusted_proxies)
    raw = t.get("trusted_proxies")
    for i, proxy in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(proxy, str):
            continue  # check.strings reported it
        try:
            ipaddress.ip_network(proxy)
        except ValueError as exc:
            check.problem(
                (*key, i),
                'expected an IP address or network like "127.0.0.1" or "10.0.0.0/8" (the '
                f"proxy's address as the server sees it, not a host name), got {proxy!r}"
                + (f": {exc}" if "host bits" in str(exc) else ""),
            )
    return proxies


def read_partners(
    check: Checker, data: dict[str, Any], private_topics: set[str]
) -> tuple[PartnerConfig, ...]:
    partners: list[PartnerConfig] = []
    for i, t in check.array_of_tables(data, "partners", _PARTNER_KEYS):
        key = ("partners", i)
        partner_id = check.identifier(t, (*key, "id"))
        if partner_id in {p.id for p in partners}:
            check.problem((*key, "id"), f"partner id {partner_id!r} is defined twice")
        digest = check.string(t, (*key, "token_sha256"), "", required=True).lower()
        if digest and not _SHA256_RE.match(digest):
            check.problem(
                (*key, "token_sha256"),
                "expected the 64 hex digits of the token's SHA-256 (never the token itself; "
                "`syndicate partners token` prints both)",
            )
        if digest in {p.token_sha256 for p in partners}:
            check.problem((*key, "token_sha256"), "the same token is given to two partners")
        topics = check.topic_ids(
            t, (*key, "topics"), private_topics, "a private topic (private = true in [[topics]])"
        )
        partners.append(
            PartnerConfig(
                id=partner_id,
                token_sha256=digest,
                requests_per_minute=check.integer(
                    t, (*key, "requests_per_minute"), PartnerConfig.requests_per_minute, low=1
                ),
                burst=check.integer(t, (*key, "burst"), PartnerConfig.burst, low=1),
                topics=topics,
            )
        )
    return tuple(partners)
