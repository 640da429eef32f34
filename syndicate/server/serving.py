"""uvicorn's config for the built-in server, as ``syndicate run`` and ``serve`` start it:
files answered in the server's own protocol (``protocol.py``), connections capped at
``MAX_CONNECTIONS``, tokens redacted from the logs (``logredact.py``)."""

from __future__ import annotations

from typing import Any

import uvicorn

from syndicate.server.app import SyndicateApp
from syndicate.server.logredact import redact_logs
from syndicate.server.protocol import FileFastPath

__all__ = ["MAX_CONNECTIONS", "uvicorn_config"]

#: uvicorn's ``limit_concurrency`` unless told otherwise: connections (or requests in
#: progress) beyond it are answered 503; well under a default limit of 1024 open files
MAX_CONNECTIONS = 1000


def uvicorn_config(app: SyndicateApp, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's config for the built-in server: ``app`` on ``host:port`` with the fast path
    for files (``options`` go to :class:`uvicorn.Config`)."""
    settings: dict[str, Any] = {
        "http": FileFastPath,
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "limit_concurrency": MAX_CONNECTIONS,
        # The app alone decides whom to believe about X-Forwarded-* (server.trusted_proxies,
        # reloadable); uvicorn's own handling would trust loopback whatever the config says.
        "proxy_headers": False,
    }
    settings.update(options)
    config = uvicorn.Config(app, host=host, port=port, **settings)  # configures logging
    redact_logs()
    return config
