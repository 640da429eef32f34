from __future__ import annotations

from syndicate.config import TopicConfig
from syndicate.models import Article, TopicReason
from syndicate.terms import route_article

TOPICS = (
    TopicConfig(
        "energy", {"en": "Energy"}, categories=("Energia", "energy"), keywords=("battery", "蓄電池")
    ),
    TopicConfig("ai", {"en": "AI"}, keywords=("AI",)),
    TopicConfig("city", {"en": "City"}),
)


def art(title: str = "", summary: str = "", categories: tuple[str, ...] = ()) -> Article:
    return Article("s", "g", None, title, summary, summary, categories=categories)


def test_category_match_is_case_and_width_insensitive() -> None:
    assert route_article(art(categories=("ENERGIA",)), TOPICS) == [("energy", TopicReason.CATEGORY)]
    assert route_article(art(categories=("ｅｎｅｒｇｙ",)), TOPICS) == [
        ("energy", TopicReason.CATEGORY)
    ]


def test_source_topics_always_apply_and_win_the_reason() -> None:
    routed = route_article(art(categories=("energy",)), TOPICS, ["energy", "city"])
    assert routed == [("energy", TopicReason.SOURCE), ("city", TopicReason.SOURCE)]


def test_keywords_respect_latin_word_boundaries() -> None:
    assert route_article(art("New AI lab opens"), TOPICS) == [("ai", TopicReason.KEYWORD)]
    assert route_article(art("Write us an EMAIL"), TOPICS) == []
    assert route_article(art("Said: ai."), TOPICS) == [("ai", TopicReason.KEYWORD)]
    assert route_article(art("Batteryless sensors"), TOPICS) == []


def test_keywords_in_japanese_need_no_spaces() -> None:
    assert route_article(art("新型蓄電池の実証"), TOPICS) == [("energy", TopicReason.KEYWORD)]
    assert route_article(art("東京でAIの研究拠点"), TOPICS) == [("ai", TopicReason.KEYWORD)]


def test_keywords_are_looked_for_in_summary_text_not_markup() -> None:
    assert route_article(art(summary='<a href="/battery">link</a>'), TOPICS) == []
    assert route_article(art(summary="<p>a battery</p>"), TOPICS) == [
        ("energy", TopicReason.KEYWORD)
    ]


def test_keywords_and_categories_fold_as_glossary_terms_do() -> None:
    # accents, case and width fold as in the glossary, so a topic's words match however
    # an editor typed them (before, "Mobilità" and "mobilita" were different categories)
    topics = (
        TopicConfig("city", {"it": "Città"}, categories=("Mobilità",), keywords=("città",)),
        TopicConfig("ev", {"ja": "EV"}, keywords=("EV充電", "e-mobility")),
    )
    assert route_article(art(categories=("MOBILITA",)), topics) == [("city", TopicReason.CATEGORY)]
    assert route_article(art("Una CITTA più verde"), topics) == [("city", TopicReason.KEYWORD)]
    assert route_article(art("Cittadella"), topics) == []
    assert route_article(art("Nuovi servizi di E‑Mobility in centro"), topics) == [
        ("ev", TopicReason.KEYWORD)
    ]
    assert route_article(art("都内のEV充電網"), topics) == [("ev", TopicReason.KEYWORD)]
    # a kana or kanji end needs no boundary, a Latin end still does
    assert route_article(art("都内のNEV充電網"), topics) == []
    assert route_article(art("ＥＶ充電器の設置"), topics) == [("ev", TopicReason.KEYWORD)]
