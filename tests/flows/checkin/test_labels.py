"""Red-flag items, rule labels and what the client was told, in the reader's language."""

from __future__ import annotations

import pytest

from flows.checkin.day import RED_FLAG_ITEMS
from flows.checkin.flag_screen import LABEL_MAX, LABELS
from flows.checkin.labels import (
    RED_FLAG_TEXTS,
    RULE_TEXTS,
    TOLD_TEXTS,
    red_flag_item,
    rule_label,
    told_for,
    told_record,
)
from flows.checkin.triage import RULE_LABELS
from flows.engine.texts import t


def test_every_red_flag_and_rule_has_a_text_and_english_keeps_the_declared_words() -> None:
    assert set(RED_FLAG_TEXTS) == set(RED_FLAG_ITEMS)
    assert set(RULE_TEXTS) == set(RULE_LABELS)
    assert all(t(RED_FLAG_TEXTS[c], "en") == RED_FLAG_ITEMS[c] for c in RED_FLAG_ITEMS)
    assert all(t(RULE_TEXTS[r], "en") == RULE_LABELS[r] for r in RULE_LABELS)


def test_items_and_labels_follow_the_reader() -> None:
    assert red_flag_item("chest_pain", "es") == "dolor u opresión en el pecho"
    assert red_flag_item("chest_pain", "en") == "chest pain or pressure"
    assert rule_label("E1", "en").startswith("E1: chest pain")
    assert rule_label("E1", "es").startswith("E1: dolor u opresión en el pecho")
    assert red_flag_item("gone_code", "es") == "gone_code"  # a code this version lacks
    assert rule_label("Z9", "es") == "Z9"


def test_what_the_client_was_told_is_kept_in_english_and_read_in_the_readers_language() -> None:
    record = told_record("emergency", "112")
    assert record == "told to call 112 now"
    assert told_for(record, "es") == "se le dijo que llamara al 112 ahora"
    assert told_for(record, "en") == record
    assert told_for(told_record("urgent", "112"), "es").startswith("se le dijo que contactara")
    assert told_for(told_record("none", "112"), "es") == t(TOLD_TEXTS["routine"], "es")


@pytest.mark.parametrize("record", ["llamó al médico", "", "told to call"])
def test_a_record_in_no_known_shape_is_shown_as_it_is(record: str) -> None:
    assert told_for(record, "es") == record


@pytest.mark.parametrize("locale", ["en", "es"])
def test_the_short_button_labels_fit_a_phone_in_every_language(locale: str) -> None:
    """The red-flag screen's buttons (flows.checkin.flag_screen) are two a row in Spanish too;
    their full wording is the item's (a different id), shown in the question."""
    for code, key in LABELS.items():
        label = t(key, locale)
        assert 0 < len(label) <= LABEL_MAX, (code, label)
        assert key != RED_FLAG_TEXTS[code]
