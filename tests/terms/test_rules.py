"""The rules that make terms hold up on real journalism (issue 16), one test each: Japanese
word boundaries, blocking forms, case-sensitive and context-needing terms, a term and its
abbreviation in brackets counted once, Italian articulated prepositions, inflected forms,
and scores that count distinct concepts by weight."""

from __future__ import annotations

import pytest

from syndicate.config import TopicConfig
from syndicate.models import Article, Mention, TopicReason
from syndicate.terms import Concept, Glossary, Matcher, Term, TermStatus
from syndicate.terms.forms import plurals, with_prepositions
from syndicate.terms.model import TermFlag
from syndicate.terms.routing import ROUTED_CHARS, concept_scores, mentions_of, route_article
from syndicate.terms.segment import MAX_RUN, Boundaries

A = TermStatus.ADMITTED
BLOCKING = frozenset({TermFlag.BLOCKING})


def concept(cid: str, domain: str, *terms: Term) -> Concept:
    return Concept(cid, domain, "", terms)


GLOSSARY = Glossary(
    (
        concept("bench", "city", Term("ja", "ベンチ"), Term("it", "panchina"), Term("en", "bench")),
        concept(
            "startup",
            "startups",
            Term("ja", "スタートアップ"),
            Term("ja", "ベンチャー", A),
            Term("it", "startup"),
            Term("en", "startup"),
        ),
        concept(
            "hydrogen",
            "energy",
            Term("ja", "水素"),
            Term("ja", "硫化水素", A, flags=BLOCKING),
            Term("it", "idrogeno"),
            Term("en", "hydrogen"),
        ),
        concept("kyoto", "city", Term("ja", "京都"), Term("it", "Kyoto"), Term("en", "Kyoto")),
        concept(
            "battery",
            "energy",
            Term("ja", "電池"),
            Term("it", "batteria"),
            Term("en", "battery"),
        ),
        concept(
            "solid-state-battery",
            "energy",
            Term("it", "batteria allo stato solido"),
            Term("en", "solid-state battery"),
            Term("ja", "全固体電池"),
        ),
        concept(
            "hub",
            "cooperation",
            Term("ja", "ハブ"),
            Term("ja", "ハブ空港", A, flags=BLOCKING),
            Term("it", "hub"),
            Term("en", "hub"),
        ),
        concept(
            "municipality",
            "city",
            Term("it", "Comune", flags=frozenset({TermFlag.CASE_SENSITIVE})),
            Term("en", "municipality"),
            Term("ja", "自治体"),
        ),
        concept(
            "agreement",
            "cooperation",
            Term("it", "accordo", variants=("accordi",)),
            Term("it", "d'accordo", A, flags=BLOCKING),
            Term("it", "intesa", A, flags=frozenset({TermFlag.NEEDS_CONTEXT})),
            Term("en", "agreement"),
            Term("ja", "協定"),
        ),
        concept(
            "delegation",
            "cooperation",
            Term("it", "delegazione"),
            Term("en", "delegation"),
            Term("ja", "代表団"),
        ),
        concept(
            "electric-vehicle",
            "mobility",
            Term("ja", "電気自動車"),
            Term("ja", "EV", A),
            Term("it", "veicolo elettrico"),
            Term("en", "electric vehicle"),
            Term("en", "EV", A),
        ),
        concept(
            "emissions-trading",
            "decarbonisation",
            Term("it", "scambio di quote di emissione"),
            Term("en", "emissions trading"),
            Term("ja", "排出量取引"),
        ),
        concept(
            "trial",
            "research",
            Term("en", "field trial"),
            Term("ja", "実証実験"),
            Term("ja", "実証", A, flags=frozenset({TermFlag.GENERIC})),
            Term("it", "sperimentazione"),
        ),
        concept(
            "research-project",
            "research",
            Term("en", "research project"),
            Term("ja", "研究プロジェクト"),
            Term("it", "progetto di ricerca"),
        ),
        concept(
            "grant",
            "research",
            Term("en", "grant"),
            Term("ja", "助成金"),
            Term("it", "finanziamento"),
        ),
    )
)
MATCHER = Matcher(GLOSSARY)


def found(text: str, lang: str) -> list[tuple[str, str]]:
    return [(m.concept, text[m.start : m.end]) for m in MATCHER.match(text, lang)]


# -- Japanese word boundaries -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("大学発ベンチャーが上場", [("startup", "ベンチャー")]),  # not ベンチ
        ("公園のベンチを新調", [("bench", "ベンチ")]),
        ("東京都の施策", []),  # 京都 is not in 東京都
        ("京都の大学", [("kyoto", "京都")]),
        ("リチウムイオン電池の工場", [("battery", "電池")]),  # a part of a compound it names
        ("水素エネルギーの普及", [("hydrogen", "水素")]),
        ("全固体電池を量産", [("solid-state-battery", "全固体電池")]),  # longest wins
        ("東京イノベーションハブ", [("hub", "ハブ")]),  # a word the analyser does not know
    ],
)
def test_a_japanese_term_matches_only_on_word_boundaries(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text, "ja") == expected


def test_control_and_supplementary_characters_are_boundaries() -> None:
    marks = Boundaries("\x01\x01水素𠮷")
    assert [i in marks for i in range(6)] == [True, True, True, False, True, True]


def test_a_long_run_goes_to_the_analyser_in_pieces() -> None:
    text = "水素" * (MAX_RUN // 2 + 10)  # one run of kanji longer than the analyser takes
    marks = Boundaries(text)
    assert [i in marks for i in (0, 2, MAX_RUN, len(text))] == [True] * 4
    assert len(MATCHER.match(text, "ja")) == len(text) // 2


# -- blocking forms -------------------------------------------------------------------------


def test_a_blocking_form_hides_the_shorter_term_inside_it_and_counts_for_nothing() -> None:
    assert found("硫化水素が検出された", "ja") == []
    assert found("ハブ空港の整備とイノベーションハブ", "ja") == [("hub", "ハブ")]
    assert found("Siamo d'accordo sull'accordo", "it") == [("agreement", "accordo")]


# -- case-sensitive and context-needing terms ---------------------------------------------


def test_a_case_sensitive_term_matches_only_as_written() -> None:
    assert found("Il Comune di Torino", "it") == [("municipality", "Comune")]
    assert found("un obiettivo comune", "it") == []
    assert found("IL COMUNE", "it") == []


def article(title: str, text: str, lang: str) -> Article:
    return Article("s", "g", None, title, "", text, language=lang)


def concepts_in(title: str, text: str, lang: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in mentions_of(article(title, text, lang), MATCHER):
        counts[m.concept] = counts.get(m.concept, 0) + m.count
    return counts


def test_a_term_needing_context_counts_only_beside_its_domain() -> None:
    assert concepts_in("Utili record per Intesa", "La banca cresce.", "it") == {}
    with_context = concepts_in("Intesa tra Milano e Osaka", "Una delegazione a Osaka.", "it")
    assert with_context == {"agreement": 1, "delegation": 1}


def test_routing_reads_a_bounded_head_of_the_text() -> None:
    filler = "x" * (ROUTED_CHARS - 40)
    assert concepts_in("", f"<p>{filler} hydrogen</p>", "en") == {"hydrogen": 1}
    beyond = f"<p>{filler}{'y' * 100}</p><p>hydrogen</p>"
    assert concepts_in("", beyond, "en") == {}
    # a tag cut at the limit is dropped whole, never read as text
    text = "<p>" + "z" * (ROUTED_CHARS - 30) + "</p>"
    cut = text + "<a title='hydrogen hydrogen' class='" + "q" * 40 + "'>"
    assert concepts_in("", cut, "en") == {}
    assert concepts_in("hydrogen", beyond, "en") == {"hydrogen": 1}  # the title is read whole


# -- a term and its abbreviation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("電気自動車（EV）の販売が伸びた", "ja"),
        ("電気自動車 (EV) の販売", "ja"),
        ("Sales of electric vehicles (EVs) grew", "en"),
        ("Sales of EV (electric vehicle) grew", "en"),
    ],
)
def test_a_term_with_its_abbreviation_in_brackets_is_one_mention(text: str, lang: str) -> None:
    assert concepts_in("", text, lang) == {"electric-vehicle": 1}


def test_two_separate_mentions_still_count_twice() -> None:
    assert concepts_in("", "電気自動車とEVの違い", "ja") == {"electric-vehicle": 2}


# -- Italian prepositions and inflected forms ------------------------------------------------


def test_italian_articulated_prepositions_match_the_base_preposition() -> None:
    for text in ("lo scambio delle quote di emissione", "lo scambio di quote dell'emissione"):
        assert found(text, "it") == [
            ("emissions-trading", text.removeprefix("lo ")),
        ], text
    assert "scambio delle quote di emissione" in with_prepositions("scambio di quote di emissione")


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "due batterie allo stato solido",
            "it",
            ("solid-state-battery", "batterie allo stato solido"),
        ),
        ("veicoli elettrici in città", "it", ("electric-vehicle", "veicoli elettrici")),
        ("three solid-state batteries", "en", ("solid-state-battery", "solid-state batteries")),
        ("new research projects", "en", ("research-project", "research projects")),
        ("two hub", "en", ("hub", "hub")),
    ],
)
def test_regular_plurals_match(text: str, lang: str, expected: tuple[str, str]) -> None:
    assert found(text, lang) == [expected]


def test_plural_rules() -> None:
    assert plurals("comunità energetica", "it") == ["comunità energetiche"]
    assert plurals("pompa di calore", "it") == ["pompe di calore"]
    assert plurals("bus", "it") == []
    assert plurals("memorandum of understanding", "en") == ["memorandums of understanding"]
    assert plurals("battery", "en") == ["batteries"]
    assert plurals("e-car", "en") == ["e-cars"]  # a hyphenated word inflects its last part
    assert plurals("start-up", "en") == ["start-ups"]


def test_listed_forms_win_over_generated_ones() -> None:
    """ "accordi" is listed for agreement; a generated form of another concept that folds
    the same (none here) could not take it, and listed variants are matched as such."""
    glossary = Glossary(
        (
            concept("a", "x", Term("it", "porta"), Term("en", "door"), Term("ja", "扉")),
            concept("b", "y", Term("it", "porte"), Term("en", "gates"), Term("ja", "門")),
        )
    )
    matcher = Matcher(glossary)
    (m,) = matcher.match("le porte", "it")  # "porte" is b's listed form, a's plural
    assert m.concept == "b"


# -- scores -----------------------------------------------------------------------------------

RESEARCH = TopicConfig(id="research", title={}, concepts=("trial", "research-project", "grant"))


def routed(title: str, text: str, lang: str) -> list[str]:
    mentions = mentions_of(article(title, text, lang), MATCHER)
    return [
        t
        for t, r in route_article(article(title, text, lang), [RESEARCH], (), mentions)
        if r is TopicReason.CONCEPT
    ]


def test_scores_count_distinct_concepts_not_repetitions() -> None:
    assert routed("", "research project, research project, research project", "en") == []
    assert routed("", "A research project won a grant.", "en") == ["research"]
    assert routed("A research project", "", "en") == ["research"]  # the title counts double


def test_a_generic_term_weighs_less() -> None:
    assert routed("新素材の実証", "", "ja") == []  # 実証 alone in a title: 0.5 x 2 = 1
    assert routed("新素材の実証実験", "", "ja") == ["research"]
    (m,) = mentions_of(article("実証", "", "ja"), MATCHER)
    assert m.weight == 0.5


def test_concept_scores_take_each_concepts_best_mention() -> None:
    mentions = [
        Mention("trial", "実証", "admitted", True, 1, 0.5),
        Mention("trial", "実証実験", "preferred", False, 3, 1.0),
        Mention("grant", "助成金", "preferred", True, 1, 1.0),
    ]
    assert concept_scores(mentions) == {"trial": 1.0, "grant": 2.0}


# -- glossary QA of Japanese output uses the same boundaries ----------------------------------


def test_qa_does_not_fix_a_deprecated_japanese_term_inside_a_longer_word() -> None:
    from syndicate.translate import check_translation

    glossary = Glossary(
        (
            concept(
                "kyoto-city",
                "city",
                Term("ja", "京都市"),
                Term("ja", "京都", TermStatus.DEPRECATED),
                Term("it", "Kyoto"),
            ),
        )
    )
    matcher = Matcher(glossary)
    kept = check_translation(
        "Il piano di Tokyo", "東京都の新しい計画", "it", "ja", glossary, matcher
    )
    assert kept.text == "東京都の新しい計画" and kept.fixes == ()
    fixed = check_translation("Kyoto", "京都の計画", "it", "ja", glossary, matcher)
    assert fixed.text == "京都市の計画" and len(fixed.fixes) == 1
