"""segments: HTML cut under a size limit and joined back; names hidden from engines and restored."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.translate._placeholders import protect
from syndicate.translate.segments import MIN_CHARS, Seam, Split, split_html

VOID = {"br", "hr", "img", "wbr", "input", "meta", "link", "source", "area", "col", "embed"}
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")
TAGS_INTACT = re.compile(r"(?:[^<>]|<[^<>]*>)*")
TEXT_SPLIT = re.compile(r"(<[^>]*>|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);)")
TAG = re.compile(r"<[^>]*>")


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.ok = True

    def reset(self) -> None:
        super().reset()
        self.stack = []
        self.ok = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.ok = False


_balance = _Balance()


def well_formed(markup: str) -> bool:
    """Balanced tags, no tag or character reference cut short."""
    _balance.reset()
    _balance.feed(markup)
    _balance.close()
    broken_entity = any(not ENTITY.match(markup, m.start()) for m in re.finditer("&", markup))
    return (
        _balance.ok
        and not _balance.stack
        and TAGS_INTACT.fullmatch(markup) is not None
        and not broken_entity
    )


class _Floor(HTMLParser):
    """The size below which split_html may have to exceed max_chars for a document: the
    longest run of enclosing start and end tags plus the longest indivisible token."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[tuple[int, int]] = []
        self.wrap = 0
        self.atom = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        self.atom = max(self.atom, len(text))
        if tag not in VOID:
            self.stack.append((len(text), len(tag) + 3))
            self.wrap = max(self.wrap, sum(a + b for a, b in self.stack))

    def handle_endtag(self, tag: str) -> None:
        self.stack.pop()

    def handle_comment(self, data: str) -> None:
        self.atom = max(self.atom, len(data) + 7)

    def handle_entityref(self, name: str) -> None:
        self.atom = max(self.atom, len(name) + 2)

    def handle_charref(self, name: str) -> None:
        self.atom = max(self.atom, len(name) + 3)


def floor(markup: str) -> int:
    parser = _Floor()
    parser.feed(markup)
    parser.close()
    return parser.wrap + parser.atom


def shout(markup: str) -> str:
    """A "translation" that upper-cases text and leaves tags and character references alone."""
    parts = TEXT_SPLIT.split(markup)
    return "".join(part if i % 2 else part.upper() for i, part in enumerate(parts))


def text_of(markup: str) -> str:
    return TAG.sub("", markup)


# --------------------------------------------------------------------------- documents

WORDS = [
    "energia", "rete", "città", "déjà", "the", "grid", "of", "storage", "Milano", "AI",
    "&amp;", "&lt;", "&#8217;", "&nbsp;", "&eacute;", "&#x263A;",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", ". ", "! ", "? ", ", ", "\n"]
JAPANESE = [
    "東京都は新しい拠点を開設した。",
    "研究者が集まる。",
    "「すごい。」と彼は言った。",
    "エネルギー貯蔵の実験です！",
    "本当ですか？",
]


INLINE = [
    ("<b>", "</b>"),
    ("<em>", "</em>"),
    ('<a href="https://ex.org/x">', "</a>"),
    ('<span class="k">', "</span>"),
    ("<code>", "</code>"),
]
LEAF_BLOCKS = [("<p>", "</p>"), ("<h2>", "</h2>"), ('<p class="lead">', "</p>")]
CONTAINERS = [("<div>", "</div>"), ("<blockquote>", "</blockquote>"), ("<section>", "</section>")]


def _text(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "".join(rng.choice(JAPANESE) for _ in range(rng.randint(1, 8)))
    count = rng.randint(30, 80) if rng.random() < 0.15 else rng.randint(1, 8)  # long paragraphs
    return "".join(rng.choice(WORDS) + rng.choice(SEPARATORS) for _ in range(count))


def _inline(rng: random.Random, depth: int) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if depth < 3 and roll < 0.3:
            start, end = rng.choice(INLINE)
            parts.append(start + _inline(rng, depth + 1) + end)
        elif roll < 0.4:
            parts.append(rng.choice(["<br>", '<img src="i.png" alt="">']))
        else:
            parts.append(_text(rng))
    return "".join(parts)


def _block(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        start, end = rng.choice(CONTAINERS)
        return start + "".join(_block(rng, depth + 1) for _ in range(rng.randint(1, 3))) + end
    if depth < 3 and roll < 0.35:
        tag = rng.choice(["ul", "ol"])
        items = (
            _inline(rng, 0) if rng.random() < 0.7 else _block(rng, depth + 1)
            for _ in range(rng.randint(0, 6))
        )
        return f"<{tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{tag}>"
    if roll < 0.8:
        start, end = rng.choice(LEAF_BLOCKS)
        return start + _inline(rng, 0) + end
    if roll < 0.9:
        lines = (_text(rng).replace("\n", " ") for _ in range(rng.randint(1, 6)))
        return "<pre>" + "\n".join(lines) + "</pre>"
    return rng.choice(["<hr>", "<!-- note -->", "<br>"])


def _document(seed: int, blocks: int) -> str:
    """Nested blocks (or, for ``blocks == 0``, inline markup only) chosen by ``seed``: a
    couple of draws per document keeps 200 examples fast."""
    rng = random.Random(seed)
    if not blocks:
        return _inline(rng, 0)
    return "".join(_block(rng, 0) + rng.choice(["", "\n"]) for _ in range(blocks))


documents = st.builds(_document, st.integers(0, 2**32 - 1), st.integers(0, 5))


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(doc=documents, data=st.data())
def test_identity_round_trip(doc: str, data: st.DataObject) -> None:
    least = max(MIN_CHARS, floor(doc))
    fits = st.integers(least, max(least, 400))  # where every piece can fit
    max_chars = data.draw(st.one_of(st.integers(MIN_CHARS, 400), fits), label="max_chars")
    split = split_html(doc, max_chars)
    assert split.join(split.pieces) == doc
    assert all(piece for piece in split.pieces)
    for piece in split.pieces:
        assert well_formed(piece), piece
    if max_chars >= least:
        assert max(len(piece) for piece in split.pieces) <= max_chars
    if all(not seam.tags for seam in split.seams):
        assert "".join(split.pieces) == doc


@settings(max_examples=200, deadline=None)
@given(doc=documents, max_chars=st.integers(MIN_CHARS, 400))
def test_translating_pieces_is_translating_the_document(doc: str, max_chars: int) -> None:
    split = split_html(doc, max_chars)
    joined = split.join([shout(piece) for piece in split.pieces])
    assert joined == shout(doc)
    assert well_formed(joined)


# --------------------------------------------------------------------------- split_html


def test_empty_and_short_input() -> None:
    assert split_html("", 100) == Split()
    assert split_html("", 100).join([]) == ""
    short = "<p>Ciao <b>mondo</b>.</p>"
    assert split_html(short, 100).pieces == (short,)
    assert split_html("just text", 16).pieces == ("just text",)


def test_max_chars_below_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        split_html("<p>x</p>", MIN_CHARS - 1)
    assert split_html("<p>x</p>", MIN_CHARS).pieces == ("<p>x</p>",)


def test_top_level_blocks_are_packed_greedily() -> None:
    paragraphs = [f"<p>Paragraph {i}. It has a few words in it, yes.</p>" for i in range(5)]
    assert {len(p) for p in paragraphs} == {50}
    doc = "".join(paragraphs)
    split = split_html(doc, 120)
    assert split.pieces == (
        paragraphs[0] + paragraphs[1],
        paragraphs[2] + paragraphs[3],
        paragraphs[4],
    )
    assert "".join(split.pieces) == doc
    assert split.seams == (Seam(), Seam())


def test_block_cut_preferred_over_packing_into_a_long_paragraph() -> None:
    doc = "<h2>Title</h2><p>" + "One sentence here. " * 20 + "</p>"
    split = split_html(doc, 200)
    assert split.pieces[0] == "<h2>Title</h2>"
    assert split.join(split.pieces) == doc


def test_long_list_is_split_between_items() -> None:
    items = [f"<li>Item number {i:03d} of the list</li>" for i in range(200)]
    doc = '<ul class="list">' + "".join(items) + "</ul>"
    split = split_html(doc, 300)
    assert len(split.pieces) > 20
    for i, piece in enumerate(split.pieces):
        assert len(piece) <= 300
        assert piece.startswith('<ul class="list"><li>') and piece.endswith("</li></ul>")
        assert piece.count("<li>") == piece.count("</li>")
        assert well_formed(piece)
        if i < len(split.pieces) - 1:  # greedy: the next item would not have fitted
            assert len(piece) + len(items[0]) > 300
    assert all(seam == Seam(('<ul class="list">',), False) for seam in split.seams)
    assert "".join(split.pieces) != doc
    assert split.join(split.pieces) == doc


def test_long_paragraph_cut_at_sentence_ends_with_bold_across_a_cut() -> None:
    sentences = [f"Sentence {i} talks about energy storage in the city. " for i in range(100)]
    body = "".join(sentences)
    doc = "<p>" + body[:1000] + "<b>" + body[1000:3000] + "</b>" + body[3000:] + "</p>"
    assert len(doc) > 5000
    split = split_html(doc, 1000)
    for piece in split.pieces:
        assert len(piece) <= 1000
        assert well_formed(piece)
    for piece in split.pieces[:-1]:
        assert text_of(piece).endswith("city. ")
    inside_bold = [i for i, seam in enumerate(split.seams) if seam.names == ("p", "b")]
    assert inside_bold
    i = inside_bold[0]
    assert split.pieces[i].endswith("</b></p>")
    assert split.pieces[i + 1].startswith("<p><b>")
    assert split.join(split.pieces) == doc
    assert split.join([shout(p) for p in split.pieces]) == shout(doc)


def test_text_without_sentences_is_cut_at_whitespace_then_anywhere() -> None:
    words = " ".join(f"parola{i}" for i in range(200))
    split = split_html(words, 50)
    assert all(len(p) <= 50 for p in split.pieces)
    assert all(p.endswith(" ") for p in split.pieces[:-1])
    assert "".join(split.pieces) == words
    blob = "x" * 100
    split = split_html(blob, 16)
    assert [len(p) for p in split.pieces] == [16] * 6 + [4]


def test_pre_block_is_kept_whole_when_it_fits() -> None:
    code = "\n".join(f"let x{i} = compute({i});" for i in range(8))
    pre = f"<pre>{code}</pre>"
    doc = "<p>" + "Intro words here. " * 8 + "</p>" + pre + "<p>" + "Outro words. " * 8 + "</p>"
    split = split_html(doc, len(pre) + 20)
    assert sum(pre in piece for piece in split.pieces) == 1
    assert all("pre" not in seam.names for seam in split.seams)
    assert split.join(split.pieces) == doc


def test_long_pre_block_is_cut_at_line_ends() -> None:
    code = "\n".join(f"line {i:02d} of code" for i in range(60))
    doc = f"<pre>{code}</pre>"
    split = split_html(doc, 120)
    assert len(split.pieces) > 5
    for piece in split.pieces[:-1]:
        assert piece.startswith("<pre>") and piece.endswith("\n</pre>")
        assert len(piece) <= 120
    assert split.join(split.pieces) == doc


def test_inline_code_is_not_cut_when_avoidable() -> None:
    doc = "<p>" + "word " * 10 + "<code>a b c d e f g h i j k</code>" + " tail" * 10 + "</p>"
    for max_chars in range(45, 90):
        split = split_html(doc, max_chars)
        assert all("code" not in seam.names for seam in split.seams), max_chars
        assert split.join(split.pieces) == doc


def test_japanese_is_cut_after_sentence_ends() -> None:
    doc = "<p>" + "東京都は新しい拠点を開設した。研究者が集まる。" * 20 + "</p>"
    split = split_html(doc, 60)
    for piece in split.pieces[:-1]:
        assert text_of(piece).endswith("。")
    assert all(len(p) <= 60 for p in split.pieces)
    assert split.join(split.pieces) == doc


def test_japanese_closing_quote_stays_with_its_sentence() -> None:
    doc = "<p>" + "「すごい。」と彼は言った。" * 30 + "</p>"
    split = split_html(doc, 40)
    assert len(split.pieces) > 5
    assert not any(text_of(piece).startswith("」") for piece in split.pieces)
    assert split.join(split.pieces) == doc


def test_entities_and_tags_are_never_cut() -> None:
    doc = "&amp;&lt;&#8217;&eacute;&#x263A;" * 30
    split = split_html(doc, 16)
    assert all(len(p) <= 16 and well_formed(p) for p in split.pieces)
    assert "".join(split.pieces) == doc
    long_tag = '<a href="https://example.org/a/very/long/path/to/somewhere">'
    doc = f"<p>Some words {long_tag}link text</a> and more words after it.</p>"
    split = split_html(doc, 30)
    assert sum(long_tag in p for p in split.pieces) >= 1
    assert all(well_formed(p) for p in split.pieces)
    assert split.join(split.pieces) == doc


def test_grapheme_clusters_are_not_cut() -> None:
    accents = "x" + "e\u0301" * 60  # e + combining acute accent, pairs at odd offsets
    split = split_html(accents, 16)
    assert not any(piece.startswith("\u0301") for piece in split.pieces)
    assert "".join(split.pieces) == accents
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467" * 20  # emoji joined by ZWJ
    split = split_html(family, 16)
    assert not any(p.startswith("\u200d") or p.endswith("\u200d") for p in split.pieces)
    assert "".join(split.pieces) == family


def test_raw_text_and_comments_are_not_markup() -> None:
    script = '<script>if (a < b && c > d) { x = "</p>"; }</script>'
    comment = "<!-- a comment <b> with a tag -->"
    doc = "<p>" + "Words here. " * 6 + "</p>" + script + comment + "<p>" + "More. " * 6 + "</p>"
    split = split_html(doc, 80)
    assert sum(script in p for p in split.pieces) == 1
    assert sum(comment in p for p in split.pieces) == 1
    assert split.join(split.pieces) == doc


def test_malformed_input_still_round_trips() -> None:
    doc = "<p>one <b>two</p> three</b> <div>unclosed " * 20 + "&amp tail <"
    for max_chars in (16, 37, 100):
        split = split_html(doc, max_chars)
        assert split.join(split.pieces) == doc
        assert all(len(p) <= max_chars for p in split.pieces)


def test_join_tolerates_rewritten_wrapper_tags() -> None:
    doc = '<ul class="list">' + "".join(f"<li>Voce {i}</li>" for i in range(30)) + "</ul>"
    split = split_html(doc, 100)
    assert len(split.pieces) > 3

    def engine(piece: str) -> str:
        piece = piece.replace('<ul class="list">', "<UL  class='list' >")
        return piece.replace("</ul>", "</UL >\n").replace("Voce", "Item")

    joined = split.join([engine(p) for p in split.pieces])
    assert joined.lower().count("<ul") == 1
    assert joined.lower().count("</ul") == 1
    assert joined.count("<li>") == 30
    assert well_formed(joined.replace("UL", "ul"))


def test_join_keeps_both_wrappers_when_one_is_lost() -> None:
    doc = "<ul>" + "".join(f"<li>Voce {i}</li>" for i in range(30)) + "</ul>"
    split = split_html(doc, 100)
    pieces = list(split.pieces)
    pieces[1] = f"<div>{pieces[1]}</div>"  # the engine wrapped a piece: its <ul> is not first
    joined = split.join(pieces)
    assert well_formed(joined)
    assert joined.count("<ul>") == 3  # the wrapped piece keeps its own
    assert joined.count("<li>") == 30


def test_join_puts_back_a_space_the_engine_trimmed() -> None:
    doc = "<p>First sentence here. Second sentence here. Third one.</p>"
    split = split_html(doc, 30)
    assert len(split.pieces) == 3

    def trim(piece: str) -> str:
        return re.sub(r"\s+(?=</)", "", piece)

    assert split.join([trim(p) for p in split.pieces]) == doc
    japanese = ["<p>最初の文です。</p>", "<p>二番目の文です。</p>", "<p>三番目。</p>"]
    assert split.join(japanese) == "<p>最初の文です。二番目の文です。三番目。</p>"


def test_join_checks_its_argument() -> None:
    split = split_html("<p>" + "Una frase. " * 10 + "</p>", 40)
    with pytest.raises(ValueError, match="expected"):
        split.join(list(split.pieces)[:-1])
    with pytest.raises(TypeError):
        split.join("".join(split.pieces))
    with pytest.raises(ValueError, match="seams"):
        Split(("a", "b"), ())


# --------------------------------------------------------------------------- protect

NAMES = ["Politecnico di Milano", "Comune di Milano", "Tokyo Innovation Base", "Milano", "AI"]


def placeholders(markup: str) -> list[str]:
    return re.findall(r'<span translate="no" data-keep="(\d+)"></span>', markup)


def test_names_survive_a_translation_of_every_text_node() -> None:
    doc = (
        "<p>Il Politecnico di Milano collabora con il Comune di Milano e con "
        "<b>Tokyo Innovation Base</b>. Milano cresce.</p>"
    )
    protected = protect(doc, NAMES)
    assert placeholders(protected.markup) == ["0", "1", "2", "3"]
    assert protected.names == (
        "Politecnico di Milano",
        "Comune di Milano",
        "Tokyo Innovation Base",
        "Milano",
    )
    assert "Milano" not in text_of(protected.markup)
    assert "Tokyo" not in text_of(protected.markup)
    restored, missing = protected.restore(shout(protected.markup))
    assert missing == []
    assert restored == (
        "<p>IL Politecnico di Milano COLLABORA CON IL Comune di Milano E CON "
        "<b>Tokyo Innovation Base</b>. Milano CRESCE.</p>"
    )
    assert protected.restore(protected.markup) == (doc, [])


@pytest.mark.parametrize(
    "variant",
    [
        "<span data-keep='{n}' translate=\"no\"></span>",
        '<span translate="no" data-keep="{n}"/>',
        "<SPAN data-keep={n}  translate=no></SPAN>",
        '<span\n  translate="no"\n  data-keep=" {n} " ></span >',
        '<span translate="no" data-keep="{n}">{name}</span>',  # an LLM wrote the name in
    ],
)
def test_restore_tolerates_rewritten_placeholders(variant: str) -> None:
    doc = "<p>Il Comune di Milano e il Politecnico di Milano.</p>"
    protected = protect(doc, NAMES)
    rewritten = re.sub(
        r'<span translate="no" data-keep="(\d+)"></span>',
        lambda m: variant.format(n=m.group(1), name=protected.originals[int(m.group(1))]),
        protected.markup,
    )
    assert rewritten != protected.markup
    assert protected.restore(rewritten) == (doc, [])


def test_missing_placeholders_are_reported_and_unknown_ones_removed() -> None:
    doc = "<p>Il Comune di Milano, il Politecnico di Milano e Milano.</p>"
    protected = protect(doc, NAMES)
    assert placeholders(protected.markup) == ["0", "1", "2"]
    dropped = protected.markup.replace('<span translate="no" data-keep="1"></span>', "")
    dropped += '<span translate="no" data-keep="99"></span><span class="x">ok</span>'
    restored, missing = protected.restore(dropped)
    assert missing == ["Politecnico di Milano"]
    assert restored == ('<p>Il Comune di Milano, il  e Milano.</p><span class="x">ok</span>')


def test_attributes_and_code_are_left_alone() -> None:
    doc = (
        '<p><a title="Politecnico di Milano" href="/Milano">Politecnico di Milano</a> '
        "<code>Milano</code> <!-- Milano --></p><pre>Comune di Milano</pre>"
    )
    protected = protect(doc, NAMES)
    assert placeholders(protected.markup) == ["0"]
    assert protected.markup.startswith('<p><a title="Politecnico di Milano" href="/Milano"><span')
    assert "<code>Milano</code> <!-- Milano -->" in protected.markup
    assert "<pre>Comune di Milano</pre>" in protected.markup
    assert protected.restore(protected.markup) == (doc, [])


def test_names_match_whole_words_only() -> None:
    doc = "<p>EMAIL, THAI, AIR, AI, AIの研究, AI-based, MilanoNord, Milano.</p>"
    protected = protect(doc, NAMES)
    assert protected.originals == ("AI", "AI", "AI", "Milano")
    for word in ("EMAIL", "THAI", "AIR", "の研究", "-based", "MilanoNord"):
        assert word in protected.markup
    assert protected.restore(protected.markup) == (doc, [])


def test_name_spacing_and_escaping_variants_match() -> None:
    doc = "<p>Comune di\nMilano, Comune&nbsp;di Milano, AT&amp;T, &amp; amp.</p>"
    protected = protect(doc, [*NAMES, "AT&T", "amp"])
    assert protected.originals == ("Comune di\nMilano", "Comune&nbsp;di Milano", "AT&amp;T", "amp")
    assert protected.names == ("Comune di Milano", "Comune di Milano", "AT&T", "amp")
    assert "&amp; " in protected.markup  # not "&<span ...>;"
    assert protected.restore(protected.markup) == (doc, [])


def test_no_names_means_no_change() -> None:
    doc = "<p>Milano</p>"
    assert protect(doc, []).markup == doc
    assert protect(doc, ["", "  "]).restore(doc) == (doc, [])


TEXT_WORDS = ["la", "città", "cresce", "e", "il", "progetto", "&amp;", "研究", "grid"]


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(TEXT_WORDS), st.sampled_from(NAMES[:4])), min_size=1, max_size=20
    ),
    wrap=st.sampled_from([("<p>", "</p>"), ("<p><b>", "</b></p>"), ('<a title="x">', "</a>")]),
)
def test_protect_hides_every_name_and_restores_exactly(
    parts: list[str], wrap: tuple[str, str]
) -> None:
    doc = wrap[0] + " ".join(parts) + wrap[1]
    protected = protect(doc, NAMES)
    visible = text_of(protected.markup)
    assert not any(name in visible for name in NAMES[:4])
    assert len(placeholders(protected.markup)) == sum(p in NAMES for p in parts)
    assert protected.restore(protected.markup) == (doc, [])
    translated, missing = protected.restore(shout(protected.markup))
    assert missing == []
    assert translated == wrap[0] + " ".join(p if p in NAMES else shout(p) for p in parts) + wrap[1]


def test_protected_markup_splits_and_joins() -> None:
    doc = "<p>" + "Il Politecnico di Milano apre un bando. " * 30 + "</p>"
    protected = protect(doc, NAMES)
    split = split_html(protected.markup, 200)
    assert all(len(p) <= 200 and well_formed(p) for p in split.pieces)
    assert all("span" not in seam.names for seam in split.seams)
    translated = split.join([shout(p) for p in split.pieces])
    restored, missing = protected.restore(translated)
    assert missing == []
    assert restored == "<p>" + "IL Politecnico di Milano APRE UN BANDO. " * 30 + "</p>"
