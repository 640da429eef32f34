"""Headers, both ways: the request headers the server answers by (quality lists, bearer
tokens, whether a request came over TLS) and the headers every page is sent with. Pure.

Pages carry a Content-Security-Policy that allows nothing but their own stylesheet (by its
SHA-256, so an injected ``<style>`` or ``<script>`` does not run), may not be framed
(``frame-ancestors 'none'``, and ``X-Frame-Options`` for browsers older than CSP 2) and are
never sniffed into another type (``nosniff``).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Iterable

from syndicate.server.html_page import STYLE

__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "bearer_token", "is_https", "qualities"]


def _style_hash(style: str) -> str:
    digest = hashlib.sha256(style.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


#: The policy of every page: its one inline stylesheet, images from the site (the favicon),
#: no scripts, no plugins, no forms, no <base>, no framing.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_style_hash(STYLE)}; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Sent with every answer that is not a published file (pages, /status, /healthz, /metrics).
PAGE_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
)


def qualities(header: str) -> list[tuple[str, float]]:
    """The items of a list header with their ``q`` (``Accept-Encoding``,
    ``Accept-Language``): ``"gzip;q=0.5, br"`` -> ``[("gzip", 0.5), ("br", 1.0)]``, in
    header order; a ``q`` that is not a number counts as 0 (refused)."""
    items = []
    for part in header.split(","):
        token, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if token.strip():
            items.append((token.strip(), q))
    return items


def bearer_token(header: str | bytes | None) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    if header is None:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    scheme, _, value = text.strip().partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def is_https(
    scheme: str,
    client_host: str | None,
    forwarded_proto: Iterable[str],
    trusted_proxies: Iterable[str],
) -> bool:
    """Whether the browser reached us over TLS: the request's own ``scheme`` is https, or it
    came from one of ``trusted_proxies`` (addresses or networks) and the last
    ``X-Forwarded-Proto`` value (the one that proxy set) is https. Anyone else's
    ``X-Forwarded-Proto`` is ignored."""
    if scheme == "https":
        return True
    values = [v.strip().lower() for header in forwarded_proto for v in header.split(",")]
    if not values or values[-1] != "https" or not client_host:
        return False
    return _address_in(client_host, trusted_proxies)


def _address_in(host: str, networks: Iterable[str]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a Unix socket path or a name: not a configured proxy
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 from a dual-stack socket
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:  # the config check reports it
            continue
    return False
