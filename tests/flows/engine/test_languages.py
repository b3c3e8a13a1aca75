"""Which language a person gets from Telegram's language_code, and numbers per locale."""

from __future__ import annotations

import pytest

from flows.engine.languages import NAMES, SUPPORTED, from_telegram, supported
from flows.engine.numbers import decimal, percent
from flows.engine.texts import catalog, t


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("es", "es"),
        ("es-MX", "es"),
        ("es-419", "es"),
        ("ES_ar", "es"),
        ("en", "en"),
        ("en-GB", "en"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
        ("esperanto", "en"),
        ("e", "en"),
    ],
)
def test_spanish_for_es_and_its_regions_english_for_anything_else(
    code: str | None, expected: str
) -> None:
    assert from_telegram(code) == expected


def test_a_stored_locale_we_dont_speak_reads_as_english() -> None:
    assert supported("es") == "es" and supported("fr") == "en" and supported(None) == "en"


def test_each_language_has_a_catalog_and_its_own_name_in_every_catalog() -> None:
    for code in SUPPORTED:
        assert catalog(code)
        assert {t(NAMES[code], other) for other in SUPPORTED} == {t(NAMES[code], code)}


def test_numbers_follow_the_locale() -> None:
    assert percent(0.8, "en") == "80%"
    assert percent(0.8, "es") == "80\xa0%"
    assert percent(None, "es") == "-"
    assert decimal(2.0, "en") == "2" and decimal(2.34, "en") == "2.3"
    assert decimal(2.34, "es") == "2,3"
