"""Triage rules held to TRIAGE.md's "Precise definitions" (rule IDs are the spec's)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, timedelta
from typing import Any, get_args

import pytest

from flows.checkin.day import (
    RED_FLAG_ITEMS,
    RED_FLAG_RULES,
    Client,
    Day,
    Exercise,
    RedFlagCode,
    SkipReason,
)
from flows.checkin.triage import (
    DEFAULT_THRESHOLDS,
    RULE_IDS,
    Assessment,
    Thresholds,
    TriageInputError,
    assess,
    day_light,
    light_for,
    missed_checkin_days,
    parse_input,
    r10_due,
    rule_label,
    rule_severity,
    sort_rules,
)

TODAY = date(2026, 11, 23)


def day(ago: int = 0, **answers: Any) -> Day:
    """A check-in `ago` calendar days before TODAY; red_flags may be any iterable of codes."""
    if "red_flags" in answers:
        answers["red_flags"] = frozenset(answers["red_flags"])
    return Day(date=TODAY - timedelta(days=ago), **answers)


def series(name: str, values: Mapping[int, object]) -> tuple[Day, list[Day]]:
    """Today and history answering one field, keyed by days ago (0 = today)."""
    today = day(0, **({name: values[0]} if 0 in values else {}))
    history = [day(ago, **{name: value}) for ago, value in values.items() if ago != 0]
    return today, history


def check(
    today: Day,
    *history: Day,
    post_op: bool = False,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Assessment:
    return assess(Client(post_op=post_op), today, history, thresholds)


def ex(prescribed: int, done: int, reason: SkipReason | None = None) -> Exercise:
    return Exercise(sets_prescribed=prescribed, sets_done=done, skip_reason=reason)


# --- Red-flag screen (Q9): E1-E5, U1-U6 -----------------------------------------------------


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("chest_pain", "E1"),
        ("breathless", "E1"),
        ("coughing_blood", "E1"),
        ("saddle_numbness", "E2"),
        ("bladder_bowel", "E2"),
        ("both_legs", "E2"),
        ("accident", "E4"),
        ("stroke_signs", "E5"),
        ("calf_swelling", "U1"),
        ("wound_problem", "U2"),
        ("weight_loss", "U4"),
        ("pop_giving_way", "U5"),
        ("limb_numbness", "U6"),
    ],
)
@pytest.mark.parametrize("post_op", [False, True])
def test_single_red_flag_raises_its_rule(code: str, rule: str, post_op: bool) -> None:
    result = check(day(red_flags={code}), post_op=post_op)
    assert result.rules == (rule,)
    assert result.severity == ("emergency" if rule.startswith("E") else "urgent")


@pytest.mark.parametrize(
    ("flags", "post_op", "expected"),
    [
        ({"fever"}, False, ("U3",)),
        ({"fever"}, True, ("U3",)),  # post-op fever without chills is not E3
        ({"fever", "chills"}, True, ("E3",)),  # E3, and U3 is covered by it
        ({"fever", "chills"}, False, ("U3",)),
        ({"chills"}, True, ()),
        ({"chills"}, False, ()),
        ({"very_unwell"}, True, ("E3",)),
        ({"very_unwell"}, False, ("U3",)),
        ({"worst_pain_ever"}, True, ("E3",)),
        ({"worst_pain_ever"}, False, ("U7",)),  # U7 without any pain history
        ({"worst_pain_ever", "fever"}, True, ("E3",)),
        ({"worst_pain_ever", "fever"}, False, ("U3", "U7")),
    ],
)
def test_e3_u3_u7_depend_on_post_op(
    flags: set[str], post_op: bool, expected: tuple[str, ...]
) -> None:
    assert check(day(red_flags=flags), post_op=post_op).rules == expected


@pytest.mark.parametrize("post_op", [False, True])
@pytest.mark.parametrize("code", list(RED_FLAG_RULES))
def test_red_flag_raises_only_rules_listed_for_it(code: RedFlagCode, post_op: bool) -> None:
    assert set(check(day(red_flags={code}), post_op=post_op).rules) <= set(RED_FLAG_RULES[code])


def test_red_flag_codes_are_the_section_6_table_in_order() -> None:
    table = [
        "chest_pain",
        "breathless",
        "coughing_blood",
        "saddle_numbness",
        "bladder_bowel",
        "both_legs",
        "fever",
        "chills",
        "very_unwell",
        "worst_pain_ever",
        "accident",
        "stroke_signs",
        "calf_swelling",
        "wound_problem",
        "weight_loss",
        "pop_giving_way",
        "limb_numbness",
    ]
    assert list(RED_FLAG_RULES) == table
    assert list(RED_FLAG_ITEMS) == table
    assert list(get_args(RedFlagCode)) == table


# --- U4, U7 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "fires"),
    [
        ({"night_waking": "once", "night_eased": False}, True),
        ({"night_waking": "several", "night_eased": False}, True),
        ({"night_waking": "no_sleep", "night_eased": False}, True),
        ({"night_waking": "once", "night_eased": True}, False),
        ({"night_waking": "once"}, False),  # eased not asked
        ({"night_waking": "no", "night_eased": False}, False),
        ({"red_flags": {"weight_loss"}}, True),
        ({"night_waking": "no", "red_flags": {"weight_loss"}}, True),
    ],
)
def test_u4_night_pain_not_eased_or_weight_loss(answers: dict[str, Any], fires: bool) -> None:
    assert check(day(**answers)).rules == (("U4",) if fires else ())


@pytest.mark.parametrize(
    ("earlier", "pain", "fires"),
    [
        ({1: 5, 2: 5, 3: 5}, 8, True),  # 8 >= 5 + 3
        ({1: 6, 2: 6, 3: 6}, 8, False),  # 8 < 6 + 3
        ({1: 6, 2: 6, 3: 6}, 9, True),
        ({1: 4, 2: 4, 3: 4}, 7, False),  # 3 above the median but below 8
        ({1: 4, 2: 4, 3: 4}, 8, True),
        ({1: 1, 2: 5, 3: 9}, 8, True),  # median, not mean: 5
        ({1: 5, 2: 5}, 10, False),  # a median needs 3 earlier values
        ({1: 5, 2: 5, 7: 5}, 8, True),  # 7 days before today count ...
        ({1: 5, 2: 5, 8: 5}, 10, False),  # ... the 8th does not
        ({1: 5, 2: 5, 3: 9, 4: 9}, 10, True),  # median 7 excludes today (with it: 9)
    ],
)
def test_u7_pain_against_7_day_median(earlier: dict[int, int], pain: int, fires: bool) -> None:
    today, history = series("pain_now", {0: pain, **earlier})
    assert check(today, *history).rules == (("U7",) if fires else ())


# --- R1-R9 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pain", "thresholds", "fires"),
    [
        (5, DEFAULT_THRESHOLDS, False),
        (6, DEFAULT_THRESHOLDS, True),
        (10, DEFAULT_THRESHOLDS, True),
        (4, Thresholds(exercise_pain_max=4), False),
        (5, Thresholds(exercise_pain_max=4), True),
    ],
)
def test_r1_exercise_pain_above_threshold(pain: int, thresholds: Thresholds, fires: bool) -> None:
    result = check(day(exercise_pain=pain), thresholds=thresholds)
    assert result.rules == (("R1",) if fires else ())
    assert (result.light == "red") is fires


@pytest.mark.parametrize(
    ("rule", "name", "hit", "miss"),
    [("R2", "morning", "worse", "usual"), ("R5", "swelling", "more", "same")],
)
@pytest.mark.parametrize(
    ("today_hits", "earlier", "fires"),
    [
        (True, {1: True}, True),
        (True, {1: True, 2: True}, True),
        (True, {1: False}, False),
        (True, {1: None}, False),  # checked in yesterday, question not asked
        (True, {2: True}, False),  # "the day before" is the calendar day: a gap breaks it
        (True, {}, False),
        (False, {1: True, 2: True}, False),
        (None, {1: True}, False),
    ],
)
def test_r2_r5_two_calendar_days_in_a_row(
    rule: str,
    name: str,
    hit: str,
    miss: str,
    today_hits: bool | None,
    earlier: dict[int, bool | None],
    fires: bool,
) -> None:
    def answer(hits: bool | None) -> dict[str, Any]:
        return {} if hits is None else {name: hit if hits else miss}

    history = [day(ago, **answer(hits)) for ago, hits in earlier.items()]
    assert check(day(**answer(today_hits)), *history).rules == ((rule,) if fires else ())


def test_r2_count_is_configurable() -> None:
    two = [day(0, morning="worse"), day(1, morning="worse")]
    assert "R2" not in check(*two, thresholds=Thresholds(r2_days=3)).rules
    assert "R2" in check(*two, day(2, morning="worse"), thresholds=Thresholds(r2_days=3)).rules


@pytest.mark.parametrize(
    ("pains", "fires"),
    [
        ({0: 4, 1: 4, 2: 4, 7: 3, 8: 3, 9: 3}, True),  # 4 >= 3 + 1
        ({0: 4, 1: 4, 2: 3, 7: 3, 8: 3, 9: 3}, False),  # 3.67 < 4
        ({0: 3, 1: 3, 2: 4, 7: 2, 8: 2, 9: 3}, True),  # 10/3 >= 7/3 + 1, exactly
        ({0: 4, 5: 4, 6: 4, 7: 3, 12: 3, 13: 3}, True),  # window edges: 6 is last, 7 previous
        ({0: 4, 1: 4, 2: 4, 7: 3, 8: 3, 14: 3}, False),  # 14 days ago is in neither week
        ({0: 4, 1: 4, 7: 3, 8: 3, 9: 3}, False),  # last week has only 2 values
        ({1: 4, 2: 4, 3: 4, 7: 3, 8: 3, 9: 3}, True),  # today's pain not asked, still 3 values
    ],
)
def test_r3_week_on_week_mean(pains: dict[int, int], fires: bool) -> None:
    today, history = series("pain_now", pains)
    result = check(today, *history)
    assert result.rules == (("R3",) if fires else ())
    assert result.light == ("red" if fires else None)  # R3 alone turns the light red


@pytest.mark.parametrize(
    ("pains", "fires"),
    [
        # yesterday's median (2..8 ago) is 2; today's (1..7 ago) is 2 as well
        ({0: 4, 1: 4, 2: 2, 3: 2, 4: 2}, True),
        ({0: 3, 1: 4, 2: 2, 3: 2, 4: 2}, False),
        ({0: 4, 1: 3, 2: 2, 3: 2, 4: 2}, False),
        ({0: 4, 2: 4, 3: 2, 4: 2, 5: 2}, False),  # no check-in yesterday: a gap breaks it
        ({0: 4, 1: 5, 2: 2, 3: 2}, False),  # today has a median (2), yesterday has none
        ({0: 4, 1: 4, 2: 2}, False),  # neither day has 3 earlier values
    ],
)
def test_r4_two_days_above_own_median(pains: dict[int, int], fires: bool) -> None:
    today, history = series("pain_now", pains)
    assert check(today, *history).rules == (("R4",) if fires else ())


def test_r4_counts_a_day_without_pain_answer_as_not_above() -> None:
    today, history = series("pain_now", {0: 4, 2: 2, 3: 2, 4: 2})
    assert "R4" not in check(today, day(1, morning="usual"), *history).rules


WOKE_EASED = {"night_waking": "once", "night_eased": True}


@pytest.mark.parametrize(
    ("nights", "fires"),
    [
        ({0: WOKE_EASED, 6: WOKE_EASED}, True),
        ({0: WOKE_EASED, 7: WOKE_EASED}, False),  # outside the last 7 days
        ({0: WOKE_EASED}, False),
        ({1: {"night_waking": "several", "night_eased": True}, 3: WOKE_EASED}, True),
        ({0: WOKE_EASED, 1: {"night_waking": "no_sleep", "night_eased": True}}, True),
        ({0: WOKE_EASED, 1: {"night_waking": "no", "night_eased": True}}, False),
        ({0: WOKE_EASED, 1: {"night_waking": "once"}}, False),
        ({0: WOKE_EASED, 1: {"night_waking": "once", "night_eased": False}}, False),
    ],
)
def test_r6_eased_night_waking_twice_in_7(nights: dict[int, dict[str, Any]], fires: bool) -> None:
    today = day(0, **nights.get(0, {}))
    history = [day(ago, **answers) for ago, answers in nights.items() if ago != 0]
    assert check(today, *history).rules == (("R6",) if fires else ())


@pytest.mark.parametrize(
    ("confidence", "fires"),
    [
        ({0: 3}, True),  # absolute branch needs no history
        ({0: 4}, False),
        ({0: 0}, True),
        ({0: 5, 1: 8, 2: 8, 3: 8}, True),  # 5 <= 8 - 3
        ({0: 6, 1: 8, 2: 8, 3: 8}, False),
        ({0: 5, 1: 8, 2: 8}, False),  # no median from 2 values
        ({1: 8, 2: 8, 3: 8}, False),  # not asked today
    ],
)
def test_r7_low_or_dropping_confidence(confidence: dict[int, int], fires: bool) -> None:
    today, history = series("confidence", confidence)
    assert check(today, *history).rules == (("R7",) if fires else ())


PAIN_SKIP = (ex(3, 0, "pain"),)


@pytest.mark.parametrize(
    ("programs", "fires"),
    [
        ({0: PAIN_SKIP, 6: PAIN_SKIP}, True),
        ({1: PAIN_SKIP, 2: PAIN_SKIP}, True),
        ({0: PAIN_SKIP, 7: PAIN_SKIP}, False),  # outside the last 7 days
        ({0: (ex(3, 0, "pain"), ex(2, 0, "pain"))}, False),  # two skips, one day
        ({0: PAIN_SKIP, 1: (ex(3, 0, "time"),)}, False),
        ({0: PAIN_SKIP, 1: (ex(3, 0, "forgot"), ex(3, 1, "pain"))}, True),
    ],
)
def test_r8_skipped_for_pain_on_2_days(programs: dict[int, tuple[Exercise]], fires: bool) -> None:
    today, history = series("exercises", programs)
    assert ("R8" in check(today, *history).rules) is fires


@pytest.mark.parametrize(
    ("programs", "fires"),
    [
        ({0: (ex(4, 2),), 1: (ex(4, 2),), 2: (ex(4, 1),)}, True),  # 5/12
        ({0: (ex(4, 2),), 1: (ex(4, 2),), 2: (ex(4, 2),)}, False),  # 6/12 is not below 0.5
        ({0: (ex(4, 0),), 1: (ex(4, 0),)}, False),  # only 2 days with exercises
        ({0: (ex(4, 0),), 1: (ex(4, 0),), 2: ()}, False),  # an empty program is no exercise day
        ({0: (ex(4, 0),), 1: (ex(4, 0),), 7: (ex(4, 0),)}, False),  # outside the last 7 days
        ({0: (ex(4, 0),), 3: (ex(4, 0),), 6: (ex(4, 0),)}, True),
        ({0: (ex(2, 2), ex(4, 0)), 1: (ex(3, 1),), 5: (ex(1, 0),)}, True),  # 3/10 over sets
        ({0: (ex(2, 2), ex(4, 1)), 1: (ex(3, 1),), 5: (ex(1, 1),)}, False),  # 5/10
    ],
)
def test_r9_weekly_adherence_below_half(programs: dict[int, tuple[Exercise]], fires: bool) -> None:
    today, history = series("exercises", programs)
    assert ("R9" in check(today, *history).rules) is fires


def test_history_rules_stay_silent_without_history() -> None:
    today = day(
        pain_now=9,
        morning="worse",
        swelling="more",
        night_waking="once",
        night_eased=True,
        confidence=4,
        exercises=(ex(3, 0, "pain"),),
    )
    assert check(today).rules == ()


# --- Light, ordering, severity ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise_pain", "morning", "light"),
    [
        (6, None, "red"),
        (10, "better", "red"),
        (5, None, "amber"),
        (3, None, "amber"),
        (4, "better", "amber"),
        (2, None, "green"),
        (0, None, "green"),
        (2, "usual", "green"),
        (0, "worse", "red"),
        (4, "worse", "red"),
        (None, "worse", "red"),
        (None, "usual", "green"),
        (None, "better", "green"),
        (None, None, None),
    ],
)
def test_light(exercise_pain: int | None, morning: str | None, light: str | None) -> None:
    today = day(exercise_pain=exercise_pain, morning=morning)
    assert check(today).light == light
    assert light_for(today, r3_fired=False) == light


def test_light_red_when_r3_fired_even_with_low_exercise_pain() -> None:
    assert light_for(day(exercise_pain=1, morning="better"), r3_fired=True) == "red"


@pytest.mark.parametrize(
    ("flags", "post_op", "severity"),
    [(["chest_pain"], False, "emergency"), (["calf_swelling"], False, "urgent")],
)
def test_a_flagged_day_is_red_whatever_its_answers(
    flags: list[str], post_op: bool, severity: str
) -> None:
    """TRIAGE.md section 3: the day's light reflects its flags (one rule for every screen)."""
    today = day(exercise_pain=1, morning="usual", red_flags=flags)
    assert light_for(today, r3_fired=False) == "green"  # the answers alone
    result = check(today, post_op=post_op)
    assert (result.severity, result.light) == (severity, "red")


@pytest.mark.parametrize(
    ("light", "severity", "shown"),
    [
        ("green", "emergency", "red"),
        ("green", "urgent", "red"),
        (None, "urgent", "red"),
        ("green", "routine", "green"),
        ("amber", "none", "amber"),
        (None, None, None),
        ("purple", None, None),
    ],
)
def test_day_light_of_a_stored_day(light: str | None, severity: str | None, shown: str) -> None:
    """Rows stored before flags counted toward the light read red too."""
    assert day_light(light, severity) == shown


def test_rules_sorted_by_severity_then_number() -> None:
    assert sort_rules(["R10", "U1", "R2", "E3", "R1", "U7", "E1"]) == (
        "E1",
        "E3",
        "U1",
        "U7",
        "R1",
        "R2",
        "R10",
    )
    today = day(
        red_flags={"calf_swelling", "chest_pain", "fever"},
        exercise_pain=6,
        morning="worse",
        swelling="more",
        confidence=2,
    )
    result = check(today, day(1, morning="worse", swelling="more"))
    assert result == Assessment("emergency", ("E1", "U1", "U3", "R1", "R2", "R5", "R7"), "red")


@pytest.mark.parametrize(
    ("answers", "severity"),
    [
        ({}, "none"),
        ({"exercise_pain": 6}, "routine"),
        ({"exercise_pain": 6, "red_flags": {"wound_problem"}}, "urgent"),
        ({"exercise_pain": 6, "red_flags": {"wound_problem", "accident"}}, "emergency"),
    ],
)
def test_severity_is_the_highest_fired(answers: dict[str, Any], severity: str) -> None:
    assert check(day(**answers)).severity == severity


def test_assessment_json_keys_in_documented_order() -> None:
    result = Assessment("urgent", ("U1", "R1"), "red")
    assert list(result.to_json().items()) == [
        ("severity", "urgent"),
        ("rules", ["U1", "R1"]),
        ("light", "red"),
    ]


SECTION_6_EXAMPLE: dict[str, Any] = {
    "client": {"post_op": True},
    "today": {
        "date": "2026-11-23",
        "pain_now": 7,
        "exercise_pain": 6,
        "morning": "worse",
        "stiffness": "15-30",
        "swelling": "more",
        "night_waking": "once",
        "night_eased": True,
        "confidence": 5,
        "red_flags": ["calf_swelling"],
        "exercises": [{"sets_prescribed": 3, "sets_done": 0, "skip_reason": "pain"}],
        "note": "free text",
    },
    "history": [{"date": "2026-11-22", "pain_now": 3}],
}


def test_section_6_example() -> None:
    # U1 (calf_swelling) and R1 (6 > 5). No R2/R5: yesterday's morning and swelling not asked.
    # One earlier value: no median (U7, R4, R7), no weekly means (R3); one night (R6), one skip
    # day (R8), one exercise day (R9). The spec's sample output lists ["R1", "U1"]; its own
    # ordering rule (E before U before R) gives U1 first.
    client, today, history = parse_input(SECTION_6_EXAMPLE)
    result = assess(client, today, history)
    assert result.to_json() == {"severity": "urgent", "rules": ["U1", "R1"], "light": "red"}


# --- History handling --------------------------------------------------------------------------


def test_history_order_does_not_matter() -> None:
    today, history = series("pain_now", {0: 8, 1: 8, 2: 4, 3: 4, 4: 4, 8: 3, 9: 3, 10: 3})
    expected = check(today, *history)
    assert expected.rules == ("U7", "R3", "R4")
    shuffled = history[:]
    random.Random(7).shuffle(shuffled)
    assert check(today, *shuffled) == expected
    assert assess(Client(), today, iter(reversed(history))) == expected


def test_history_on_or_after_today_is_ignored() -> None:
    history = [day(0, morning="worse"), day(-1, morning="worse"), day(1, morning="usual")]
    assert check(day(morning="worse"), *history).rules == ()
    # today's own answers win over a history entry of the same date
    assert check(day(morning="usual"), day(0, morning="worse"), day(1, morning="worse")).rules == ()


def test_repeated_history_date_keeps_the_later_entry() -> None:
    first, second = day(1, morning="usual"), day(1, morning="worse")
    assert check(day(morning="worse"), first, second).rules == ("R2",)
    assert check(day(morning="worse"), second, first).rules == ()


# --- R10 (scheduler) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_ago", "paused_agos", "missed"),
    [
        (0, (), 0),  # checked in today
        (1, (), 0),  # checked in yesterday
        (2, (), 1),
        (4, (), 3),
        (4, (2,), 2),  # paused days are not missed
        (6, (2, 3, 4, 5), 1),
        (5, (1, 2, 3, 4), 0),
        (4, (0, 4, 5), 3),  # pauses outside the gap change nothing
        (-1, (), 0),  # a check-in dated after today (clock skew)
    ],
)
def test_missed_checkin_days(last_ago: int, paused_agos: tuple[int, ...], missed: int) -> None:
    paused = {TODAY - timedelta(days=ago) for ago in paused_agos}
    last = TODAY - timedelta(days=last_ago)
    assert missed_checkin_days(last, TODAY, paused) == missed


def test_missed_checkin_days_without_any_checkin_is_zero() -> None:
    assert missed_checkin_days(None, TODAY) == 0
    assert not r10_due(None, TODAY)


@pytest.mark.parametrize(
    ("last_ago", "paused_agos", "thresholds", "due"),
    [
        (4, (), DEFAULT_THRESHOLDS, True),  # 3 missed days
        (3, (), DEFAULT_THRESHOLDS, False),  # 2 missed: still nudging
        (4, (3,), DEFAULT_THRESHOLDS, False),
        (10, (1, 2, 3, 4, 5, 6, 7), DEFAULT_THRESHOLDS, False),  # travel pause
        (3, (), Thresholds(r10_missed_days=2), True),
    ],
)
def test_r10_due(
    last_ago: int, paused_agos: tuple[int, ...], thresholds: Thresholds, due: bool
) -> None:
    paused = frozenset(TODAY - timedelta(days=ago) for ago in paused_agos)
    assert r10_due(TODAY - timedelta(days=last_ago), TODAY, paused, thresholds) is due


# --- Rule metadata and thresholds ---------------------------------------------------------------


def test_rule_ids_severities_and_labels() -> None:
    expected = [f"E{n}" for n in range(1, 6)] + [f"U{n}" for n in range(1, 8)]
    assert list(RULE_IDS) == expected + [f"R{n}" for n in range(1, 11)]
    assert [rule_severity(r) for r in ("E5", "U7", "R10")] == ["emergency", "urgent", "routine"]
    assert rule_label("U1") == "U1: one-sided calf or thigh pain/swelling/warmth/redness"
    diagnoses = ("clot", "thrombosis", "dvt", "infection", "fracture", "rupture", "cauda", "stroke")
    for rule_id in RULE_IDS:
        label = rule_label(rule_id)
        assert label.startswith(f"{rule_id}: ")
        assert not any(word in label.lower() for word in diagnoses)


@pytest.mark.parametrize("rule_id", ["E6", "R11", "X1", "r1", ""])
def test_unknown_rule_id_is_rejected(rule_id: str) -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        rule_severity(rule_id)
    with pytest.raises(ValueError, match="unknown rule"):
        rule_label(rule_id)


def test_threshold_defaults_match_the_spec() -> None:
    defaults = {f.name: f.default for f in fields(Thresholds)}
    assert defaults == {
        "window_days": 7,
        "median_min_values": 3,
        "exercise_pain_max": 5,
        "light_amber_min": 3,
        "u7_pain_min": 8,
        "u7_rise": 3,
        "r2_days": 2,
        "r3_rise": 1.0,
        "r3_min_values": 3,
        "r4_rise": 2,
        "r4_days": 2,
        "r5_days": 2,
        "r6_nights": 2,
        "r7_confidence_max": 3,
        "r7_drop": 3,
        "r8_days": 2,
        "r9_adherence_min": 0.5,
        "r9_min_days": 3,
        "r10_missed_days": 3,
        "progression_green_days": 7,
        "progression_adherence_min": 0.8,
    }


# --- parse_input -------------------------------------------------------------------------------


def doc(client: object = None, history: object = None, **today: object) -> dict[str, object]:
    """A minimal valid input with today's fields replaced or added."""
    result: dict[str, object] = {"today": {"date": "2026-11-23", **today}}
    if client is not None:
        result["client"] = client
    if history is not None:
        result["history"] = history
    return result


def test_parse_input_full_document() -> None:
    client, today, history = parse_input(SECTION_6_EXAMPLE)
    assert client == Client(post_op=True)
    assert today == Day(
        date=TODAY,
        pain_now=7,
        exercise_pain=6,
        morning="worse",
        stiffness="15-30",
        swelling="more",
        night_waking="once",
        night_eased=True,
        confidence=5,
        red_flags=("calf_swelling",),
        exercises=(Exercise(sets_prescribed=3, sets_done=0, skip_reason="pain"),),
        note="free text",
    )
    assert history == [Day(date=date(2026, 11, 22), pain_now=3)]


def test_parse_input_defaults_and_nulls_mean_not_asked() -> None:
    assert parse_input(doc()) == (Client(post_op=False), Day(date=TODAY), [])
    nulls = dict.fromkeys(name for name in Day.model_fields if name != "date")
    assert parse_input({"client": None, "history": None, **doc(**nulls)}) == (
        Client(),
        Day(date=TODAY),
        [],
    )
    assert parse_input(doc(client={}, history=[]))[0] == Client(post_op=False)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "input must be a JSON object"),
        ({}, "today is required"),
        ({"today": {}}, "today.date is required"),
        ({"today": "2026-11-23"}, "today must be a JSON object"),
        ({**doc(), "extra": 1}, "extra is not a known top-level field"),
        (doc(pain=3), "today.pain is not a known field"),
        (doc(**{"a b\n": 1}), "today.'a b\\n' is not a known field"),
        (doc(date="2026-11-31"), "today.date must be a real date written YYYY-MM-DD"),
        (doc(date="23/11/2026"), "today.date must be a real date written YYYY-MM-DD"),
        (doc(date="20261123"), "today.date must be a real date written YYYY-MM-DD"),
        (doc(date=20261123), "today.date must be a real date written YYYY-MM-DD"),
        (doc(pain_now=11), "today.pain_now must be a whole number from 0 to 10"),
        (doc(pain_now=-1), "today.pain_now must be a whole number from 0 to 10"),
        (doc(pain_now=5.0), "today.pain_now must be a whole number from 0 to 10"),
        (doc(pain_now=True), "today.pain_now must be a whole number from 0 to 10"),
        (doc(pain_now="5"), "today.pain_now must be a whole number from 0 to 10"),
        (doc(exercise_pain=11), "today.exercise_pain must be a whole number from 0 to 10"),
        (doc(confidence=False), "today.confidence must be a whole number from 0 to 10"),
        (doc(morning="Worse"), "today.morning must be one of: better, usual, worse"),
        (doc(stiffness="10"), "today.stiffness must be one of: none, <5, 5-15, 15-30, >30"),
        (doc(swelling=1), "today.swelling must be one of: less, same, more"),
        (doc(night_waking="yes"), "today.night_waking must be one of: no, once, several, no_sleep"),
        (doc(night_eased="yes"), "today.night_eased must be true or false"),
        (doc(night_eased=0), "today.night_eased must be true or false"),
        (doc(red_flags="fever"), "today.red_flags must be a list of red-flag codes"),
        (doc(red_flags=["fever", "rash"]), "today.red_flags[1] is not a known red-flag code"),
        (doc(red_flags=[["fever"]]), "today.red_flags[0] is not a known red-flag code"),
        (doc(exercises={}), "today.exercises must be a list of exercises"),
        (doc(exercises=[3]), "today.exercises[0] must be a JSON object"),
        (
            doc(exercises=[{"sets_prescribed": 3, "sets_done": 4}]),
            "today.exercises[0].sets_done must be a whole number from 0 to sets_prescribed",
        ),
        (
            doc(exercises=[{"sets_prescribed": 3, "sets_done": -1}]),
            "today.exercises[0].sets_done must be a whole number from 0 to sets_prescribed",
        ),
        (
            doc(exercises=[{"sets_prescribed": 3}]),
            "today.exercises[0].sets_done must be a whole number from 0 to sets_prescribed",
        ),
        (
            doc(exercises=[{"sets_prescribed": 0, "sets_done": 0}]),
            "today.exercises[0].sets_prescribed must be a whole number of at least 1",
        ),
        (
            doc(exercises=[{"sets_prescribed": True, "sets_done": 0}]),
            "today.exercises[0].sets_prescribed must be a whole number of at least 1",
        ),
        (
            doc(exercises=[{"sets_prescribed": 3, "sets_done": 0, "skip_reason": "tired"}]),
            "today.exercises[0].skip_reason must be one of: pain, time, forgot, other",
        ),
        (
            doc(exercises=[{"sets_prescribed": 3, "sets_done": 0, "reps": 10}]),
            "today.exercises[0].reps is not a known field",
        ),
        (doc(note=5), "today.note must be text"),
        (doc(client="post_op"), "client must be a JSON object"),
        (doc(client={"post_op": "true"}), "client.post_op must be true or false"),
        (doc(client={"post_op": 1}), "client.post_op must be true or false"),
        (doc(client={"age": 40}), "client.age is not a known field"),
        (doc(history={}), "history must be a list of days"),
        (doc(history=[{"pain_now": 3}]), "history[0].date is required"),
        (doc(history=[{"date": "2026-11-23"}]), "history[0].date must be before today.date"),
        (doc(history=[{"date": "2026-11-24"}]), "history[0].date must be before today.date"),
        (
            doc(history=[{"date": "2026-11-20"}, {"date": "2026-11-20"}]),
            "history[1].date repeats an earlier history day",
        ),
        (
            doc(history=[{"date": "2026-11-22", "pain_now": 12}]),
            "history[0].pain_now must be a whole number from 0 to 10",
        ),
    ],
)
def test_parse_input_rejects_with_one_line_naming_the_field(document: object, message: str) -> None:
    with pytest.raises(TriageInputError) as caught:
        parse_input(document)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)
