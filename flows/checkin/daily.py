"""The daily check-in (TRIAGE.md section 1): pain, exercises, optional questions, red flags, a note.

Answers collect in the conversation row (so a restart resumes mid-way) and the day's Checkin row is
written when it ends. Red flags are assessed as soon as they are ticked: an emergency stops the
check-in at once with the emergency number first; urgent flags are raised straight away too, so
nothing depends on the client finishing. One check-in per client per local date: starting again the
same day offers to change that day's answers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar, cast

from flows.account import onboarding
from flows.checkin import alert
from flows.checkin.questions import questions_for
from flows.checkin.triage import (
    RED_FLAG_ITEMS,
    Assessment,
    Client,
    Day,
    Exercise,
    assess,
    rule_severity,
)
from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import (
    STAY,
    Answer,
    Command,
    Context,
    Flow,
    Retry,
    register,
    resume,
    start,
    stop,
)
from flows.engine.core import Button, Keyboard, Send, keyboard
from flows.engine.notify import notify_person
from flows.engine.parse import ascii_int
from flows.progress.trends import percent, series, set_counts, streak
from storage.checkins import checkin_dates, checkin_on, checkins_between
from storage.models import Checkin, Clearance, ClientProfile, Person, Role
from storage.pauses import pause_on, paused_days
from storage.programs import exercises_of, program_for
from storage.repo import Store

WORRY = "worry"
ORDER = (
    "pain",
    "exercise",
    "exercise_pain",
    "morning",
    "stiffness",
    "swelling",
    "night",
    "night_eased",
    "confidence",
    "red_flags",
    "note",
)
OPTIONAL = {"morning", "stiffness", "swelling", "night", "confidence"}
SCALE = [(str(n), str(n)) for n in range(11)]
HISTORY_DAYS = 21  # enough for "last 7" against "previous 7" plus medians
STREAK_LOOKBACK = 365  # days searched back for a streak
ANSWER_FIELDS = (
    "pain_now",
    "exercise_pain",
    "morning",
    "stiffness",
    "swelling",
    "night_waking",
    "night_eased",
    "confidence",
    "note",
)


def _options(ctx: Context, step: str) -> list[Option]:
    """The fixed choices of a question: (value, label), values as stored (TRIAGE.md section 6)."""
    keys = {
        "morning": ("better", "usual", "worse"),
        "stiffness": ("none", "<5", "5-15", "15-30", ">30"),
        "swelling": ("less", "same", "more"),
        "night": ("no", "once", "several", "no_sleep"),
        "night_eased": ("yes", "no"),
        "exercise": ("done", "partly", "skipped"),
        "exercise_skip": ("pain", "time", "forgot", "other"),
        "again": ("change", "keep"),
    }[step]
    return [(value, ctx.t(f"ci_{step}_{value}")) for value in keys]


async def begin(ctx: Context) -> None:
    """/checkin: start today's check-in, resume one under way, or offer to change today's."""
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
    if ctx.convo.flow == CHECKIN.name and ctx.data.get("date") == today.isoformat():
        await resume(ctx)
        return
    pause = await pause_on(ctx.store, person.id or 0, today)
    if pause is not None:
        ctx.say(ctx.t("ci_paused", until=pause.last_day.strftime("%-d %b")))
        return
    data = await _fresh_data(ctx, person, profile, today)
    existing = await checkin_on(ctx.store, person.id or 0, today)
    first = "again" if existing is not None and existing.status != "in_progress" else "pain"
    await start(ctx, CHECKIN, first, **data)


async def _fresh_data(
    ctx: Context, person: Person, profile: ClientProfile, today: date
) -> dict[str, Any]:
    """Snapshot today's prescription: later program changes don't alter this check-in."""
    program = await program_for(ctx.store, person.id or 0)
    exercises = await exercises_of(ctx.store, program.id) if program and program.id else []
    post_op = bool(profile.post_op)
    return {
        "date": today.isoformat(),
        "post_op": post_op,
        "questions": questions_for(program.questions if program else [], post_op),
        "exercises": [
            {
                "name": e.name,
                "sets_prescribed": e.sets,
                "reps": e.reps,
                "seconds": e.seconds,
                "sets_done": None,
                "skip_reason": None,
            }
            for e in exercises
        ],
        "i": 0,
        "answers": {"red_flags": []},
        "raised": [],
    }


class CheckinFlow(Flow):
    name: ClassVar[str] = "checkin"
    first_step: ClassVar[str] = "pain"

    async def ask(self, ctx: Context, step: str) -> None:
        if step == "again":
            ctx.say(ctx.t("ci_again"), buttons(ctx, _options(ctx, "again")))
        elif step == "pain":
            name = ctx.person.name if ctx.person else ""
            ctx.say(ctx.t("ci_pain", name=name), _scale(ctx, _worry(ctx)))
        elif step in ("exercise", "exercise_sets", "exercise_skip"):
            self._ask_exercise(ctx, step)
        elif step == "exercise_pain":
            ctx.say(ctx.t("ci_exercise_pain"), _scale(ctx, _worry(ctx)))
        elif step == "confidence":
            ctx.say(ctx.t("ci_confidence"), _scale(ctx, _worry(ctx)))
        elif step in ("morning", "stiffness", "swelling", "night", "night_eased"):
            per_row = 3 if step in ("morning", "swelling") else 2
            rows = buttons(ctx, _options(ctx, step), per_row)
            ctx.say(ctx.t(f"ci_{step}"), (*rows, tuple(_worry(ctx))))
        elif step == "red_flags":
            ctx.say(ctx.t("ci_red_flags"), _flag_buttons(ctx))
        elif step == "note":
            ctx.say(ctx.t("ci_note"), keyboard([ctx.choice(ctx.t("ci_skip"), "skip")]))

    def _ask_exercise(self, ctx: Context, step: str) -> None:
        exercises = ctx.data["exercises"]
        index = ctx.data["i"]
        exercise = exercises[index]
        if step == "exercise":
            options = _options(ctx, "exercise")
            if exercise["sets_prescribed"] < 2:
                options = [o for o in options if o[0] != "partly"]
            text = ctx.t(
                "ci_exercise",
                n=index + 1,
                total=len(exercises),
                exercise=describe(exercise),
            )
            ctx.say(text, (*buttons(ctx, options, 3), tuple(_worry(ctx))))
        elif step == "exercise_sets":
            sets = exercise["sets_prescribed"]
            options = [(str(n), str(n)) for n in range(1, sets)]
            ctx.say(ctx.t("ci_exercise_sets", sets=sets), buttons(ctx, options, 5))
        else:
            ctx.say(ctx.t("ci_exercise_skip"), buttons(ctx, _options(ctx, "exercise_skip"), 4))

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        if answer.choice == WORRY and step != "red_flags":
            ctx.set_data(worry_return=step)
            return "red_flags"
        if step == "again":
            if pick(ctx, answer, _options(ctx, "again")) == "keep":
                stop(ctx)
                ctx.say(ctx.t("ci_kept"))
                return None
            return "pain"
        if step in ("pain", "exercise_pain", "confidence"):
            field = {"pain": "pain_now"}.get(step, step)
            _save(ctx, **{field: _score(ctx, answer)})
            return self._next(ctx, step)
        if step in ("exercise", "exercise_sets", "exercise_skip"):
            return self._answer_exercise(ctx, step, answer)
        if step in ("morning", "stiffness", "swelling", "night"):
            value = pick(ctx, answer, _options(ctx, step))
            _save(ctx, **{"night_waking" if step == "night" else step: value})
            return self._next(ctx, step)
        if step == "night_eased":
            _save(ctx, night_eased=pick(ctx, answer, _options(ctx, step)) == "yes")
            return self._next(ctx, step)
        if step == "red_flags":
            return await self._answer_flags(ctx, answer)
        if step == "note":
            return self._answer_note(ctx, answer)
        return None

    def _answer_exercise(self, ctx: Context, step: str, answer: Answer) -> str | None:
        exercises = [dict(e) for e in ctx.data["exercises"]]
        index = ctx.data["i"]
        exercise = exercises[index]
        if step == "exercise":
            choice = pick(ctx, answer, _options(ctx, "exercise"))
            if choice == "partly" and exercise["sets_prescribed"] >= 2:
                return "exercise_sets"
            if choice == "skipped":
                return "exercise_skip"
            exercise["sets_done"], exercise["skip_reason"] = exercise["sets_prescribed"], None
        elif step == "exercise_sets":
            sets = exercise["sets_prescribed"]
            done = ascii_int(answer.choice or answer.text, 1, sets - 1)
            if done is None:
                raise Retry(ctx.t("ci_bad_sets", most=sets - 1))
            exercise["sets_done"], exercise["skip_reason"] = done, None
        else:
            reason = pick(ctx, answer, _options(ctx, "exercise_skip"))
            exercise["sets_done"], exercise["skip_reason"] = 0, reason
        exercises[index] = exercise
        ctx.set_data(exercises=exercises)
        if index + 1 < len(exercises):
            ctx.set_data(i=index + 1)
            return "exercise"
        return self._next(ctx, "exercise")

    async def _answer_flags(self, ctx: Context, answer: Answer) -> str | None:
        flags: list[str] = list(ctx.data["answers"].get("red_flags") or [])
        choice = answer.choice or ("none" if answer.text.strip().lower() in ("none", "no") else "")
        if choice.startswith("f:") and choice[2:] in RED_FLAG_ITEMS:
            code = choice[2:]
            flags = [f for f in flags if f != code] if code in flags else [*flags, code]
            _save(ctx, red_flags=flags)
            if code in flags and (await _assess(ctx)).severity == "emergency":
                return await self._emergency(ctx, answer)
            if answer.message_id is not None:
                ctx.replies.edit(answer.message_id, ctx.t("ci_red_flags"), _flag_buttons(ctx))
                return STAY
            return "red_flags"
        if choice not in ("none", "done"):
            raise Retry(ctx.t("ci_flags_hint"))
        if choice == "none":
            _save(ctx, red_flags=[])
        ctx.set_data(flags_asked=True)
        if answer.message_id is not None:
            ctx.replies.edit(answer.message_id, _flags_record(ctx))
        assessment = await _assess(ctx)
        if assessment.severity == "emergency":
            return await self._emergency(ctx, answer)
        if assessment.severity == "urgent":
            ctx.say(ctx.t("ci_urgent"))
            await _conclude(ctx, assessment, status="in_progress")
        back = ctx.data.get("worry_return")
        if back:
            ctx.set_data(worry_return=None)
            return str(back)
        return self._next(ctx, "red_flags")

    async def _emergency(self, ctx: Context, answer: Answer) -> str:
        """Stop here: the emergency number first, the trainer alerted, no more questions."""
        data = dict(ctx.data)
        assessment = await _assess(ctx)
        stop(ctx)
        ctx.replies.items.insert(0, Send(ctx.t("ci_emergency", number=ctx.bot.emergency_number)))
        if answer.message_id is not None:
            ctx.replies.edit(answer.message_id, _flags_record(ctx, data))
        await _conclude(ctx, assessment, status="stopped", data=data)
        return STAY

    def _answer_note(self, ctx: Context, answer: Answer) -> str | None:
        if answer.choice == "skip" or answer.text.strip().lower() == "skip":
            _save(ctx, note=None)
            return None
        note = answer.text.strip()
        if answer.choice is not None or not note:
            raise Retry(ctx.t("ci_note_hint"))
        if len(note) > 1000:
            raise Retry(ctx.t("ci_note_long"))
        _save(ctx, note=note)
        return None

    def _next(self, ctx: Context, after: str) -> str | None:
        """The next question that applies to this client today."""
        data = ctx.data
        answers = data["answers"]
        for step in ORDER[ORDER.index(after) + 1 :]:
            if step == "exercise" and not data["exercises"]:
                continue
            if step == "exercise_pain" and not any(
                (e.get("sets_done") or 0) > 0 for e in data["exercises"]
            ):
                continue
            if step in OPTIONAL and step not in data["questions"]:
                continue
            if step == "night_eased" and answers.get("night_waking") in (None, "no"):
                continue
            if step == "red_flags" and (not data["post_op"] or data.get("flags_asked")):
                continue
            return step
        return None

    async def finish(self, ctx: Context) -> None:
        """After the last question: assess, save, alert, and show the summary."""
        await _conclude(ctx, await _assess(ctx), status="done")


def describe(exercise: dict[str, Any]) -> str:
    """ "Straight-leg raises, 3 x 10" or "Wall sit, 3 x 30 s"."""
    amount = f"{exercise['seconds']} s" if exercise.get("seconds") else exercise.get("reps") or ""
    dose = (
        f"{exercise['sets_prescribed']} x {amount}"
        if amount
        else f"{exercise['sets_prescribed']} sets"
    )
    return f"{exercise['name']}, {dose}"


def _worry(ctx: Context) -> list[Button]:
    """The "something worrying" button, made (so offered) only where a question shows it."""
    return [ctx.choice(ctx.t("ci_worry"), WORRY)]


def _scale(ctx: Context, extra: list[Button]) -> Keyboard:
    """0-10 as two rows of buttons, plus any extra row (the "something worrying" button)."""
    rows = buttons(ctx, SCALE, per_row=6)
    return (*rows, tuple(extra))


def _flag_buttons(ctx: Context) -> Keyboard:
    chosen = set(ctx.data["answers"].get("red_flags") or [])
    rows = [
        [ctx.choice(("☑ " if code in chosen else "☐ ") + text, f"f:{code}")]
        for code, text in RED_FLAG_ITEMS.items()
    ]
    done = ctx.t("ci_flags_done") if chosen else ctx.t("ci_flags_none")
    rows.append([ctx.choice(done, "done" if chosen else "none")])
    return keyboard(*rows)


def _flags_record(ctx: Context, data: dict[str, Any] | None = None) -> str:
    """The red-flag question with what was ticked, once answered (no buttons)."""
    codes = (data or ctx.data)["answers"].get("red_flags") or []
    ticked = "\n".join(f"» {RED_FLAG_ITEMS[c]}" for c in codes) or f"» {ctx.t('ci_flags_none')}"
    return f"{ctx.t('ci_red_flags')}\n\n{ticked}"


def _score(ctx: Context, answer: Answer) -> int:
    score = ascii_int(answer.choice or answer.text, 0, 10)
    if score is None:
        raise Retry(ctx.t("ci_bad_score"))
    return score


def _save(ctx: Context, **values: Any) -> None:
    ctx.set_data(answers={**ctx.data["answers"], **values})


def _day(data: dict[str, Any]) -> Day:
    """Today's answers so far as triage's Day (unanswered = not asked)."""
    answers = data["answers"]
    exercises = tuple(
        Exercise(e["sets_prescribed"], e["sets_done"], e.get("skip_reason"))
        for e in data["exercises"]
        if e.get("sets_done") is not None
    )
    return _as_day(date.fromisoformat(data["date"]), answers, exercises)


def _as_day(day: date, answers: dict[str, Any], exercises: tuple[Exercise, ...]) -> Day:
    fields = {name: answers.get(name) for name in ANSWER_FIELDS}
    return cast(Any, Day)(
        date=day, red_flags=frozenset(answers.get("red_flags") or []), exercises=exercises, **fields
    )


def _history_day(row: Checkin) -> Day:
    exercises = tuple(
        Exercise(e["sets_prescribed"], e.get("sets_done") or 0, e.get("skip_reason"))
        for e in row.exercises
        if e.get("sets_done") is not None
    )
    answers = {name: getattr(row, name) for name in ANSWER_FIELDS}
    answers["red_flags"] = row.red_flags
    return _as_day(row.local_date, answers, exercises)


async def _history(ctx: Context, today: date) -> list[Checkin]:
    client_id = ctx.person.id if ctx.person and ctx.person.id else 0
    first = today - timedelta(days=HISTORY_DAYS)
    return await checkins_between(ctx.store, client_id, first, today - timedelta(days=1))


async def _assess(ctx: Context, data: dict[str, Any] | None = None) -> Assessment:
    data = data if data is not None else ctx.data
    today = _day(data)
    history = [_history_day(row) for row in await _history(ctx, today.date)]
    return assess(Client(post_op=bool(data["post_op"])), today, history, ctx.bot.thresholds)


async def _conclude(
    ctx: Context, assessment: Assessment, *, status: str, data: dict[str, Any] | None = None
) -> None:
    """Write the day's check-in, raise what is new, and (once finished) show the summary."""
    data = data if data is not None else ctx.data
    person = ctx.person
    if person is None or person.id is None:
        return
    today = date.fromisoformat(data["date"])
    row = await _write(ctx, person.id, today, data, assessment, status)
    history = await _history(ctx, today)
    days = [_series_day(r) for r in [*history, row]]
    raised = set(data.get("raised") or [])
    fresh = tuple(rule for rule in assessment.rules if rule not in raised)
    if fresh:
        told = _told(ctx, assessment.severity)
        severity = rule_severity(fresh[0])
        await alert.raise_alerts(
            ctx,
            person,
            row,
            Assessment(severity, fresh, assessment.light),
            series(days, today),
            told,
        )
        if ctx.convo.flow == CHECKIN.name:
            ctx.set_data(raised=sorted(raised | set(fresh)))
    if status == "done":
        await _share_note(ctx, person, data)
        await _summary(ctx, person, today, assessment, row)


async def _write(
    ctx: Context,
    client_id: int,
    today: date,
    data: dict[str, Any],
    assessment: Assessment,
    status: str,
) -> Checkin:
    row = await checkin_on(ctx.store, client_id, today)
    if row is None:
        row = Checkin(client_id=client_id, local_date=today, started_at=ctx.now)
        ctx.store.session.add(row)
    answers = data["answers"]
    for name in ANSWER_FIELDS:
        setattr(row, name, answers.get(name))
    row.red_flags = list(answers.get("red_flags") or [])
    row.exercises = [
        {
            k: e.get(k)
            for k in ("name", "sets_prescribed", "reps", "seconds", "sets_done", "skip_reason")
        }
        for e in data["exercises"]
    ]
    row.severity, row.rules, row.light = (
        assessment.severity,
        list(assessment.rules),
        assessment.light,
    )
    row.status = status
    row.completed_at = ctx.now if status != "in_progress" else None
    await ctx.store.session.flush()
    return row


def _series_day(row: Checkin) -> dict[str, Any]:
    return {
        "date": row.local_date.isoformat(),
        "pain_now": row.pain_now,
        "exercise_pain": row.exercise_pain,
        "exercises": row.exercises,
        "light": row.light,
    }


def _told(ctx: Context, severity: str) -> str:
    if severity == "emergency":
        return ctx.t("ci_told_emergency", number=ctx.bot.emergency_number)
    if severity == "urgent":
        return ctx.t("ci_told_urgent")
    return ctx.t("ci_told_routine")


async def _share_note(ctx: Context, person: Person, data: dict[str, Any]) -> None:
    """Q10 goes to the trainer as written, behind a neutral first line."""
    note = data["answers"].get("note")
    profile = await ctx.store.profile(person.id or 0)
    trainer = await ctx.store.person(profile.trainer_id) if profile else None
    if note and trainer is not None:
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
    if assessment.light and assessment.severity != "urgent":  # then: no load until cleared
        lines.append(ctx.t(f"ci_light_{assessment.light}"))
    if assessment.severity == "routine" and assessment.light != "red":
        lines.append(ctx.t("ci_routine"))
    sets, total = set_counts(row.exercises)
    if total:
        lines.append(ctx.t("ci_adherence", done=sets, total=total, percent=percent(sets / total)))
    days = await current_streak(ctx.store, person.id or 0, today)
    lines.append(ctx.t("ci_streak_one") if days == 1 else ctx.t("ci_streak", days=days))
    ctx.say("\n\n".join(lines))


async def current_streak(store: Store, client_id: int, today: date) -> int:
    """flows.progress.trends.streak over the client's check-ins and pauses of the last year (the
    summary, /progress and /clients all count it so)."""
    first = today - timedelta(days=STREAK_LOOKBACK)
    checked = await checkin_dates(store, client_id, first, today)
    paused = await paused_days(store, client_id, first, today)
    return streak(checked, paused, today)


async def _checkin(ctx: Context) -> None:
    await begin(ctx)


CHECKIN = register(CheckinFlow())
COMMANDS = (Command("checkin", _checkin, {Role.CLIENT: "cmd_checkin"}),)
ACTIONS: Actions = ()
