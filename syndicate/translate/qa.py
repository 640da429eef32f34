"""Glossary QA of a translation: the organisation's words, checked and fixed where safe.

For each concept the source text mentions, the translation must use the preferred term of
the target language; no deprecated target term may appear; do-not-translate names must be
there exactly as written. A deprecated term is replaced by its concept's preferred term
(unambiguous: the matcher says which concept it names); everything else is flagged, not
guessed at. Pure functions: text in, text and findings out.
"""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.terms.matcher import Matcher, TermMatch
from syndicate.terms.model import Glossary, TermStatus
from syndicate.translate.entries import preferred_term

__all__ = ["QAResult", "check_translation"]


@dataclass(frozen=True)
class QAResult:
    """The translation after safe fixes, what was fixed, and what is left to a human."""

    text: str
    fixes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


def _find(matcher: Matcher, text: str, lang: str, html: bool) -> list[TermMatch]:
    return matcher.match_html(text, lang) if html else matcher.match(text, lang)


def _with_case_of(replacement: str, original: str) -> str:
    """``replacement`` capitalised like ``original`` (sentence start), else as written."""
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def check_translation(
    source: str,
    translated: str,
    source_lang: str,
    target_lang: str,
    glossary: Glossary,
    matcher: Matcher,
    *,
    html: bool = True,
) -> QAResult:
    """Check ``translated`` (of ``source``) against the glossary; fix deprecated terms."""
    fixes: list[str] = []
    flags: list[str] = []

    # 1. Deprecated target terms -> the concept's preferred term, right to left.
    text = translated
    for m in reversed(_find(matcher, text, target_lang, html)):
        if m.status is not TermStatus.DEPRECATED:
            continue
        concept = glossary.get(m.concept)
        preferred = preferred_term(concept, target_lang) if concept else None
        written = text[m.start : m.end]
        if preferred is None:
            flags.append(f"deprecated term “{written}” ({m.concept}) has no preferred term")
            continue
        new = _with_case_of(preferred.text, written)
        text = text[: m.start] + new + text[m.end :]
        fixes.append(f"deprecated “{written}” replaced by “{new}” ({m.concept})")
    fixes.reverse()

    # 2. Each source concept needs its preferred target term; names must survive.
    found = _find(matcher, text, target_lang, html)
    statuses: dict[str, set[TermStatus]] = {}
    for m in found:
        statuses.setdefault(m.concept, set()).add(m.status)
    seen: set[str] = set()
    for m in _find(matcher, source, source_lang, html):
        written = source[m.start : m.end]
        concept = glossary.get(m.concept)
        if concept is None:
            continue
        term = next((t for t in concept.terms_in(source_lang) if t.text == m.term), None)
        if concept.do_not_translate or (term is not None and term.do_not_translate):
            if written not in text and f"name:{written}" not in seen:
                seen.add(f"name:{written}")
                flags.append(f"do-not-translate name “{written}” is missing or changed")
            continue
        if m.concept in seen:
            continue
        seen.add(m.concept)
        preferred = preferred_term(concept, target_lang)
        if preferred is None:
            continue
        used = statuses.get(m.concept, set())
        if TermStatus.PREFERRED in used:
            continue
        if TermStatus.ADMITTED in used:
            flags.append(
                f"“{written}” ({m.concept}): an admitted term is used where "
                f"“{preferred.text}” is preferred"
            )
        else:
            flags.append(
                f"“{written}” ({m.concept}): the preferred term “{preferred.text}” is missing"
            )
    return QAResult(text, tuple(fixes), tuple(flags))
