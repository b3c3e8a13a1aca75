"""Dates and times as people read them, per locale, from Babel's CLDR data (never strftime, whose
names and order are English-only). The bot's "en" writes them the British way ("Wed 11 Nov")."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton

BABEL_LOCALES = {"en": "en_GB"}
FALLBACK = "en_GB"


@cache
def babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(BABEL_LOCALES.get(locale, locale))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(FALLBACK)


def day(value: date, locale: str) -> str:
    """ "11 Nov" """
    return format_skeleton("MMMd", value, locale=babel_locale(locale))


def weekday(value: date, locale: str) -> str:
    """ "Wed 11 Nov" """
    return format_skeleton("MMMEd", value, locale=babel_locale(locale))


def long_weekday(value: date, locale: str) -> str:
    """ "Wednesday 11 November", "miércoles, 11 de noviembre": the locale's day-and-month
    pattern with the weekday written out (CLDR has no skeleton for that, so a closest match
    abbreviates it in some locales)."""
    found = babel_locale(locale).datetime_skeletons["MMMMEd"]
    pattern = re.sub(r"E+", "EEEE", found.pattern)
    return format_date(value, pattern, locale=babel_locale(locale))


def clock(value: datetime, locale: str) -> str:
    """ "14:30" (a wall-clock datetime: zone already applied)."""
    return format_skeleton("Hm", value.replace(tzinfo=None), locale=babel_locale(locale))


def _joined(day_text: str, clock_text: str, locale: str) -> str:
    pattern = str(babel_locale(locale).datetime_formats["short"])
    return pattern.replace("{1}", day_text).replace("{0}", clock_text)


def weekday_clock(value: datetime, locale: str) -> str:
    """ "Wed 11 Nov, 14:30" (a wall-clock datetime)."""
    return _joined(weekday(value, locale), clock(value, locale), locale)


def day_year_clock(value: datetime, locale: str) -> str:
    """ "11 Nov 2026, 14:30" (a wall-clock datetime)."""
    day_text = format_skeleton("yMMMd", value, locale=babel_locale(locale))
    return _joined(day_text, clock(value, locale), locale)
