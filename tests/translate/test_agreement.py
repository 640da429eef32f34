"""Glossary fixes that keep grammar (syndicate/translate/agreement.py): one test per rule."""

from __future__ import annotations

import pytest

from syndicate.terms import Concept, Glossary, Matcher, Term, TermStatus
from syndicate.terms.model import Gender, Grammar, Number, PartOfSpeech, TermFlag
from syndicate.translate import check_translation
from syndicate.translate.agreement import grammar_of, replacement

D = TermStatus.DEPRECATED
F = Grammar(None, Gender.FEMININE)
M = Grammar(None, Gender.MASCULINE)


def term(
    lang: str,
    text: str,
    *variants: str,
    status: TermStatus = TermStatus.PREFERRED,
    grammar: Grammar | None = None,
    tags: tuple[tuple[str, Grammar], ...] = (),
) -> Term:
    stated = ((text, grammar),) if grammar is not None else ()
    return Term(lang, text, status, variants=variants, grammar=stated + tags)


SOLID_OLD = term("it", "batteria solida", "batterie solide", status=D, grammar=F)
SOLID = term("it", "batteria allo stato solido", "batterie allo stato solido", grammar=F)
WINDMILL = term("it", "mulino a vento", "mulini a vento", status=D, grammar=M)
TURBINE = term("it", "turbina eolica", "turbine eoliche", grammar=F)
CAR = term("it", "macchina elettrica", "macchine elettriche", status=D, grammar=F)
VEHICLE = term("it", "veicolo elettrico", "veicoli elettrici", grammar=M)
ECAR = term("en", "e-car", "e-cars", status=D)
EV = term("en", "electric vehicle", "electric vehicles")
SOLID_EN_OLD = term("en", "solid battery", "solid batteries", status=D)
SOLID_EN = term("en", "solid-state battery", "solid-state batteries")


def fixed(text: str, written: str, old: Term, new: Term, lang: str = "it") -> str | None:
    start = text.index(written)
    edit = replacement(text, start, start + len(written), lang, old, new)
    return None if edit is None else text[: edit.start] + edit.new + text[edit.end :]


# -- number ------------------------------------------------------------------------------------


def test_a_plural_is_replaced_by_the_preferred_plural() -> None:
    text = "Sono state presentate due batterie solide."
    assert fixed(text, "batterie solide", SOLID_OLD, SOLID) == (
        "Sono state presentate due batterie allo stato solido."
    )
    assert fixed("Solid batteries are here.", "Solid batteries", SOLID_EN_OLD, SOLID_EN, "en") == (
        "Solid-state batteries are here."
    )


def test_the_number_of_a_form_comes_from_its_tag_or_the_plural_rules() -> None:
    assert grammar_of(SOLID_OLD, "batterie solide", "it") == Grammar(Number.PLURAL, Gender.FEMININE)
    assert grammar_of(SOLID_OLD, "Batteria Solida", "it").number is Number.SINGULAR
    assert grammar_of(ECAR, "e-cars", "en").number is Number.PLURAL  # a hyphenated word
    # an irregular plural is known only from its tag
    mouse = term("en", "mouse", "mice", tags=(("mice", Grammar(Number.PLURAL)),))
    assert grammar_of(mouse, "mice", "en").number is Number.PLURAL
    assert grammar_of(term("en", "mouse", "mice"), "mice", "en").number is None


def test_no_listed_form_in_the_number_means_no_fix() -> None:
    singular_only = term("it", "batteria allo stato solido", grammar=F)
    assert fixed("due batterie solide", "batterie solide", SOLID_OLD, singular_only) is None


# -- gender ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "expected"),
    [
        (
            "Le macchine elettriche sono in crescita.",
            "macchine elettriche",
            "I veicoli elettrici sono in crescita.",
        ),
        (
            "Sosta gratis per le macchine elettriche nel centro.",
            "macchine elettriche",
            "Sosta gratis per i veicoli elettrici nel centro.",
        ),
        (
            "Il comune compra un mulino a vento.",
            "mulino a vento",
            "Il comune compra una turbina eolica.",
        ),
        (
            "La vendita delle macchine elettriche in Italia cresce.",
            "macchine elettriche",
            "La vendita dei veicoli elettrici in Italia cresce.",
        ),
        ("Il mulino a vento di Rho.", "mulino a vento", "La turbina eolica di Rho."),
    ],
)
def test_a_gender_change_inflects_the_determiner_again(
    text: str, written: str, expected: str
) -> None:
    old, new = (CAR, VEHICLE) if "macchin" in written else (WINDMILL, TURBINE)
    assert fixed(text, written, old, new) == expected


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("I vecchi mulini a vento sono stati sostituiti.", "mulini a vento"),  # adjective
        ("Il nuovo mulino a vento funziona.", "mulino a vento"),  # adjective before
        ("Le macchine elettriche nuove costano meno.", "macchine elettriche"),  # after
        ("Le macchine elettriche sono state vendute.", "macchine elettriche"),  # participle
        ("La macchina elettrica è costosa.", "macchina elettrica"),  # predicate
        ("Tutte le macchine elettriche pagano meno.", "macchine elettriche"),  # tutte le
        ("Il mulino a vento è fermo.", "mulino a vento"),
        # a verb right after the term is not told from an adjective: not fixed either
        ("La vendita delle macchine elettriche cala.", "macchine elettriche"),
    ],
)
def test_a_gender_change_with_other_words_agreeing_is_not_fixed(text: str, written: str) -> None:
    old, new = (CAR, VEHICLE) if "macchin" in written else (WINDMILL, TURBINE)
    assert fixed(text, written, old, new) is None


def test_a_listed_adjective_before_the_term_is_inflected_with_it() -> None:
    text = "Il nuovo mulino a vento della zona industriale."
    assert fixed(text, "mulino a vento", WINDMILL, TURBINE) == (
        "La nuova turbina eolica della zona industriale."
    )
    assert fixed("Gli ultimi mulini a vento.", "mulini a vento", WINDMILL, TURBINE) == (
        "Le ultime turbine eoliche."
    )
    # an adjective outside the list is not guessed at
    assert fixed("Il bel mulino a vento.", "mulino a vento", WINDMILL, TURBINE) is None


def test_a_coordinated_complement_sharing_the_noun_is_not_stranded() -> None:
    lithium = term("it", "batteria al litio", "batterie al litio", status=D, grammar=F)
    ion = term("it", "batteria agli ioni di litio", "batterie agli ioni di litio", grammar=F)
    text = "Produce batterie al litio e al sodio."
    assert fixed(text, "batterie al litio", lithium, ion) is None
    assert fixed("Produce batterie al litio e ne vende.", "batterie al litio", lithium, ion) == (
        "Produce batterie agli ioni di litio e ne vende."
    )


def test_a_name_is_singular() -> None:
    commune = Term("en", "Commune of Valmora", D, PartOfSpeech.PROPER_NOUN)
    city = Term("en", "City of Valmora", part_of_speech=PartOfSpeech.PROPER_NOUN)
    assert fixed("The Commune of Valmora pays.", "Commune of Valmora", commune, city, "en") == (
        "The City of Valmora pays."
    )


def test_unknown_genders_are_not_guessed() -> None:
    untagged = term("it", "turbina eolica", "turbine eoliche")
    assert fixed("Il mulino a vento di Rho.", "mulino a vento", WINDMILL, untagged) is None


def test_a_determiner_that_does_not_agree_with_the_old_term_is_not_trusted() -> None:
    assert fixed("Le mulini a vento di Rho.", "mulini a vento", WINDMILL, TURBINE) is None


def test_the_article_follows_the_new_first_sound() -> None:
    storage = term("it", "accumulo", "accumuli", grammar=M)
    stock = term("it", "stoccaggio", "stoccaggi", status=D, grammar=M)
    assert fixed("Lo stoccaggio cresce.", "stoccaggio", stock, storage) == "L'accumulo cresce."
    assert fixed("Gli stoccaggi crescono.", "stoccaggi", stock, storage) == "Gli accumuli crescono."


# -- English articles, capitals, Japanese --------------------------------------------------------


def test_a_and_an_follow_the_new_term() -> None:
    assert fixed("They bought a e-car.", "e-car", ECAR, EV, "en") == (
        "They bought an electric vehicle."
    )
    assert fixed("An e-car is cheap.", "e-car", ECAR, EV, "en") == "An electric vehicle is cheap."
    assert fixed("A solid battery.", "solid battery", SOLID_EN_OLD, SOLID_EN, "en") == (
        "A solid-state battery."
    )


def test_a_capital_at_the_start_of_a_sentence_is_kept() -> None:
    text = "Batterie solide potrebbero raddoppiare l'autonomia."
    assert fixed(text, "Batterie solide", SOLID_OLD, SOLID) == (
        "Batterie allo stato solido potrebbero raddoppiare l'autonomia."
    )
    assert (
        fixed("Le macchine elettriche sono in crescita.", "macchine elettriche", CAR, VEHICLE)[:1]
        == "I"
    )  # type: ignore[index]


def test_japanese_is_replaced_as_written() -> None:
    old = Term("ja", "リチウム電池", D)
    new = Term("ja", "リチウムイオン電池")
    assert fixed("新型のリチウム電池を使う。", "リチウム電池", old, new, "ja") == (
        "新型のリチウムイオン電池を使う。"
    )


# -- in glossary QA ------------------------------------------------------------------------------


GLOSSARY = Glossary(
    (
        Concept("wind-turbine", "energy", "", (Term("en", "wind turbine"), TURBINE, WINDMILL)),
        Concept("electric-vehicle", "mobility", "", (Term("en", "electric vehicle"), VEHICLE, CAR)),
        Concept(
            "politecnico",
            "research",
            "",
            (
                Term("en", "Valmora Polytechnic", do_not_translate=True),
                Term("it", "Politecnico di Valmora", do_not_translate=True),
            ),
        ),
        Concept(
            "power-grid",
            "energy",
            "",
            (
                Term("en", "power grid"),
                Term("it", "rete", flags=frozenset({TermFlag.NEEDS_CONTEXT})),
            ),
        ),
    )
)
MATCHER = Matcher(GLOSSARY)


def qa(source: str, output: str, src: str = "en", tgt: str = "it") -> object:
    return check_translation(source, output, src, tgt, GLOSSARY, MATCHER, html=False)


def test_qa_fixes_what_is_safe_and_leaves_the_rest_for_the_engine() -> None:
    safe = qa("Electric vehicles are growing.", "Le macchine elettriche sono in crescita.")
    assert safe.text == "I veicoli elettrici sono in crescita."  # type: ignore[attr-defined]
    assert safe.unsafe == ()  # type: ignore[attr-defined]
    unsafe = qa(
        "The old wind turbines were replaced.", "I vecchi mulini a vento sono stati sostituiti."
    )
    assert unsafe.text == "I vecchi mulini a vento sono stati sostituiti."  # type: ignore[attr-defined]
    (use,) = unsafe.unsafe  # type: ignore[attr-defined]
    assert (use.written, use.use, use.avoid) == (
        "mulini a vento",
        "turbina eolica",
        "mulino a vento",
    )
    assert any("left as written" in f for f in unsafe.flags)  # type: ignore[attr-defined]


def test_a_name_in_the_glossary_s_target_language_form_is_not_flagged() -> None:
    ok = qa("Valmora Polytechnic opens a lab.", "Il Politecnico di Valmora apre un laboratorio.")
    assert ok.flags == ()  # type: ignore[attr-defined]
    changed = qa(
        "Valmora Polytechnic opens a lab.", "Il Politecnico Valmorese apre un laboratorio."
    )
    assert any("do-not-translate" in f for f in changed.flags)  # type: ignore[attr-defined]


def test_a_full_name_needs_the_full_name_a_short_form_a_short_one() -> None:
    hub = Concept(
        "hub",
        "cooperation",
        "",
        (
            Term("en", "Tokyo Innovation Hub", do_not_translate=True),
            Term("en", "Hub", TermStatus.ADMITTED, do_not_translate=True),
            Term("it", "Tokyo Innovation Hub", do_not_translate=True),
            Term("it", "Hub", TermStatus.ADMITTED, do_not_translate=True),
        ),
    )
    glossary = Glossary((hub,))
    matcher = Matcher(glossary)

    def flags(source: str, output: str) -> tuple[str, ...]:
        return check_translation(source, output, "en", "it", glossary, matcher, html=False).flags

    assert flags("At the Tokyo Innovation Hub.", "All'Hub per l'innovazione di Tokyo.")
    assert flags("At the Tokyo Innovation Hub.", "Al Tokyo Innovation Hub.") == ()
    assert flags("At the Hub today.", "Oggi all'Hub.") == ()


def test_a_source_word_that_needs_context_asks_for_nothing() -> None:
    assert (
        qa("La nuova rete di bike sharing.", "The new bike-sharing network.", "it", "en").flags
        == ()
    )  # type: ignore[attr-defined]
