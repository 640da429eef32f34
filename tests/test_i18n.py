"""The gettext catalogs against the code, and the localized text they give."""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from syndicate.i18n import (
    DOMAIN,
    LOCALES_DIR,
    all_feeds_title,
    archive_title,
    feed_subtitle,
    gettext,
    language_label,
    opml_title,
    text_language,
)
from syndicate.models import Article, StoredArticle
from syndicate.publish.translated import translation_note
from syndicate.terms.gloss import gloss_header

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("it", "en", "ja")
#: catalogs whose every msgstr must be written; in en an empty msgstr means the msgid
COMPLETE = ("it", "ja")


def _read_mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    # parse_mapping_cfg is Babel >= 2.15's name for parse_mapping
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse(cfg)
    return method_map, options_map


def _code_msgids() -> set[str]:
    """The msgids of the code, extracted as ``make i18n`` does."""
    method_map, options_map = _read_mapping()
    found = extract_from_dir(
        str(ROOT / "syndicate"), method_map, options_map, keywords=DEFAULT_KEYWORDS
    )
    msgids = set()
    for _filename, _lineno, message, _comments, _context in found:
        msgids.add(message if isinstance(message, str) else message[0])
    return msgids


def _catalog(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, abort_invalid=True)


def _po(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _messages(catalog: Catalog) -> Iterator[tuple[str, str]]:
    for message in catalog:
        if message.id:  # not the header
            assert isinstance(message.id, str) and isinstance(message.string, str)
            yield message.id, message.string


def _fields(text: str) -> set[str]:
    names = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


def test_the_code_has_messages() -> None:
    assert "Key terms" in _code_msgids()


def test_the_template_lists_the_code_messages() -> None:
    template = {msgid for msgid, _ in _messages(_catalog(LOCALES_DIR / f"{DOMAIN}.pot"))}
    code = _code_msgids()
    assert not code - template, f"run make i18n: not in the template: {sorted(code - template)}"
    assert not template - code, f"run make i18n: gone from the code: {sorted(template - code)}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_in_the_catalog(lang: str) -> None:
    strings = dict(_messages(_catalog(_po(lang))))
    missing = sorted(_code_msgids() - strings.keys())
    assert not missing, f"{_po(lang)}: run make i18n; missing msgids: {missing}"
    if lang in COMPLETE:
        empty = sorted(msgid for msgid in _code_msgids() if not strings[msgid])
        assert not empty, f"{_po(lang)}: not translated: {empty}"


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_parses_with_no_fuzzy_entry(lang: str) -> None:
    catalog = _catalog(_po(lang))  # abort_invalid: a syntax error raises
    assert catalog.locale is not None and str(catalog.locale) == lang
    assert not catalog.fuzzy, f"{_po(lang)}: the header is fuzzy"
    fuzzy = sorted(str(m.id) for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"{_po(lang)}: fuzzy entries: {fuzzy}"
    errors = [(str(m.id), [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, f"{_po(lang)}: {errors}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_are_kept(lang: str) -> None:
    wrong = []
    for msgid, msgstr in _messages(_catalog(_po(lang))):
        expected = _fields(msgid)
        assert all(name and not name.isdigit() for name in expected), f"positional: {msgid!r}"
        if msgstr and _fields(msgstr) != expected:
            wrong.append((msgid, msgstr))
    assert not wrong, f"{_po(lang)}: placeholders differ from the msgid: {wrong}"


def test_feed_metadata() -> None:
    assert feed_subtitle("it", "Energia") == "Energia — notizie in italiano"
    assert feed_subtitle("en", "Energy") == "Energy — news in English"
    assert feed_subtitle("ja", "エネルギー") == "エネルギー — 日本語のニュース"
    november = date(2026, 11, 1)
    assert archive_title("it", "Energia", november) == "Energia — archivio di novembre 2026"
    assert archive_title("en", "Energy", november) == "Energy — archive for November 2026"
    assert archive_title("ja", "エネルギー", november) == "エネルギー — 2026年11月のアーカイブ"
    titles = {lang: all_feeds_title(lang) for lang in LANGS}
    assert titles == {"it": "Tutte le notizie", "en": "All news", "ja": "すべてのニュース"}
    assert opml_title(None) == "syndicate — all feeds"
    assert opml_title("it") == "syndicate — feed in italiano"
    assert opml_title("en") == "syndicate — feeds in English"
    assert opml_title("ja") == "syndicate — 日本語のフィード"
    labels = {lang: language_label(lang) for lang in LANGS}
    assert labels == {"it": "Italiano", "en": "English", "ja": "日本語"}


def test_a_language_without_catalog_gets_english() -> None:
    assert not _po("fr").exists()
    assert text_language("fr") == "en"
    assert gettext("fr", "Key terms") == "Key terms"
    assert all_feeds_title("fr") == "All news"
    assert feed_subtitle("fr", "Énergie") == "Énergie — news in French"
    assert archive_title("fr", "Énergie", date(2026, 11, 1)) == (
        "Énergie — archive for November 2026"
    )
    assert language_label("fr") == "Français"  # its own name, whatever the catalogs


def test_a_regional_tag_uses_its_language_catalog() -> None:
    assert text_language("it-CH") == "it-CH"
    assert gettext("it-CH", "Key terms") == "Termini chiave"


def _stored(language: str, published: datetime | None) -> StoredArticle:
    when = datetime(2026, 11, 3, 9, tzinfo=UTC)
    article = Article(
        "s", "g", "https://example.org/a", "T", "", "", published=published, language=language
    )
    return StoredArticle(1, article, when, when)


def test_gloss_header_and_key_terms_label() -> None:
    day = datetime(2026, 11, 3, 9, tzinfo=UTC)
    assert gloss_header(_stored("ja", day), "it") == "Pubblicato in giapponese il 3 novembre 2026"
    assert gloss_header(_stored("it", day), "en") == "Published in Italian on November 3, 2026"
    assert gloss_header(_stored("en", day), "ja") == "2026年11月3日に英語で公開"
    assert gloss_header(_stored("ja", None), "it") == "Pubblicato in giapponese"
    assert gloss_header(_stored("it", None), "en") == "Published in Italian"
    assert gloss_header(_stored("en", None), "ja") == "英語で公開"
    labels = {lang: gettext(lang, "Key terms") for lang in LANGS}
    assert labels == {"it": "Termini chiave", "en": "Key terms", "ja": "主な用語"}


def test_translation_note_and_original_label() -> None:
    assert translation_note("en", "it", "deepl") == (
        "Traduzione automatica dall'originale in inglese (DeepL)"
    )
    assert translation_note("it", "en", "deepl") == (
        "Machine translation from the Italian original (DeepL)"
    )
    assert translation_note("en", "ja", "openai:some-model") == (
        "英語の原文からの機械翻訳（some-model）"
    )
    labels = {lang: gettext(lang, "Original text") for lang in LANGS}
    assert labels == {"it": "Testo originale", "en": "Original text", "ja": "原文"}


def test_no_message_hides_inside_an_f_string() -> None:
    """pybabel does not look inside f-strings: a ``_("…")`` there would never reach the
    catalogs, and its text would stay English in every language."""
    import io
    import tokenize

    hidden = []
    for path in sorted((ROOT / "syndicate").rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
        for token in tokens:
            is_fstring = token.type == tokenize.STRING and token.string.lstrip("rRbB")[:1] in "fF"
            if (is_fstring or token.type == getattr(tokenize, "FSTRING_MIDDLE", -1)) and (
                "_(" in token.string
            ):
                hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert hidden == []
