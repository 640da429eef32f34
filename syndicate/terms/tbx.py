"""TBX (ISO 30042), TBX-Basic dialect: export as the common v2 ``martif`` form; import both
v2 (``martif``/``termEntry``/``langSet``/``tig``) and v3 (``tbx``/``conceptEntry``/
``langSec``/``termSec``).

Conventions for what TBX-Basic has no field for: a term's variants are written as the
``tig``/``termSec`` right after it with ``termType`` ``variant``; a do-not-translate term
carries ``<note>do-not-translate</note>``, and each of a term's flags a note of its own
(``<note>case-sensitive</note>``, ``needs-context``, ``blocking``, ``generic``): TBX-Basic
has no data category for them. Other tools read all of these as ordinary data. A form's
grammar (the CSV's form tags) is TBX-Basic's own ``grammaticalGender`` (masculine,
feminine, neuter) and ``grammaticalNumber`` (singular, plural) on its ``tig``.

A file that declares entities (``<!ENTITY …>`` in its DOCTYPE) is refused, with the line of
the declaration: TBX needs none (the five predefined entities and character references
still work), and nested declarations let a file of a few hundred bytes expand to megabytes
of text (one of 485 bytes took 8 s to read). Text is gathered in lists and joined once per
element, so reading costs time in proportion to the file's size.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape, quoteattr

from syndicate.terms.model import (
    Concept,
    Gender,
    GlossaryProblem,
    Grammar,
    Number,
    PartOfSpeech,
    Term,
    TermFlag,
    TermStatus,
)

__all__ = ["read_tbx", "write_tbx"]

DNT_NOTE = "do-not-translate"
_STATUS_TO_TBX = {
    TermStatus.PREFERRED: "preferredTerm-admn-sts",
    TermStatus.ADMITTED: "admittedTerm-admn-sts",
    TermStatus.DEPRECATED: "deprecatedTerm-admn-sts",
}
_TBX_TO_STATUS = {v: k for k, v in _STATUS_TO_TBX.items()} | {
    "supersededTerm-admn-sts": TermStatus.DEPRECATED,
    "notRecommended": TermStatus.DEPRECATED,
    "preferred": TermStatus.PREFERRED,
    "admitted": TermStatus.ADMITTED,
    "deprecated": TermStatus.DEPRECATED,
}
_FLAGS = {flag.value for flag in TermFlag}
_ALIASES = {"conceptEntry": "termEntry", "langSec": "langSet", "termSec": "tig", "ntig": "tig"}


def write_tbx(concepts: Iterable[Concept], source_lang: str = "en") -> bytes:
    """The concepts as a TBX-Basic (v2, ``martif``) document."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<martif type="TBX-Basic" xml:lang={quoteattr(source_lang)}>',
        "  <martifHeader>",
        "    <fileDesc><sourceDesc><p>syndicate glossary</p></sourceDesc></fileDesc>",
        '    <encodingDesc><p type="XCSURI">TBXBasicXCSV02.xcs</p></encodingDesc>',
        "  </martifHeader>",
        "  <text>",
        "    <body>",
    ]
    for concept in concepts:
        out.append(f"      <termEntry id={quoteattr(concept.id)}>")
        if concept.domain:
            out.append(f'        <descrip type="subjectField">{escape(concept.domain)}</descrip>')
        if concept.definition:
            out.append(f'        <descrip type="definition">{escape(concept.definition)}</descrip>')
        for lang in dict.fromkeys(t.lang for t in concept.terms):
            out.append(f"        <langSet xml:lang={quoteattr(lang)}>")
            for term in concept.terms_in(lang):
                out.append(_tig(term, term.text, variant=False))
                out.extend(_tig(term, v, variant=True) for v in term.variants)
            out.append("        </langSet>")
        out.append("      </termEntry>")
    out += ["    </body>", "  </text>", "</martif>", ""]
    return "\n".join(out).encode("utf-8")


def _tig(term: Term, text: str, *, variant: bool) -> str:
    parts = [f"<term>{escape(text)}</term>"]
    if variant:
        parts.append('<termNote type="termType">variant</termNote>')
    if term.part_of_speech:
        parts.append(f'<termNote type="partOfSpeech">{term.part_of_speech.value}</termNote>')
    parts.append(f'<termNote type="administrativeStatus">{_STATUS_TO_TBX[term.status]}</termNote>')
    stated = term.stated(text)
    if stated.gender is not None:
        gender = _GENDER_TO_TBX[stated.gender]
        parts.append(f'<termNote type="grammaticalGender">{gender}</termNote>')
    if stated.number is not None:
        number = _NUMBER_TO_TBX[stated.number]
        parts.append(f'<termNote type="grammaticalNumber">{number}</termNote>')
    if not variant:
        if term.do_not_translate:
            parts.append(f"<note>{DNT_NOTE}</note>")
        parts.extend(f"<note>{flag.value}</note>" for flag in sorted(term.flags))
        if term.note:
            parts.append(f"<note>{escape(term.note)}</note>")
    return "          <tig>" + "".join(parts) + "</tig>"


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)  # text as read, joined at the end tag

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def typed(self, tag: str, kind: str) -> list[str]:
        return [
            c.text.strip() for c in self.children if c.tag == tag and c.attrs.get("type") == kind
        ]


class _EntityDeclared(Exception):
    """An ``<!ENTITY …>`` declaration, refused at ``line``."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _parse(data: bytes) -> _Node:
    """A small tree with line numbers (ElementTree keeps none), namespaces dropped.
    Raises _EntityDeclared at the first entity declaration."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    root = _Node("", {}, 0)
    stack = [root]

    def local(name: str) -> str:
        name = name.rsplit("}", 1)[-1]
        return _ALIASES.get(name, name)

    def start(name: str, attrs: dict[str, str]) -> None:
        node = _Node(
            local(name),
            {local(k) if "}" in k else k: v for k, v in attrs.items()},
            parser.CurrentLineNumber,
        )
        stack[-1].children.append(node)
        stack.append(node)

    def end(name: str) -> None:
        node = stack.pop()
        node.text, node.parts = "".join(node.parts), []

    def text(data: str) -> None:
        stack[-1].parts.append(data)

    def entity(*args: object) -> None:
        raise _EntityDeclared(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = entity
    parser.Parse(data, True)
    return root


def read_tbx(name: str, data: bytes) -> tuple[list[Concept], list[GlossaryProblem]]:
    """The concepts of a TBX file (v2 or v3), and the problems found, with lines."""
    try:
        root = _parse(data)
    except xml.parsers.expat.ExpatError as exc:
        return [], [
            GlossaryProblem(
                name, exc.lineno, f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}"
            )
        ]
    except _EntityDeclared as exc:
        return [], [
            GlossaryProblem(
                name,
                exc.line,
                "entity declaration refused (TBX needs none); nothing read from this file",
            )
        ]
    problems: list[GlossaryProblem] = []
    entries: list[_Node] = []
    _collect(root, "termEntry", entries)
    concepts = []
    for entry in entries:
        concept_id = entry.attrs.get("id", "").strip()
        if not concept_id:
            problems.append(GlossaryProblem(name, entry.line, "concept entry without an id"))
            continue
        terms: list[Term] = []
        for lang_set in entry.all("langSet"):
            lang = lang_set.attrs.get("lang", "").strip()
            if not lang:
                problems.append(GlossaryProblem(name, lang_set.line, "langSet without xml:lang"))
                continue
            for tig in lang_set.all("tig"):
                _add_term(tig, lang, terms, name, problems)
        concepts.append(
            Concept(
                concept_id,
                _first(entry.typed("descrip", "subjectField")),
                _first(entry.typed("descrip", "definition")),
                tuple(terms),
            )
        )
    return concepts, problems


def _collect(node: _Node, tag: str, out: list[_Node]) -> None:
    """The outermost descendants named ``tag``, in document order (no recursion: a deeply
    nested file must not exhaust the stack)."""
    pending = list(reversed(node.children))
    while pending:
        child = pending.pop()
        if child.tag == tag:
            out.append(child)
        else:
            pending.extend(reversed(child.children))


def _first(values: list[str]) -> str:
    return values[0] if values else ""


_GENDER_TO_TBX = {
    Gender.MASCULINE: "masculine",
    Gender.FEMININE: "feminine",
    Gender.NEUTER: "neuter",
}
_NUMBER_TO_TBX = {Number.SINGULAR: "singular", Number.PLURAL: "plural"}
_TBX_TO_GENDER = {v: k for k, v in _GENDER_TO_TBX.items()}
_TBX_TO_NUMBER = {v: k for k, v in _NUMBER_TO_TBX.items()}


def _grammar(tig: _Node) -> Grammar:
    """The grammaticalGender and grammaticalNumber of a ``tig`` (values TBX-Basic does not
    define for these languages, such as ``otherGender``, count as unknown)."""
    gender = _TBX_TO_GENDER.get(_first(tig.typed("termNote", "grammaticalGender")).strip())
    number = _TBX_TO_NUMBER.get(_first(tig.typed("termNote", "grammaticalNumber")).strip())
    return Grammar(number, gender)


def _add_term(
    tig: _Node, lang: str, terms: list[Term], path: str, problems: list[GlossaryProblem]
) -> None:
    text = _first([t.text.strip() for t in tig.all("term")])
    if not text:
        problems.append(GlossaryProblem(path, tig.line, "empty term"))
        return
    stated = _grammar(tig)
    grammar = ((text, stated),) if stated.tag else ()
    if _first(tig.typed("termNote", "termType")) == "variant" and terms and terms[-1].lang == lang:
        base = terms.pop()
        terms.append(replace(base, variants=(*base.variants, text), grammar=base.grammar + grammar))
        return
    raw_status = _first(tig.typed("termNote", "administrativeStatus")) or "preferredTerm-admn-sts"
    status = _TBX_TO_STATUS.get(raw_status)
    if status is None:
        problems.append(GlossaryProblem(path, tig.line, f"unknown status {raw_status!r}"))
        return
    raw_pos = _first(tig.typed("termNote", "partOfSpeech"))
    try:
        pos = PartOfSpeech(raw_pos) if raw_pos else None
    except ValueError:
        problems.append(GlossaryProblem(path, tig.line, f"unknown part of speech {raw_pos!r}"))
        return
    notes = [n.text.strip() for n in tig.all("note")]
    flags = frozenset(TermFlag(n) for n in notes if n in _FLAGS)
    terms.append(
        Term(
            lang,
            text,
            status,
            pos,
            (),
            DNT_NOTE in notes,
            "\n".join(n for n in notes if n != DNT_NOTE and n not in _FLAGS),
            flags,
            (path, tig.line),
            grammar,
        )
    )
