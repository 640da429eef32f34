"""One reading of HTML as text, for titles, excerpts, JSON Feed and topic keywords."""

from __future__ import annotations

import pytest

from syndicate.htmltext import plain_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Nuove batterie</p><p>al campus</p>", "Nuove batterie al campus"),
        ("riga<br>dopo", "riga dopo"),
        ("<ul><li>uno</li><li>due</li></ul>", "uno due"),
        ("<b>bat</b>terie", "batterie"),  # inline tags do not split a word
        ("AT&amp;T &lt;b&gt; &#x3042;", "AT&T <b> あ"),
        ("<script>alert(1)</script>visibile<style>p{}</style>", "visibile"),
        ('<p title="a>b">testo</p>', "testo"),
        ("東京\u3000の  展示", "東京\u3000の 展示"),  # only ASCII whitespace collapses
        ("<p>unclosed <div>broken", "unclosed broken"),
        ("ctrl\x00\x08char", "ctrlchar"),
    ],
)
def test_plain_text(html: str, text: str) -> None:
    assert plain_text(html) == text


def test_plain_text_is_cut_at_a_word_boundary() -> None:
    assert plain_text("<p>one two three four</p>", 12) == "one two…"


def test_a_keyword_is_not_found_across_a_block_edge_or_in_markup() -> None:
    # what routing reads: the paragraphs' words apart, an attribute not at all
    assert "battery" not in plain_text('<a href="/battery">link</a>')
    assert plain_text("<p>smart</p><p>city</p>").split() == ["smart", "city"]
