"""The HTML around every page: escaping, the document shell, a small stylesheet.

Every value that reaches a page goes through :func:`h` (text and attributes) or
:func:`safe_url` (links): titles and URLs come from feeds we do not control.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

__all__ = ["STYLE", "document", "h", "safe_url"]

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#1b1b1b}
header{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:1rem}
nav.languages a{margin-left:.75rem}
nav.languages a[aria-current]{font-weight:bold;text-decoration:none;color:inherit}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.feeds a{margin-right:.5rem}
.private{color:#8a4b00}
.health-failing,.health-disabled{color:#b00020;font-weight:bold}
.health-ok{color:#1b6e20}
small,.meta{color:#555}
""".strip()


def h(value: object) -> str:
    """Text or attribute value, escaped (quotes included)."""
    return html.escape(str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL or a path on this site, else None (no
    ``javascript:``, ``data:`` or other schemes reach an href)."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def document(lang: str, title: str, body: str, *, head: str = "") -> str:
    """A whole HTML page; ``body`` and ``head`` are HTML already escaped by the caller."""
    return (
        f'<!doctype html>\n<html lang="{h(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{h(title)}</title>\n{head}<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
