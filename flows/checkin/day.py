"""A check-in day (TRIAGE.md sections 1 and 6), declared once: each answer's name, type, range,
options and words.

The check-in flow keeps its answers as `Answers`, triage's rules read `Day`s, trainer alerts show
answers through the labels declared here, and `mendbot triage` validates its JSON with these very
models, so an answer the bot could never store is refused the same way everywhere. A missing or
null answer means "not asked". Pure (stdlib, pydantic and the N_ marker), like the rules that read
it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from flows.engine.texts import N_

# --- answer values (TRIAGE.md section 6, "Value sets") -----------------------------------------

SCORE_MAX: Final = 10  # Q1, Q3 and Q8 are 0-10
Morning = Literal["better", "usual", "worse"]
Stiffness = Literal["none", "<5", "5-15", "15-30", ">30"]
Swelling = Literal["less", "same", "more"]
NightWaking = Literal["no", "once", "several", "no_sleep"]
SkipReason = Literal["pain", "time", "forgot", "other"]
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


@dataclass(frozen=True)
class RedFlag:
    """A Q9 item: what the client is shown, and the rules it can raise. Most raise one; fever,
    chills, very_unwell and worst_pain_ever depend on post-op status and on each other (E3 vs
    U3 vs U7), which triage decides."""

    item: str
    rules: tuple[str, ...]


# Section 6's table, in its order (the order the Q9 screen shows).
RED_FLAGS: Final[Mapping[RedFlagCode, RedFlag]] = MappingProxyType(
    {
        "chest_pain": RedFlag("chest pain or pressure", ("E1",)),
        "breathless": RedFlag("sudden shortness of breath", ("E1",)),
        "coughing_blood": RedFlag("coughing up blood", ("E1",)),
        "saddle_numbness": RedFlag(
            "numbness around the genitals, buttocks or inner thighs", ("E2",)
        ),
        "bladder_bowel": RedFlag(
            "new trouble passing urine, or losing control of bladder or bowel", ("E2",)
        ),
        "both_legs": RedFlag("pain, weakness or numbness in both legs", ("E2",)),
        "fever": RedFlag("fever of 38 C or more", ("E3", "U3")),
        "chills": RedFlag("shivering or chills", ("E3",)),
        "very_unwell": RedFlag("feeling very unwell or confused", ("E3", "U3")),
        "worst_pain_ever": RedFlag("joint pain worse than ever before", ("E3", "U7")),
        "accident": RedFlag("pain started after a serious accident or fall", ("E4",)),
        "stroke_signs": RedFlag(
            "sudden weakness of one side of the face or body, or trouble speaking", ("E5",)
        ),
        "calf_swelling": RedFlag("pain, swelling, warmth or redness in one calf or thigh", ("U1",)),
        "wound_problem": RedFlag("wound red, hot, leaking, smelly or opening", ("U2",)),
        "weight_loss": RedFlag("weight loss you can't explain", ("U4",)),
        "pop_giving_way": RedFlag(
            "a sudden pop or snap, giving way, or can't put weight on it", ("U5",)
        ),
        "limb_numbness": RedFlag(
            "new or worsening numbness or weakness in one arm or leg", ("U6",)
        ),
    }
)
# How the Q9 screen groups the items: its question lists each group's full wording, and its
# short buttons follow in this order (flows/checkin/flag_screen.py). Every code once.
RED_FLAG_GROUPS: Final[tuple[tuple[str, tuple[RedFlagCode, ...]], ...]] = (
    ("chest", ("chest_pain", "breathless", "coughing_blood")),
    (
        "nerves",
        ("saddle_numbness", "bladder_bowel", "both_legs", "stroke_signs", "limb_numbness"),
    ),
    ("unwell", ("fever", "chills", "very_unwell")),
    ("pain", ("worst_pain_ever", "accident", "pop_giving_way")),
    ("leg_wound", ("calf_swelling", "wound_problem", "weight_loss")),
)
RED_FLAG_ITEMS: Final[Mapping[RedFlagCode, str]] = MappingProxyType(
    {code: flag.item for code, flag in RED_FLAGS.items()}
)
RED_FLAG_RULES: Final[Mapping[RedFlagCode, tuple[str, ...]]] = MappingProxyType(
    {code: flag.rules for code, flag in RED_FLAGS.items()}
)


# Each option's text key, by answer: the check-in's buttons, which alerts' lines also use.
OPTION_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "morning": {
        "better": N_("ci_morning_better"),
        "usual": N_("ci_morning_usual"),
        "worse": N_("ci_morning_worse"),
    },
    "stiffness": {
        "none": N_("ci_stiffness_none"),
        "<5": N_("ci_stiffness_<5"),
        "5-15": N_("ci_stiffness_5-15"),
        "15-30": N_("ci_stiffness_15-30"),
        ">30": N_("ci_stiffness_>30"),
    },
    "swelling": {
        "less": N_("ci_swelling_less"),
        "same": N_("ci_swelling_same"),
        "more": N_("ci_swelling_more"),
    },
    "night_waking": {
        "no": N_("ci_night_no"),
        "once": N_("ci_night_once"),
        "several": N_("ci_night_several"),
        "no_sleep": N_("ci_night_no_sleep"),
    },
    "night_eased": {"yes": N_("ci_night_eased_yes"), "no": N_("ci_night_eased_no")},
    "skip_reason": {
        "pain": N_("ci_exercise_skip_pain"),
        "time": N_("ci_exercise_skip_time"),
        "forgot": N_("ci_exercise_skip_forgot"),
        "other": N_("ci_exercise_skip_other"),
    },
}
# An option's text key in a trainer alert's line, by answer (a quiet value has none).
ALERT_OPTION_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "night_waking": {
        "once": N_("alert_night_once"),
        "several": N_("alert_night_several"),
        "no_sleep": N_("alert_night_no_sleep"),
    },
}


# --- what a field means to people ---------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A field's valid values in words, for one-line input errors: "<path> must be <valid>".
    `each`: what an item of a list field that doesn't fit is; `missing`: what an absent
    required field is (None: simply not valid)."""

    valid: str
    each: str = ""
    missing: str | None = "is required"


@dataclass(frozen=True)
class Label:
    """How people see an answer: `ask`, the check-in question's text key (its options' are in
    OPTION_TEXTS); `alert`, the text key of its line in a trainer alert (its placeholders are
    field names; options in ALERT_OPTION_TEXTS), left out when the answer is missing or in
    `quiet`."""

    ask: str
    alert: str = ""
    quiet: tuple[object, ...] = ()


def _one_of(values: Any) -> str:
    return "one of: " + ", ".join(get_args(values))


_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(raw: object) -> object:
    """YYYY-MM-DD only: pydantic alone also takes 20261123 (a timestamp) or 2026-W48-1."""
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        return date.fromisoformat(raw)  # ValueError for 2026-11-31: not a real date
    raise ValueError("not a YYYY-MM-DD date")


_SCORE: Final = Expect(f"a whole number from 0 to {SCORE_MAX}")
Score = Annotated[StrictInt | None, Field(ge=0, le=SCORE_MAX)]
IsoDate = Annotated[date, BeforeValidator(_iso_date), Expect("a real date written YYYY-MM-DD")]


class Checked(BaseModel):
    """Strict on what comes in: an unknown key is an error (a typo must not pass as "not
    asked"), and null is the same as absent. Frozen, as rule inputs are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, raw: object) -> object:
        if isinstance(raw, dict):
            return {key: value for key, value in raw.items() if value is not None}
        return raw


# --- the models ---------------------------------------------------------------------------------


class Exercise(Checked):
    """One prescribed exercise of the day (Q2); skip_reason is asked only when skipped."""

    sets_prescribed: Annotated[
        StrictInt, Field(ge=1), Expect("a whole number of at least 1", missing=None)
    ]
    sets_done: Annotated[
        StrictInt, Field(ge=0), Expect("a whole number from 0 to sets_prescribed", missing=None)
    ]
    skip_reason: Annotated[
        SkipReason | None, Expect(_one_of(SkipReason)), Label(N_("ci_exercise_skip"))
    ] = None

    @field_validator("sets_done")
    @classmethod
    def _not_above_prescribed(cls, done: int, info: ValidationInfo) -> int:
        prescribed = info.data.get("sets_prescribed")
        if prescribed is not None and done > prescribed:
            raise ValueError("more sets done than prescribed")
        return done


class Answers(Checked):
    """One day's answers (Q1, Q3-Q10) as the client gave them, in the check-in's order."""

    pain_now: Annotated[Score, _SCORE, Label(N_("ci_pain"), alert=N_("alert_pain_now"))] = None
    exercise_pain: Annotated[
        Score, _SCORE, Label(N_("ci_exercise_pain"), alert=N_("alert_exercise_pain"))
    ] = None
    morning: Annotated[Morning | None, Expect(_one_of(Morning)), Label(N_("ci_morning"))] = None
    stiffness: Annotated[
        Stiffness | None, Expect(_one_of(Stiffness)), Label(N_("ci_stiffness"))
    ] = None
    swelling: Annotated[Swelling | None, Expect(_one_of(Swelling)), Label(N_("ci_swelling"))] = None
    night_waking: Annotated[
        NightWaking | None,
        Expect(_one_of(NightWaking)),
        Label(N_("ci_night"), alert=N_("alert_night"), quiet=("no",)),
    ] = None
    night_eased: Annotated[
        StrictBool | None, Expect("true or false"), Label(N_("ci_night_eased"))
    ] = None
    confidence: Annotated[Score, _SCORE, Label(N_("ci_confidence"))] = None
    red_flags: Annotated[
        tuple[RedFlagCode, ...],
        Expect("a list of red-flag codes", each="is not a known red-flag code"),
        Label(N_("ci_red_flags"), alert=N_("alert_red_flags")),
    ] = ()
    note: Annotated[
        StrictStr | None, Expect("text"), Label(N_("ci_note"), alert=N_("alert_note"))
    ] = None

    def but(self, **changes: Any) -> Answers:
        """A copy with `changes`, validated like the rest (model_copy would not check them)."""
        return type(self).model_validate({**self.model_dump(), **changes})


class Day(Answers):
    """One day's check-in, as triage reads it: the answers, the local date and the exercises
    done (only those answered)."""

    date: IsoDate
    exercises: Annotated[tuple[Exercise, ...], Expect("a list of exercises")] = ()


class Client(Checked):
    """What triage needs to know about the client: post-op status changes E3/U3/U7."""

    post_op: Annotated[StrictBool, Expect("true or false")] = False


# --- reading the declarations -------------------------------------------------------------------


def _marker(field: FieldInfo, kind: type[Any]) -> Any:
    return next((item for item in field.metadata if isinstance(item, kind)), None)


def _field(name: str) -> FieldInfo:
    return Answers.model_fields.get(name) or Exercise.model_fields[name]


def label(name: str) -> Label:
    """The words of an answer: a field of `Answers`, or an exercise's skip_reason."""
    found: Label | None = _marker(_field(name), Label)
    if found is None:
        raise KeyError(f"{name} has no label")
    return found


def options(name: str) -> tuple[str, ...]:
    """The values an answer is chosen from, as stored: its Literal's, "yes" / "no" for a
    yes-no answer, none for a number or text."""
    annotation = _field(name).annotation
    kinds = [_bare(kind) for kind in get_args(annotation) if kind is not type(None)]
    if kinds and kinds[0] is bool:
        return ("yes", "no")
    values = get_args(kinds[0]) if kinds else ()
    return values if values and all(isinstance(value, str) for value in values) else ()


def _bare(kind: Any) -> Any:
    """A type without its Annotated extras (StrictBool is bool)."""
    return get_args(kind)[0] if get_origin(kind) is Annotated else kind


ALERT_LINES: Final[tuple[tuple[str, Label], ...]] = tuple(
    (name, found)
    for name, field in Answers.model_fields.items()
    if (found := _marker(field, Label)) is not None and found.alert
)
"""The answers a trainer alert shows, each with its label, in the check-in's order."""


# --- one-line messages from pydantic's report ---------------------------------------------------

_PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9_]{1,40}")
CUSTOM: Final = "input"
"""The error type of a check across fields (PydanticCustomError(CUSTOM, "<path> ...")): its
message is the line itself."""


def explain(error: ValidationError, root: type[BaseModel], name: str = "input") -> str:
    """The first of pydantic's errors as one short line naming the field, in the words of the
    `Expect` declared on it: "today.pain_now must be a whole number from 0 to 10"."""
    first = error.errors(include_url=False)[0]
    loc, kind = first["loc"], first["type"]
    path, field, item = _walk(loc, root)
    expect: Expect | None = _marker(field, Expect) if field is not None else None
    if kind == "extra_forbidden":
        return f"{path} is not a known {'top-level ' if len(loc) == 1 else ''}field"
    if kind == "missing" and (expect is None or expect.missing is not None):
        return f"{path} {expect.missing if expect else 'is required'}"
    if kind in ("model_type", "dict_type"):
        return f"{path or name} must be a JSON object"
    if kind == CUSTOM:
        return f"{path}.{first['msg']}" if path else first["msg"]
    if expect is None:
        return f"{path or name} is not valid"
    return f"{path} {expect.each}" if item and expect.each else f"{path} must be {expect.valid}"


def _walk(loc: tuple[int | str, ...], root: type[BaseModel]) -> tuple[str, FieldInfo | None, bool]:
    """Where an error is: its path as written ("today.exercises[0].sets_done"), the field, and
    whether it is an item of that field (a list's)."""
    path, field, item = "", None, False
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            path, item = f"{path}[{part}]", True
            continue
        field = model.model_fields.get(part) if model is not None else None
        shown = part if _PLAIN_NAME.fullmatch(part) else repr(part[:40])
        path, item = f"{path}.{shown}" if path else shown, False
        model = _model_in(field.annotation) if field is not None else None
    return path, field, item


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or as a list's items (Day in tuple[Day, ...])."""
    for kind in (annotation, *get_args(annotation)):
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return kind
    return None


# the reasons of a reminder's "Skip today" (flows/engine/buttons.py SkipReason, the stored pause
# reason), said wherever the day shows
SKIP_TEXTS: dict[str, str] = {
    "travel": N_("rem_skip_travel"),
    "sick": N_("rem_skip_sick"),
    "rest": N_("rem_skip_rest"),
}
