"""The message catalogs: every id the code uses has a text, every text is used, all compile."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from flows.engine.dynamic_ids import DYNAMIC_IDS
from flows.engine.texts import DOMAIN, EXTRACT_KEYWORDS, catalog, po_path, t, tn, translations

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("flows", "bot")

LITERAL_KEYWORDS = {k: v for k, v in EXTRACT_KEYWORDS.items() if k != "dynamic_id"}


def _used_ids(keywords: dict[str, tuple[int, ...] | None]) -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    for source in SOURCES:
        for filename, lineno, message, _, _ in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=keywords
        ):
            ids = (message,) if isinstance(message, str) else message
            for msgid in ids:
                if msgid:
                    used.setdefault(msgid, []).append(f"{source}/{filename}:{lineno}")
    return used


USED = _used_ids(EXTRACT_KEYWORDS)  # with the ids flows/engine/dynamic_ids.py names
LITERAL = _used_ids(LITERAL_KEYWORDS)  # named at their call sites
EN = catalog("en")


def test_every_message_id_in_the_code_has_an_english_text() -> None:
    missing = {msgid: where for msgid, where in USED.items() if msgid not in EN}
    assert not missing, f"message ids without a text in {po_path('en')}: {missing}"


def test_every_english_text_is_used_by_the_code() -> None:
    unused = set(EN) - set(USED)
    assert not unused, f"texts no code uses (or, if built at run time, in dynamic_ids): {unused}"


def test_the_dynamic_ids_have_texts_and_are_not_named_at_a_call_site() -> None:
    assert not DYNAMIC_IDS - set(EN), "dynamic ids without a text"
    named = DYNAMIC_IDS & set(LITERAL)
    assert not named, f"call sites name these now: drop them from dynamic_ids.py: {named}"


def test_the_catalogs_parse_and_compile_without_errors(tmp_path: Path) -> None:
    for po in sorted(po_path("en").parents[2].glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fp:
            parsed = read_po(fp, abort_invalid=True)
        errors = list(parsed.check())
        assert not errors, f"{po}: {errors}"
        with (tmp_path / f"{po.parent.parent.name}.mo").open("wb") as fp:
            write_mo(fp, parsed)


def test_every_text_is_a_format_template_with_plain_field_names() -> None:
    for msgid, template in EN.items():
        assert template, f"{msgid} has no text"
        for _, field, _, conversion in string.Formatter().parse(template):
            if field is not None:
                assert field.isidentifier(), f"{msgid}: {{{field}}}"
                assert not conversion, msgid


def test_t_reads_the_catalog_and_falls_back_to_english() -> None:
    assert t("unknown_command", command="help") == EN["unknown_command"].format(command="help")
    assert t("unknown_command", "xx", command="help") == t("unknown_command", command="help")
    assert translations("en").gettext("error") == EN["error"]
    with pytest.raises(KeyError):
        t("no_such_message_id", "xx")


def test_tn_picks_the_plural_form_for_the_count() -> None:
    assert tn("ci_streak", "ci_streak_plural", 1, days=1) == "Streak: 1 day. A good start!"
    assert tn("ci_streak", "ci_streak_plural", 3, "xx", days=3) == "Streak: 3 days in a row."
    assert tn("clients_routine", "clients_routine_plural", 0, count=0).startswith("0 routine flags")
    with pytest.raises(KeyError):
        tn("no_such_message_id", "no_such_message_id_plural", 2)


def test_plural_entries_have_every_form_of_their_language() -> None:
    for po in sorted(po_path("en").parents[2].glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as fp:
            parsed = read_po(fp)
        for message in parsed:
            forms = message.string
            if message.pluralizable and isinstance(forms, tuple | list) and any(forms):
                assert len(forms) == parsed.num_plurals, (po, message.id)


def test_make_messages_extracts_with_the_same_keywords() -> None:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = next(line for line in makefile.splitlines() if line.startswith("KEYWORDS :="))
    flags = {flag for flag in line.split(":=", 1)[1].split() if flag != "-k"}
    expected = {
        name if spec is None else f"{name}:{','.join(map(str, spec))}"
        for name, spec in EXTRACT_KEYWORDS.items()
    }
    assert flags == expected
