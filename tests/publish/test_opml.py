"""OPML 2.0 subscription lists: structure, escaping, determinism, dates, reader-style parsing.

feedparser is not used: it reads feeds, not OPML subscription lists, so it has nothing to say
about these files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped]  # no stubs installed

from syndicate.models import FeedFormat
from syndicate.publish.opml import OpmlFeed, OpmlGroup, render_opml

BASE = "https://example.org/feeds"

ITALIAN = OpmlGroup(
    "Italiano",
    (
        OpmlFeed("Energia", f"{BASE}/it/energia.atom", f"{BASE}/it/", "it", "atom", "Notizie"),
        OpmlFeed("Energia", f"{BASE}/it/energia.xml", f"{BASE}/it/", "it", "rss"),
        OpmlFeed("Energia", f"{BASE}/it/energia.json", f"{BASE}/it/", "it", "json"),
        OpmlFeed("Attualità", f"{BASE}/it/attualita.atom", f"{BASE}/it/", "it", "atom"),
    ),
)
JAPANESE = OpmlGroup(
    "日本語",
    (
        OpmlFeed("エネルギー", f"{BASE}/ja/energy.atom", f"{BASE}/ja/", "ja", "atom", "最新情報"),
        OpmlFeed("エネルギー", f"{BASE}/ja/energy.xml", f"{BASE}/ja/", "ja", "rss"),
    ),
)
ENGLISH = OpmlGroup(
    "English",
    (OpmlFeed("Energy", f"{BASE}/en/energy.atom", f"{BASE}/en/", "en-GB", "atom"),),
)
GROUPS = (ITALIAN, JAPANESE, ENGLISH)
MODIFIED = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)


def render(
    *groups: OpmlGroup,
    owner: str = "syndicate",
    date_modified: datetime | None = None,
    docs: str = "http://opml.org/spec2.opml",
) -> bytes:
    return render_opml(
        "syndicate feeds", groups or GROUPS, owner=owner, date_modified=date_modified, docs=docs
    )


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def feed_outlines(root: ET.Element) -> list[ET.Element]:
    """What a feed reader imports: every outline that has an xmlUrl, at any depth."""
    return [o for o in root.iter("outline") if "xmlUrl" in o.attrib]


# --- structure ---------------------------------------------------------------------------


def test_document_structure() -> None:
    root = parse(render(date_modified=MODIFIED))

    assert root.tag == "opml"
    assert root.attrib == {"version": "2.0"}
    assert [child.tag for child in root] == ["head", "body"]
    head = root.find("head")
    assert head is not None
    assert [child.tag for child in head] == ["title", "dateModified", "ownerName", "docs"]
    assert head.findtext("title") == "syndicate feeds"
    assert head.findtext("ownerName") == "syndicate"
    assert head.findtext("docs") == "http://opml.org/spec2.opml"

    body = root.find("body")
    assert body is not None
    folders = list(body)
    assert [(f.get("text"), f.get("title")) for f in folders] == [
        ("Italiano", "Italiano"),
        ("日本語", "日本語"),
        ("English", "English"),
    ]
    assert all("xmlUrl" not in f.attrib for f in folders)
    assert [len(f) for f in folders] == [4, 2, 1]


def test_feed_outline_attributes() -> None:
    root = parse(render())
    first, second = feed_outlines(root)[:2]

    assert first.attrib == {
        "type": "rss",
        "text": "Energia (Atom)",
        "title": "Energia",
        "xmlUrl": f"{BASE}/it/energia.atom",
        "htmlUrl": f"{BASE}/it/",
        "language": "it",
        "description": "Notizie",
    }
    # no description attribute at all when the description is empty
    assert "description" not in second.attrib
    assert len(second) == 0


def test_single_group_is_still_nested() -> None:
    root = parse(render(ENGLISH))
    body = root.find("body")
    assert body is not None
    (folder,) = list(body)
    assert folder.get("text") == "English"
    assert [o.get("xmlUrl") for o in folder] == [f"{BASE}/en/energy.atom"]


def test_head_optional_elements() -> None:
    root = parse(render(owner="Redazione", docs=""))
    head = root.find("head")
    assert head is not None
    assert head.findtext("ownerName") == "Redazione"
    assert head.find("docs") is None

    head = parse(render(owner="")).find("head")
    assert head is not None
    assert head.find("ownerName") is None


def test_group_without_feeds_is_an_empty_folder() -> None:
    root = parse(render(ENGLISH, OpmlGroup("Deutsch", ())))
    body = root.find("body")
    assert body is not None
    assert [(f.get("text"), len(f)) for f in body] == [("English", 1), ("Deutsch", 0)]


def test_no_groups_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one group"):
        render_opml("empty", [])


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feed format"):
        OpmlFeed("Energia", f"{BASE}/x", f"{BASE}/", "it", "atom10")


def test_feed_format_enum_is_accepted() -> None:
    feed = OpmlFeed("Energy", f"{BASE}/en/e.json", f"{BASE}/", "en", FeedFormat.JSON)
    twin = OpmlFeed("Energy", f"{BASE}/en/e.atom", f"{BASE}/", "en", FeedFormat.ATOM)
    texts = [
        o.get("text") for o in feed_outlines(parse(render(OpmlGroup("English", (feed, twin)))))
    ]
    assert texts == ["Energy (JSON Feed)", "Energy (Atom)"]


# --- text disambiguation -----------------------------------------------------------------


def test_format_added_only_to_repeated_titles() -> None:
    texts = {o.get("xmlUrl"): o.get("text") for o in feed_outlines(parse(render()))}
    assert texts[f"{BASE}/it/energia.atom"] == "Energia (Atom)"
    assert texts[f"{BASE}/it/energia.xml"] == "Energia (RSS)"
    assert texts[f"{BASE}/it/energia.json"] == "Energia (JSON Feed)"
    assert texts[f"{BASE}/it/attualita.atom"] == "Attualità"
    assert texts[f"{BASE}/ja/energy.atom"] == "エネルギー (Atom)"
    assert texts[f"{BASE}/en/energy.atom"] == "Energy"


def test_repetition_ignores_case_and_spacing_but_not_other_groups() -> None:
    group = OpmlGroup(
        "Italiano",
        (
            OpmlFeed("Energia", f"{BASE}/a", f"{BASE}/", "it", "atom"),
            OpmlFeed("energia ", f"{BASE}/b", f"{BASE}/", "it", "rss"),
        ),
    )
    other = OpmlGroup("English", (OpmlFeed("Energia", f"{BASE}/c", f"{BASE}/", "en", "atom"),))
    outlines = feed_outlines(parse(render(group, other)))
    assert [o.get("text") for o in outlines] == ["Energia (Atom)", "energia  (RSS)", "Energia"]
    # title keeps the feed's own title
    assert [o.get("title") for o in outlines] == ["Energia", "energia ", "Energia"]


# --- escaping and encoding ---------------------------------------------------------------


NASTY = "R&D <Energia> \"quota\" 'x'\nseconda riga\ttab"


def nasty_document() -> bytes:
    feed = OpmlFeed(NASTY, f"{BASE}/it/r&d.atom?a=1&b=2", f"{BASE}/it/", "it", "atom", NASTY)
    return render_opml(f"Titolo {NASTY}", [OpmlGroup(NASTY, (feed,))], owner="A & B <c>")


def test_special_characters_round_trip() -> None:
    root = parse(nasty_document())
    head = root.find("head")
    assert head is not None
    assert head.findtext("title") == f"Titolo {NASTY}"
    assert head.findtext("ownerName") == "A & B <c>"
    (outline,) = feed_outlines(root)
    assert outline.get("title") == NASTY
    assert outline.get("description") == NASTY
    assert outline.get("xmlUrl") == f"{BASE}/it/r&d.atom?a=1&b=2"
    folder = root.find("body/outline")
    assert folder is not None
    assert folder.get("text") == NASTY


def test_special_characters_are_escaped_in_the_bytes() -> None:
    data = nasty_document()
    assert b"r&amp;d.atom?a=1&amp;b=2" in data
    assert b"R&amp;D &lt;Energia&gt; &quot;quota&quot;" in data
    # a newline inside an attribute must be a character reference, or parsers turn it into a space
    assert b"&#10;seconda riga&#09;tab" in data
    assert b"<title>Titolo R&amp;D &lt;Energia&gt;" in data
    assert b'"quota"' not in data.split(b"<body>")[1]


def test_non_ascii_is_utf8_not_character_references() -> None:
    data = render()
    assert "日本語".encode() in data
    assert "エネルギー".encode() in data
    assert "最新情報".encode() in data
    assert "Attualità".encode() in data
    assert b"&#" not in data
    assert data.decode("utf-8")  # valid UTF-8 throughout


def test_characters_xml_cannot_hold_are_dropped() -> None:
    feed = OpmlFeed(
        "Ener\x00gia\x0b", f"{BASE}/it/e.atom", f"{BASE}/", "it", "atom", "a\x1fb\ud800"
    )
    data = render_opml("T\x07", [OpmlGroup("It\x08aliano", (feed,))])
    root = etree.fromstring(data)  # lxml would reject control characters
    (outline,) = root.iterfind(".//outline[@xmlUrl]")
    assert outline.get("title") == "Energia"
    assert outline.get("description") == "ab"
    assert root.findtext("head/title") == "T"
    assert root.xpath("/opml/body/outline/@text") == ["Italiano"]


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=["Cc", "Cs"], exclude_characters="\ufffe\uffff"
        )
    )
)
def test_any_printable_text_round_trips(text: str) -> None:
    feed = OpmlFeed(text, f"{BASE}/x.atom", f"{BASE}/", "it", "atom", text)
    data = render_opml(text, [OpmlGroup(text, (feed,))])
    root = etree.fromstring(data)
    (outline,) = root.iterfind(".//outline[@xmlUrl]")
    assert outline.get("title") == text
    assert outline.get("description", "") == text
    assert (root.findtext("head/title") or "") == text


# --- determinism and layout --------------------------------------------------------------


def test_same_input_same_bytes() -> None:
    rebuilt = tuple(OpmlGroup(g.title, tuple(OpmlFeed(**vars(f)) for f in g.feeds)) for g in GROUPS)
    first = render_opml("x", GROUPS, date_modified=MODIFIED)
    assert render_opml("x", GROUPS, date_modified=MODIFIED) == first
    assert render_opml("x", list(rebuilt), date_modified=MODIFIED) == first
    # and the input order is the output order
    assert render_opml("x", GROUPS[::-1], date_modified=MODIFIED) != first


def test_layout() -> None:
    data = render()
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n')
    assert text.endswith("</opml>\n")
    assert not text.endswith("\n\n")
    lines = text.splitlines()
    assert "  <head>" in lines
    assert "    <title>syndicate feeds</title>" in lines
    assert '    <outline text="English" title="English">' in lines
    for line in lines[1:]:
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, line
    assert "\t" not in text


# --- dateModified ------------------------------------------------------------------------

RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT"
)


def test_date_modified_rfc822() -> None:
    value = parse(render(date_modified=MODIFIED)).findtext("head/dateModified")
    assert value == "Wed, 25 Nov 2026 09:00:00 GMT"
    assert RFC822.fullmatch(value)


def test_date_modified_converted_to_gmt() -> None:
    rome = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=rome)
    value = parse(render(date_modified=moment)).findtext("head/dateModified")
    assert value == "Wed, 25 Nov 2026 09:00:00 GMT"
    assert value is not None
    assert parsedate_to_datetime(value) == moment.replace(microsecond=0)


def test_date_modified_absent_when_not_given() -> None:
    data = render()
    assert b"dateModified" not in data
    assert parse(data).find("head/dateModified") is None


def test_naive_date_modified_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render(date_modified=datetime(2026, 11, 25, 9, 0, 0))


# --- what readers see --------------------------------------------------------------------


def test_every_subscription_is_type_rss() -> None:
    outlines = feed_outlines(parse(render()))
    assert len(outlines) == 7
    assert {o.get("type") for o in outlines} == {"rss"}
    assert {o.get("text") for o in outlines} and all(o.get("text") for o in outlines)


def test_reader_finds_every_xml_url() -> None:
    expected = [f.xml_url for g in GROUPS for f in g.feeds]
    found = [o.get("xmlUrl") for o in feed_outlines(parse(render()))]
    assert found == expected


def test_well_formed_for_lxml() -> None:
    data = render(date_modified=MODIFIED)
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    tree = root.getroottree()
    assert tree.docinfo.xml_version == "1.0"
    assert tree.docinfo.encoding.upper() == "UTF-8"
    assert root.get("version") == "2.0"
    urls = root.xpath("//outline[@xmlUrl]/@xmlUrl")
    assert urls == [f.xml_url for g in GROUPS for f in g.feeds]
    assert root.xpath("//outline[@xmlUrl and not(@type='rss')]") == []
    assert root.xpath("//outline[not(@text)]") == []
