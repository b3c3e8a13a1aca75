"""Every sentence the bot says, per language, from gettext catalogs managed with Babel.

Message ids are stable symbolic keys ("bk_phone_hint"); each language's text lives in
flows/locales/<lang>/LC_MESSAGES/mendbot.po as a str.format template (`make messages` extracts
and updates, the build compiles the .mo). Code names every id literally where it chooses it, in
the call or, for a text picked by a value, with N_ in a table, so extraction finds them all. Keep
the voice warm, short and plain.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "mendbot"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LOCALE = "en"


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _load(locale: str) -> gettext.GNUTranslations | None:
    """The compiled catalog for `locale`; compiled from its .po when the .mo is missing or stale
    (a fresh editable checkout before the build ran, or a .po edited since)."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    if not po.is_file():
        return None
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class _Missing(gettext.NullTranslations):
    """The end of every fallback chain: an id no catalog has is a bug, not a text to show."""

    def gettext(self, message: str) -> str:
        raise KeyError(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        raise KeyError(msgid1)


@cache
def translations(locale: str = DEFAULT_LOCALE) -> gettext.NullTranslations:
    """`locale`'s catalog, falling back to English for what it lacks (KeyError if both do)."""
    english = _load(DEFAULT_LOCALE)
    if english is None:
        raise RuntimeError(f"the English catalog is missing: {po_path(DEFAULT_LOCALE)}")
    english.add_fallback(_Missing())
    if locale == DEFAULT_LOCALE:
        return english
    own = _load(locale)
    if own is None:
        return english
    own.add_fallback(english)
    return own


def t(key: str, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
    """The text for `key` in `locale` (English when missing), filled with `values`; KeyError
    for an id no catalog has."""
    template = translations(locale).gettext(key)
    return template.format(**values) if values else template


def N_(msgid: str) -> str:
    """Marks `msgid`, kept in a table rather than passed to t() where it is chosen, for
    extraction (gettext's no-op idiom); returns it unchanged for t() to look up later."""
    return msgid


def tn(singular: str, plural: str, n: int, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
    """The text for `n` of something: the catalog entry `singular` (msgid_plural `plural`) in
    the plural form `locale` uses for `n` (ngettext), filled with `values`."""
    template = translations(locale).ngettext(singular, plural, n)
    return template.format(**values) if values else template


def catalog(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """Message id to template for `locale`, as its .po has them (for checks and tests); a plural
    entry gives its singular id its first form and its plural id its last."""
    with po_path(locale).open("rb") as fp:
        po = read_po(fp, locale=locale, domain=DOMAIN)
    found: dict[str, str] = {}
    for message in po:
        if not message.id:
            continue
        if isinstance(message.id, str):
            found[message.id] = str(message.string)
        else:
            forms = [str(form) for form in message.string or ()]
            found[message.id[0]] = forms[0]
            found[message.id[1]] = forms[-1]
    return found


# Calls whose argument is a message id, for extraction (`make messages` passes the same -k list):
# name -> the argument positions of the id (and its plural), as babel.messages.extract takes them.
EXTRACT_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "t": None,
    "tn": (1, 2),
    "t_for": (2,),
    "notify_person": (3,),
    "_tell_trainer": (3,),
    "_pick_step": None,
    "N_": None,  # an id in a table, e.g. {"green": N_("ci_light_green")}
}
