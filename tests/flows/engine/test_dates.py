"""Dates and times per locale from Babel: the bot's English writes them the British way."""

from __future__ import annotations

from datetime import date, datetime

from flows.engine import dates

MOMENT = datetime(2026, 11, 1, 9, 5)


def test_english_dates_and_times() -> None:
    assert dates.day(MOMENT.date(), "en") == "1 Nov"
    assert dates.weekday(date(2026, 11, 11), "en") == "Wed 11 Nov"
    assert not hasattr(dates, "long_weekday")  # one house style, no long forms
    assert dates.clock(MOMENT, "en") == "09:05"
    assert dates.weekday_clock(MOMENT, "en") == "Sun 1 Nov, 09:05"
    assert dates.day_year_clock(MOMENT, "en") == "1 Nov 2026, 09:05"


def test_other_locales_use_their_own_names_and_order() -> None:
    assert dates.weekday(MOMENT.date(), "de") == "So., 1. Nov."
    assert dates.weekday(MOMENT.date(), "no-such-locale") == "Sun 1 Nov"  # English, not an error
