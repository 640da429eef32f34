"""The built-in HTTP server: one ASGI app in front of the parts that answer.

  /feeds/…          published feeds, archives and OPML (``files.py``; partners: ``partners.py``)
  /demo/…           the bundled demo sources
  /, /it/, /en/…    the public site (``site.py``)
  /status           the operator page, /api/status the same as JSON (``operator.py``)
  /healthz          database reachable and a recent successful poll cycle, else 503
  /metrics          Prometheus metrics (``syndicate.metrics``)

Feed requests skip Starlette's routing: they are most of the traffic, and most of them end
in a 304. Every other answer carries the page headers (``headers.PAGE_HEADERS``: a CSP,
nosniff, no framing). /healthz is public, so it gives a reason without the database's own
error text (which can hold host names, user names, SQL); the log has the detail.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from syndicate.config import Config
from syndicate.errors import StorageError
from syndicate.metrics import REGISTRY, record_partner_request, record_request
from syndicate.publish import FEEDS_PREFIX
from syndicate.server.files import DEMO_PREFIX, Answer, AnswerKey, FeedFiles, send_answer
from syndicate.server.headers import PAGE_HEADERS, is_https
from syndicate.server.operator import (
    COOKIE,
    SESSION_SECONDS,
    OperatorStatus,
    check_operator,
    operator_status,
    select_sources,
    session_value,
    status_page,
)
from syndicate.server.partners import PartnerGate
from syndicate.server.site import home_page, latest_articles, negotiate, not_found_page
from syndicate.storage import Storage
from syndicate.terms import TermBase, load_term_base

__all__ = ["DEMO_DIR", "SyndicateApp", "create_app"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
_PAGE_HEADERS = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in PAGE_HEADERS]
log = logging.getLogger(__name__)


class SyndicateApp:
    """The ASGI app. ``config`` is replaced when the config is reloaded; ``state.terms``
    (a callable) gives the term base the worker uses, when there is one. ``clock`` measures
    uptime; ``wall_clock`` (Unix seconds) dates operator sessions."""

    def __init__(
        self,
        config: Config,
        storage: Storage | None,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        config.output_dir.mkdir(parents=True, exist_ok=True)
        self.storage = storage
        self.env = os.environ if env is None else env
        self.started = clock()
        self._clock = clock
        self._wall_clock = wall_clock
        self.gate = PartnerGate(clock, on_access=self._count_partner)
        self.site = Starlette(
            routes=[
                Route("/", self.root),
                Route("/healthz", self.healthz),
                Route("/metrics", self.metrics),
                Route("/status", self.status, methods=["GET", "HEAD"]),
                Route("/api/status", self.api_status, methods=["GET", "HEAD"]),
                Route("/{lang}/", self.language_page),
                Route("/{lang}", self.add_slash),
            ]
        )
        self.config = config
        self.state = self.site.state
        self.state.terms = None
        self.feeds = FeedFiles(config.output_dir, gate=self.gate, on_status=record_request)
        self.demo = FeedFiles(DEMO_DIR, prefix=DEMO_PREFIX, on_status=record_request)
        self._terms_for: tuple[Config, TermBase] | None = None

    def _config(self) -> Config:
        return self.config

    def _count_partner(self, partner_id: str, outcome: str) -> None:
        named = self.config.server.metrics_partner_labels  # read per request: reloads apply
        record_partner_request(partner_id if named else None, outcome)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answer = self.answer_file(scope)
            if answer is not None:
                await send_answer(answer, scope["method"] == "HEAD", send)
                return

            async def counted(message: Message) -> None:
                if message["type"] == "http.response.start":
                    record_request(int(message["status"]))
                    message = _with_page_headers(message)
                await send(message)

            await self.site(scope, receive, counted)
            return
        await self.site(scope, receive, send)

    def answer_file(self, scope: Scope) -> Answer | None:
        """The answer for a request under /feeds/ or /demo/ (counted), else None."""
        return self.answer_file_remembered(scope)[0]

    def answer_file_remembered(self, scope: Scope) -> tuple[Answer | None, AnswerKey | None]:
        """:meth:`answer_file`, and the key the answer is remembered by, if it is. The
        server's protocol calls this directly for GET and HEAD (``protocol.py``)."""
        path: str = scope["path"]
        config = self.config
        if path.startswith(FEEDS_PREFIX):
            return self.feeds.answer_remembered(scope, config)
        if path.startswith(DEMO_PREFIX):
            return self.demo.answer_remembered(scope, config)
        return None, None

    def answer_again(self, key: AnswerKey) -> Answer | None:
        """The answer remembered by ``key`` (from :meth:`answer_file_remembered`) while it
        still holds, counted; else None."""
        files = self.feeds if key[1].startswith(FEEDS_PREFIX) else self.demo
        return files.again(key, self.config)

    # -- public site ---------------------------------------------------------------------

    async def root(self, request: Request) -> Response:
        config = self._config()
        lang = negotiate(request.headers.get("accept-language", ""), config.service.languages)
        return RedirectResponse(f"/{lang}/", status_code=302, headers={"Vary": "Accept-Language"})

    async def add_slash(self, request: Request) -> Response:
        lang = request.path_params["lang"]
        if lang in self._config().service.languages:
            return RedirectResponse(f"/{lang}/", status_code=301)
        return self._not_found(request)

    async def language_page(self, request: Request) -> Response:
        config = self._config()
        lang = request.path_params["lang"]
        if lang not in config.service.languages:
            return self._not_found(request)
        latest = await run_in_threadpool(latest_articles, config, lang)
        return HTMLResponse(
            home_page(config, lang, latest),
            headers={"Content-Language": lang, "Cache-Control": config.server.cache_control},
        )

    def _not_found(self, request: Request) -> Response:
        config = self._config()
        lang = negotiate(request.headers.get("accept-language", ""), config.service.languages)
        return HTMLResponse(not_found_page(config, lang, request.url.path), status_code=404)

    # -- operator --------------------------------------------------------------------------

    async def status(self, request: Request) -> Response:
        denied = self._operator(request)
        if denied is not None:
            return denied
        if "token" in request.query_params:  # keep it in a cookie, not in the address bar
            rest = urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            )
            response = RedirectResponse(f"/status{'?' + rest if rest else ''}", status_code=303)
            self._start_session(request, response)
            return response
        snapshot = await run_in_threadpool(self._snapshot)
        health, sort = request.query_params.get("health"), request.query_params.get("sort")
        return HTMLResponse(
            status_page(snapshot, health, sort), headers={"Cache-Control": "no-store"}
        )

    async def api_status(self, request: Request) -> Response:
        denied = self._operator(request)
        if denied is not None:
            return denied
        snapshot = await run_in_threadpool(self._snapshot)
        data = snapshot.to_json()
        health, sort = request.query_params.get("health"), request.query_params.get("sort")
        if health or sort:
            data["sources"] = [s.to_json() for s in select_sources(snapshot.sources, health, sort)]
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    def _start_session(self, request: Request, response: Response) -> None:
        """Set the session cookie (never the token itself: ``operator.session_value``);
        Secure when the browser came over https, directly or through a trusted proxy."""
        config = self._config()
        token = self.env.get(config.server.operator_token_env, "")
        expires = int(self._wall_clock()) + SESSION_SECONDS
        client = request.client.host if request.client else None
        secure = is_https(
            request.url.scheme,
            client,
            request.headers.getlist("x-forwarded-proto"),
            config.server.trusted_proxies,
        )
        response.set_cookie(
            COOKIE,
            session_value(token, expires),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
            secure=secure,
        )

    def _operator(self, request: Request) -> Response | None:
        if self.storage is None:
            return PlainTextResponse("no database: the status pages need one\n", status_code=503)
        problem = check_operator(
            self._config(),
            self.env,
            request.headers.get("authorization"),
            request.query_params.get("token"),
            request.cookies.get(COOKIE),
            self._wall_clock(),
        )
        if problem is None:
            return None
        status, message = problem
        headers = {"WWW-Authenticate": 'Bearer realm="syndicate operator"'} if status == 401 else {}
        return PlainTextResponse(message + "\n", status_code=status, headers=headers)

    def _snapshot(self) -> OperatorStatus:
        config = self._config()
        assert self.storage is not None  # _operator turned the request away
        return operator_status(
            config, self.storage, self._terms(config), self.gate.access, datetime.now(UTC)
        )

    def _terms(self, config: Config) -> TermBase:
        provider = self.state.terms
        if provider is not None:
            terms: TermBase = provider()
            return terms
        if self._terms_for is None or self._terms_for[0] is not config:
            self._terms_for = (config, load_term_base(config))
        return self._terms_for[1]

    # -- probes ------------------------------------------------------------------------------

    def healthz(self, request: Request) -> Response:  # sync: Starlette runs it in a thread
        """200 when the database answers and a poll cycle succeeded recently, else 503."""
        config = self._config()
        if self.storage is None:
            return JSONResponse({"status": "ok", "database": "none"})
        try:
            self.storage.ping()
            cycles = self.storage.worker_cycles()
        except StorageError as exc:
            log.warning("/healthz: the database does not answer: %s", exc)
            return _health(503, "database unreachable")
        successes = [c.last_success_at for c in cycles if c.last_success_at is not None]
        limit = config.server.health_max_age
        if not successes:
            if self._clock() - self.started < limit:
                return _health(200, "starting: no poll cycle has finished yet")
            return _health(503, f"no successful poll cycle in {limit:g} s")
        age = (datetime.now(UTC) - max(successes)).total_seconds()
        if age > limit:
            return _health(
                503, f"last successful poll cycle {age:.0f} s ago (more than {limit:g} s)", age
            )
        return _health(200, "ok", age)

    def metrics(self, request: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _with_page_headers(message: Message) -> Message:
    """``http.response.start`` with the page headers added (those it lacks)."""
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in _PAGE_HEADERS if name not in present]
    return {**message, "headers": headers}


def _health(status: int, message: str, age: float | None = None) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok" if status == 200 else "failing", "detail": message}
    if age is not None:
        body["last_success_age_seconds"] = round(age, 1)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def create_app(
    config: Config, storage: Storage | None = None, *, env: Mapping[str, str] | None = None
) -> SyndicateApp:
    """The ASGI app; ``storage`` is needed for /healthz, /status and /api/status."""
    return SyndicateApp(config, storage, env=env)
