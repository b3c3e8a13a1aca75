"""Check-in triage: which TRIAGE.md rules (E1-E5, U1-U7, R1-R10) fire, and the client's light.

Pure and stdlib only, so the bot, the scheduler and `mendbot triage` run the very same rule code and
the tests can hold it to TRIAGE.md's "Precise definitions" without a database or Telegram.
Rule IDs are stable and are cited next to the code that decides them.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal, TypeVar, get_args

# --- Answer value sets (TRIAGE.md section 6, "Value sets") -----------------------------------

Morning = Literal["better", "usual", "worse"]
Stiffness = Literal["none", "<5", "5-15", "15-30", ">30"]
Swelling = Literal["less", "same", "more"]
NightWaking = Literal["no", "once", "several", "no_sleep"]
SkipReason = Literal["pain", "time", "forgot", "other"]
Severity = Literal["emergency", "urgent", "routine", "none"]
Light = Literal["green", "amber", "red"]
RedFlagCode = Literal[
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

MORNING_VALUES: Final[tuple[Morning, ...]] = get_args(Morning)
STIFFNESS_VALUES: Final[tuple[Stiffness, ...]] = get_args(Stiffness)
SWELLING_VALUES: Final[tuple[Swelling, ...]] = get_args(Swelling)
NIGHT_WAKING_VALUES: Final[tuple[NightWaking, ...]] = get_args(NightWaking)
SKIP_REASON_VALUES: Final[tuple[SkipReason, ...]] = get_args(SkipReason)
SEVERITIES: Final[tuple[Severity, ...]] = get_args(Severity)  # highest first

# Q9 red-flag items in the table's order (section 6): code -> the rules the item can raise.
# Most items raise one rule; fever, chills, very_unwell and worst_pain_ever depend on post-op
# status and on each other (E3 vs U3 vs U7), which assess() decides.
RED_FLAG_RULES: Final[Mapping[RedFlagCode, tuple[str, ...]]] = MappingProxyType(
    {
        "chest_pain": ("E1",),
        "breathless": ("E1",),
        "coughing_blood": ("E1",),
        "saddle_numbness": ("E2",),
        "bladder_bowel": ("E2",),
        "both_legs": ("E2",),
        "fever": ("E3", "U3"),
        "chills": ("E3",),
        "very_unwell": ("E3", "U3"),
        "worst_pain_ever": ("E3", "U7"),
        "accident": ("E4",),
        "stroke_signs": ("E5",),
        "calf_swelling": ("U1",),
        "wound_problem": ("U2",),
        "weight_loss": ("U4",),
        "pop_giving_way": ("U5",),
        "limb_numbness": ("U6",),
    }
)

# What the Q9 screen shows the client for each code (section 6), same order.
RED_FLAG_ITEMS: Final[Mapping[RedFlagCode, str]] = MappingProxyType(
    {
        "chest_pain": "chest pain or pressure",
        "breathless": "sudden shortness of breath",
        "coughing_blood": "coughing up blood",
        "saddle_numbness": "numbness around the genitals, buttocks or inner thighs",
        "bladder_bowel": "new trouble passing urine, or losing control of bladder or bowel",
        "both_legs": "pain, weakness or numbness in both legs",
        "fever": "fever of 38 C or more",
        "chills": "shivering or chills",
        "very_unwell": "feeling very unwell or confused",
        "worst_pain_ever": "joint pain worse than ever before",
        "accident": "pain started after a serious accident or fall",
        "stroke_signs": "sudden weakness of one side of the face or body, or trouble speaking",
        "calf_swelling": "pain, swelling, warmth or redness in one calf or thigh",
        "wound_problem": "wound red, hot, leaking, smelly or opening",
        "weight_loss": "weight loss you can't explain",
        "pop_giving_way": "a sudden pop or snap, giving way, or can't put weight on it",
        "limb_numbness": "new or worsening numbness or weakness in one arm or leg",
    }
)

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
class Exercise:
    """One prescribed exercise of the day (Q2); skip_reason is asked only when skipped."""

    sets_prescribed: int
    sets_done: int
    skip_reason: SkipReason | None = None


@dataclass(frozen=True)
class Day:
    """One day's check-in answers; None means the question was not asked (per-client Q4-Q8)."""

    date: date
    pain_now: int | None = None
    exercise_pain: int | None = None
    morning: Morning | None = None
    stiffness: Stiffness | None = None
    swelling: Swelling | None = None
    night_waking: NightWaking | None = None
    night_eased: bool | None = None
    confidence: int | None = None
    red_flags: frozenset[RedFlagCode] = frozenset()
    exercises: tuple[Exercise, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Client:
    """What triage needs to know about the client: post-op status changes E3/U3/U7."""

    post_op: bool = False


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
        return not self.today.red_flags.isdisjoint(codes)

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
    flags = ctx.today.red_flags
    return ctx.client.post_op and (
        ctx.flagged("very_unwell", "worst_pain_ever") or {"fever", "chills"} <= flags
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
    return Assessment(severity, rules, light_for(today, "R3" in rules, thresholds))


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


_TOP_FIELDS: Final = ("client", "today", "history")
_CLIENT_FIELDS: Final = ("post_op",)
_DAY_FIELDS: Final = (
    "date",
    "pain_now",
    "exercise_pain",
    "morning",
    "stiffness",
    "swelling",
    "night_waking",
    "night_eased",
    "confidence",
    "red_flags",
    "exercises",
    "note",
)
_EXERCISE_FIELDS: Final = ("sets_prescribed", "sets_done", "skip_reason")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9_]{1,40}")
_MAX_SCORE: Final = 10

_T = TypeVar("_T", bound=str)


def parse_input(doc: object) -> tuple[Client, Day, list[Day]]:
    """Validate a decoded `mendbot triage` document strictly (section 6) into rule inputs.

    Strict because trainers use it to check what a check-in would raise: a typo must be an
    error naming the field, not an answer silently treated as "not asked".
    """
    top = _object(doc, "input")
    _known_fields(top, _TOP_FIELDS, "")
    client = _client(top.get("client"))
    if top.get("today") is None:
        raise TriageInputError("today is required")
    today = _day(top["today"], "today")
    return client, today, _history(top.get("history"), today.date)


def _client(raw: object) -> Client:
    if raw is None:
        return Client()
    obj = _object(raw, "client")
    _known_fields(obj, _CLIENT_FIELDS, "client")
    post_op = obj.get("post_op", False)
    if not isinstance(post_op, bool):
        raise TriageInputError("client.post_op must be true or false")
    return Client(post_op=post_op)


def _history(raw: object, today: date) -> list[Day]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TriageInputError("history must be a list of days")
    days: list[Day] = []
    seen: set[date] = set()
    for index, item in enumerate(raw):
        path = f"history[{index}]"
        day = _day(item, path)
        if day.date >= today:
            raise TriageInputError(f"{path}.date must be before today.date")
        if day.date in seen:
            raise TriageInputError(f"{path}.date repeats an earlier history day")
        seen.add(day.date)
        days.append(day)
    return days


def _day(raw: object, path: str) -> Day:
    obj = _object(raw, path)
    _known_fields(obj, _DAY_FIELDS, path)
    if obj.get("date") is None:
        raise TriageInputError(f"{path}.date is required")
    note = obj.get("note")
    if note is not None and not isinstance(note, str):
        raise TriageInputError(f"{path}.note must be text")
    return Day(
        date=_date(obj["date"], f"{path}.date"),
        pain_now=_score(obj, "pain_now", path),
        exercise_pain=_score(obj, "exercise_pain", path),
        morning=_choice(obj, "morning", path, MORNING_VALUES),
        stiffness=_choice(obj, "stiffness", path, STIFFNESS_VALUES),
        swelling=_choice(obj, "swelling", path, SWELLING_VALUES),
        night_waking=_choice(obj, "night_waking", path, NIGHT_WAKING_VALUES),
        night_eased=_flag(obj, "night_eased", path),
        confidence=_score(obj, "confidence", path),
        red_flags=_red_flags(obj.get("red_flags"), f"{path}.red_flags"),
        exercises=_exercises(obj.get("exercises"), f"{path}.exercises"),
        note=note,
    )


def _exercises(raw: object, path: str) -> tuple[Exercise, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TriageInputError(f"{path} must be a list of exercises")
    return tuple(_exercise(item, f"{path}[{index}]") for index, item in enumerate(raw))


def _exercise(raw: object, path: str) -> Exercise:
    obj = _object(raw, path)
    _known_fields(obj, _EXERCISE_FIELDS, path)
    prescribed = _int_in(obj.get("sets_prescribed"), 1, None)
    if prescribed is None:
        raise TriageInputError(f"{path}.sets_prescribed must be a whole number of at least 1")
    done = _int_in(obj.get("sets_done"), 0, prescribed)
    if done is None:
        raise TriageInputError(f"{path}.sets_done must be a whole number from 0 to sets_prescribed")
    reason = _choice(obj, "skip_reason", path, SKIP_REASON_VALUES)
    return Exercise(sets_prescribed=prescribed, sets_done=done, skip_reason=reason)


def _red_flags(raw: object, path: str) -> frozenset[RedFlagCode]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise TriageInputError(f"{path} must be a list of red-flag codes")
    codes: set[RedFlagCode] = set()
    for index, item in enumerate(raw):
        code = _member(item, tuple(RED_FLAG_RULES))
        if code is None:
            raise TriageInputError(f"{path}[{index}] is not a known red-flag code")
        codes.add(code)
    return frozenset(codes)


def _object(raw: object, path: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise TriageInputError(f"{path} must be a JSON object")
    return raw


def _known_fields(obj: Mapping[str, object], allowed: Sequence[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            # repr() keeps an odd key (spaces, newlines, very long) to one short line.
            name = key if _PLAIN_NAME.fullmatch(key) else repr(key[:40])
            raise TriageInputError(
                f"{path}.{name} is not a known field"
                if path
                else f"{name} is not a known top-level field"
            )


def _date(raw: object, path: str) -> date:
    # date.fromisoformat alone accepts forms like 20261123 or 2026-W48-1; the spec says YYYY-MM-DD.
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise TriageInputError(f"{path} must be a real date written YYYY-MM-DD")


def _int_in(raw: object, low: int, high: int | None) -> int | None:
    """raw if it is a JSON integer within [low, high], else None; true and 5.0 are not integers."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    if raw < low or (high is not None and raw > high):
        return None
    return raw


def _score(obj: Mapping[str, object], key: str, path: str) -> int | None:
    """A 0-10 answer (Q1, Q3, Q8); null or absent means not asked."""
    raw = obj.get(key)
    if raw is None:
        return None
    score = _int_in(raw, 0, _MAX_SCORE)
    if score is None:
        raise TriageInputError(f"{path}.{key} must be a whole number from 0 to {_MAX_SCORE}")
    return score


def _flag(obj: Mapping[str, object], key: str, path: str) -> bool | None:
    raw = obj.get(key)
    if raw is None or isinstance(raw, bool):
        return raw
    raise TriageInputError(f"{path}.{key} must be true or false")


def _choice(obj: Mapping[str, object], key: str, path: str, values: tuple[_T, ...]) -> _T | None:
    raw = obj.get(key)
    if raw is None:
        return None
    value = _member(raw, values)
    if value is None:
        raise TriageInputError(f"{path}.{key} must be one of: {', '.join(values)}")
    return value


def _member(raw: object, values: tuple[_T, ...]) -> _T | None:
    """The value set's own (typed) member equal to raw, if any."""
    return next((value for value in values if value == raw), None)
