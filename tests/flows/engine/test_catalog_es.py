"""The Spanish catalog: every English id has a Spanish text with the same placeholders, plurals in
Spanish's two forms, it compiles, and the safety wording keeps TRIAGE.md section 5's meaning and
order."""

from __future__ import annotations

import gettext
import io
import string
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.engine.texts import DOMAIN, po_path, t, tn


def _read(locale: str) -> Catalog:
    with po_path(locale).open("rb") as fp:
        return read_po(fp, locale=locale, domain=DOMAIN)


EN, ES = _read("en"), _read("es")


def _key(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _forms(string_: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if string_ is None:
        return ()
    return (string_,) if isinstance(string_, str) else tuple(string_)


ENGLISH = {_key(m.id): _forms(m.string) for m in EN if m.id}
SPANISH = {_key(m.id): _forms(m.string) for m in ES if m.id}


def _fields(template: str) -> list[tuple[str, str, str]]:
    """Each {placeholder} of a str.format template: (name, conversion, format spec), in order."""
    return sorted(
        (name, conversion or "", spec or "")
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    )


def test_every_english_id_has_a_non_empty_spanish_entry() -> None:
    """A new id merged from another branch fails here, named, until someone translates it."""
    missing = sorted(k for k in ENGLISH if not any(f.strip() for f in SPANISH.get(k, ())))
    half = sorted(k for k in ENGLISH if k in SPANISH and not all(f.strip() for f in SPANISH[k]))
    assert not missing and not half, (
        f"ids without a Spanish text in {po_path('es')}: {', '.join(missing + half)}\n"
        "Add each by hand next to its English neighbours (msgid as in the English .po)."
    )


def test_no_spanish_entry_is_left_over_from_a_removed_id() -> None:
    assert sorted(set(SPANISH) - set(ENGLISH)) == []


def test_placeholders_match_between_languages() -> None:
    differ = {
        key: (ENGLISH[key], SPANISH[key])
        for key in ENGLISH
        if key in SPANISH
        for en_form, es_form in zip(
            _pad(ENGLISH[key], len(SPANISH[key])), SPANISH[key], strict=True
        )
        if _fields(en_form) != _fields(es_form)
    }
    assert differ == {}


def _pad(forms: tuple[str, ...], size: int) -> tuple[str, ...]:
    """English forms lined up with another language's (its last form for any extra ones)."""
    return tuple(forms[min(i, len(forms) - 1)] for i in range(size))


def test_plurals_use_spanish_two_forms() -> None:
    assert ES.plural_forms == "nplurals=2; plural=(n != 1);"
    plural = [m for m in ES if m.id and isinstance(m.id, tuple)]
    assert plural, "the catalog has plural entries"
    assert all(len(_forms(m.string)) == 2 for m in plural)


@pytest.mark.parametrize(("n", "expected"), [(0, "0 días"), (1, "1 día"), (2, "2 días")])
def test_plural_forms_compile_and_choose_by_count(n: int, expected: str) -> None:
    assert expected in tn("ci_streak", "ci_streak_plural", n, "es", days=n)


def test_the_catalog_compiles_and_nothing_in_it_is_fuzzy() -> None:
    assert not ES.fuzzy and not [m.id for m in ES if m.id and m.fuzzy]
    buffer = io.BytesIO()
    write_mo(buffer, ES)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    assert compiled.gettext("yes") == "Sí"


def _lines(key: str) -> list[str]:
    return [line for line in t(key, "es", number="911", emergency="911").splitlines() if line]


def test_the_emergency_message_starts_with_the_emergency_number() -> None:
    for key in ("ci_emergency", "bk_emergency"):
        assert _lines(key)[0] == "Llama al 911 ahora."
        assert t(key, "en", number="911").startswith("Call 911 now.")


def test_urgent_wording_keeps_action_first_then_the_trainer_then_defer_to_the_clinician() -> None:
    for key in ("ci_urgent", "bk_urgent"):
        text = t(key, "es")
        action = text.index("Contacta hoy con tu cirujano, fisioterapeuta o médico.")
        no_load = text.index("No cargues esta zona")
        told = text.index("se ha avisado a")
        defer = text.index("Si tu cirujano o fisioterapeuta te ha dicho algo distinto")
        assert action == 0 and action < no_load < told < defer


def test_onboarding_notice_says_not_monitored_and_what_to_do() -> None:
    text = t("notice_ask", "es", emergency="112")
    assert "no está vigilado las 24 horas" in text
    assert "llama al 112 ahora" in text
    assert "sigue sus indicaciones" in text


def _spanish_texts() -> Iterator[tuple[str, str]]:
    for key, forms in SPANISH.items():
        for form in forms:
            yield key, form


def test_tu_everywhere_never_usted() -> None:
    """The header promises "tú"; "usted" and its forms would break it."""
    formal = ("usted", "Usted", "Envíe ", "Pulse ", "Escriba ", "Elija ")
    found = [(key, text) for key, text in _spanish_texts() for word in formal if word in text]
    assert found == []
    assert '"tú"' in (ES.header_comment or "")
