"""The glossary CSV that people edit in a spreadsheet: one row per term.

Columns (header required, in this order)::

    concept,domain,definition,lang,term,status,pos,variants,dnt,flags,note

Rows of one concept share ``concept``; ``domain`` and ``definition`` are given once (on
any of its rows). ``status`` is preferred, admitted or deprecated; ``pos`` a TBX-Basic part
of speech; ``variants`` other forms separated by ``|``; the term and each variant may end in
a form tag, its grammar in brackets (``turbina eolica[f]``, ``turbine eoliche[f pl]``,
``mulini a vento[pl]``: ``sg``/``pl``, ``m``/``f``/``n``), which glossary QA needs to fix a
deprecated term without breaking agreement; ``dnt`` is ``yes`` for a name never
to be translated; ``flags`` any of ``case-sensitive``, ``needs-context``, ``blocking`` and
``generic`` separated by ``|`` (:class:`~syndicate.terms.model.TermFlag`). A file with the
earlier header, without ``flags``, is read as before. UTF-8, with or without a byte-order
mark.

A row the csv module cannot read (a field over its limit of 128 KB, ``csv.field_size_limit``)
makes the whole file a problem at the line where that row starts, as undecodable bytes do:
no glossary needs such a field, and past it the rows cannot be told apart reliably.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from syndicate.terms.model import (
    Concept,
    GlossaryProblem,
    Grammar,
    PartOfSpeech,
    Term,
    TermFlag,
    TermStatus,
)

__all__ = ["COLUMNS", "read_csv", "write_csv"]

COLUMNS = (
    "concept",
    "domain",
    "definition",
    "lang",
    "term",
    "status",
    "pos",
    "variants",
    "dnt",
    "flags",
    "note",
)
#: the header before ``flags``: still read
_COLUMNS_WITHOUT_FLAGS = tuple(c for c in COLUMNS if c != "flags")
#: a form and its tag: ``batterie solide[f pl]``
#: (so a term cannot itself end in words in brackets; the tag is read in any case)
_TAGGED = re.compile(r"^(.*\S)\s*\[([A-Za-z ]*[A-Za-z][A-Za-z ]*)\]$")
_YES = {"yes", "true", "1", "y", "x"}
_NO = {"", "no", "false", "0", "n"}


def read_csv(name: str, data: bytes) -> tuple[list[Concept], list[GlossaryProblem]]:
    """The concepts in a glossary CSV, and every structural problem found (with its line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [
            GlossaryProblem(
                name, line, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
            )
        ]
    problems: list[GlossaryProblem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    concepts: dict[str, dict[str, object]] = {}
    line = 0  # where the last row read ends
    try:
        header = next(reader, None)
        if header is None:
            return [], [GlossaryProblem(name, 0, "empty file")]
        columns = tuple(h.strip().lower() for h in header)
        if columns not in (COLUMNS, _COLUMNS_WITHOUT_FLAGS):
            return [], [GlossaryProblem(name, 1, f"header must be {','.join(COLUMNS)}")]
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            _add_row(row, columns, concepts, name, start, problems)
    except csv.Error as exc:
        return [], [
            GlossaryProblem(name, line + 1, f"unreadable row: {exc}; nothing read from this file")
        ]
    result = [
        Concept(cid, str(e["domain"]), str(e["definition"]), tuple(e["terms"]))  # type: ignore[arg-type]
        for cid, e in concepts.items()
    ]
    return result, problems


def _add_row(
    row: list[str],
    columns: tuple[str, ...],
    concepts: dict[str, dict[str, object]],
    name: str,
    start: int,
    problems: list[GlossaryProblem],
) -> None:
    """Add the term of ``row`` (starting at line ``start``) to its concept in ``concepts``."""
    if not any(cell.strip() for cell in row):
        return
    if len(row) != len(columns):
        problems.append(
            GlossaryProblem(name, start, f"expected {len(columns)} columns, found {len(row)}")
        )
        return
    cells = dict(zip(columns, (c.strip() for c in row), strict=True))
    term = _term(cells, name, start, problems)
    if term is None:
        return
    concept_id, domain, definition = row[0].strip(), row[1].strip(), row[2].strip()
    entry = concepts.setdefault(concept_id, {"domain": "", "definition": "", "terms": []})
    for key, value in (("domain", domain), ("definition", definition)):
        if value and entry[key] and entry[key] != value:
            problems.append(
                GlossaryProblem(
                    name,
                    start,
                    f"concept {concept_id!r} has a different {key} on an earlier row",
                )
            )
        elif value:
            entry[key] = value
    terms = entry["terms"]
    assert isinstance(terms, list)
    terms.append(term)


def _term(
    cells: dict[str, str], path: str, line: int, problems: list[GlossaryProblem]
) -> Term | None:
    def bad(message: str) -> None:
        problems.append(GlossaryProblem(path, line, message))

    if not cells["concept"]:
        bad("empty concept id")
        return None
    if not cells["term"]:
        bad(f"empty term for concept {cells['concept']!r}")
        return None
    if not cells["lang"]:
        bad(f"no language for term {cells['term']!r}")
        return None
    try:
        status = TermStatus(cells["status"].lower() or "preferred")
    except ValueError:
        bad(f"unknown status {cells['status']!r} (preferred, admitted or deprecated)")
        return None
    pos = None
    if cells["pos"]:
        try:
            pos = PartOfSpeech(cells["pos"])
        except ValueError:
            bad(
                f"unknown part of speech {cells['pos']!r} "
                f"({', '.join(p.value for p in PartOfSpeech)})"
            )
            return None
    dnt = cells["dnt"].lower()
    if dnt not in _YES | _NO:
        bad(f"dnt must be yes or empty, got {cells['dnt']!r}")
        return None
    grammar: list[tuple[str, Grammar]] = []

    def untagged(cell: str) -> str | None:
        """``cell`` without its form tag (the tag's grammar noted), None when it is bad."""
        found = _TAGGED.match(cell)
        if found is None:
            return cell
        form, tag = found.group(1).strip(), found.group(2)
        try:
            stated = Grammar.parse(tag.lower())
        except ValueError as exc:
            bad(f"form tag of {form!r}: {exc}")
            return None
        if stated.tag:
            grammar.append((form, stated))
        return form

    text = untagged(cells["term"])
    variants = tuple(untagged(v.strip()) for v in cells["variants"].split("|") if v.strip())
    if text is None or None in variants:
        return None
    flags: set[TermFlag] = set()
    for word in (f.strip().lower() for f in cells.get("flags", "").split("|")):
        if not word:
            continue
        try:
            flags.add(TermFlag(word))
        except ValueError:
            bad(f"unknown flag {word!r} ({', '.join(f.value for f in TermFlag)})")
            return None
    return Term(
        lang=cells["lang"],
        text=text,
        status=status,
        part_of_speech=pos,
        variants=tuple(v for v in variants if v is not None),
        do_not_translate=dnt in _YES,
        note=cells["note"],
        flags=frozenset(flags),
        origin=(path, line),
        grammar=tuple(grammar),
    )


def write_csv(concepts: Iterable[Concept]) -> str:
    """The concepts as glossary CSV text (domain and definition on each concept's first row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for concept in concepts:
        for i, t in enumerate(concept.terms):
            writer.writerow(
                [
                    concept.id,
                    concept.domain if i == 0 else "",
                    concept.definition if i == 0 else "",
                    t.lang,
                    _tagged(t, t.text),
                    t.status.value,
                    t.part_of_speech.value if t.part_of_speech else "",
                    "|".join(_tagged(t, v) for v in t.variants),
                    "yes" if t.do_not_translate else "",
                    "|".join(sorted(t.flags)),
                    t.note,
                ]
            )
    return out.getvalue()


def _tagged(term: Term, form: str) -> str:
    """``form`` with its form tag, as the CSV writes it."""
    tag = term.stated(form).tag
    return f"{form}[{tag}]" if tag else form
