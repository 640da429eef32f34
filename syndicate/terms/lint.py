"""Check glossary files: every problem as ``FILE:LINE: message``. Pure over parsed concepts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from syndicate.terms.csvfile import read_csv
from syndicate.terms.model import Concept, GlossaryProblem, Term, TermFlag, TermStatus
from syndicate.terms.normalize import fold_term
from syndicate.terms.tbx import read_tbx

__all__ = [
    "check_concepts",
    "grammar_problems",
    "lint_files",
    "read_glossary_file",
    "read_glossary_files",
]


def read_glossary_file(path: Path) -> tuple[list[Concept], list[GlossaryProblem]]:
    """A .csv or .tbx glossary, by extension. Raises OSError when it cannot be read."""
    if path.suffix.lower() == ".tbx":
        return read_tbx(str(path), path.read_bytes())
    if path.suffix.lower() == ".csv":
        return read_csv(str(path), path.read_bytes())
    return [], [GlossaryProblem(str(path), 0, "unknown glossary format (use .csv or .tbx)")]


def read_glossary_files(paths: Sequence[Path]) -> tuple[list[Concept], list[GlossaryProblem]]:
    """The concepts of every file, and the problems found; an unreadable file is a problem."""
    concepts: list[Concept] = []
    problems: list[GlossaryProblem] = []
    for path in paths:
        try:
            found, bad = read_glossary_file(path)
        except OSError as exc:
            problems.append(GlossaryProblem(str(path), 0, f"cannot read: {exc.strerror or exc}"))
            continue
        concepts += found
        problems += bad
    return concepts, problems


def lint_files(paths: Sequence[Path], languages: Sequence[str]) -> list[GlossaryProblem]:
    """Every problem in ``paths``, read together (a term may clash across files), and what
    glossary QA needs that the files do not say (:func:`grammar_problems`)."""
    concepts, problems = read_glossary_files(paths)
    problems += check_concepts(concepts, languages)
    problems += grammar_problems(concepts)
    return sorted(set(problems))


#: languages whose nouns have a grammatical gender that articles and adjectives follow
GENDERED = frozenset({"it"})
#: languages without grammatical number or gender in their terms
UNINFLECTED = frozenset({"ja", "zh", "ko"})


def grammar_problems(concepts: Iterable[Concept]) -> list[GlossaryProblem]:
    """Form tags that cannot mean anything (a gender in Japanese), and Italian deprecated
    terms whose gender, or whose concept's preferred term's gender, is not stated: glossary
    QA never fixes one with the other without both (a lint finding; import does not refuse
    a file for it)."""
    out = []
    for concept in concepts:
        for term in concept.terms:
            if term.grammar and term.lang.split("-")[0] in UNINFLECTED:
                out.append(
                    GlossaryProblem(
                        *_where(term),
                        f"{term.text!r} ({term.lang}): form tags mean nothing in this language",
                    )
                )
            if term.status is not TermStatus.DEPRECATED or term.lang not in GENDERED:
                continue
            preferred = concept.preferred(term.lang)
            missing = [
                t.text
                for t in (term, preferred)
                if t is not None and t.stated(t.text).gender is None
            ]
            if preferred is not None and missing:
                out.append(
                    GlossaryProblem(
                        *_where(term),
                        f"deprecated {term.text!r} ({term.lang}) of {concept.id!r}: QA fixes it "
                        f"with {preferred.text!r} only when both genders are known; tag "
                        + " and ".join(f"{m!r}" for m in missing)
                        + " with [m] or [f]",
                    )
                )
    return out


def _where(term: Term) -> tuple[str, int]:
    return term.origin or ("?", 0)


def _flag_problems(concept: Concept, term: Term) -> list[GlossaryProblem]:
    """Flags that cannot do what they say."""
    out = []
    if TermFlag.BLOCKING in term.flags and term.status is TermStatus.PREFERRED:
        out.append(
            GlossaryProblem(
                *_where(term),
                f"blocking term {term.text!r} of {concept.id!r} is preferred; a blocking term "
                "names what the concept is not: make it admitted or deprecated",
            )
        )
    if TermFlag.NEEDS_CONTEXT in term.flags and not concept.domain:
        out.append(
            GlossaryProblem(
                *_where(term),
                f"needs-context term {term.text!r}: concept {concept.id!r} has no domain, "
                "so no other concept can give it context",
            )
        )
    return out


def check_concepts(concepts: Iterable[Concept], languages: Sequence[str]) -> list[GlossaryProblem]:
    """The problems that need the whole term base to see."""
    problems: list[GlossaryProblem] = []
    seen_ids: dict[str, Concept] = {}
    # (lang, folded form) -> [(concept, term)]
    names: defaultdict[tuple[str, str], list[tuple[Concept, Term]]] = defaultdict(list)
    for concept in concepts:
        first = _where(concept.terms[0]) if concept.terms else ("?", 0)
        if concept.id in seen_ids:
            problems.append(GlossaryProblem(*first, f"concept {concept.id!r} is defined twice"))
        seen_ids[concept.id] = concept
        for lang in languages:
            preferred = [t for t in concept.terms_in(lang) if t.status is TermStatus.PREFERRED]
            if not preferred:
                problems.append(
                    GlossaryProblem(
                        *first, f"concept {concept.id!r} has no preferred term in {lang!r}"
                    )
                )
            for extra in preferred[1:]:
                problems.append(
                    GlossaryProblem(
                        *_where(extra),
                        f"second preferred term "
                        f"{extra.text!r} for concept {concept.id!r} in {extra.lang!r} (first: "
                        f"{preferred[0].text!r})",
                    )
                )
        for term in concept.terms:
            problems += _flag_problems(concept, term)
            for form in term.forms:
                names[(term.lang, fold_term(form, term.lang))].append((concept, term))
    for (lang, _), owners in sorted(names.items()):
        by_concept = {c.id: (c, t) for c, t in owners}
        if len(by_concept) > 1:
            clashing = list(by_concept.values())
            domains = [c.domain for c, _ in clashing]
            if len(set(domains)) < len(domains) or "" in domains:
                (c1, _), (c2, t2) = clashing[0], clashing[1]
                problems.append(
                    GlossaryProblem(
                        *_where(t2),
                        f"{t2.text!r} ({lang}) names both "
                        f"{c1.id!r} and {c2.id!r}; give them different domains or different terms",
                    )
                )
        statuses = {t.status for _, t in owners}
        if TermStatus.DEPRECATED in statuses and statuses & {
            TermStatus.PREFERRED,
            TermStatus.ADMITTED,
        }:
            deprecated = next(t for _, t in owners if t.status is TermStatus.DEPRECATED)
            kept = next(t for _, t in owners if t.status is not TermStatus.DEPRECATED)
            problems.append(
                GlossaryProblem(
                    *_where(deprecated),
                    f"deprecated term "
                    f"{deprecated.text!r} ({lang}) equals the {kept.status.value} term "
                    f"{kept.text!r}",
                )
            )
    return problems
