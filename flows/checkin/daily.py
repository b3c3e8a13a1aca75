"""The daily check-in (TRIAGE.md section 1): pain, exercises, optional questions, red flags, a note.

    PAIN -> EXERCISE (each of today's; partly: EXERCISE_SETS, skipped: EXERCISE_SKIP)
         -> EXERCISE_PAIN (if any was done) -> MORNING -> STIFFNESS -> SWELLING -> NIGHT
         -> NIGHT_EASED (if woken) -> CONFIDENCE (of Q4-Q8, those the client is asked)
         -> RED_FLAGS (post-op clients) -> NOTE -> done
    AGAIN (already checked in today): change -> PAIN, keep -> stop
    "Something worrying" (on PAIN, EXERCISE and Q3-Q8) -> RED_FLAGS -> back to that question
    An emergency on RED_FLAGS stops the check-in there.

Answers collect in the conversation row as the day model's `Answers` (flows.checkin.day), so a
restart resumes mid-way, and the day's Checkin row is written when it ends. Red flags are assessed
as soon as they are ticked: an emergency stops the check-in at once with the emergency number
first; urgent flags are raised straight away too, so nothing depends on the client finishing. One
check-in per client per local date: starting again the same day offers to change that day's
answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError

from flows.account import onboarding
from flows.checkin import alert
from flows.checkin.day import (
    OPTION_TEXTS,
    RED_FLAG_ITEMS,
    SCORE_MAX,
    Answers,
    Client,
    Day,
    Exercise,
    IsoDate,
    SkipReason,
    label,
    options,
)
from flows.checkin.flag_screen import flag_keyboard, flag_question, flags_record
from flows.checkin.labels import told_record
from flows.checkin.questions import OPTIONAL_QUESTIONS, questions_for
from flows.checkin.triage import (
    FLAGGED,
    SEVERITIES,
    Assessment,
    Light,
    assess,
    day_light,
    rule_severity,
    sort_rules,
)
from flows.engine import dates
from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import (
    Answer,
    Command,
    Context,
    register,
    resume,
    running_data,
    start,
)
from flows.engine.core import Button, Keyboard, Send, keyboard
from flows.engine.flow import (
    Done,
    Flow,
    FlowData,
    Next,
    Result,
    Retry,
    Stay,
    StepSpec,
    Stop,
)
from flows.engine.notify import notify_person
from flows.engine.numbers import percent
from flows.engine.parse import ascii_int
from flows.engine.texts import N_
from flows.library.howto import howto
from flows.progress.trends import series, set_counts, streak
from storage.checkins import checkin_dates, checkin_on, checkins_between, keep_submitted
from storage.models import Checkin, Clearance, ClientProfile, Person, Role
from storage.pauses import is_skipped_day, pause_on, paused_days
from storage.programs import exercises_of, program_for
from storage.repo import Store

log = logging.getLogger(__name__)

WORRY = "worry"
SCALE = [(str(n), str(n)) for n in range(SCORE_MAX + 1)]
NOTE_MAX = 1000
HISTORY_DAYS = 21  # enough for "last 7" against "previous 7" plus medians
STREAK_LOOKBACK = 365  # days searched back for a streak


class Step(StrEnum):
    """The stored step strings of the check-in (conversation rows hold them)."""

    PAIN = "pain"
    EXERCISE = "exercise"
    EXERCISE_SETS = "exercise_sets"
    EXERCISE_SKIP = "exercise_skip"
    EXERCISE_PAIN = "exercise_pain"
    MORNING = "morning"
    STIFFNESS = "stiffness"
    SWELLING = "swelling"
    NIGHT = "night"
    NIGHT_EASED = "night_eased"
    CONFIDENCE = "confidence"
    RED_FLAGS = "red_flags"
    NOTE = "note"
    AGAIN = "again"


# The main questions in order; _next skips those that don't apply today.
ORDER = (
    Step.PAIN,
    Step.EXERCISE,
    Step.EXERCISE_PAIN,
    Step.MORNING,
    Step.STIFFNESS,
    Step.SWELLING,
    Step.NIGHT,
    Step.NIGHT_EASED,
    Step.CONFIDENCE,
    Step.RED_FLAGS,
    Step.NOTE,
)
# The answer (a field of flows.checkin.day's Answers, or an exercise's) each question asks for.
FIELD_OF: dict[Step, str] = {
    Step.PAIN: "pain_now",
    Step.EXERCISE_SKIP: "skip_reason",
    Step.EXERCISE_PAIN: "exercise_pain",
    Step.MORNING: "morning",
    Step.STIFFNESS: "stiffness",
    Step.SWELLING: "swelling",
    Step.NIGHT: "night_waking",
    Step.NIGHT_EASED: "night_eased",
    Step.CONFIDENCE: "confidence",
    Step.RED_FLAGS: "red_flags",
    Step.NOTE: "note",
}
# The flow's own choices, which are no answer: value -> text key.
OWN_CHOICES: dict[Step, dict[str, str]] = {
    Step.EXERCISE: {
        "done": N_("ci_exercise_done"),
        "partly": N_("ci_exercise_partly"),
        "skipped": N_("ci_exercise_skipped"),
    },
    Step.AGAIN: {"change": N_("ci_again_change"), "keep": N_("ci_again_keep")},
}
# The traffic light's line in the summary.
LIGHT_TEXTS: dict[Light, str] = {
    "green": N_("ci_light_green"),
    "amber": N_("ci_light_amber"),
    "red": N_("ci_light_red"),
}


# --- what the check-in remembers ----------------------------------------------------------------


SHOWN_ONLY = {"cues", "link"}  # a Prescribed's how-to: shown while asking, not in the record


class Prescribed(FlowData):
    """An exercise as prescribed when the check-in started (later program changes don't alter
    it) and what was done of it: None until answered. Every row ever stored has its name and
    sets, so they have no default."""

    name: str
    sets_prescribed: int
    reps: int | None = None
    seconds: int | None = None
    sets_done: int | None = None
    skip_reason: SkipReason | None = None
    cues: str | None = None  # how to do it, shown with the question (older rows: none)
    link: str | None = None  # its video, a URL button under the question

    def answered(self, sets_done: int, skip_reason: str | None = None) -> Prescribed:
        return self.model_validate(
            {**self.model_dump(), "sets_done": sets_done, "skip_reason": skip_reason}
        )

    def done(self) -> Exercise | None:
        """As triage reads it, once answered."""
        if self.sets_done is None:
            return None
        return Exercise(
            sets_prescribed=self.sets_prescribed,
            sets_done=self.sets_done,
            skip_reason=self.skip_reason,
        )

    def describe(self) -> str:
        """ "Straight-leg raises, 3 x 10" or "Wall sit, 3 x 30 s"."""
        amount = f"{self.seconds} s" if self.seconds else self.reps or ""
        dose = f"{self.sets_prescribed} x {amount}" if amount else f"{self.sets_prescribed} sets"
        return f"{self.name}, {dose}"


class Data(FlowData):
    """Today's check-in so far. Keys are those rows stored before the declared steps; every row
    has its date (the check-in's local date), so it has no default."""

    date: IsoDate
    post_op: bool = False
    questions: list[str] = Field(default_factory=list)  # of Q4-Q8, those asked (questions.py)
    exercises: list[Prescribed] = Field(default_factory=list)
    i: int = 0  # the exercise being asked about
    answers: Answers = Field(default_factory=Answers)
    raised: list[str] = Field(default_factory=list)  # rules already alerted today
    flags_asked: bool = False
    worry_return: Step | None = None  # the question "something worrying" came from
    kept: bool = False  # the day's earlier submission is kept as a version (a change under way)

    def day(self) -> Day:
        """Today's answers so far as triage's Day (unanswered = not asked)."""
        return Day(date=self.date, exercises=_done(self.exercises), **self.answers.model_dump())

    def record(self, **values: Any) -> None:
        """Keep answers, checked against the day model first."""
        self.answers = self.answers.but(**values)


def _done(exercises: Iterable[Prescribed]) -> tuple[Exercise, ...]:
    """The exercises answered (prescribed but not reached: left out)."""
    return tuple(done for item in exercises if (done := item.done()) is not None)


# --- starting -----------------------------------------------------------------------------------


async def begin(ctx: Context, worried: bool = False) -> None:
    """/checkin: start today's check-in, resume one under way, or offer to change today's.
    `worried` (feeling sick): the red-flag screen first, then the check-in as usual."""
    person = ctx.person
    profile = await ctx.store.profile(person.id or 0) if person else None
    if person is None or profile is None or profile.onboarded_at is None:
        ctx.say(ctx.t("finish_setup_first"))
        await onboarding.begin(ctx)
        return
    if profile.clearance != Clearance.CLEARED:
        trainer = await ctx.store.person(profile.trainer_id)
        ctx.say(ctx.t("ci_not_cleared", trainer=trainer.name if trainer else "your trainer"))
        return
    today = ctx.today(person)
    running = running_data(ctx, CHECKIN)
    if running is not None and running.date == today:
        await resume(ctx)
        return
    pause = await pause_on(ctx.store, person.id or 0, today)
    if pause is not None and not is_skipped_day(pause):  # a skipped day may still check in
        ctx.say(ctx.t("ci_paused", until=dates.day(pause.last_day, ctx.locale)))
        return
    data = await _fresh_data(ctx, person, profile, today)
    existing = await checkin_on(ctx.store, person.id or 0, today)
    first = Step.AGAIN if existing is not None and existing.status != "in_progress" else Step.PAIN
    if worried and first == Step.PAIN:  # as if "something worrying" was tapped on the first
        data.worry_return, first = Step.PAIN, Step.RED_FLAGS
    await start(ctx, CHECKIN, first, data)


async def _fresh_data(ctx: Context, person: Person, profile: ClientProfile, today: date) -> Data:
    """Snapshot today's prescription: later program changes don't alter this check-in."""
    program = await program_for(ctx.store, person.id or 0)
    exercises = await exercises_of(ctx.store, program.id) if program and program.id else []
    post_op = bool(profile.post_op)
    return Data(
        date=today,
        post_op=post_op,
        questions=questions_for(program.questions if program else [], post_op),
        exercises=[
            Prescribed(
                name=e.name,
                sets_prescribed=e.sets,
                reps=e.reps,
                seconds=e.seconds,
                cues=e.notes,
                link=e.link,
            )
            for e in exercises
        ],
    )


# --- the questions ------------------------------------------------------------------------------

Take = Callable[[Context, Data, Answer], Awaitable[Result]]


def _options(ctx: Context, step: Step) -> list[Option]:
    """The choices of a question: (value, label), values as stored (flows.checkin.day), each
    label's text key from OPTION_TEXTS (or OWN_CHOICES)."""
    texts: Mapping[str, str]
    if step in OWN_CHOICES:
        texts = OWN_CHOICES[step]
        values = tuple(texts)
    else:
        field = FIELD_OF[step]
        texts, values = OPTION_TEXTS[field], options(field)
    return [(value, ctx.t(texts[value])) for value in values]


def _worried(step: Step, take: Take) -> Take:
    """A question showing "something worrying" takes it first: the red-flag screen, then back."""

    async def answer(ctx: Context, data: Data, given: Answer) -> Result:
        if given.choice == WORRY:
            data.worry_return = step
            return Next(Step.RED_FLAGS)
        return await take(ctx, data, given)

    return answer


def _score_step(step: Step) -> StepSpec[Data]:
    """A 0-10 question (Q1, Q3, Q8) with the "something worrying" button."""
    field = FIELD_OF[step]

    async def ask(ctx: Context, data: Data) -> None:
        name = ctx.person.name if ctx.person else ""  # the pain question greets by name
        ctx.say(ctx.t(label(field).ask, name=name), _scale(ctx))

    async def take(ctx: Context, data: Data, answer: Answer) -> Result:
        score = ascii_int(answer.choice or answer.text, 0, SCORE_MAX)
        if score is None:
            raise Retry(ctx.t("ci_bad_score"))
        data.record(**{field: score})
        return Next(_next(data, step))

    return StepSpec(ask, _worried(step, take))


def _choice_step(step: Step) -> StepSpec[Data]:
    """A question answered by one of its options (Q4-Q7), with "something worrying"."""
    field = FIELD_OF[step]

    async def ask(ctx: Context, data: Data) -> None:
        choices = _options(ctx, step)
        rows = buttons(ctx, choices, 3 if len(choices) == 3 else 2)
        ctx.say(ctx.t(label(field).ask), (*rows, tuple(_worry(ctx))))

    async def take(ctx: Context, data: Data, answer: Answer) -> Result:
        value = pick(ctx, answer, _options(ctx, step))
        data.record(**{field: value == "yes" if field == "night_eased" else value})
        return Next(_next(data, step))

    return StepSpec(ask, _worried(step, take))


async def ask_exercise(ctx: Context, data: Data) -> None:
    exercise = data.exercises[data.i]
    choices = _options(ctx, Step.EXERCISE)
    if exercise.sets_prescribed < 2:
        choices = [choice for choice in choices if choice[0] != "partly"]
    text = ctx.t(
        "ci_exercise", n=data.i + 1, total=len(data.exercises), exercise=exercise.describe()
    )
    text, video = howto(ctx.locale, text, exercise.cues, exercise.link)
    ctx.say(text, (*video, *buttons(ctx, choices, 3), tuple(_worry(ctx))))


async def answer_exercise(ctx: Context, data: Data, answer: Answer) -> Result:
    """Done, or how many sets of it (partly), or why not (skipped). A typed "partly" of a
    one-set exercise counts as done."""
    exercise = data.exercises[data.i]
    choice = pick(ctx, answer, _options(ctx, Step.EXERCISE))
    if choice == "partly" and exercise.sets_prescribed >= 2:
        return Next(Step.EXERCISE_SETS)
    if choice == "skipped":
        return Next(Step.EXERCISE_SKIP)
    return _did(data, exercise.sets_prescribed)


async def ask_exercise_sets(ctx: Context, data: Data) -> None:
    sets = data.exercises[data.i].sets_prescribed
    choices = [(str(n), str(n)) for n in range(1, sets)]
    ctx.say(ctx.t("ci_exercise_sets", sets=sets), buttons(ctx, choices, 5))


async def answer_exercise_sets(ctx: Context, data: Data, answer: Answer) -> Result:
    most = data.exercises[data.i].sets_prescribed - 1
    done = ascii_int(answer.choice or answer.text, 1, most)
    if done is None:
        raise Retry(ctx.t("ci_bad_sets", most=most))
    return _did(data, done)


async def ask_exercise_skip(ctx: Context, data: Data) -> None:
    choices = _options(ctx, Step.EXERCISE_SKIP)
    ctx.say(ctx.t(label(FIELD_OF[Step.EXERCISE_SKIP]).ask), buttons(ctx, choices, 4))


async def answer_exercise_skip(ctx: Context, data: Data, answer: Answer) -> Result:
    return _did(data, 0, pick(ctx, answer, _options(ctx, Step.EXERCISE_SKIP)))


def _did(data: Data, sets_done: int, skip_reason: str | None = None) -> Result:
    """Record the exercise asked about; then the next one, or what follows the exercises."""
    data.exercises[data.i] = data.exercises[data.i].answered(sets_done, skip_reason)
    if data.i + 1 < len(data.exercises):
        data.i += 1
        return Next(Step.EXERCISE)
    return Next(_next(data, Step.EXERCISE))


async def ask_flags(ctx: Context, data: Data) -> None:
    ctx.say(flag_question(ctx, ctx.t(label("red_flags").ask)), _flag_buttons(ctx, data))


async def answer_flags(ctx: Context, data: Data, answer: Answer) -> Result:
    """Q9: ticking an item redraws the checklist (an emergency stops at once); "none" or
    "done" assesses: urgent flags are raised now, and the check-in goes on."""
    choice = answer.choice or ("none" if answer.text.strip().lower() in ("none", "no") else "")
    code = choice.removeprefix("f:")
    if choice.startswith("f:") and code in RED_FLAG_ITEMS:
        return await _toggle(ctx, data, answer, code)
    if choice not in ("none", "done"):
        raise Retry(ctx.t("ci_flags_hint"))
    if choice == "none":
        data.record(red_flags=())
    data.flags_asked = True
    if answer.message_id is not None:
        ctx.replies.edit(answer.message_id, _flags_record(ctx, data))
    assessment = await _assess(ctx, data)
    if assessment.severity == "emergency":
        return await _emergency(ctx, data, answer, assessment)
    if assessment.severity == "urgent":
        ctx.say(ctx.t("ci_urgent"))
        await _conclude(ctx, data, assessment, status="in_progress")
    back, data.worry_return = data.worry_return, None
    return Next(back or _next(data, Step.RED_FLAGS))


async def _toggle(ctx: Context, data: Data, answer: Answer, code: str) -> Result:
    flags: list[str] = list(data.answers.red_flags)
    ticked = code not in flags
    data.record(red_flags=[*flags, code] if ticked else [f for f in flags if f != code])
    if ticked:
        assessment = await _assess(ctx, data)
        if assessment.severity == "emergency":
            return await _emergency(ctx, data, answer, assessment)
    if answer.message_id is None:
        return Next(Step.RED_FLAGS)
    ctx.replies.edit(
        answer.message_id,
        flag_question(ctx, ctx.t(label("red_flags").ask)),
        _flag_buttons(ctx, data),
    )
    return Stay()


async def _emergency(ctx: Context, data: Data, answer: Answer, assessment: Assessment) -> Result:
    """Stop here: the emergency number first, the trainer alerted, no more questions."""
    ctx.replies.items.insert(0, Send(ctx.t("ci_emergency", number=ctx.bot.emergency_number)))
    if answer.message_id is not None:
        ctx.replies.edit(answer.message_id, _flags_record(ctx, data))
    await _conclude(ctx, data, assessment, status="stopped")
    return Stop()


async def ask_note(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t(label("note").ask), keyboard([ctx.choice(ctx.t("ci_skip"), "skip")]))


async def answer_note(ctx: Context, data: Data, answer: Answer) -> Result:
    """Q10, the last question: then assess, save, alert, and show the summary."""
    note: str | None = None
    if answer.choice != "skip" and answer.text.strip().lower() != "skip":
        note = answer.text.strip()
        if answer.choice is not None or not note:
            raise Retry(ctx.t("ci_note_hint"))
        if len(note) > NOTE_MAX:
            raise Retry(ctx.t("ci_note_long"))
    data.record(note=note)
    history = await _history(ctx, data.date)  # read once for the assessment and the alerts
    assessment = await _assess(ctx, data, history)
    await _conclude(ctx, data, assessment, status="done", history=history)
    return Done()


async def ask_again(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("ci_again"), buttons(ctx, _options(ctx, Step.AGAIN)))


async def answer_again(ctx: Context, data: Data, answer: Answer) -> Result:
    if pick(ctx, answer, _options(ctx, Step.AGAIN)) == "keep":
        return Stop(ctx.t("ci_kept"))
    return Next(Step.PAIN)


def _applies(data: Data, step: Step) -> bool:
    """Whether a question is asked of this client today."""
    if step == Step.EXERCISE:
        return bool(data.exercises)
    if step == Step.EXERCISE_PAIN:
        return any((e.sets_done or 0) > 0 for e in data.exercises)
    if step in OPTIONAL_QUESTIONS and step not in data.questions:
        return False
    if step == Step.NIGHT_EASED:
        return data.answers.night_waking not in (None, "no")
    if step == Step.RED_FLAGS:
        return data.post_op and not data.flags_asked
    return True


def _next(data: Data, after: Step) -> Step:
    """The next question that applies to this client today (the note always does)."""
    return next(step for step in ORDER[ORDER.index(after) + 1 :] if _applies(data, step))


def _worry(ctx: Context) -> list[Button]:
    """The "something worrying" button, made (so offered) only where a question shows it."""
    return [ctx.choice(ctx.t("ci_worry"), WORRY)]


def _scale(ctx: Context) -> Keyboard:
    """0-10 as two rows of buttons, plus the "something worrying" button."""
    return (*buttons(ctx, SCALE, per_row=6), tuple(_worry(ctx)))


def _flag_buttons(ctx: Context, data: Data) -> Keyboard:
    return flag_keyboard(ctx, set(data.answers.red_flags))


def _flags_record(ctx: Context, data: Data) -> str:
    """The red-flag question with what was ticked, once answered (no buttons)."""
    return flags_record(ctx, ctx.t(label("red_flags").ask), data.answers.red_flags)


# --- assessing and saving -----------------------------------------------------------------------


def _history_day(row: Checkin) -> Day | None:
    """An earlier check-in as triage reads it; None (logged, and left out) if it doesn't fit
    the day model, so one odd stored row can never stop today's red-flag screen."""
    try:
        answers = Answers.model_validate(row, from_attributes=True)
        done = _done(Prescribed.model_validate(item) for item in row.exercises)
        return Day(date=row.local_date, exercises=done, **answers.model_dump())
    except ValidationError:
        log.warning("check-in %s doesn't fit the day model; left out of the history", row.id)
        return None


async def _history(ctx: Context, today: date) -> list[Checkin]:
    client_id = ctx.person.id if ctx.person and ctx.person.id else 0
    first = today - timedelta(days=HISTORY_DAYS)
    return await checkins_between(ctx.store, client_id, first, today - timedelta(days=1))


async def _assess(ctx: Context, data: Data, rows: list[Checkin] | None = None) -> Assessment:
    """Today's answers against the history (`rows`: the earlier check-ins, if read already)."""
    rows = await _history(ctx, data.date) if rows is None else rows
    history = [day for row in rows if (day := _history_day(row)) is not None]
    return assess(Client(post_op=data.post_op), data.day(), history, ctx.bot.thresholds)


async def _conclude(
    ctx: Context,
    data: Data,
    assessment: Assessment,
    *,
    status: str,
    history: list[Checkin] | None = None,
) -> None:
    """Write the day's check-in, raise what is new, and (once finished) show the summary.
    `history`: the earlier days' check-ins, if read already (today's write doesn't touch them)."""
    person = ctx.person
    if person is None or person.id is None:
        return
    row = await _write(ctx, person.id, data, assessment, status)
    history = await _history(ctx, data.date) if history is None else history
    days = [_series_day(r) for r in [*history, row]]
    fresh = tuple(rule for rule in assessment.rules if rule not in data.raised)
    if fresh:
        told = _told(ctx, assessment.severity)
        severity = rule_severity(fresh[0])
        await alert.raise_alerts(
            ctx,
            person,
            row,
            Assessment(severity, fresh, assessment.light),
            series(days, data.date),
            told,
        )
        data.raised = sorted({*data.raised, *fresh})
    if status == "done":
        await _share_note(ctx, person, data)
        await _summary(ctx, person, data.date, assessment, row)


async def _write(
    ctx: Context, client_id: int, data: Data, assessment: Assessment, status: str
) -> Checkin:
    """The day's check-in with these answers.

    While a submitted day's answers are being changed and a flag is raised on the way, the
    day keeps what was submitted until the change is, with that flag added (it is red now, as
    its alert says); the answers so far go to the alerts on a copy never stored. The earlier
    submission is kept as a version once per change."""
    row = await checkin_on(ctx.store, client_id, data.date)
    if row is None:
        row = Checkin(client_id=client_id, local_date=data.date, started_at=ctx.now)
        ctx.store.session.add(row)
    if not data.kept:
        data.kept = await keep_submitted(ctx.store, row, ctx.now) is not None
    if status == "in_progress" and row.status != "in_progress":
        _flag_added(row, data, assessment)
        await ctx.store.session.flush()
        changing = Checkin(
            id=row.id, client_id=client_id, local_date=data.date, started_at=row.started_at
        )
        return _filled(ctx, changing, data, assessment, status)
    _filled(ctx, row, data, assessment, status)
    await ctx.store.session.flush()
    return row


def _flag_added(row: Checkin, data: Data, assessment: Assessment) -> None:
    """A flag raised while the day's answers are being changed, onto what was submitted."""
    flags = list(row.red_flags or [])
    row.red_flags = flags + [f for f in data.answers.red_flags if f not in flags]
    flagged = [rule for rule in assessment.rules if rule_severity(rule) in FLAGGED]
    row.rules = list(sort_rules([*(row.rules or []), *flagged]))
    if SEVERITIES.index(assessment.severity) < SEVERITIES.index(row.severity or "none"):
        row.severity, row.light = assessment.severity, assessment.light


def _filled(ctx: Context, row: Checkin, data: Data, assessment: Assessment, status: str) -> Checkin:
    for name, value in data.answers.model_dump(mode="json").items():
        setattr(row, name, value)
    row.exercises = [item.model_dump(mode="json", exclude=SHOWN_ONLY) for item in data.exercises]
    row.severity, row.rules, row.light = (
        assessment.severity,
        list(assessment.rules),
        assessment.light,
    )
    row.status = status
    row.completed_at = ctx.now if status != "in_progress" else None
    return row


def _series_day(row: Checkin) -> dict[str, Any]:
    return {
        "date": row.local_date.isoformat(),
        "pain_now": row.pain_now,
        "exercise_pain": row.exercise_pain,
        "exercises": row.exercises,
        "light": day_light(row.light, row.severity),
    }


def _told(ctx: Context, severity: str) -> str:
    """Stored in English and shown to staff in theirs (flows.checkin.labels)."""
    return told_record(severity, ctx.bot.emergency_number)


async def _share_note(ctx: Context, person: Person, data: Data) -> None:
    """Q10 goes to the trainer as written, behind a neutral first line."""
    note = data.answers.note
    if not note:
        return
    profile = await ctx.store.profile(person.id or 0)
    trainer = await ctx.store.person(profile.trainer_id) if profile else None
    if trainer is not None:
        await notify_person(
            ctx, trainer, "ci_note_for_trainer", about=[person.id], client=person.name, note=note
        )


async def _summary(
    ctx: Context,
    person: Person,
    today: date,
    assessment: Assessment,
    row: Checkin,
) -> None:
    lines = [ctx.t("ci_saved", name=person.name)]
    if assessment.severity == "urgent":
        lines.insert(0, ctx.t("ci_urgent"))
    if assessment.severity == "urgent":  # red, and no load until cleared
        lines.append(ctx.t("ci_light_flagged"))
    elif assessment.light:
        lines.append(ctx.t(LIGHT_TEXTS[assessment.light]))
    if assessment.severity == "routine" and assessment.light != "red":
        lines.append(ctx.t("ci_routine"))
    sets, total = set_counts(row.exercises)
    if total:
        lines.append(
            ctx.t("ci_adherence", done=sets, total=total, percent=percent(sets / total, ctx.locale))
        )
    days = await current_streak(ctx.store, person.id or 0, today)
    lines.append(ctx.tn("ci_streak", "ci_streak_plural", days, days=days))
    ctx.say("\n\n".join(lines))


async def current_streak(store: Store, client_id: int, today: date) -> int:
    """flows.progress.trends.streak over the client's check-ins and pauses of the last year (the
    summary, /progress and /clients all count it so)."""
    first = today - timedelta(days=STREAK_LOOKBACK)
    checked = await checkin_dates(store, client_id, first, today)
    paused = await paused_days(store, client_id, first, today)
    return streak(checked, paused, today)


CHECKIN = register(
    Flow(
        "checkin",
        Data,
        {
            Step.PAIN: _score_step(Step.PAIN),
            Step.EXERCISE: StepSpec(ask_exercise, _worried(Step.EXERCISE, answer_exercise)),
            Step.EXERCISE_SETS: StepSpec(ask_exercise_sets, answer_exercise_sets),
            Step.EXERCISE_SKIP: StepSpec(ask_exercise_skip, answer_exercise_skip),
            Step.EXERCISE_PAIN: _score_step(Step.EXERCISE_PAIN),
            Step.MORNING: _choice_step(Step.MORNING),
            Step.STIFFNESS: _choice_step(Step.STIFFNESS),
            Step.SWELLING: _choice_step(Step.SWELLING),
            Step.NIGHT: _choice_step(Step.NIGHT),
            Step.NIGHT_EASED: _choice_step(Step.NIGHT_EASED),
            Step.CONFIDENCE: _score_step(Step.CONFIDENCE),
            Step.RED_FLAGS: StepSpec(ask_flags, answer_flags),
            Step.NOTE: StepSpec(ask_note, answer_note),
            Step.AGAIN: StepSpec(ask_again, answer_again),
        },
    )
)
COMMANDS = (Command("checkin", begin, {Role.CLIENT: N_("cmd_checkin")}),)
ACTIONS: Actions = ()
