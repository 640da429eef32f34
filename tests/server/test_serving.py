"""Serving on another uvicorn (``server/serving.py``): the fast path is taken only when the
installed uvicorn and httptools have what it builds on; else the server runs on uvicorn's
own protocol, answers the same, and says why in one warning."""

from __future__ import annotations

import hashlib
import inspect
import logging
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import uvicorn
import uvicorn.protocols.http.auto  # uvicorn's own protocol, bound before the fakes below
import uvicorn.server
from uvicorn.protocols.http import httptools_impl

from syndicate.server import SyndicateApp, create_app, uvicorn_config
from syndicate.server.protocol import FileFastPath
from syndicate.server.serving import HTTPTOOLS_IMPL, fast_path_missing

from .conftest import Site, serve

PUBLIC = "/feeds/it/energy.atom"
WARNING = "serving without the file fast path"


def fake_impl(**names: Any) -> types.ModuleType:
    """A stand-in for uvicorn's private module: its names, changed by ``names`` (None:
    missing)."""
    fake = types.ModuleType(HTTPTOOLS_IMPL)
    fake.HttpToolsProtocol = httptools_impl.HttpToolsProtocol  # type: ignore[attr-defined]
    fake.STATUS_LINE = httptools_impl.STATUS_LINE  # type: ignore[attr-defined]
    for name, value in names.items():
        if value is None:
            delattr(fake, name)
        else:
            setattr(fake, name, value)
    return fake


class ProtocolWithLimits(httptools_impl.HttpToolsProtocol):
    """uvicorn's protocol as a release might change it: one more parameter."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: uvicorn.server.ServerState,
        app_state: dict[str, Any],
        limits: Any,
        _loop: Any = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)


class StateWithoutHeaders:
    """uvicorn's ServerState as a release might change it: the default headers elsewhere."""

    def __init__(self) -> None:
        self.total_requests = 0
        self.connections: set[Any] = set()
        self.tasks: set[Any] = set()


def no_status_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, HTTPTOOLS_IMPL, fake_impl(STATUS_LINE=None))


def another_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        sys.modules, HTTPTOOLS_IMPL, fake_impl(HttpToolsProtocol=ProtocolWithLimits)
    )


def status_lines_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, HTTPTOOLS_IMPL, fake_impl(STATUS_LINE={200: b"HTTP/1.1 200"}))


def no_private_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, HTTPTOOLS_IMPL, None)  # importing it raises ImportError


def another_server_state(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("uvicorn.server")
    fake.ServerState = StateWithoutHeaders  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "uvicorn.server", fake)


def no_httptools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httptools", None)


def an_old_httptools(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("httptools")
    for name in ("HttpParserError", "HttpParserCallbackError", "HttpParserUpgrade", "parse_url"):
        setattr(fake, name, object)
    fake.HttpRequestParser = type("HttpRequestParser", (), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "httptools", fake)


CHANGES: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    "no STATUS_LINE": (no_status_line, "has no STATUS_LINE"),
    "another constructor": (
        another_constructor,
        "takes (config, server_state, app_state, limits, _loop)",
    ),
    "other status lines": (status_lines_elsewhere, "STATUS_LINE[100] is not a status line"),
    "no private module": (no_private_module, f"{HTTPTOOLS_IMPL} cannot be imported"),
    "another ServerState": (another_server_state, "ServerState has no default_headers"),
    "no httptools": (no_httptools, "httptools is not installed"),
    "an old httptools": (an_old_httptools, "no set_dangerous_leniencies"),
}


def test_the_installed_uvicorn_has_what_the_fast_path_needs() -> None:
    assert fast_path_missing() is None
    signature = inspect.signature(httptools_impl.HttpToolsProtocol)
    assert tuple(signature.parameters) == ("config", "server_state", "app_state", "_loop")


def test_the_fast_path_is_taken_on_the_installed_uvicorn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="syndicate.server"):
        config = uvicorn_config(NoApp(), "127.0.0.1", 9)
    assert config.http is FileFastPath
    assert WARNING not in caplog.text
    # a protocol asked for is used as it is, unchecked
    assert uvicorn_config(NoApp(), "127.0.0.1", 9, http="h11").http == "h11"


class NoApp(SyndicateApp):
    """An app for configs that are never served."""

    def __init__(self) -> None:
        pass


@pytest.mark.parametrize("change", CHANGES)
def test_a_changed_uvicorn_or_httptools_turns_the_fast_path_off(
    change: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    patch, reason = CHANGES[change]
    patch(monkeypatch)
    missing = fast_path_missing()
    assert missing is not None and reason in missing
    with caplog.at_level(logging.WARNING, logger="syndicate.server"):
        config = uvicorn_config(NoApp(), "127.0.0.1", 9)
    assert config.http == "auto"  # uvicorn's own protocol
    warnings = [r for r in caplog.records if WARNING in r.getMessage()]
    assert len(warnings) == 1 and reason in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()


@pytest.mark.parametrize("change", ["no STATUS_LINE", "another constructor"])
def test_without_the_fast_path_feeds_are_served_the_same(
    change: str,
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    original = SyndicateApp.__call__

    async def spy(self: SyndicateApp, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(SyndicateApp, "__call__", spy)
    CHANGES[change][0](monkeypatch)
    app = create_app(site.config, site.storage)
    published = (site.config.output_dir / "it" / "energy.atom").read_bytes()
    etag = '"' + hashlib.sha256(published).hexdigest()[:32] + '"'
    identity = {"Accept-Encoding": "identity"}
    with (
        caplog.at_level(logging.WARNING, logger="syndicate.server"),
        serve(app) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        full = client.get(PUBLIC, headers=identity)
        assert full.status_code == 200 and full.content == published
        assert full.headers["etag"] == etag
        assert full.headers["content-type"] == "application/atom+xml; charset=utf-8"
        again = client.get(PUBLIC, headers={**identity, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        gz = client.get(PUBLIC)  # the .gz twin, decoded by httpx
        assert gz.headers["content-encoding"] == "gzip" and gz.content == published
        assert client.get("/healthz").status_code == 200
        # the same answers as the fast path gives (but for the date)
        fast = site.get(PUBLIC, headers=identity)
        assert (fast.status_code, fast.content) == (200, published)
        assert without_date(fast.headers) == without_date(full.headers)
        # every request went through uvicorn's own protocol and ASGI
        assert calls == [PUBLIC, PUBLIC, PUBLIC, "/healthz"]
    warnings = [r for r in caplog.records if WARNING in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    assert warnings[0].levelno == logging.WARNING and warnings[0].name == "syndicate.server"


def without_date(headers: httpx.Headers) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.multi_items() if k != "date"]


def test_importing_the_server_does_not_import_uvicorns_private_module() -> None:
    """On a uvicorn without that module, ``syndicate.server`` imports and configures."""
    code = f"""
import logging, sys
sys.modules[{HTTPTOOLS_IMPL!r}] = None
import syndicate.server
from syndicate.server import create_app, uvicorn_config
assert "syndicate.server.protocol" not in sys.modules
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
class App(syndicate.server.SyndicateApp):
    def __init__(self): pass
config = uvicorn_config(App(), "127.0.0.1", 9)
assert config.http == "auto", config.http
assert "syndicate.server.protocol" not in sys.modules
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(WARNING) == 1, done.stderr
    assert f"{HTTPTOOLS_IMPL} cannot be imported" in done.stderr
