"""Check-in triage: which TRIAGE.md rules (E1-E5, U1-U7, R1-R10) fire, and the client's light.

Pure (stdlib and pydantic), so the bot, the scheduler and `mendbot triage` run the very same rule
code on the very same day model (flows.checkin.day), and the tests can hold it to TRIAGE.md's
"Precise definitions" without a database or Telegram.
Rule IDs are stable and are cited next to the code that decides them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Annotated, Final, Literal, get_args

from pydantic import ValidationError, model_validator
from pydantic_core import PydanticCustomError

from flows.checkin.day import CUSTOM, Checked, Client, Day, Expect, RedFlagCode, explain

Severity = Literal["emergency", "urgent", "routine", "none"]
Light = Literal["green", "amber", "red"]
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)  # highest first

# --- Rules: IDs, severities, trainer labels ----------------------------------------------------

# Neutral wording for trainer alerts: what was reported, never a diagnosis (section 5 rule 1).
RULE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "E1": "chest pain or pressure, sudden breathlessness, or coughing blood",
        "E2": "saddle numbness, new bladder/bowel problems, or symptoms in both legs",
        "E3": "post-op: fever with shivering, very unwell/confused, or worst-ever joint pain",
        "E4": "back pain after a serious accident or fall",
        "E5": "sudden one-sided face/body weakness or trouble speaking",
        "U1": "one-sided calf or thigh pain/swelling/warmth/redness",
        "U2": "wound redness, heat, discharge or opening",
        "U3": "fever of 38 C or more, or feeling very unwell",
        "U4": "night pain not eased by rest or position, or unexplained weight loss",
        "U5": "sudden pop or snap, giving way, or can't bear weight",
        "U6": "new or worsening numbness or weakness in one limb",
        "U7": "pain now far above usual, or worst pain ever",
        "R1": "high pain during exercises",
        "R2": "worse next morning, two mornings in a row",
        "R3": "weekly average pain up on the week before",
        "R4": "pain well above usual, two days in a row",
        "R5": "swelling up, two days in a row",
        "R6": "woken by pain on several nights this week",
        "R7": "low or dropping confidence with exercises",
        "R8": "exercises skipped because of pain, several days this week",
        "R9": "low adherence this week",
        "R10": "no check-in for several days",
    }
)
RULE_IDS: Final[tuple[str, ...]] = tuple(RULE_LABELS)

_SEVERITY_BY_PREFIX: Final[Mapping[str, Severity]] = MappingProxyType(
    {"E": "emergency", "U": "urgent", "R": "routine"}
)


def rule_severity(rule_id: str) -> Severity:
    """Severity of a rule, from its stable ID (E = emergency, U = urgent, R = routine)."""
    if rule_id not in RULE_LABELS:
        raise ValueError(f"unknown rule {rule_id!r}")
    return _SEVERITY_BY_PREFIX[rule_id[0]]


def rule_label(rule_id: str) -> str:
    """Short neutral label for trainers, e.g. "U1: one-sided calf or thigh ..."."""
    if rule_id not in RULE_LABELS:
        raise ValueError(f"unknown rule {rule_id!r}")
    return f"{rule_id}: {RULE_LABELS[rule_id]}"


def _rule_sort_key(rule_id: str) -> tuple[int, int]:
    return SEVERITIES.index(rule_severity(rule_id)), int(rule_id[1:])


def sort_rules(rule_ids: Iterable[str]) -> tuple[str, ...]:
    """Severity first, then number, so R2 sorts before R10 (section 6, Output)."""
    return tuple(sorted(set(rule_ids), key=_rule_sort_key))


# --- Data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The [C] thresholds of TRIAGE.md with their documented defaults; config may override."""

    window_days: int = 7  # "last 7 days", "previous 7 days", "7-day median"
    median_min_values: int = 3  # a 7-day median exists only with this many earlier values
    exercise_pain_max: int = 5  # R1 and the red light: exercise pain above this
    light_amber_min: int = 3  # amber from here to exercise_pain_max, green below
    u7_pain_min: int = 8  # U7: pain now at least this ...
    u7_rise: int = 3  # ... and at least this above the 7-day median
    r2_days: int = 2  # R2: morning "worse" this many days in a row
    r3_rise: float = 1.0  # R3: weekly mean pain up by at least this
    r3_min_values: int = 3  # R3: each weekly mean needs this many values
    r4_rise: int = 2  # R4: pain at least this above its 7-day median ...
    r4_days: int = 2  # ... this many days in a row
    r5_days: int = 2  # R5: swelling "more" this many days in a row
    r6_nights: int = 2  # R6: eased night waking on this many days of the last 7
    r7_confidence_max: int = 3  # R7: confidence at most this ...
    r7_drop: int = 3  # ... or at least this below its 7-day median
    r8_days: int = 2  # R8: days of the last 7 with an exercise skipped for pain
    r9_adherence_min: float = 0.5  # R9: weekly sets done / prescribed below this ...
    r9_min_days: int = 3  # ... counted only with this many days with exercises
    r10_missed_days: int = 3  # R10: unpaused days in a row without a check-in
    progression_green_days: int = 7  # progression suggestion (not assess): green days ...
    progression_adherence_min: float = 0.8  # ... and adherence at least this


DEFAULT_THRESHOLDS: Final = Thresholds()


@dataclass(frozen=True)
class Assessment:
    """Outcome of one check-in: highest severity, fired rule IDs (sorted), client light."""

    severity: Severity
    rules: tuple[str, ...]
    light: Light | None

    def to_json(self) -> dict[str, object]:
        """The `mendbot triage` output object, keys in the documented order."""
        return {"severity": self.severity, "rules": list(self.rules), "light": self.light}


# --- Rule evaluation ---------------------------------------------------------------------------

_ScoreField = Literal["pain_now", "confidence"]


@dataclass(frozen=True)
class _Context:
    """Today's answers plus the history indexed by calendar date (today included)."""

    client: Client
    today: Day
    days: Mapping[date, Day]
    t: Thresholds

    def flagged(self, *codes: RedFlagCode) -> bool:
        """Whether any of `codes` was ticked today."""
        return not set(self.today.red_flags).isdisjoint(codes)

    def window(self, end: date, length: int) -> list[Day]:
        """Check-ins on the `length` calendar days ending with `end` (inclusive)."""
        spans = (end - timedelta(days=offset) for offset in range(length))
        return [self.days[d] for d in spans if d in self.days]

    def median_before(self, day: date, name: _ScoreField) -> float | None:
        """The 7-day median: the 7 days before `day`, that day excluded; needs enough values."""
        values = _values(self.window(day - timedelta(days=1), self.t.window_days), name)
        if len(values) < self.t.median_min_values:
            return None
        return statistics.median(values)

    def in_a_row(self, count: int, holds: Callable[[Day], bool]) -> bool:
        """True if today and the count-1 calendar days before it all have a check-in that holds."""
        for offset in range(count):
            day = self.days.get(self.today.date - timedelta(days=offset))
            if day is None or not holds(day):
                return False
        return True

    def days_in_last_week(self, holds: Callable[[Day], bool]) -> int:
        return sum(1 for day in self.window(self.today.date, self.t.window_days) if holds(day))


def _values(days: Iterable[Day], name: _ScoreField) -> list[int]:
    return [value for day in days if (value := getattr(day, name)) is not None]


def _e1(ctx: _Context) -> bool:
    return ctx.flagged("chest_pain", "breathless", "coughing_blood")


def _e2(ctx: _Context) -> bool:
    return ctx.flagged("saddle_numbness", "bladder_bowel", "both_legs")


def _e3(ctx: _Context) -> bool:
    """E3: post-op and (very unwell, worst pain ever, or fever together with chills)."""
    fever_with_chills = ctx.flagged("fever") and ctx.flagged("chills")
    return ctx.client.post_op and (
        ctx.flagged("very_unwell", "worst_pain_ever") or fever_with_chills
    )


def _e4(ctx: _Context) -> bool:
    return ctx.flagged("accident")


def _e5(ctx: _Context) -> bool:
    return ctx.flagged("stroke_signs")


def _u1(ctx: _Context) -> bool:
    return ctx.flagged("calf_swelling")


def _u2(ctx: _Context) -> bool:
    return ctx.flagged("wound_problem")


def _u3(ctx: _Context) -> bool:
    """U3: fever or very unwell "without E3 features": when E3 fires it covers these answers."""
    return ctx.flagged("fever", "very_unwell") and not _e3(ctx)


def _woke_at_night(day: Day) -> bool:
    return day.night_waking is not None and day.night_waking != "no"


def _u4(ctx: _Context) -> bool:
    """U4: woken by pain that rest or a change of position did not ease, or weight loss."""
    today = ctx.today
    return (_woke_at_night(today) and today.night_eased is False) or ctx.flagged("weight_loss")


def _u5(ctx: _Context) -> bool:
    return ctx.flagged("pop_giving_way")


def _u6(ctx: _Context) -> bool:
    return ctx.flagged("limb_numbness")


def _u7(ctx: _Context) -> bool:
    """U7: pain now high and far above the 7-day median, or worst pain ever when not post-op."""
    if ctx.flagged("worst_pain_ever") and not ctx.client.post_op:
        return True
    pain = ctx.today.pain_now
    if pain is None or pain < ctx.t.u7_pain_min:
        return False
    median = ctx.median_before(ctx.today.date, "pain_now")
    return median is not None and pain >= median + ctx.t.u7_rise


def _r1(ctx: _Context) -> bool:
    pain = ctx.today.exercise_pain
    return pain is not None and pain > ctx.t.exercise_pain_max


def _r2(ctx: _Context) -> bool:
    """R2: morning "worse" today and on the calendar day(s) before; a gap breaks the run."""
    return ctx.in_a_row(ctx.t.r2_days, lambda day: day.morning == "worse")


def _r3(ctx: _Context) -> bool:
    """R3: mean pain of the last 7 days >= mean of the previous 7 + 1, each over >= 3 values."""
    span = ctx.t.window_days
    last = _values(ctx.window(ctx.today.date, span), "pain_now")
    previous = _values(ctx.window(ctx.today.date - timedelta(days=span), span), "pain_now")
    if min(len(last), len(previous)) < ctx.t.r3_min_values:
        return False
    # Exact arithmetic: a float mean could miss the boundary by one ulp.
    last_mean = Fraction(sum(last), len(last))
    previous_mean = Fraction(sum(previous), len(previous))
    return last_mean >= previous_mean + _exact(ctx.t.r3_rise)


def _r4(ctx: _Context) -> bool:
    """R4: pain >= 7-day median + 2 today and the day before, each against its own median."""

    def above_median(day: Day) -> bool:
        median = ctx.median_before(day.date, "pain_now")
        if day.pain_now is None or median is None:
            return False
        return day.pain_now >= median + ctx.t.r4_rise

    return ctx.in_a_row(ctx.t.r4_days, above_median)


def _r5(ctx: _Context) -> bool:
    return ctx.in_a_row(ctx.t.r5_days, lambda day: day.swelling == "more")


def _r6(ctx: _Context) -> bool:
    """R6: woken by pain that rest or position eased, on 2+ days of the last 7."""
    eased = ctx.days_in_last_week(lambda day: _woke_at_night(day) and day.night_eased is True)
    return eased >= ctx.t.r6_nights


def _r7(ctx: _Context) -> bool:
    """R7: confidence <= 3 (no history needed), or >= 3 below its 7-day median."""
    confidence = ctx.today.confidence
    if confidence is None:
        return False
    if confidence <= ctx.t.r7_confidence_max:
        return True
    median = ctx.median_before(ctx.today.date, "confidence")
    return median is not None and confidence <= median - ctx.t.r7_drop


def _r8(ctx: _Context) -> bool:
    """R8: days (not exercises) of the last 7 with an exercise skipped for pain."""
    skipped = ctx.days_in_last_week(
        lambda day: any(ex.skip_reason == "pain" for ex in day.exercises)
    )
    return skipped >= ctx.t.r8_days


def _r9(ctx: _Context) -> bool:
    """R9: weekly sets done / prescribed < 0.5, only once 3+ of those days have exercises."""
    days = [d for d in ctx.window(ctx.today.date, ctx.t.window_days) if d.exercises]
    if len(days) < ctx.t.r9_min_days:
        return False
    done = sum(ex.sets_done for d in days for ex in d.exercises)
    prescribed = sum(ex.sets_prescribed for d in days for ex in d.exercises)
    return prescribed > 0 and Fraction(done, prescribed) < _exact(ctx.t.r9_adherence_min)


def _exact(value: float) -> Fraction:
    """A configured decimal as written (0.1 is 1/10), so boundaries compare exactly."""
    return Fraction(str(value))


# Check-in rules in output order; R10 is the scheduler's (missed_checkin_days / r10_due).
_CHECKS: Final[Sequence[tuple[str, Callable[[_Context], bool]]]] = (
    ("E1", _e1),
    ("E2", _e2),
    ("E3", _e3),
    ("E4", _e4),
    ("E5", _e5),
    ("U1", _u1),
    ("U2", _u2),
    ("U3", _u3),
    ("U4", _u4),
    ("U5", _u5),
    ("U6", _u6),
    ("U7", _u7),
    ("R1", _r1),
    ("R2", _r2),
    ("R3", _r3),
    ("R4", _r4),
    ("R5", _r5),
    ("R6", _r6),
    ("R7", _r7),
    ("R8", _r8),
    ("R9", _r9),
)


def _index_days(today: Day, history: Iterable[Day]) -> dict[date, Day]:
    """History by date: days on or after today are dropped (today wins), and for a repeated
    date the later entry wins, as a correction of the earlier one."""
    days = {day.date: day for day in history if day.date < today.date}
    days[today.date] = today
    return days


def light_for(
    today: Day, r3_fired: bool, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Light | None:
    """Section 6 Output: red, else amber, else green, else None when nothing tells."""
    pain = today.exercise_pain
    too_painful = pain is not None and pain > thresholds.exercise_pain_max
    if too_painful or today.morning == "worse" or r3_fired:  # the answers behind R1, R2, R3
        return "red"
    if pain is not None and pain >= thresholds.light_amber_min:
        return "amber"
    if pain is not None or today.morning in ("better", "usual"):
        return "green"
    return None


FLAGGED: Final = ("emergency", "urgent")
"""Severities that make a day red wherever it is shown."""


def day_light(light: str | None, severity: str | None) -> Light | None:
    """The light a day shows everywhere (check-in summary, /progress, /clients, history,
    alerts): an emergency or urgent flag makes the day red whatever the answers' own light
    (section 3); otherwise the answers decide (`light_for`). Rows stored before flags counted
    are read through this too, so one rule holds for every screen."""
    if severity in FLAGGED:
        return "red"
    return light if light in ("green", "amber", "red") else None  # type: ignore[return-value]


def assess(
    client: Client,
    today: Day,
    history: Iterable[Day],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Assessment:
    """Run every check-in rule (E1-E5, U1-U7, R1-R9) on today's answers against the history.

    History may come in any order; rules that need it stay silent until it exists.
    """
    ctx = _Context(client, today, _index_days(today, history), thresholds)
    rules = sort_rules(rule_id for rule_id, check in _CHECKS if check(ctx))
    severity: Severity = rule_severity(rules[0]) if rules else "none"
    light = day_light(light_for(today, "R3" in rules, thresholds), severity)
    return Assessment(severity, rules, light)


# --- R10: missed check-ins (scheduler) ---------------------------------------------------------


def missed_checkin_days(
    last_checkin: date | None, today: date, paused: Container[date] = frozenset()
) -> int:
    """Unpaused days without a check-in between the last check-in and today (today excluded,
    it is not over). Paused days are skipped, neither missed nor breaking the count. With no
    check-in at all there is nothing to count from: pass the onboarding date to start one."""
    if last_checkin is None:
        return 0
    span = (today - last_checkin).days - 1
    days = (last_checkin + timedelta(days=offset) for offset in range(1, span + 1))
    return sum(1 for day in days if day not in paused)


def r10_due(
    last_checkin: date | None,
    today: date,
    paused: Container[date] = frozenset(),
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> bool:
    """R10: 3 unpaused days in a row without a check-in (the nudges on days 1 and 2 come first)."""
    return missed_checkin_days(last_checkin, today, paused) >= thresholds.r10_missed_days


# --- `mendbot triage` input --------------------------------------------------------------------


class TriageInputError(ValueError):
    """Invalid `mendbot triage` input; the message is one short line naming the field."""


class TriageInput(Checked):
    """A `mendbot triage` document (section 6): the client, today, and earlier days."""

    client: Client = Client()
    today: Day
    history: Annotated[tuple[Day, ...], Expect("a list of days")] = ()

    @model_validator(mode="after")
    def _history_before_today(self) -> TriageInput:
        """Strict, unlike assess(): a trainer checking a check-in by hand has made a mistake."""
        seen: set[date] = set()
        for index, day in enumerate(self.history):
            path = f"history[{index}].date"
            if day.date >= self.today.date:
                raise PydanticCustomError(CUSTOM, f"{path} must be before today.date")
            if day.date in seen:
                raise PydanticCustomError(CUSTOM, f"{path} repeats an earlier history day")
            seen.add(day.date)
        return self


def parse_input(doc: object) -> tuple[Client, Day, list[Day]]:
    """Validate a decoded `mendbot triage` document strictly (section 6) into rule inputs.

    Strict because trainers use it to check what a check-in would raise: a typo must be an
    error naming the field, not an answer silently treated as "not asked".
    """
    try:
        checked = TriageInput.model_validate(doc)
    except ValidationError as exc:
        raise TriageInputError(explain(exc, TriageInput)) from None
    return checked.client, checked.today, list(checked.history)
