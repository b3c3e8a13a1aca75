"""Numbers as people read them, per locale, from Babel's CLDR data: "80%" in English, "80 %" in
Spanish, "2.5" and "2,5"."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

from flows.engine.dates import babel_locale


def percent(value: float | None, locale: str) -> str:
    """0.8 -> "80%" (whole percent); None (nothing prescribed) -> "-"."""
    return "-" if value is None else format_percent(value, locale=babel_locale(locale))


def decimal(value: float, locale: str) -> str:
    """2.0 -> "2", 2.33 -> "2.3" (one decimal at most)."""
    return format_decimal(round(value, 1), "#,##0.#", locale=babel_locale(locale))
