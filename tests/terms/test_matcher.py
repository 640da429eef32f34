"""The term matcher's rules, one by one, and properties that must hold for any text."""

from __future__ import annotations

import itertools
import re
import shutil
import string
import sysconfig
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from syndicate.terms import Concept, Glossary, Matcher, Term, TermMatch, TermStatus
from syndicate.terms.matcher import _other_forms, _scan
from syndicate.terms.model import TermFlag
from syndicate.terms.normalize import fold, fold_term
from syndicate.terms.segment import HIRAGANA, KANJI, KATAKANA, MAX_RUN, run_boundaries, script_of

A = TermStatus.ADMITTED
D = TermStatus.DEPRECATED
BLOCKING = TermFlag.BLOCKING
CASED = TermFlag.CASE_SENSITIVE

GLOSSARY = Glossary(
    (
        Concept(
            "energy-storage",
            "energy",
            "",
            (
                Term("it", "accumulo di energia", variants=("accumuli di energia",)),
                Term("it", "accumulo", A),
                Term("en", "energy storage"),
                Term("ja", "エネルギー貯蔵"),
                Term("ja", "蓄電", A),
            ),
        ),
        Concept(
            "energy",
            "energy",
            "",
            (Term("it", "energia"), Term("en", "energy"), Term("ja", "エネルギー")),
        ),
        Concept(
            "ai",
            "ai",
            "",
            (
                Term("it", "intelligenza artificiale"),
                Term("en", "artificial intelligence"),
                Term("en", "AI", A),
                Term("ja", "人工知能"),
                Term("ja", "AI", A),
            ),
        ),
        Concept(
            "battery",
            "energy",
            "",
            (
                Term("en", "battery", variants=("batteries",)),
                Term("en", "accumulator", D),
                Term("it", "batteria", variants=("batterie",)),
                Term("ja", "バッテリー"),
            ),
        ),
        Concept(
            "solid-state-battery",
            "energy",
            "",
            (
                Term("en", "solid-state battery", variants=("solid-state batteries",)),
                Term("it", "batteria allo stato solido"),
                Term("ja", "全固体電池"),
            ),
        ),
        Concept("city", "city", "", (Term("it", "città"), Term("en", "city"), Term("ja", "市"))),
        Concept(
            "hydrogen",
            "energy",
            "",
            (
                Term("it", "idrogeno"),
                Term("en", "hydrogen"),
                Term("ja", "水素"),
                Term("ja", "硫化水素", A, flags=frozenset({BLOCKING})),
            ),
        ),
        Concept(
            "municipality",
            "city",
            "",
            (
                Term("it", "Comune", flags=frozenset({CASED})),
                Term("en", "municipality"),
                Term("ja", "自治体"),
            ),
        ),
        Concept(
            "agreement",
            "cooperation",
            "",
            (
                Term("it", "accordo"),
                Term("it", "d'accordo", A, flags=frozenset({BLOCKING})),
                Term("en", "agreement"),
                Term("ja", "協定"),
            ),
        ),
    )
)
MATCHER = Matcher(GLOSSARY)
PURE = Matcher(GLOSSARY, compiled=False)  # the Python loops, the C helper's reference


def found(text: str, lang: str) -> list[tuple[str, str]]:
    return [(m.concept, text[m.start : m.end]) for m in MATCHER.match(text, lang)]


def test_case_folding_and_variants() -> None:
    assert found("ENERGY Storage and two Batteries", "en") == [
        ("energy-storage", "ENERGY Storage"),
        ("battery", "Batteries"),
    ]


def test_word_boundaries() -> None:
    assert found("energystorage, batteryless, reenergy", "en") == []
    assert found("(energy)", "en") == [("energy", "energy")]


def test_italian_elision_and_apostrophe_variants() -> None:
    assert found("l'accumulo e dell'energia", "it") == [
        ("energy-storage", "accumulo"),
        ("energy", "energia"),
    ]
    for apostrophe in "'’ʼ":
        text = f"all{apostrophe}intelligenza artificiale"
        assert found(text, "it") == [("ai", "intelligenza artificiale")], apostrophe
    assert found("un'altra città", "it") == [("city", "città")]


def test_accents_are_folded_in_spaced_scripts() -> None:
    assert found("la citta' e la CITTÀ", "it") == [("city", "citta"), ("city", "CITTÀ")]


def test_longest_leftmost_wins() -> None:
    assert found("l'accumulo di energia", "it") == [("energy-storage", "accumulo di energia")]
    assert found("a solid-state battery", "en") == [("solid-state-battery", "solid-state battery")]
    assert found("batteria allo stato solido", "it") == [
        ("solid-state-battery", "batteria allo stato solido")
    ]


def test_japanese_width_folding_and_no_word_boundaries() -> None:
    assert found("新しいｴﾈﾙｷﾞｰ貯蔵の実験", "ja") == [("energy-storage", "ｴﾈﾙｷﾞｰ貯蔵")]
    assert found("全固体電池とバッテリー", "ja") == [
        ("solid-state-battery", "全固体電池"),
        ("battery", "バッテリー"),
    ]


def test_latin_tokens_inside_japanese_respect_latin_boundaries() -> None:
    assert found("AIの研究", "ja") == [("ai", "AI")]
    assert found("東京でＡＩ活用", "ja") == [("ai", "ＡＩ")]  # full-width folded
    assert found("EMAILで連絡", "ja") == []
    assert found("MAIL", "ja") == []


def test_kana_and_ideographs_bound_words_in_spaced_languages() -> None:
    # Machine output can leave Japanese around an Italian or English term.
    assert found("la batteria allo stato solidoを使う", "it") == [
        ("solid-state-battery", "batteria allo stato solido")
    ]
    assert found("市のcity計画", "en") == [("city", "city")]
    assert found("cityscape", "en") == []  # Latin letters still join a word


def test_urls_are_not_searched() -> None:
    assert found("see https://example.org/energy and www.energy.example", "en") == []
    assert found("energy: https://e.org/x", "en") == [("energy", "energy")]
    # Japanese runs on after a URL without a space: a URL is ASCII, the text after it is read
    assert ("energy-storage", "エネルギー貯蔵") in found(
        "詳細はwww.example.jpでエネルギー貯蔵を", "ja"
    )


def test_html_text_nodes_only() -> None:
    markup = (
        '<p title="energy" class="battery">Energy <a href="/battery">battery</a></p>'
        "<code>energy</code><pre>battery</pre><script>energy()</script>"
        "<p>city &amp; energy</p>"
    )
    matches = MATCHER.match_html(markup, "en")
    assert [(m.concept, markup[m.start : m.end]) for m in matches] == [
        ("energy", "Energy"),
        ("battery", "battery"),
        ("city", "city"),
        ("energy", "energy"),
    ]


def test_entities_in_text_nodes_map_back_to_the_markup() -> None:
    markup = "<p>la citt&agrave; e l&#8217;energia</p>"
    matches = MATCHER.match_html(markup, "it")
    assert [(m.concept, markup[m.start : m.end]) for m in matches] == [
        ("city", "citt&agrave;"),
        ("energy", "energia"),
    ]


def test_match_reports_term_and_status() -> None:
    (m,) = MATCHER.match("an old accumulator", "en")
    assert (m.concept, m.term, m.status) == ("battery", "accumulator", D)
    (m,) = MATCHER.match("AIの研究", "ja")
    assert (m.term, m.status) == ("AI", A)


def test_unknown_language_matches_nothing() -> None:
    assert MATCHER.match("energy", "de") == []


def _forms() -> dict[tuple[str, str], tuple[str, Term]]:
    """(lang, folded form) -> (concept, term): listed forms first, then generated ones
    (the first to claim a form keeps it), as the matcher builds its automata."""
    forms: dict[tuple[str, str], tuple[str, Term]] = {}
    for generated in (False, True):
        for c in GLOSSARY:
            for t in c.terms:
                for f in _other_forms(t) if generated else t.forms:
                    forms.setdefault((t.lang, fold_term(f, t.lang)), (c.id, t))
    return forms


FORMS = _forms()
ALPHABET = (
    string.ascii_letters
    + " '’ʼ-.,<>&;"
    + "àèéìòùÀÈ"
    + "ｴﾈﾙｷﾞｰ貯蔵のとAIＡＩ市全固体電池硫化水素ャー"
)
WORDS = [f for (_, f) in FORMS] + ["EMAIL", "http://x.org/energy", "<b>", "&amp;", "l'", "dell’"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, max_size=6)), max_size=12),
    st.sampled_from(["it", "en", "ja"]),
)
def test_matching_never_raises_and_offsets_slice_back_to_a_form(
    parts: list[str], lang: str
) -> None:
    text = " ".join(parts)
    previous_end = 0
    for m in MATCHER.match(text, lang):
        assert 0 <= m.start < m.end <= len(text) and m.start >= previous_end
        previous_end = m.end
        assert FORMS[(lang, fold_term(text[m.start : m.end], lang))][0] == m.concept
    MATCHER.match_html(text, lang)  # any text is acceptable HTML input too


def japanese_boundaries(body: str) -> set[int]:
    """Every word boundary of ``body``, the obvious way: the ends, every change of script,
    every position next to a Latin letter, digit or other character, and, inside each run
    of kana or kanji, where the analyser puts one."""
    out = {0, len(body), *range(0, len(body), MAX_RUN)}
    for i in range(1, len(body)):
        a, b = script_of(body[i - 1]), script_of(body[i])
        if a != b or a not in (KANJI, KATAKANA, HIRAGANA):
            out.add(i)
    runs = sorted(out)
    for start, end in itertools.pairwise(runs):
        if script_of(body[start]) in (KANJI, KATAKANA, HIRAGANA):
            marks = run_boundaries(body[start:end])
            out |= {start + j for j, mark in enumerate(marks) if mark}
    return out


def _splits_a_character(body: str, start: int, end: int) -> bool:
    """A span beginning or ending before a combining mark cuts a character in two."""
    return any(i < len(body) and unicodedata.combining(body[i]) for i in (start, end))


def reference(text: str, lang: str) -> list[tuple[str, int, int]]:
    """Leftmost-longest matching the slow, obvious way, to check the fast one: whole words
    in it/en; in ja, analyser word boundaries at both ends and no Latin letter touching a
    Latin end. Then blocking terms are dropped, and case-sensitive ones not as written."""
    body = fold(text, lang).text
    marks = japanese_boundaries(body) if lang == "ja" else set()
    # Latin letters and digits (Basic Latin to Latin Extended-B)
    latin = re.compile(r"[0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
    candidates = []
    for (form_lang, form), (concept, term) in FORMS.items():
        if form_lang != lang:
            continue
        if lang == "ja":
            found_at = [m.start() for m in re.finditer(f"(?={re.escape(form)})", body)]
            spans = [
                (a, a + len(form))
                for a in found_at
                if a in marks
                and a + len(form) in marks
                and not _splits_a_character(body, a, a + len(form))
                and not (latin.match(form[0]) and a > 0 and latin.match(body[a - 1]))
                and not (
                    latin.match(form[-1])
                    and a + len(form) < len(body)
                    and latin.match(body[a + len(form)])
                )
            ]
        else:
            pattern = rf"(?<!\w){re.escape(form)}(?!\w)"
            spans = [(m.start(), m.end()) for m in re.finditer(pattern, body)]
        candidates += [(a, a - b, concept, term) for a, b in spans]
    out, reached = [], 0
    for start, minus_length, concept, term in sorted(candidates, key=lambda c: c[:2]):
        if start >= reached:
            reached = start - minus_length
            if BLOCKING in term.flags:
                continue
            written = text[start:reached]
            if CASED in term.flags and written not in term.forms:
                continue
            out.append((concept, start, reached))
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(WORDS), st.text(string.ascii_lowercase + " '-", max_size=5)),
        max_size=14,
    ),
    st.sampled_from(["it", "en"]),
)
def test_fast_whole_word_matching_equals_the_obvious_algorithm(parts: list[str], lang: str) -> None:
    text = " ".join(p for p in parts if "://" not in p and "<" not in p and "&" not in p)
    expected = reference(text, lang)
    for matcher in (MATCHER, PURE):
        assert [(m.concept, m.start, m.end) for m in matcher.match(text, lang)] == expected


JA_WORDS = [f for (lang, f) in FORMS if lang == "ja"] + [
    "ベンチャー",
    "東京都",
    "EMAIL",
    "の",
    "が",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(JA_WORDS), st.text(ALPHABET, max_size=4)), max_size=12))
def test_japanese_matching_equals_the_obvious_algorithm(parts: list[str]) -> None:
    # NFKC first: folding then keeps offsets, so the reference's offsets are the text's
    text = unicodedata.normalize("NFKC", "".join(p for p in parts if "://" not in p))
    assume("www." not in text.casefold())  # URLs are not searched; the reference knows none
    expected = reference(text, "ja")
    assert [(m.concept, m.start, m.end) for m in MATCHER.match(text, "ja")] == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, max_size=6)), max_size=12),
    st.sampled_from(["it", "en", "ja"]),
)
def test_c_helper_and_python_loops_agree(parts: list[str], lang: str) -> None:
    text = "".join(parts) if lang == "ja" else " ".join(parts)
    assert MATCHER.match(text, lang) == PURE.match(text, lang)
    assert MATCHER.match_html(text, lang) == PURE.match_html(text, lang)
    assert all(type(m) is TermMatch for m in MATCHER.match(text, lang))


def test_c_helper_is_built_where_a_compiler_is() -> None:
    if not sysconfig.get_config_var("CC") or not shutil.which(
        sysconfig.get_config_var("CC").split()[0]
    ):
        pytest.skip("no C compiler here: the matcher runs on its Python loops")
    assert _scan is not None, "setup.py builds syndicate/terms/_scan.c; reinstall with pip -e ."
    assert MATCHER._scan is _scan and PURE._scan is None


def test_c_helper_rejects_input_it_does_not_understand() -> None:
    if _scan is None:
        pytest.skip("the C helper is not built here")
    entry = (3, 5, "c", "abc", TermStatus.PREFERRED, False, False)
    with pytest.raises(TypeError):
        _scan.whole_words([(1, 2, 3)], "  abc  ", TermMatch)
    with pytest.raises(TypeError):
        _scan.whole_words([(4, ("short",))], "  abc  ", TermMatch)
    with pytest.raises(TypeError):
        _scan.whole_words([], " abc ", dict)  # type: ignore[type-var]
    with pytest.raises(ValueError):  # matches out of order
        _scan.whole_words([(5, entry), (5, entry), (0, entry)], " abc  abc ", TermMatch)
    assert _scan.whole_words([(4, entry)], " abc ", TermMatch) == [
        TermMatch("c", "abc", TermStatus.PREFERRED, 0, 3)
    ]


def test_no_ascii_character_needs_the_slow_folding_path() -> None:
    """fold() skips the search for special characters in ASCII text; that must be safe."""
    from syndicate.terms.normalize import _table

    for accents in (True, False):
        _, special, _ = _table(accents)
        assert not any(special.match(chr(code)) for code in range(128))
