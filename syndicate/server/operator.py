"""The operator's view: /status (HTML) and /api/status (JSON), behind the operator token.

What is broken comes first: failing and disabled sources lead the table (``?health=`` keeps
one kind, ``?sort=`` orders by id, articles or next poll), then the workers' last cycles,
the translation queue and budget, the glossary with its problems, partners' access and the
WebSub pings still to send.

The token is the value of the environment variable ``server.operator_token_env`` names;
it is accepted as ``Authorization: Bearer`` or as ``?token=``, which redirects to the same
page without it (so the token leaves the address bar and the logs) and sets a session
cookie. Without the variable set, the pages are off.

The cookie never holds the token: it holds an expiry and an HMAC-SHA256 of it under a key
derived from the token (:func:`session_value`), so a cookie that leaks (a shared browser
profile, a backup, a proxy that logs cookies) opens the pages for at most
:data:`SESSION_SECONDS` and gives nothing that works as a Bearer token or on ``?token=``.
Every node with the same token accepts the same cookie; changing the token ends every
session at once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syndicate.config import Config
from syndicate.models import WorkerCycle
from syndicate.server.headers import bearer_token
from syndicate.server.html_page import document, h
from syndicate.server.partners import PartnerAccess
from syndicate.status import Health, SourceStatus, source_statuses
from syndicate.storage import Storage
from syndicate.terms import TermBase
from syndicate.terms.load import concept_problems
from syndicate.translate import TranslationStatusReport, translation_status

__all__ = [
    "COOKIE",
    "SESSION_SECONDS",
    "OperatorStatus",
    "check_operator",
    "operator_status",
    "select_sources",
    "session_value",
    "status_page",
]

COOKIE = "syndicate_operator"
#: how long the cookie set by ``/status?token=…`` opens the pages
SESSION_SECONDS = 12 * 3600
SORTS = ("health", "id", "articles", "next_poll")


@dataclass(frozen=True)
class OperatorStatus:
    """Everything /status shows. Built by :func:`operator_status`, rendered here."""

    generated_at: datetime
    sources: list[SourceStatus]
    cycles: list[WorkerCycle]
    translation: TranslationStatusReport | None
    glossary_version: str
    glossary_files: list[str]
    glossary_problems: list[str]
    partners: dict[str, PartnerAccess]
    pending_pings: int

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "sources": [s.to_json() for s in self.sources],
            "cycles": [
                {
                    "owner": c.owner,
                    "started_at": c.started_at.isoformat(),
                    "finished_at": c.finished_at.isoformat(),
                    "seconds": round(c.seconds, 3),
                    "ok": c.ok,
                    "error": c.error,
                    "polled": c.polled,
                    "failed": c.failed,
                    "new_articles": c.new_articles,
                    "last_success_at": c.last_success_at.isoformat() if c.last_success_at else None,
                }
                for c in self.cycles
            ],
            "translation": self.translation.to_json() if self.translation else None,
            "glossary": {
                "version": self.glossary_version,
                "files": self.glossary_files,
                "problems": self.glossary_problems,
            },
            "partners": {
                pid: {
                    "served": a.served,
                    "limited": a.limited,
                    "forbidden": a.forbidden,
                    "topics": dict(a.topics),
                }
                for pid, a in sorted(self.partners.items())
            },
            "pending_pings": self.pending_pings,
        }


def check_operator(
    config: Config,
    env: Mapping[str, str],
    authorization: str | None,
    query_token: str | None,
    cookie: str | None,
    now: float,
) -> tuple[int, str] | None:
    """None when the request carries the operator token (or, in the cookie, a session made
    from it that has not expired at ``now``, Unix seconds); else (status, message)."""
    expected = env.get(config.server.operator_token_env, "")
    if not expected:
        return (
            403,
            f"the status pages are off: set {config.server.operator_token_env} in the "
            "server's environment to a secret, then open /status?token=<that secret>",
        )
    given = bearer_token(authorization) or query_token
    if given:
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return 401, "wrong operator token"
        return None
    if not cookie:
        return 401, "the operator token is needed: /status?token=<token> or a Bearer header"
    return _check_session(expected, cookie, now)


def session_value(token: str, expires: int) -> str:
    """The cookie value of a session ending at ``expires`` (Unix seconds):
    ``<expires>.<hex HMAC-SHA256 of "session:<expires>">`` under a key derived from ``token``."""
    return f"{expires}.{_session_mac(token, expires)}"


def _session_mac(token: str, expires: int) -> str:
    key = hashlib.sha256(b"syndicate operator session\x00" + token.encode("utf-8")).digest()
    return hmac.new(key, f"session:{expires}".encode("ascii"), hashlib.sha256).hexdigest()


def _check_session(token: str, cookie: str, now: float) -> tuple[int, str] | None:
    expires_text, _, mac = cookie.partition(".")
    if not expires_text.isascii() or not expires_text.isdigit() or len(expires_text) > 12:
        return 401, "not an operator session: open /status?token=<token> again"
    expires = int(expires_text)
    if not hmac.compare_digest(mac.encode(), _session_mac(token, expires).encode()):
        return 401, "not an operator session: open /status?token=<token> again"
    if expires <= now:
        return 401, "the operator session has expired: open /status?token=<token> again"
    return None


def operator_status(
    config: Config,
    storage: Storage,
    terms: TermBase,
    partners: dict[str, PartnerAccess],
    now: datetime,
) -> OperatorStatus:
    """Read what /status shows (several queries; run it off the event loop)."""
    translation = translation_status(config, storage, now) if config.translation.enabled else None
    problems = [str(p) for p in terms.problems]
    problems += [str(p) for p in concept_problems(config, terms.glossary)]
    return OperatorStatus(
        generated_at=now,
        sources=source_statuses(config, storage.source_states()),
        cycles=storage.worker_cycles(),
        translation=translation,
        glossary_version=terms.version,
        glossary_files=[str(p) for p in terms.files],
        glossary_problems=problems,
        partners=dict(partners),
        pending_pings=len(storage.pending_pings()),
    )


def select_sources(
    sources: list[SourceStatus], health: str | None, sort: str | None
) -> list[SourceStatus]:
    """Sources of one health (all when None), failing first unless ``sort`` says otherwise."""
    chosen = [s for s in sources if health in (None, "", s.health)]
    if sort == "id":
        return sorted(chosen, key=lambda s: s.id)
    if sort == "articles":
        return sorted(chosen, key=lambda s: (-s.articles, s.id))
    if sort == "next_poll":
        return sorted(chosen, key=lambda s: (s.next_poll_at is None, s.next_poll_at or 0, s.id))
    return chosen  # source_statuses' order: failing, disabled, new, ok, off


def status_page(status: OperatorStatus, health: str | None, sort: str | None) -> str:
    """The operator page (in English: it is for the people who run the service)."""
    sources = select_sources(status.sources, health, sort)
    failing = sum(1 for s in status.sources if s.health in (Health.FAILING, Health.DISABLED))
    filters = " ".join(f'<a href="/status?health={h(kind)}">{h(kind)}</a>' for kind in Health)
    sorts = " ".join(f'<a href="/status?sort={h(kind)}">{h(kind)}</a>' for kind in SORTS)
    rows = "".join(_source_row(s) for s in sources)
    body = (
        f"<header><h1>syndicate status</h1><small>{h(_when(status.generated_at))}"
        f' · <a href="/api/status">JSON</a></small></header>\n'
        f"<p><strong>{failing}</strong> of {len(status.sources)} sources need attention.</p>\n"
        f'<h2>Sources</h2>\n<p>Show: <a href="/status">all</a> {filters} · sort: {sorts}</p>\n'
        '<table id="sources"><thead><tr><th>source</th><th>health</th><th>last status</th>'
        "<th>error</th><th>articles</th><th>next poll</th><th>interval</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>\n"
        f"<h2>Workers</h2>\n{_cycles(status.cycles)}\n"
        f"<h2>Translation</h2>\n{_translation(status.translation)}\n"
        f"<h2>Glossary</h2>\n{_glossary(status)}\n"
        f"<h2>Partners</h2>\n{_partners(status.partners)}\n"
        f"<h2>WebSub</h2>\n<p>{status.pending_pings} hub pings waiting.</p>"
    )
    return document("en", "syndicate status", body)


def _source_row(s: SourceStatus) -> str:
    next_poll = _when(s.next_poll_at)
    return (
        f'<tr data-source="{h(s.id)}" data-health="{h(s.health)}"><td>{h(s.id)}<br>'
        f"<small>{h(s.url)}</small></td>"
        f'<td class="health-{h(s.health)}">{h(s.health)}</td>'
        f"<td>{h(s.last_status if s.last_status is not None else '—')}</td>"
        f"<td>{h(s.disabled_reason or s.last_error or '')}"
        f"{f' ({s.error_count}×)' if s.error_count else ''}</td>"
        f"<td>{s.articles}</td><td>{h(next_poll)}</td>"
        f"<td>{s.interval_seconds:g} s<br><small>{h(s.interval_reason)}</small></td></tr>"
    )


def _cycles(cycles: list[WorkerCycle]) -> str:
    if not cycles:
        return "<p>No poll cycle has been recorded yet.</p>"
    rows = "".join(
        f"<tr><td>{h(c.owner)}</td><td>{h(_when(c.finished_at))}</td>"
        f"<td>{c.seconds:.2f} s</td><td>{'ok' if c.ok else 'failed: ' + h(c.error or '')}</td>"
        f"<td>{c.polled} polled, {c.failed} failed, {c.new_articles} new</td>"
        f"<td>{h(_when(c.last_success_at))}</td></tr>"
        for c in cycles
    )
    return (
        "<table><thead><tr><th>worker</th><th>last cycle ended</th><th>took</th>"
        "<th>result</th><th>sources</th><th>last success</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _translation(report: TranslationStatusReport | None) -> str:
    if report is None:
        return '<p>No engine configured (translation.engine = "none").</p>'
    counts = "; ".join(
        f"{h(target)}: " + ", ".join(f"{n} {h(status)}" for status, n in sorted(by.items()))
        for target, by in sorted(report.counts.items())
    )
    caps = (
        f"{report.chars_today} characters today"
        + (f" of {report.daily_cap}" if report.daily_cap else "")
        + f", {report.chars_month} this month"
        + (f" of {report.monthly_cap}" if report.monthly_cap else "")
    )
    waiting = "".join(
        f"<li>{h(w.source_id)}: {h(w.title)} → {h(w.target)}: {h(w.status)}"
        f" {h(w.kind or '')} {h(w.reason or '')}</li>"
        for w in report.waiting[:50]
    )
    flagged = "".join(
        f"<li>{h(source)}: {h(title)} → {h(target)}: {h(', '.join(flags))}</li>"
        for source, title, target, flags in report.flagged[:50]
    )
    return (
        f"<p>Engine {h(report.engine)}. {h(counts or 'nothing queued')}. {h(caps)}.</p>"
        + (f"<h3>Waiting or failed</h3><ul>{waiting}</ul>" if waiting else "")
        + (f"<h3>QA warnings</h3><ul>{flagged}</ul>" if flagged else "")
    )


def _glossary(status: OperatorStatus) -> str:
    problems = "".join(f"<li>{h(p)}</li>" for p in status.glossary_problems)
    files = ", ".join(h(f) for f in status.glossary_files) or "none"
    return f"<p>Version <code>{h(status.glossary_version[:12] or '—')}</code> from {files}.</p>" + (
        f'<ul class="problems">{problems}</ul>' if problems else "<p>No problems.</p>"
    )


def _partners(partners: dict[str, PartnerAccess]) -> str:
    if not partners:
        return "<p>No partner requests since the server started.</p>"
    rows = "".join(
        f"<tr><td>{h(pid)}</td><td>{a.served}</td><td>{a.limited}</td><td>{a.forbidden}</td>"
        f"<td>{h(', '.join(f'{t}: {n}' for t, n in a.topics.most_common()))}</td></tr>"
        for pid, a in sorted(partners.items())
    )
    return (
        "<table><thead><tr><th>partner</th><th>served</th><th>rate-limited</th>"
        f"<th>forbidden</th><th>by topic</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if moment else "—"
