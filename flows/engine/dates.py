"""Dates and times as people read them, per locale, from Babel's CLDR data (never strftime, whose
names and order are English-only). The bot's "en" writes them the British way ("Wed 11 Nov").

One house style: a date is "11 Nov" or "Wed 11 Nov" (with a time "Wed 11 Nov, 14:30"), in
booking as everywhere else; no long forms ("Wednesday 11 November") beside short ones."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton

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
