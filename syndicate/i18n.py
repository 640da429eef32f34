"""Localized names and dates (Babel, CLDR data). The only module that imports Babel."""

from __future__ import annotations

import functools
from datetime import date, datetime

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

__all__ = ["language_name", "long_date"]


@functools.cache
def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def language_name(code: str, in_language: str) -> str:
    """The name of language ``code`` in ``in_language``: ("ja", "it") -> "giapponese"."""
    name = _locale(in_language).languages.get(code.replace("-", "_"))
    return str(name) if name else code


def long_date(value: date | datetime, in_language: str) -> str:
    """A date the way ``in_language`` writes it in full: "3 novembre 2026", "2026年11月3日"."""
    return str(format_date(value, format="long", locale=_locale(in_language)))
