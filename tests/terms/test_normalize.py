"""One folding and one idea of a word character, for glossary terms and topic words alike."""

from __future__ import annotations

import pytest

from syndicate.terms.normalize import fold, fold_key, fold_term, is_word_char


@pytest.mark.parametrize("text", ["Mobilità", "CITTÀ", "l’energia", "E-Mobility", "ｅｎｅｒｇｙ"])
def test_a_topic_word_folds_as_an_italian_or_english_term(text: str) -> None:
    assert fold_key(text) == fold_term(text, "it") == fold_term(text, "en")


@pytest.mark.parametrize("text", ["蓄電池", "ＥＶ充電", "スマートシティ"])
def test_a_topic_word_in_japanese_folds_as_a_japanese_term(text: str) -> None:
    assert fold_key(text) == fold_term(text, "ja")


def test_fold_of_text_and_of_a_term_agree() -> None:
    text = "Nuova  CITTÀ, più verde"
    assert (
        " ".join(fold(text, "it").text.split()) == fold_term(text, "it") == "nuova citta piu verde"
    )


@pytest.mark.parametrize(
    ("char", "word"),
    [
        ("a", True),
        ("É", True),
        ("7", True),
        ("ж", True),
        ("-", False),
        ("'", False),
        (" ", False),
        ("の", False),
        ("電", False),
        ("カ", False),
        ("한", False),
    ],
)
def test_word_characters_are_letters_and_digits_of_spaced_scripts(char: str, word: bool) -> None:
    assert is_word_char(char) is word
