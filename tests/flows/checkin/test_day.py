"""The check-in day model: one declaration of the answers, their values, words and checks."""

from __future__ import annotations

import string
from datetime import date

import pytest
from pydantic import ValidationError

from flows.checkin.day import (
    ALERT_LINES,
    ALERT_OPTION_TEXTS,
    OPTION_TEXTS,
    RED_FLAG_ITEMS,
    RED_FLAG_RULES,
    RED_FLAGS,
    Answers,
    Client,
    Day,
    Exercise,
    explain,
    label,
    options,
)
from flows.engine.texts import catalog
from storage.checkins import ANSWER_COLUMNS
from storage.models import Checkin

ANSWER_NAMES = list(Answers.model_fields)
EN = catalog()  # the English message ids and templates


def test_answers_are_the_checkin_row_columns_in_the_checkin_order() -> None:
    assert ANSWER_NAMES == [
        "pain_now",
        "exercise_pain",
        "morning",
        "stiffness",
        "swelling",
        "night_waking",
        "night_eased",
        "confidence",
        "red_flags",
        "note",
    ]
    assert set(ANSWER_NAMES) <= set(Checkin.model_fields)  # stored one to one
    assert list(Day.model_fields) == [*ANSWER_NAMES, "date", "exercises"]


def test_an_earlier_version_keeps_every_answer() -> None:
    """storage/ can't read the day model, so it names the columns "Change answers" keeps: a new
    answer left out of that list would vanish from the history unnoticed."""
    assert set(ANSWER_COLUMNS) == {*ANSWER_NAMES, "exercises"}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("morning", ("better", "usual", "worse")),
        ("stiffness", ("none", "<5", "5-15", "15-30", ">30")),
        ("swelling", ("less", "same", "more")),
        ("night_waking", ("no", "once", "several", "no_sleep")),
        ("night_eased", ("yes", "no")),
        ("skip_reason", ("pain", "time", "forgot", "other")),
        ("red_flags", tuple(RED_FLAGS)),
        ("pain_now", ()),
        ("note", ()),
    ],
)
def test_options_are_the_value_sets(name: str, values: tuple[str, ...]) -> None:
    assert options(name) == values


@pytest.mark.parametrize("name", [*ANSWER_NAMES, "skip_reason"])
def test_every_answer_has_its_question_and_a_text_for_each_option(name: str) -> None:
    assert label(name).ask in EN
    if name != "red_flags" and options(name):  # red flags' items are the table's (RED_FLAGS)
        assert list(OPTION_TEXTS[name]) == list(options(name))
        assert all(key in EN for key in OPTION_TEXTS[name].values())
    else:
        assert name not in OPTION_TEXTS


@pytest.mark.parametrize(("name", "shown"), ALERT_LINES)
def test_alert_lines_name_only_answers_and_have_words_for_their_options(
    name: str, shown: object
) -> None:
    key = label(name).alert
    fields = {field for _, field, _, _ in string.Formatter().parse(EN[key]) if field}
    assert fields and fields <= set(ANSWER_NAMES)
    assert name in fields
    shown_values = [v for v in options(name) if v not in label(name).quiet]
    if name != "red_flags" and shown_values:
        assert list(ALERT_OPTION_TEXTS[name]) == shown_values
        assert all(key in EN for key in ALERT_OPTION_TEXTS[name].values())
    else:
        assert name not in ALERT_OPTION_TEXTS


def test_alert_shows_pain_night_flags_and_note_but_not_a_quiet_night() -> None:
    assert [name for name, _ in ALERT_LINES] == [
        "pain_now",
        "exercise_pain",
        "night_waking",
        "red_flags",
        "note",
    ]
    assert label("night_waking").quiet == ("no",)


def test_red_flag_views_follow_the_one_table() -> None:
    assert list(RED_FLAG_ITEMS) == list(RED_FLAG_RULES) == list(RED_FLAGS)
    assert RED_FLAG_ITEMS["calf_swelling"] == RED_FLAGS["calf_swelling"].item
    assert RED_FLAG_RULES["fever"] == ("E3", "U3")


def test_a_change_is_checked_like_the_rest() -> None:
    answers = Answers(pain_now=4)
    assert answers.but(red_flags=["fever"]) == Answers(pain_now=4, red_flags=("fever",))
    for bad in ({"pain_now": 11}, {"red_flags": ["rash"]}, {"night_eased": "yes"}, {"pains": 1}):
        with pytest.raises(ValidationError):
            answers.but(**bad)


def test_null_is_absent_and_models_are_frozen() -> None:
    assert Answers.model_validate({"pain_now": None, "red_flags": None}) == Answers()
    assert Client.model_validate({"post_op": None}) == Client(post_op=False)
    with pytest.raises(ValidationError):
        Answers().pain_now = 3


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({"date": "2026-11-23", "confidence": 12}, "confidence must be a whole number from 0"),
        ({"date": "2026-02-30"}, "date must be a real date written YYYY-MM-DD"),
        ({"pain_now": 1}, "date is required"),
        ({"date": "2026-11-23", "pains": 1}, "pains is not a known top-level field"),
        (
            {"date": "2026-11-23", "exercises": [{"sets_prescribed": 2, "sets_done": 3}]},
            "exercises[0].sets_done must be a whole number from 0 to sets_prescribed",
        ),
        (
            {"date": "2026-11-23", "exercises": [{"sets_prescribed": 2}]},
            "exercises[0].sets_done must be a whole number from 0 to sets_prescribed",
        ),
        ({"date": "2026-11-23", "red_flags": ["fever", 3]}, "red_flags[1] is not a known red-flag"),
        ({"date": "2026-11-23", "exercises": ["x"]}, "exercises[0] must be a JSON object"),
        ("2026-11-23", "day must be a JSON object"),
    ],
)
def test_explain_gives_one_line_naming_the_field(raw: object, line: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Day.model_validate(raw)
    message = explain(caught.value, Day, "day")
    assert message.startswith(line)
    assert "\n" not in message


def test_an_exercise_reads_as_triage_needs_it() -> None:
    done = Exercise(sets_prescribed=3, sets_done=1, skip_reason=None)
    day = Day(date=date(2026, 11, 23), exercises=(done,), red_flags=("fever",))
    assert day.exercises[0].sets_done == 1 and day.red_flags == ("fever",)
