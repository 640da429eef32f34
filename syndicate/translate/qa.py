"""Glossary QA of a translation: the organisation's words, checked and fixed where safe.

For each concept the source text mentions, the translation must use a term of the target
language (the preferred one or an admitted one); no deprecated target term may appear;
do-not-translate names must be there as written, or as the glossary names them in the
target language. A deprecated term is replaced by its concept's preferred term
(unambiguous: the matcher says which concept it names) when :mod:`.agreement` says the
sentence stays grammatical: the same number, and in Italian the same gender or a
determiner it can inflect again with nothing else agreeing. A use it cannot fix safely is
left as the engine wrote it and listed in ``unsafe``, for the runner to ask the engine
again; everything else is flagged, not guessed at. Pure functions: text in, text and
findings out.
"""

from __future__ import annotations

from dataclasses import dataclass

from syndicate.terms.matcher import Matcher, TermMatch
from syndicate.terms.model import Glossary, TermFlag, TermStatus
from syndicate.translate.agreement import replacement
from syndicate.translate.entries import preferred_term

__all__ = ["QAResult", "UnsafeUse", "check_translation"]


@dataclass(frozen=True)
class UnsafeUse:
    """A deprecated term left in place: replacing it would break agreement."""

    concept: str
    #: as the engine wrote it
    written: str
    #: the preferred term to use instead, and the deprecated term to avoid (as listed)
    use: str
    avoid: str


@dataclass(frozen=True)
class QAResult:
    """The translation after safe fixes, what was fixed, and what is left to a human."""

    text: str
    fixes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    unsafe: tuple[UnsafeUse, ...] = ()


def _find(matcher: Matcher, text: str, lang: str, html: bool) -> list[TermMatch]:
    return matcher.match_html(text, lang) if html else matcher.match(text, lang)


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

    # 1. Deprecated target terms -> the concept's preferred term, right to left, where the
    #    sentence keeps its agreement; the others are left for the engine to redo.
    text = translated
    unsafe: list[UnsafeUse] = []
    for m in reversed(_find(matcher, text, target_lang, html)):
        if m.status is not TermStatus.DEPRECATED:
            continue
        concept = glossary.get(m.concept)
        preferred = preferred_term(concept, target_lang) if concept else None
        deprecated = matcher.term(target_lang, m.concept, m.term)
        written = text[m.start : m.end]
        if preferred is None or deprecated is None:
            flags.append(f"deprecated term “{written}” ({m.concept}) has no preferred term")
            continue
        edit = replacement(text, m.start, m.end, target_lang, deprecated, preferred)
        if edit is None:
            unsafe.append(UnsafeUse(m.concept, written, preferred.text, deprecated.text))
            flags.append(
                f"deprecated “{written}” ({m.concept}) left as written: “{preferred.text}” "
                "in its place would not agree with the sentence"
            )
            continue
        before = text[edit.start : edit.end]
        text = text[: edit.start] + edit.new + text[edit.end :]
        fixes.append(f"deprecated “{before}” replaced by “{edit.new}” ({m.concept})")
    fixes.reverse()
    unsafe.reverse()

    # 2. Each source concept needs its target term (preferred, or admitted: acceptable by
    #    definition); names must survive, as written or as the glossary names them in the
    #    target language. A source word that needs context to mean the concept (Italian
    #    "rete": a grid, a network, a goal) asks for nothing.
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
        term = matcher.term(source_lang, m.concept, m.term)
        used = statuses.get(m.concept, set())
        named = used & {TermStatus.PREFERRED, TermStatus.ADMITTED}
        if concept.do_not_translate or (term is not None and term.do_not_translate):
            # the name as the glossary gives it in the target language: the full name for
            # a full name ("Hub" is not "Tokyo Innovation Hub"), a short form for a short one
            kept = {TermStatus.PREFERRED, term.status if term is not None else TermStatus.PREFERRED}
            if written not in text and not used & kept and f"name:{written}" not in seen:
                seen.add(f"name:{written}")
                flags.append(f"do-not-translate name “{written}” is missing or changed")
            continue
        if m.concept in seen or (term is not None and TermFlag.NEEDS_CONTEXT in term.flags):
            continue
        seen.add(m.concept)
        preferred = preferred_term(concept, target_lang)
        if preferred is None or named:
            continue
        flags.append(f"“{written}” ({m.concept}): the preferred term “{preferred.text}” is missing")
    return QAResult(text, tuple(fixes), tuple(flags), tuple(unsafe))
