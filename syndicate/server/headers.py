"""Reading request headers the server answers by: quality lists and bearer tokens. Pure."""

from __future__ import annotations

__all__ = ["bearer_token", "qualities"]


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
