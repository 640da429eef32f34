"""Glossary CSV and TBX: reading, writing, and CSV -> TBX -> CSV without loss."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.terms import Concept, Term, TermStatus
from syndicate.terms.csvfile import read_csv, write_csv
from syndicate.terms.lint import read_glossary_file
from syndicate.terms.model import Gender, Grammar, Number, PartOfSpeech, TermFlag
from syndicate.terms.tbx import read_tbx, write_tbx

CSV = """concept,domain,definition,lang,term,status,pos,variants,dnt,note
energy-storage,energy,"Keeping energy, for later use.",it,accumulo di energia,preferred,noun,\
accumuli di energia,,
energy-storage,,,en,energy storage,preferred,noun,,,
energy-storage,,,en,"storage, energy",deprecated,noun,,,"old index form"
energy-storage,,,ja,エネルギー貯蔵,preferred,noun,,,
valmora-polytechnic,city,The university of Valmora.,it,Politecnico di Valmora,preferred,\
properNoun,,yes,
valmora-polytechnic,,,en,Valmora Polytechnic,preferred,properNoun,,yes,
valmora-polytechnic,,,ja,ヴァルモーラ工科大学,preferred,properNoun,,yes,
"""


def test_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(CSV, "utf-8")
    concepts, problems = read_glossary_file(path)
    assert problems == []
    storage, polytechnic = concepts
    assert (storage.id, storage.domain, storage.definition) == (
        "energy-storage",
        "energy",
        "Keeping energy, for later use.",
    )
    assert [t.text for t in storage.terms_in("en")] == ["energy storage", "storage, energy"]
    assert storage.terms[0].variants == ("accumuli di energia",)
    assert storage.terms_in("en")[1].status is TermStatus.DEPRECATED
    assert storage.terms_in("en")[1].note == "old index form"
    assert storage.terms[0].origin == (str(path), 2)
    assert polytechnic.do_not_translate and polytechnic.preferred("ja") is not None
    assert polytechnic.terms[0].part_of_speech is PartOfSpeech.PROPER_NOUN


def test_csv_with_a_byte_order_mark() -> None:
    concepts, problems = read_csv("g.csv", b"\xef\xbb\xbf" + CSV.encode())
    assert problems == [] and len(concepts) == 2


def test_tbx_v2_export_reads_back() -> None:
    concepts, _ = read_csv("g.csv", CSV.encode())
    tbx = write_tbx(concepts)
    assert b'<martif type="TBX-Basic"' in tbx and b"preferredTerm-admn-sts" in tbx
    back, problems = read_tbx("g.tbx", tbx)
    assert problems == [] and back == concepts
    assert write_csv(back) == write_csv(concepts)


def test_tbx_v3_is_read(tmp_path: Path) -> None:
    tbx = b"""<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Basic" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>partner terms</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="heat-pump">
      <descrip type="subjectField">energy</descrip>
      <langSec xml:lang="en">
        <termSec><term>heat pump</term>
          <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termSec>
      </langSec>
      <langSec xml:lang="it">
        <termSec><term>pompa di calore</term>
          <termNote type="partOfSpeech">noun</termNote></termSec>
        <termSec><term>pompe di calore</term><termNote type="termType">variant</termNote></termSec>
      </langSec>
    </conceptEntry>
  </body></text>
</tbx>"""
    (concept,), problems = read_tbx("partner.tbx", tbx)
    assert problems == []
    assert (concept.id, concept.domain) == ("heat-pump", "energy")
    assert concept.preferred("it") == Term(
        "it", "pompa di calore", TermStatus.PREFERRED, PartOfSpeech.NOUN, ("pompe di calore",)
    )


def test_malformed_tbx_names_the_line() -> None:
    concepts, (problem,) = read_tbx("bad.tbx", b"<martif>\n<text>\n<body>\n</text>")
    assert concepts == [] and problem.line == 4 and "not well-formed" in problem.message


TBX_ENTRY = (
    b'<termEntry id="x"><langSet xml:lang="en"><tig><term>%s</term></tig></langSet></termEntry>'
)


def test_tbx_entity_declarations_are_refused_at_their_line() -> None:
    tbx = (
        b'<?xml version="1.0"?>\n<!DOCTYPE martif [\n<!ENTITY a "aa">\n]>\n'
        b"<martif><text><body>" + TBX_ENTRY % b"&a;" + b"</body></text></martif>"
    )
    concepts, (problem,) = read_tbx("e.tbx", tbx)
    assert concepts == [] and problem.line == 3 and "entity declaration" in problem.message


def test_tbx_predefined_entities_and_character_references_still_work() -> None:
    tbx = b"<martif><text><body>" + TBX_ENTRY % b"R&amp;D &#x263A;" + b"</body></text></martif>"
    concepts, problems = read_tbx("ok.tbx", tbx)
    assert problems == [] and concepts[0].terms[0].text == "R&D \u263a"


def test_deeply_nested_tbx_is_read_without_recursion() -> None:
    depth = 50_000
    tbx = b"<martif><text><body>%s%s%s</body></text></martif>" % (
        b"<div>" * depth,
        TBX_ENTRY % b"deep",
        b"</div>" * depth,
    )
    concepts, problems = read_tbx("deep.tbx", tbx)
    assert problems == [] and [t.text for c in concepts for t in c.terms] == ["deep"]


def test_csv_row_the_csv_module_cannot_read_is_a_problem_at_its_first_line() -> None:
    header = "concept,domain,definition,lang,term,status,pos,variants,dnt,note\n"
    two_lines = 'a,,,en,"two\nlines",preferred,,,,\n'
    huge = f'b,,,en,"{"x" * 200_000}",preferred,,,,\n'
    concepts, (problem,) = read_csv("huge.csv", (header + two_lines + huge).encode())
    assert concepts == [] and problem.line == 4
    assert problem.message.startswith("unreadable row: field larger than field limit")


def test_form_tags_are_read_and_a_bad_one_is_a_problem_at_its_line() -> None:
    header = "concept,domain,definition,lang,term,status,pos,variants,dnt,flags,note\n"
    good = "wt,energy,,it,turbina eolica[f],preferred,noun,turbine eoliche[F PL]|pale[pl],,,\n"
    bad = "wm,energy,,it,mulino a vento[x],deprecated,noun,,,,\n"
    concepts, problems = read_csv("g.csv", (header + good + bad).encode())
    (term,) = concepts[0].terms
    assert term.text == "turbina eolica" and term.variants == ("turbine eoliche", "pale")
    assert term.stated("turbine eoliche") == Grammar(Number.PLURAL, Gender.FEMININE)
    assert term.stated("pale") == Grammar(Number.PLURAL)
    assert [(p.line, p.message) for p in problems] == [
        (3, "form tag of 'mulino a vento': unknown word 'x' in [x] (sg, pl, m, f, n)")
    ]


# -- CSV -> TBX -> CSV, for any glossary ------------------------------------------------------

TEXT = (
    st.text(
        st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="|\r\u2028\u2029\x85"
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
IDENT = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)


# a form ending in words in brackets would read as a form tag (documented)
FORM = TEXT.filter(lambda t: re.search(r"\[[A-Za-z ]+\]$", t) is None)
GRAMMAR = st.builds(
    Grammar, st.none() | st.sampled_from(list(Number)), st.none() | st.sampled_from(list(Gender))
).filter(lambda g: bool(g.tag))


@st.composite
def terms(draw: st.DrawFn) -> Term:
    text = draw(FORM)
    variants = tuple(draw(st.lists(FORM.filter(lambda v: v != text), max_size=3, unique=True)))
    tagged = draw(st.lists(st.sampled_from((text, *variants)), unique=True))
    return Term(
        lang=draw(st.sampled_from(["it", "en", "ja", "fr", "pt-BR"])),
        text=text,
        status=draw(st.sampled_from(list(TermStatus))),
        part_of_speech=draw(st.none() | st.sampled_from(list(PartOfSpeech))),
        variants=variants,
        do_not_translate=draw(st.booleans()),
        note=draw(st.just("") | TEXT.filter(lambda n: n not in {"do-not-translate", *TermFlag})),
        flags=frozenset(draw(st.lists(st.sampled_from(list(TermFlag)), max_size=2))),
        grammar=tuple(
            (form, draw(GRAMMAR)) for form in sorted(tagged, key=(text, *variants).index)
        ),
    )


@st.composite
def concepts(draw: st.DrawFn) -> list[Concept]:
    ids = draw(st.lists(IDENT, min_size=1, max_size=5, unique=True))
    out = []
    for concept_id in ids:
        drawn = draw(st.lists(terms(), min_size=1, max_size=5))
        # a concept's terms are grouped by language, as both formats keep them
        order = list(dict.fromkeys(t.lang for t in drawn))
        grouped = tuple(sorted(drawn, key=lambda t: order.index(t.lang)))
        out.append(
            Concept(concept_id, draw(st.just("") | IDENT), draw(st.just("") | TEXT), grouped)
        )
    return out


@settings(max_examples=200, deadline=None)
@given(concepts())
def test_csv_tbx_csv_round_trip_loses_nothing(glossary: list[Concept]) -> None:
    csv_text = write_csv(glossary)
    from_csv, problems = read_csv("g.csv", csv_text.encode())
    assert problems == [] and from_csv == glossary
    from_tbx, problems = read_tbx("g.tbx", write_tbx(from_csv))
    assert problems == [] and from_tbx == glossary
    assert write_csv(from_tbx) == csv_text
