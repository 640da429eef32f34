"""The term base: concepts with terms per language. Plain records, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Concept",
    "Gender",
    "Glossary",
    "GlossaryProblem",
    "Grammar",
    "Number",
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


class Number(StrEnum):
    """Grammatical number of a form (TBX grammaticalNumber)."""

    SINGULAR = "sg"
    PLURAL = "pl"


class Gender(StrEnum):
    """Grammatical gender of a form (TBX grammaticalGender)."""

    MASCULINE = "m"
    FEMININE = "f"
    NEUTER = "n"


@dataclass(frozen=True)
class Grammar:
    """What a form agrees in: its number and gender, each unknown when None."""

    number: Number | None = None
    gender: Gender | None = None

    @classmethod
    def parse(cls, tag: str) -> Grammar:
        """``"f pl"``, ``"pl"``, ``"m"``: the words of a form tag, in any order.
        Raises ValueError on an unknown word or two of one kind."""
        number: Number | None = None
        gender: Gender | None = None
        for word in tag.split():
            if word in {n.value for n in Number}:
                if number is not None:
                    raise ValueError(f"two numbers in [{tag}]")
                number = Number(word)
            elif word in {g.value for g in Gender}:
                if gender is not None:
                    raise ValueError(f"two genders in [{tag}]")
                gender = Gender(word)
            else:
                raise ValueError(f"unknown word {word!r} in [{tag}] (sg, pl, m, f, n)")
        return cls(number, gender)

    @property
    def tag(self) -> str:
        """The tag as written after a form (``"f pl"``), empty when nothing is known."""
        return " ".join(v.value for v in (self.gender, self.number) if v is not None)


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
    #: the forms whose grammar the glossary states: (form, grammar); a variant without one
    #: takes the term's gender, and its number when a rule can tell
    #: (:mod:`syndicate.translate.agreement`)
    grammar: tuple[tuple[str, Grammar], ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The term and its variants."""
        return (self.text, *self.variants)

    def stated(self, form: str) -> Grammar:
        """The grammar the glossary states for ``form`` (nothing known when none)."""
        return next((g for f, g in self.grammar if f == form), Grammar())

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
                identity: tuple[object, ...] = (
                    t.lang,
                    t.text,
                    t.status.value,
                    t.variants,
                    t.do_not_translate,
                    t.part_of_speech,
                    sorted(t.flags),
                )
                if t.grammar:  # so a glossary without form tags keeps its version
                    identity += ([(f, g.tag) for f, g in t.grammar],)
                digest.update(repr(identity).encode())
        return digest.hexdigest()[:16]
