"""uvicorn's config for the built-in server, as ``syndicate run`` and ``serve`` start it:
files answered in the server's own protocol (``protocol.py``) when the installed uvicorn
has what it builds on, connections capped at ``MAX_CONNECTIONS``, tokens redacted from the
logs (``logredact.py``).

The file fast path builds on uvicorn internals that are not its public API: its httptools
protocol (``HttpToolsProtocol``, made with the keywords uvicorn's server passes to every
HTTP protocol, for the requests handed over), its status lines (``STATUS_LINE``) and the
attributes of its ``ServerState`` (the connection and task sets, the ``date`` and
``server`` headers, the request count); and on httptools' parser. uvicorn has changed such
internals between releases. So at start :func:`fast_path_missing` imports uvicorn's
private module (whatever that raises is caught) and checks each of them. When one is
missing or different, the server runs on uvicorn's own protocol and logs one warning that
says why: every request goes through ASGI (the same answers, slower 304s) and request
heads have no cap but uvicorn's own (``headcap.py`` is part of the fast path). Importing
``syndicate.server`` never imports uvicorn's private module: ``protocol.py`` (which does)
is imported only once the check has passed.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from typing import Any

import uvicorn

from syndicate.server.app import SyndicateApp
from syndicate.server.logredact import redact_logs

__all__ = ["HTTPTOOLS_IMPL", "MAX_CONNECTIONS", "fast_path_missing", "uvicorn_config"]

log = logging.getLogger("syndicate.server")

#: uvicorn's ``limit_concurrency`` unless told otherwise: connections (or requests in
#: progress) beyond it are answered 503; well under a default limit of 1024 open files
MAX_CONNECTIONS = 1000
#: uvicorn's private module the fast path imports its protocol and status lines from
HTTPTOOLS_IMPL = "uvicorn.protocols.http.httptools_impl"
#: the parameters of uvicorn's HTTP protocols: uvicorn's server makes the fast path's
#: protocol with them, and the fast path makes uvicorn's for a connection handed over
_PROTOCOL_PARAMETERS = ("config", "server_state", "app_state", "_loop")
#: the attributes of uvicorn's ServerState the fast path reads or changes, and their types
_SERVER_STATE = {"connections": set, "tasks": set, "default_headers": list, "total_requests": int}
#: uvicorn's settings the fast path reads from its config
_CONFIG_SETTINGS = ("root_path", "limit_concurrency", "timeout_keep_alive", "access_log")
#: what the fast path (and the head-size cap) use of httptools
_HTTPTOOLS_NAMES = (
    "HttpRequestParser",
    "HttpParserError",
    "HttpParserCallbackError",
    "HttpParserUpgrade",
    "parse_url",
)


def fast_path_missing() -> str | None:
    """None when the installed uvicorn and httptools have all the file fast path builds on
    (see the module), else what is missing or different, in a few words."""
    try:
        httptools = importlib.import_module("httptools")
    except ImportError:
        return "httptools is not installed"
    missing = [name for name in _HTTPTOOLS_NAMES if not hasattr(httptools, name)]
    if missing:
        return f"httptools has no {', '.join(missing)}"
    if not hasattr(httptools.HttpRequestParser, "set_dangerous_leniencies"):
        return "httptools' parser has no set_dangerous_leniencies (httptools < 0.6.2?)"
    settings = inspect.signature(uvicorn.Config).parameters
    missing = [name for name in _CONFIG_SETTINGS if name not in settings]
    if missing:
        return f"uvicorn.Config takes no {', '.join(missing)}"
    try:
        impl = importlib.import_module(HTTPTOOLS_IMPL)
    except Exception as exc:  # anything raised while importing it: not usable here
        return f"{HTTPTOOLS_IMPL} cannot be imported ({type(exc).__name__}: {exc})"
    missing = [name for name in ("HttpToolsProtocol", "STATUS_LINE") if not hasattr(impl, name)]
    if missing:
        return f"{HTTPTOOLS_IMPL} has no {', '.join(missing)}"
    problem = _protocol_problem(impl.HttpToolsProtocol) or _status_lines_problem(impl.STATUS_LINE)
    return problem or _server_state_problem()


def _protocol_problem(protocol: Any) -> str | None:
    if not (isinstance(protocol, type) and issubclass(protocol, asyncio.Protocol)):
        return "HttpToolsProtocol is not an asyncio.Protocol class"
    try:
        parameters = inspect.signature(protocol).parameters
    except (TypeError, ValueError):
        return "HttpToolsProtocol's signature cannot be read"
    if tuple(parameters) != _PROTOCOL_PARAMETERS or any(
        p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters.values()
    ):
        expected = ", ".join(_PROTOCOL_PARAMETERS)
        return f"HttpToolsProtocol takes ({', '.join(parameters)}), not ({expected})"
    if parameters["_loop"].default is inspect.Parameter.empty:
        return "HttpToolsProtocol's _loop has no default"
    return None


def _status_lines_problem(lines: Any) -> str | None:
    """Whether ``STATUS_LINE`` maps every status to its line, as the fast path writes them."""
    for status in range(100, 600):
        line = lines.get(status) if isinstance(lines, dict) else None
        if not isinstance(line, bytes) or not line.startswith(b"HTTP/1.1 %d " % status):
            return f"STATUS_LINE[{status}] is not a status line"
    return None


def _server_state_problem() -> str | None:
    state_class = getattr(importlib.import_module("uvicorn.server"), "ServerState", None)
    if state_class is None:
        return "uvicorn.server has no ServerState"
    try:
        state = state_class()
    except Exception as exc:  # another constructor: what it holds is not known
        return f"ServerState() failed ({type(exc).__name__}: {exc})"
    for name, kind in _SERVER_STATE.items():
        if not isinstance(getattr(state, name, None), kind):
            return f"ServerState has no {name} ({kind.__name__})"
    return None


def uvicorn_config(app: SyndicateApp, host: str, port: int, **options: Any) -> uvicorn.Config:
    """uvicorn's config for the built-in server: ``app`` on ``host:port`` with the fast path
    for files when uvicorn has what it needs (``options`` go to :class:`uvicorn.Config`;
    with ``http`` in them, that protocol is used and nothing is checked)."""
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        "limit_concurrency": MAX_CONNECTIONS,
        # The app alone decides whom to believe about X-Forwarded-* (server.trusted_proxies,
        # reloadable); uvicorn's own handling would trust loopback whatever the config says.
        "proxy_headers": False,
    }
    settings.update(options)
    missing = None
    if "http" not in settings:
        missing = fast_path_missing()
        if missing is None:
            # imports uvicorn's private module: only now that it is known to fit
            from syndicate.server.protocol import FileFastPath

            settings["http"] = FileFastPath
    config = uvicorn.Config(app, host=host, port=port, **settings)  # configures logging
    redact_logs()
    if missing is not None:
        log.warning(
            "uvicorn %s: serving without the file fast path and its cap on request heads, "
            "every request through uvicorn's own protocol and ASGI, because %s",
            uvicorn.__version__,
            missing,
        )
    return config
