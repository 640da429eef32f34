"""Localized names, dates and messages (Babel, CLDR data, gettext catalogs).

The only module that imports Babel. Our own wording lives in gettext catalogs,
``syndicate/locales/{lang}/LC_MESSAGES/syndicate.po`` (package data), whose msgids are the
English text. They are read as they are at run time (parsed and compiled in memory, once
per language), so a fresh clone needs no compile step and no ``.mo`` file is kept. A
language without a catalog gets English, with names and dates in English too, so that a
sentence is never half one language.

Call sites mark their messages for ``make i18n`` (pybabel extract) with the name ``_``::

    _ = translator(reader)
    _("Published in {language} on {date}").format(language=..., date=...)

Placeholders are named ``str.format`` fields, never positional ones.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DOMAIN",
    "LOCALES_DIR",
    "all_feeds_title",
    "archive_title",
    "feed_subtitle",
    "gettext",
    "language_label",
    "language_name",
    "long_date",
    "medium_datetime",
    "month_year",
    "opml_title",
    "text_language",
    "translator",
]

#: the gettext domain: ``locales/{lang}/LC_MESSAGES/syndicate.po``
DOMAIN = "syndicate"
#: the catalogs, inside the package (package data: an installed wheel has them too)
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
#: the language of the msgids, and the fallback
_SOURCE_LANGUAGE = "en"

_log = logging.getLogger(__name__)


@functools.cache
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def language_name(code: str, in_language: str) -> str:
    """The name of language ``code`` in ``in_language``: ("ja", "it") -> "giapponese"."""
    languages = _locale(in_language).languages
    tag = code.replace("-", "_")
    name = languages.get(tag) or languages.get(tag.split("_", 1)[0])
    return str(name) if name else code


def long_date(value: date | datetime, in_language: str) -> str:
    """A date the way ``in_language`` writes it in full: "3 novembre 2026", "2026年11月3日"."""
    return str(format_date(value, format="long", locale=_locale(in_language)))


def medium_datetime(value: datetime, in_language: str) -> str:
    """A moment, shortly, in UTC: "25 nov 2026, 09:00:00" / "2026/11/25 9:00:00"."""
    return str(format_datetime(value, format="medium", tzinfo=UTC, locale=_locale(in_language)))


def month_year(value: date | datetime, in_language: str) -> str:
    """A month and its year, standing alone: "novembre 2026", "November 2026", "2026年11月"."""
    return str(format_skeleton("yMMMM", value, locale=_locale(in_language)))


# -- catalogs ---------------------------------------------------------------------------


@functools.cache
def _warn_no_catalogs() -> None:
    _log.warning("no message catalogs in %s: messages are in English", LOCALES_DIR)


@functools.cache
def _catalog(name: str) -> Translations | None:
    """The catalog in ``locales/{name}/``, compiled in memory; None if there is none."""
    path = LOCALES_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        if not LOCALES_DIR.is_dir():
            _warn_no_catalogs()
        return None
    with path.open("rb") as po:
        catalog = read_po(po, locale=name, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog)  # fuzzy and empty msgstrs are left out: the msgid is used
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


@functools.cache
def _resolve(lang: str) -> tuple[NullTranslations, str]:
    """(the translations for ``lang``, the language their text is in)."""
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = None
    if locale is not None:
        # "it-CH" uses locales/it_CH/ if there is one, else locales/it/
        for name in dict.fromkeys((str(locale), locale.language)):
            found = _catalog(name)
            if found is not None:
                return found, lang
    return _catalog(_SOURCE_LANGUAGE) or NullTranslations(), _SOURCE_LANGUAGE


def text_language(lang: str) -> str:
    """The language our messages for ``lang`` are written in: ``lang`` itself when it has a
    catalog, else English. Names and dates inside a message are given in this language."""
    return _resolve(lang)[1]


def translator(lang: str) -> Callable[[str], str]:
    """The gettext function for ``lang``; bind it to ``_`` so that pybabel extracts the
    messages: ``_ = translator(reader)``, then ``_("Key terms")``."""
    return _resolve(lang)[0].gettext


def gettext(lang: str, message: str) -> str:
    """``message`` (an English msgid) in ``lang``, or as it is when ``lang`` has none."""
    return translator(lang)(message)


# -- feed metadata ----------------------------------------------------------------------


def all_feeds_title(lang: str) -> str:
    """The title of a language's ``all`` feed: "Tutte le notizie"."""
    _ = translator(lang)
    # TRANSLATORS: the title of the feed that carries every article.
    return _("All news")


def feed_subtitle(lang: str, title: str) -> str:
    """A feed's subtitle: "Energia — notizie in italiano"."""
    _ = translator(lang)
    here = text_language(lang)
    # TRANSLATORS: a feed's subtitle. {title}: the feed's title ("Energy").
    # {language}: the feed's language, named in your language ("English").
    message = _("{title} — news in {language}")
    return message.format(title=title, language=language_name(lang, here))


def archive_title(lang: str, title: str, month: date) -> str:
    """The title of a feed's monthly archive: "Energia — archivio di novembre 2026"."""
    _ = translator(lang)
    here = text_language(lang)
    # TRANSLATORS: a feed's archive of one month. {title}: the feed's title.
    # {month}: the month and year in your language ("November 2026").
    message = _("{title} — archive for {month}")
    return message.format(title=title, month=month_year(month, here))


def opml_title(lang: str | None) -> str:
    """The title of the OPML list of feeds: of one language's feeds, or (None) of all."""
    if lang is None:
        return "syndicate — all feeds"
    _ = translator(lang)
    # TRANSLATORS: the list of one language's feeds; "syndicate" is our name.
    # {language}: the feeds' language, named in your language ("English").
    message = _("syndicate — feeds in {language}")
    return message.format(language=language_name(lang, text_language(lang)))


def language_label(lang: str) -> str:
    """The language's name in itself, capitalized where it has capitals: "Italiano", "日本語"."""
    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return lang
    name = locale.get_display_name(locale) or lang
    return name[:1].upper() + name[1:]
