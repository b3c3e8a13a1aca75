"""The languages mendbot speaks, and which one a person gets.

A person's language is taken once, at first contact, from the language_code Telegram sends with
each update (an IETF tag such as "es", "es-MX" or "en-GB"); after that it is theirs to change
(/language), or their trainer's (/program). Any tag we have no catalog for gives English.
"""

from __future__ import annotations

from typing import Final

from flows.engine.texts import DEFAULT_LOCALE, N_

SUPPORTED: Final[tuple[str, ...]] = ("en", "es")
"""Each has a catalog in flows/locales/<code>/ and a name below; the first is the default."""

NAMES: Final[dict[str, str]] = {"en": N_("language_en"), "es": N_("language_es")}
"""A language's own name ("English", "Español"): the same in every catalog, so anyone finds
theirs in a list whatever language the list is in."""


def from_telegram(code: str | None) -> str:
    """ "es", "es-419", "ES_mx" -> "es"; anything else, or nothing -> English."""
    primary = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED else DEFAULT_LOCALE


def supported(locale: str | None) -> str:
    """A stored locale we can still speak, else English (a row from a build with more)."""
    return locale if locale in SUPPORTED else DEFAULT_LOCALE
