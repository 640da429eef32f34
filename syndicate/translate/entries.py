"""The glossary entries an engine gets: the pair's whole term base (DeepL's native
glossary) or the concepts one batch of texts mentions (a prompt, placeholders)."""

from __future__ import annotations

from collections.abc import Iterable

from syndicate.terms.matcher import Matcher
from syndicate.terms.model import Concept, Glossary, Term, TermStatus
from syndicate.translate.engine import GlossaryEntry

__all__ = ["batch_entries", "pair_entries", "preferred_term"]


def preferred_term(concept: Concept, lang: str) -> Term | None:
    """The concept's preferred term in ``lang`` (not an admitted one), if any."""
    return next((t for t in concept.terms_in(lang) if t.status is TermStatus.PREFERRED), None)


def _entries(
    concept: Concept, source: str, target: str, forms: Iterable[str]
) -> list[GlossaryEntry]:
    dnt = {t.text for t in concept.terms if t.do_not_translate}
    wanted = preferred_term(concept, target)
    out = []
    for form in forms:
        if form in dnt or concept.do_not_translate:
            out.append(GlossaryEntry(form, form, do_not_translate=True))
        elif wanted is not None:
            out.append(GlossaryEntry(form, wanted.text))
    return out


def pair_entries(glossary: Glossary, source: str, target: str) -> list[GlossaryEntry]:
    """Every source-language form (term and variants, any status) -> the preferred target
    term; do-not-translate names to themselves. Sorted, so equal glossaries give equal lists."""
    out: list[GlossaryEntry] = []
    for concept in glossary:
        forms = [f for t in concept.terms_in(source) for f in t.forms]
        out += _entries(concept, source, target, forms)
    return sorted(set(out), key=lambda e: (e.source.casefold(), e.source, e.target))


def batch_entries(
    texts: Iterable[str], source: str, target: str, glossary: Glossary, matcher: Matcher
) -> tuple[GlossaryEntry, ...]:
    """The entries for the concepts the texts (HTML) mention, as written in them."""
    found: dict[tuple[str, str], None] = {}
    for text in texts:
        for m in matcher.match_html(text, source):
            found[(m.concept, text[m.start : m.end])] = None
    out: list[GlossaryEntry] = []
    for concept_id, written in found:
        concept = glossary.get(concept_id)
        if concept is not None:
            out += _entries(concept, source, target, [written])
    return tuple(dict.fromkeys(out))
