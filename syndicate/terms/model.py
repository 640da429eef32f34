"""The term base: concepts with terms per language. Plain records, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Concept",
    "Glossary",
    "GlossaryProblem",
    "PartOfSpeech",
    "Term",
    "TermFlag",
    "TermStatus",
]


@dataclass(frozen=True, order=True)
class GlossaryProblem:
    """One thing wrong in a glossary file."""

    path: str
    #: 1-based line, or 0 when the whole file is concerned
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


class TermStatus(StrEnum):
    """How the organisation wants a term used."""

    PREFERRED = "preferred"
    ADMITTED = "admitted"
    DEPRECATED = "deprecated"


class PartOfSpeech(StrEnum):
    """TBX-Basic partOfSpeech values."""

    NOUN = "noun"
    VERB = "verb"
    ADJECTIVE = "adjective"
    ADVERB = "adverb"
    PROPER_NOUN = "properNoun"
    OTHER = "other"


class TermFlag(StrEnum):
    """How a term is matched and counted (the CSV's ``flags`` column, TBX notes)."""

    #: matches only as written, capitals included (*Comune* the city, not *comune*)
    CASE_SENSITIVE = "case-sensitive"
    #: counts for routing only when another concept of the same domain is in the article
    NEEDS_CONTEXT = "needs-context"
    #: a longer form that is *not* this concept (硫化水素 is not 水素): it competes in
    #: leftmost-longest matching, so the shorter term is not found inside it, and counts
    #: for nothing
    BLOCKING = "blocking"
    #: a generic word: weighs half as much as a specific term when topics are scored
    GENERIC = "generic"


#: a term's weight in topic scores, unless flagged ``generic``
WEIGHT = 1.0
#: the weight of a ``generic`` term
GENERIC_WEIGHT = 0.5


@dataclass(frozen=True)
class Term:
    """One way of naming a concept in one language."""

    #: BCP 47 language
    lang: str
    text: str
    status: TermStatus = TermStatus.PREFERRED
    part_of_speech: PartOfSpeech | None = None
    #: other forms of the same term: plurals, gender forms, spelling variants
    variants: tuple[str, ...] = ()
    #: a name (person, institution, programme, brand) never to be translated
    do_not_translate: bool = False
    note: str = ""
    flags: frozenset[TermFlag] = frozenset()
    #: where it was read (file, line), for messages; not part of the term's identity
    origin: tuple[str, int] | None = field(default=None, compare=False)

    @property
    def forms(self) -> tuple[str, ...]:
        """The term and its variants."""
        return (self.text, *self.variants)

    @property
    def weight(self) -> float:
        """What one mention of the term weighs in a topic's score."""
        return GENERIC_WEIGHT if TermFlag.GENERIC in self.flags else WEIGHT


@dataclass(frozen=True)
class Concept:
    """A language-independent idea, named by terms in several languages."""

    id: str
    domain: str = ""
    definition: str = ""
    terms: tuple[Term, ...] = ()

    @property
    def do_not_translate(self) -> bool:
        return bool(self.terms) and all(t.do_not_translate for t in self.terms)

    def terms_in(self, lang: str) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.lang == lang)

    def preferred(self, lang: str) -> Term | None:
        """The preferred term in ``lang``; failing that an admitted one; else None."""
        candidates = self.terms_in(lang)
        for status in (TermStatus.PREFERRED, TermStatus.ADMITTED):
            for term in candidates:
                if term.status is status:
                    return term
        return None


@dataclass(frozen=True)
class Glossary:
    """A set of concepts; ``version`` changes whenever any of them does."""

    concepts: tuple[Concept, ...] = ()
    _index: dict[str, Concept] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({c.id: c for c in self.concepts})

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def __len__(self) -> int:
        return len(self.concepts)

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._index

    def get(self, concept_id: str) -> Concept | None:
        return self._index.get(concept_id)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({t.lang for c in self.concepts for t in c.terms}))

    @property
    def version(self) -> str:
        """A hash of the content (not of the files' bytes): equal glossaries, equal versions."""
        digest = hashlib.sha256()
        for concept in self.concepts:
            digest.update(repr((concept.id, concept.domain, concept.definition)).encode())
            for t in concept.terms:
                digest.update(
                    repr(
                        (
                            t.lang,
                            t.text,
                            t.status.value,
                            t.variants,
                            t.do_not_translate,
                            t.part_of_speech,
                            sorted(t.flags),
                        )
                    ).encode()
                )
        return digest.hexdigest()[:16]
