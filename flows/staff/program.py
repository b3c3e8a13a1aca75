"""/program: a trainer sets a client's program in chat (exercises, phase, questions, post-op).

Every change is saved as soon as it is confirmed; check-ins copy the prescription of their day,
so editing the current program never rewrites the past. Who may see a client is checked again on
every step (a trainer: only their own clients; an admin: everyone), so stale conversation data or
a typed name can never reach another trainer's client.

    CLIENT (a page of clients, again) -> MENU
    MENU -> ADD_NAME -> ADD_SETS -> ADD_AMOUNT -> ADD_LINK -> ADD_NOTES -> MENU
         -> EDIT_PICK -> EDIT_FIELD -> EDIT_VALUE -> MENU        (Back: MENU)
         -> REMOVE_PICK -> REMOVE_CONFIRM -> MENU                (Back: MENU)
         -> PHASE | CLINICIAN -> MENU
         -> QUESTIONS (a question toggles, again) -> MENU
         -> MENU (post-op toggled)  |  done
    Every step after CLIENT: no access (any more) -> stop; the chosen exercise gone -> MENU.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from flows.account.language import chosen_language, language_name, language_options, set_for_client
from flows.checkin.questions import OPTIONAL_QUESTIONS
from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.core import Keyboard, keyboard
from flows.engine.flow import (
    Done,
    Flow,
    FlowData,
    Next,
    Result,
    Retry,
    StepSpec,
    Stop,
    Switch,
)
from flows.engine.links import with_scheme
from flows.engine.parse import ID_MAX, ascii_int, exact_int
from flows.engine.sanitize import clean_label
from flows.engine.texts import N_
from flows.library import changes as told
from flows.library import myprogram
from flows.library.labels import PHASE_TEXTS, phase_label
from flows.staff import templates
from storage.models import STAFF, ClientProfile, Exercise, Person, Program, Role
from storage.phases import record_phase_change
from storage.programs import (
    add_exercise,
    clients_of,
    ensure_program,
    exercise_in,
    exercises_of,
    program_for,
    remove_exercise,
    set_phase,
    set_questions,
    update_exercise,
)

MAX_EXERCISES = 12
CLINICIAN_MAX = 200  # the column's length
PAGE_SIZE = 8
PHASES = tuple(PHASE_TEXTS)  # a trainer may type their own phase too
NAME_MAX, NOTES_MAX, PHASE_MAX, LINK_MAX = 60, 200, 30, 300
SETS_RANGE = range(1, 11)
REPS_RANGE = range(1, 101)
SECONDS_RANGE = range(5, 601)
FIELD_TEXTS = {  # an exercise's fields to edit: value -> its button's text key
    "name": N_("program_field_name"),
    "sets": N_("program_field_sets"),
    "amount": N_("program_field_amount"),
    "link": N_("program_field_link"),
    "notes": N_("program_field_notes"),
}
FIELDS = tuple(FIELD_TEXTS)
# "no link" / "no notes": the buttons (and typed words) that leave an optional field empty
NoneChoice = Literal["skip", "no_link", "no_notes"]
NONE_TEXTS: dict[NoneChoice, str] = {
    "skip": N_("program_skip"),
    "no_link": N_("program_no_link"),
    "no_notes": N_("program_no_notes"),
}

_AMOUNT = re.compile(
    r"(?P<n>[0-9]{1,4})\s*"  # ASCII digits only, as flows.engine.parse reads every typed number
    r"(?:(?P<reps>x|reps?|times)|(?P<sec>s|secs?|seconds?)|(?P<min>mins?|minutes?))?",
    re.IGNORECASE,
)


class Step(StrEnum):
    CLIENT = "client"
    MENU = "menu"
    ADD_NAME = "add_name"
    ADD_SETS = "add_sets"
    ADD_AMOUNT = "add_amount"
    ADD_LINK = "add_link"
    ADD_NOTES = "add_notes"
    EDIT_PICK = "edit_pick"
    EDIT_FIELD = "edit_field"
    EDIT_VALUE = "edit_value"
    REMOVE_PICK = "remove_pick"
    REMOVE_CONFIRM = "remove_confirm"
    PHASE = "phase"
    CLINICIAN = "clinician"
    QUESTIONS = "questions"
    LANGUAGE = "language"


class Draft(FlowData):
    """An exercise being added, one answer at a time."""

    name: str | None = None
    sets: int | None = None
    reps: int | None = None
    seconds: int | None = None
    link: str | None = None
    notes: str | None = None


class Data(FlowData):
    page: int = 0  # of the client list
    client_id: int | None = None  # whose program; access is checked again on every update
    draft: Draft | None = None
    exercise_id: int | None = None  # being edited or removed
    field: str | None = None  # being edited


# -- parsing: each returns the clean value or raises Retry with a short hint -------------------
def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_name(ctx: Context, answer: Answer) -> str:
    """An exercise's name as the client will see it (flows.engine.sanitize.clean_label)."""
    name = clean_label(answer.text, NAME_MAX) if answer.choice is None else None
    if name is None or name.startswith("/"):
        raise Retry(ctx.t("program_bad_name"))
    return name


def parse_sets(ctx: Context, answer: Answer) -> int:
    sets = ascii_int(answer.choice or answer.text, SETS_RANGE.start, SETS_RANGE.stop - 1)
    if sets is None:
        raise Retry(ctx.t("program_bad_sets"))
    return sets


def parse_amount(text: str) -> tuple[int | None, int | None] | None:
    """ "10" -> (10, None) reps; "30s", "30 sec", "45 seconds", "1 min" -> (None, seconds)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    number = int(match["n"])
    if match["sec"] or match["min"]:
        seconds = number * 60 if match["min"] else number
        return (None, seconds) if seconds in SECONDS_RANGE else None
    return (number, None) if number in REPS_RANGE else None


def _amount(ctx: Context, answer: Answer) -> tuple[int | None, int | None]:
    parsed = parse_amount(answer.text) if answer.choice is None else None
    if parsed is None:
        raise Retry(ctx.t("program_bad_amount"))
    return parsed


def parse_link(text: str) -> str | None:
    """An http(s) address with a host, no spaces, at most 300 characters; else None. A typed
    "www." address gets https:// in front."""
    link = with_scheme(text)
    if not link or len(link) > LINK_MAX or any(_unseen(c) for c in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme.lower() not in ("http", "https") or "." not in host.strip("."):
        return None
    return link


def _unseen(char: str) -> bool:
    """A blank, control or format character: no place in a link someone will tap."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _link(ctx: Context, answer: Answer, none_value: NoneChoice) -> str | None:
    """A link, or None when the Skip / No link button (or its typed label) was given."""
    if answer.choice == none_value or _typed_is(answer, ctx.t(NONE_TEXTS[none_value]), "skip"):
        return None
    link = parse_link(answer.text) if answer.choice is None else None
    if link is None:
        raise Retry(ctx.t("program_bad_link"))
    return link


def _notes(ctx: Context, answer: Answer, none_value: NoneChoice) -> str | None:
    if answer.choice == none_value or _typed_is(answer, ctx.t(NONE_TEXTS[none_value]), "skip"):
        return None
    notes = answer.text.strip()
    if answer.choice is not None or not notes:
        raise Retry(ctx.t("use_buttons"))
    if len(notes) > NOTES_MAX:
        raise Retry(ctx.t("program_bad_notes"))
    return notes


def _typed_is(answer: Answer, *words: str) -> bool:
    typed = _one_line(answer.text).casefold()
    return answer.choice is None and bool(typed) and typed in {w.casefold() for w in words}


# -- who and what ------------------------------------------------------------------------------
async def visible_clients(ctx: Context) -> list[tuple[Person, ClientProfile]]:
    """A trainer's own clients (onboarded or not); every client for an admin."""
    staff = ctx.person
    if staff is None or staff.role not in STAFF or staff.id is None:
        return []
    return await clients_of(ctx.store, None if staff.role == Role.ADMIN else staff.id)


def may_see(staff: Person | None, profile: ClientProfile) -> bool:
    if staff is None or staff.role not in STAFF:
        return False
    return staff.role == Role.ADMIN or profile.trainer_id == staff.id


@dataclass
class Target:
    """The client being edited, checked against the person asking on this very update."""

    client: Person
    profile: ClientProfile
    program: Program | None

    @property
    def client_id(self) -> int:
        return self.client.id or 0


async def _target(ctx: Context, data: Data) -> Target | None:
    client_id = data.client_id
    if client_id is None:
        return None
    profile = await ctx.store.profile(client_id)
    if profile is None or not may_see(ctx.person, profile):
        return None
    client = await ctx.store.person(client_id)
    if client is None:
        return None
    return Target(client, profile, await program_for(ctx.store, client_id))


async def _program(ctx: Context, target: Target) -> Program:
    """The program to change, created on the first change."""
    if target.program is None:
        target.program = await ensure_program(ctx.store, target.client_id, ctx.now, _by(ctx))
    return target.program


async def _exercises(ctx: Context, target: Target) -> list[Exercise]:
    if target.program is None or target.program.id is None:
        return []
    return await exercises_of(ctx.store, target.program.id)


async def _chosen_exercise(ctx: Context, data: Data, target: Target) -> Exercise | None:
    exercise_id = data.exercise_id
    if target.program is None or target.program.id is None or exercise_id is None:
        return None
    return await exercise_in(ctx.store, target.program.id, exercise_id)


def _by(ctx: Context) -> int | None:
    return ctx.person.id if ctx.person else None


# -- rendering ---------------------------------------------------------------------------------
def exercise_line(ctx: Context, exercise: Exercise) -> str:
    values: dict[str, Any] = {
        "position": exercise.position,
        "name": exercise.name,
        "sets": exercise.sets,
    }
    if exercise.seconds is not None:
        return ctx.t("program_exercise_seconds", seconds=exercise.seconds, **values)
    return ctx.t("program_exercise_reps", reps=exercise.reps, **values)


def _question_label(ctx: Context, code: str) -> str:
    return ctx.t(OPTIONAL_QUESTIONS[code])


def screen(ctx: Context, target: Target, exercises: list[Exercise]) -> str:
    program = target.program
    post_op = bool(target.profile.post_op)
    chosen = [c for c in OPTIONAL_QUESTIONS if program and c in program.questions]
    questions = ", ".join(_question_label(ctx, c) for c in chosen)
    lines: list[str] = []
    for exercise in exercises:
        lines.append(exercise_line(ctx, exercise))
        if exercise.link:
            lines.append(ctx.t("program_exercise_link", link=exercise.link))
        if exercise.notes:
            lines.append(ctx.t("program_exercise_notes", notes=exercise.notes))
    text = ctx.t(
        "program_screen",
        client=target.client.name,
        phase=phase_label(program.phase if program else PHASES[0], ctx.locale),
        post_op=ctx.t("yes") if post_op else ctx.t("no"),
        questions=questions or ctx.t("program_questions_none"),
        questions_note=ctx.t("program_questions_post_op") if post_op else "",
        exercises="\n".join(lines) or ctx.t("program_no_exercises"),
        clinician=target.profile.clinician or ctx.t("program_clinician_none"),
    )
    return text + (ctx.t("program_post_op_reminder") if post_op else "")


def _menu_options(ctx: Context, target: Target, has_exercises: bool) -> list[Option]:
    options = [("add", ctx.t("program_add"))]
    if has_exercises:
        options += [("edit", ctx.t("program_edit")), ("remove", ctx.t("program_remove"))]
    if target.profile.post_op:
        post_op = ctx.t("program_post_op_turn_off")
    else:
        post_op = ctx.t("program_post_op_turn_on")
    options += [
        ("template", ctx.t("program_apply_template")),
        ("phase", ctx.t("program_phase")),
        ("questions", ctx.t("program_questions")),
        ("post_op", post_op),
        ("clinician", ctx.t("program_clinician")),
        ("language", ctx.t("program_language", language=language_name(target.client.locale))),
        ("done", ctx.t("program_done")),
    ]
    return options


def _exercise_options(exercises: list[Exercise]) -> list[Option]:
    return [(f"x{e.id}", f"{e.position}. {e.name}") for e in exercises]


def _pick_exercise(ctx: Context, answer: Answer, exercises: list[Exercise]) -> int | None:
    """The chosen exercise's id; None for Back. Typing its number or name works too."""
    if answer.choice == "back" or _typed_is(answer, ctx.t("program_back")):
        return None
    options = _exercise_options(exercises)
    if answer.choice is not None:
        if answer.choice in dict(options):
            return int(answer.choice[1:])
        raise Retry(ctx.t("button_expired"))
    typed = _one_line(answer.text).casefold().rstrip(".")
    for exercise in exercises:
        if typed in (str(exercise.position), exercise.name.casefold()):
            return exercise.id
    raise Retry(ctx.t("program_pick_exercise_bad"))


def _with_back(ctx: Context, rows: Keyboard) -> Keyboard:
    return (*rows, (ctx.choice(ctx.t("program_back"), "back"),))


def _question_options(ctx: Context, program: Program | None) -> list[Option]:
    on = set(program.questions) if program else set()
    return [
        (
            f"q:{code}",
            ctx.t("program_question_on", label=_question_label(ctx, code))
            if code in on
            else ctx.t("program_question_off", label=_question_label(ctx, code)),
        )
        for code in OPTIONAL_QUESTIONS
    ]


# -- the flow ----------------------------------------------------------------------------------
def _client_step(
    ask: Callable[[Context, Data, Target], Awaitable[Result | None]],
    answer: Callable[[Context, Data, Target, Answer], Awaitable[Result]],
) -> StepSpec[Data]:
    """A step about the chosen client: whether the asker may see them is checked again on every
    update, and without access the flow stops there."""

    async def ask_step(ctx: Context, data: Data) -> Result | None:
        target = await _target(ctx, data)
        return _denied(ctx) if target is None else await ask(ctx, data, target)

    async def answer_step(ctx: Context, data: Data, given: Answer) -> Result:
        target = await _target(ctx, data)
        return _denied(ctx) if target is None else await answer(ctx, data, target, given)

    return StepSpec(ask_step, answer_step)


def _denied(ctx: Context) -> Result:
    return Stop(ctx.t("program_no_access"))


def _gone(ctx: Context, data: Data) -> Result:
    """The chosen exercise disappeared under us (another trainer or admin removed it)."""
    ctx.say(ctx.t("program_exercise_gone"))
    return Switch(PROGRAM, Step.MENU, Data(client_id=data.client_id))


# client ----------------------------------------------------------------------------------------
async def ask_client(ctx: Context, data: Data) -> Result | None:
    clients = await visible_clients(ctx)
    if not clients:
        return Stop(ctx.t("program_no_clients"))
    pages = (len(clients) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(data.page, 0), pages - 1)
    shown = clients[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    options = [(f"c{person.id}", _client_label(ctx, person, p)) for person, p in shown]
    nav = []
    if page > 0:
        nav.append(ctx.choice(ctx.t("program_previous"), f"page:{page - 1}"))
    if page < pages - 1:
        nav.append(ctx.choice(ctx.t("program_next"), f"page:{page + 1}"))
    text = ctx.t("program_pick_client")
    if pages > 1:
        text += "\n" + ctx.t("program_page", page=page + 1, pages=pages)
    ctx.say(text, (*buttons(ctx, options, per_row=2), *keyboard(nav)))
    return None


async def answer_client(ctx: Context, data: Data, answer: Answer) -> Result:
    """A client by button or typed name; Previous and Next turn the page."""
    clients = await visible_clients(ctx)
    last_page = max((len(clients) - 1) // PAGE_SIZE, 0)
    if answer.choice is not None and answer.choice.startswith("page:"):
        number = answer.choice.removeprefix("page:")
        data.page = min(exact_int(number, 0, ID_MAX) or 0, last_page)
        return Next(Step.CLIENT)
    next_, previous = ctx.t("program_next"), ctx.t("program_previous")
    if _typed_is(answer, next_, next_.strip("‹› ")):
        data.page = min(data.page + 1, last_page)
        return Next(Step.CLIENT)
    if _typed_is(answer, previous, previous.strip("‹› ")):
        data.page = max(data.page - 1, 0)
        return Next(Step.CLIENT)
    if answer.choice is not None:
        chosen = [person for person, _ in clients if f"c{person.id}" == answer.choice]
        if not chosen:
            raise Retry(ctx.t("button_expired"))
    else:
        typed = _one_line(answer.text).casefold()
        chosen = [person for person, _ in clients if person.name.casefold() == typed]
        if not chosen:
            raise Retry(ctx.t("program_client_unknown"))
        if len(chosen) > 1:
            raise Retry(ctx.t("program_client_ambiguous"))
    data.client_id = chosen[0].id
    return Next(Step.MENU)


# menu ------------------------------------------------------------------------------------------
async def ask_menu(ctx: Context, data: Data, target: Target) -> None:
    exercises = await _exercises(ctx, target)
    options = _menu_options(ctx, target, bool(exercises))
    ctx.say(screen(ctx, target, exercises), buttons(ctx, options, per_row=2))


MENU_STEPS = {
    "add": Step.ADD_NAME,
    "edit": Step.EDIT_PICK,
    "remove": Step.REMOVE_PICK,
    "phase": Step.PHASE,
    "questions": Step.QUESTIONS,
    "clinician": Step.CLINICIAN,
    "language": Step.LANGUAGE,
}


async def answer_menu(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    exercises = await _exercises(ctx, target)
    choice = pick(ctx, answer, _menu_options(ctx, target, bool(exercises)))
    if choice == "add":
        if len(exercises) >= MAX_EXERCISES:
            raise Retry(ctx.t("program_full", max=MAX_EXERCISES))
        data.draft = Draft()
    elif choice == "post_op":
        target.profile.post_op = not target.profile.post_op
        await ctx.store.add(target.profile)
        if target.profile.post_op:
            ctx.say(ctx.t("program_post_op_now_on", client=target.client.name))
        else:
            ctx.say(ctx.t("program_post_op_now_off", client=target.client.name))
        return Next(Step.MENU)
    elif choice == "done":
        ctx.say(ctx.t("program_finished", client=target.client.name))
        return Done()
    elif choice == "template":
        return Switch(templates.APPLY, None, templates.ApplyData(client_id=target.client_id))
    return Next(MENU_STEPS[choice])


# add -------------------------------------------------------------------------------------------
def _draft(data: Data) -> Draft:
    if data.draft is None:
        data.draft = Draft()
    return data.draft


async def ask_add_name(ctx: Context, data: Data, target: Target) -> None:
    ctx.say(ctx.t("program_ask_name"))


async def answer_add_name(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    data.draft = Draft(name=parse_name(ctx, answer))
    return Next(Step.ADD_SETS)


def _ask_sets(ctx: Context, name: str) -> None:
    options = [(str(n), str(n)) for n in range(1, 6)]
    ctx.say(ctx.t("program_ask_sets", name=name), buttons(ctx, options, per_row=5))


async def ask_add_sets(ctx: Context, data: Data, target: Target) -> None:
    _ask_sets(ctx, _draft(data).name or "")


async def answer_add_sets(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    _draft(data).sets = parse_sets(ctx, answer)
    return Next(Step.ADD_AMOUNT)


async def ask_add_amount(ctx: Context, data: Data, target: Target) -> None:
    ctx.say(ctx.t("program_ask_amount"))


async def answer_add_amount(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    draft = _draft(data)
    draft.reps, draft.seconds = _amount(ctx, answer)
    return Next(Step.ADD_LINK)


async def ask_add_link(ctx: Context, data: Data, target: Target) -> None:
    skip = keyboard([ctx.choice(ctx.t("program_skip"), "skip")])
    ctx.say(ctx.t("program_ask_link", name=_draft(data).name or ""), skip)


async def answer_add_link(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    _draft(data).link = _link(ctx, answer, "skip")
    return Next(Step.ADD_NOTES)


async def ask_add_notes(ctx: Context, data: Data, target: Target) -> None:
    skip = keyboard([ctx.choice(ctx.t("program_skip"), "skip")])
    ctx.say(ctx.t("program_ask_notes", name=_draft(data).name or ""), skip)


async def answer_add_notes(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    """The last detail: the exercise is added (unless the program filled up meanwhile)."""
    draft = _draft(data)
    draft.notes = _notes(ctx, answer, "skip")
    data.draft = None
    no_amount = draft.reps is None and draft.seconds is None
    if draft.name is None or draft.sets is None or no_amount:
        return Next(Step.MENU)  # a draft from an older version of this flow: start again
    program = await _program(ctx, target)
    if len(await _exercises(ctx, target)) >= MAX_EXERCISES:
        ctx.say(ctx.t("program_full", max=MAX_EXERCISES))
        return Next(Step.MENU)
    exercise = await add_exercise(
        ctx.store,
        program,
        name=draft.name,
        sets=draft.sets,
        reps=draft.reps,
        seconds=draft.seconds,
        link=draft.link,
        notes=draft.notes,
        now=ctx.now,
        by=_by(ctx),
    )
    await told.added(ctx, target.client, target.profile, exercise)
    ctx.say(ctx.t("program_added", name=exercise.name))
    return Next(Step.MENU)


# edit ------------------------------------------------------------------------------------------
def _pick_step(key: str, then: Step) -> StepSpec[Data]:
    """Which exercise (to edit or to remove); Back returns to the menu."""

    async def ask_pick(ctx: Context, data: Data, target: Target) -> None:
        options = _exercise_options(await _exercises(ctx, target))
        ctx.say(ctx.t(key), _with_back(ctx, buttons(ctx, options, per_row=1)))

    async def answer_pick(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
        exercise_id = _pick_exercise(ctx, answer, await _exercises(ctx, target))
        if exercise_id is None:
            return Next(Step.MENU)
        data.exercise_id = exercise_id
        return Next(then)

    return _client_step(ask_pick, answer_pick)


def _field_options(ctx: Context) -> list[Option]:
    return [(field, ctx.t(FIELD_TEXTS[field])) for field in FIELDS]


async def ask_edit_field(ctx: Context, data: Data, target: Target) -> Result | None:
    exercise = await _chosen_exercise(ctx, data, target)
    if exercise is None:
        return _gone(ctx, data)
    ctx.say(
        ctx.t("program_pick_field", name=exercise.name),
        _with_back(ctx, buttons(ctx, _field_options(ctx), per_row=3)),
    )
    return None


async def answer_edit_field(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    field = pick(ctx, answer, [*_field_options(ctx), ("back", ctx.t("program_back"))])
    if field == "back":
        return Next(Step.MENU)
    data.field = field
    return Next(Step.EDIT_VALUE)


async def ask_edit_value(ctx: Context, data: Data, target: Target) -> Result | None:
    exercise = await _chosen_exercise(ctx, data, target)
    field = data.field
    if exercise is None or field not in FIELDS:
        return _gone(ctx, data)
    name = exercise.name
    if field == "name":
        ctx.say(ctx.t("program_ask_new_name", name=name))
    elif field == "sets":
        _ask_sets(ctx, name)
    elif field == "amount":
        ctx.say(ctx.t("program_ask_amount"))
    elif field == "link":
        ctx.say(ctx.t("program_ask_new_link", name=name), _none_button(ctx, "no_link"))
    else:
        ctx.say(ctx.t("program_ask_new_notes", name=name), _none_button(ctx, "no_notes"))
    return None


def _none_button(ctx: Context, none_value: NoneChoice) -> Keyboard:
    return keyboard([ctx.choice(ctx.t(NONE_TEXTS[none_value]), none_value)])


def _changes(ctx: Context, field: str, answer: Answer) -> dict[str, Any]:
    """The columns one edited field sets, parsed from the answer (or Retry)."""
    if field == "name":
        return {"name": parse_name(ctx, answer)}
    if field == "sets":
        return {"sets": parse_sets(ctx, answer)}
    if field == "amount":
        reps, seconds = _amount(ctx, answer)
        return {"reps": reps, "seconds": seconds}
    if field == "link":
        return {"link": _link(ctx, answer, "no_link")}
    return {"notes": _notes(ctx, answer, "no_notes")}


async def answer_edit_value(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    exercise = await _chosen_exercise(ctx, data, target)
    field = data.field
    if exercise is None or field is None or field not in FIELDS:
        ctx.say(ctx.t("program_exercise_gone"))
        return Next(Step.MENU)
    changes = _changes(ctx, field, answer)
    program = await _program(ctx, target)
    await update_exercise(ctx.store, program, exercise, now=ctx.now, by=_by(ctx), **changes)
    await told.updated(ctx, target.client, target.profile, exercise)
    data.exercise_id, data.field = None, None
    ctx.say(ctx.t("program_updated", name=exercise.name))
    return Next(Step.MENU)


# remove ----------------------------------------------------------------------------------------
def _remove_options(ctx: Context) -> list[Option]:
    return [("yes", ctx.t("program_remove_yes")), ("no", ctx.t("program_remove_no"))]


async def ask_remove_confirm(ctx: Context, data: Data, target: Target) -> Result | None:
    exercise = await _chosen_exercise(ctx, data, target)
    if exercise is None:
        return _gone(ctx, data)
    text = ctx.t("program_confirm_remove", name=exercise.name, client=target.client.name)
    ctx.say(text, buttons(ctx, _remove_options(ctx)))
    return None


async def answer_remove_confirm(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    choice = pick(ctx, answer, _remove_options(ctx))
    exercise = await _chosen_exercise(ctx, data, target)
    data.exercise_id = None
    if choice == "no":
        return Next(Step.MENU)
    if exercise is None or exercise.id is None:
        ctx.say(ctx.t("program_exercise_gone"))
        return Next(Step.MENU)
    program = await _program(ctx, target)
    await remove_exercise(ctx.store, program, exercise.id, now=ctx.now, by=_by(ctx))
    await told.removed(ctx, target.client, target.profile, exercise.name)
    ctx.say(ctx.t("program_removed", name=exercise.name))
    return Next(Step.MENU)


# phase -----------------------------------------------------------------------------------------
def _phase_options(ctx: Context) -> list[Option]:
    return [(phase, ctx.t(PHASE_TEXTS[phase])) for phase in PHASES]


async def ask_phase(ctx: Context, data: Data, target: Target) -> None:
    rows = buttons(ctx, _phase_options(ctx), per_row=3)
    ctx.say(ctx.t("program_ask_phase", client=target.client.name), _with_back(ctx, rows))


async def answer_phase(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    """A phase by button, or typed: one of ours by its label, or the trainer's own words."""
    options = [*_phase_options(ctx), ("back", ctx.t("program_back"))]
    if answer.choice is not None:
        phase = pick(ctx, answer, options)
    else:
        typed = clean_label(answer.text, PHASE_MAX)
        if typed is None or typed.startswith("/"):
            raise Retry(ctx.t("program_bad_phase"))
        labels = {label.casefold(): value for value, label in options}
        phase = labels.get(typed.casefold(), typed)
    if phase == "back":
        return Next(Step.MENU)
    program = await _program(ctx, target)
    before = program.phase
    await set_phase(ctx.store, program, phase, now=ctx.now, by=_by(ctx))
    if phase != before:
        await record_phase_change(
            ctx.store, target.client_id, from_phase=before, to_phase=phase, now=ctx.now, by=_by(ctx)
        )
    await told.phase(ctx, target.client, target.profile, phase)
    ctx.say(ctx.t("program_phase_set", phase=phase_label(phase, ctx.locale)))
    return Next(Step.MENU)


# clinician -------------------------------------------------------------------------------------
async def ask_clinician(ctx: Context, data: Data, target: Target) -> None:
    ask = ctx.t("program_ask_clinician", client=target.client.name)
    ctx.say(ask, _with_back(ctx, buttons(ctx, [("none", ctx.t("program_clinician_clear"))])))


async def answer_clinician(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    """Who alerts tell the trainer to refer to: as typed, one line; None clears it."""
    if answer.choice == "back" or _typed_is(answer, ctx.t("program_back")):
        return Next(Step.MENU)
    typed = clean_label(answer.text, CLINICIAN_MAX) or ""
    if answer.choice == "none" or _typed_is(answer, "none", "-"):
        target.profile.clinician = None
    elif answer.choice is None and len(typed) >= 3:
        target.profile.clinician = typed
    else:
        raise Retry(ctx.t("program_bad_clinician", max=CLINICIAN_MAX))
    await ctx.store.add(target.profile)
    ctx.say(ctx.t("program_clinician_set", clinician=target.profile.clinician or "-"))
    return Next(Step.MENU)


# questions -------------------------------------------------------------------------------------
async def ask_questions(ctx: Context, data: Data, target: Target) -> None:
    text = ctx.t("program_ask_questions", client=target.client.name)
    if target.profile.post_op:
        text += "\n\n" + ctx.t("program_ask_questions_post_op", client=target.client.name)
    rows = buttons(ctx, _question_options(ctx, target.program), per_row=1)
    ctx.say(text, (*rows, (ctx.choice(ctx.t("program_done"), "done"),)))


async def answer_questions(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    """A question toggles on or off (and the list is asked again); Done returns to the menu."""
    options = _question_options(ctx, target.program)
    typed = {_question_label(ctx, code): f"q:{code}" for code in OPTIONAL_QUESTIONS}
    extra = [(value, label) for label, value in typed.items()]
    choice = pick(ctx, answer, [*options, *extra, ("done", ctx.t("program_done"))])
    if choice == "done":
        return Next(Step.MENU)
    code = choice.removeprefix("q:")
    program = await _program(ctx, target)
    chosen = set(program.questions) ^ {code}
    ordered = [c for c in OPTIONAL_QUESTIONS if c in chosen]
    await set_questions(ctx.store, program, ordered, now=ctx.now, by=_by(ctx))
    return Next(Step.QUESTIONS)


# language --------------------------------------------------------------------------------------
async def ask_language(ctx: Context, data: Data, target: Target) -> None:
    rows = buttons(ctx, language_options())
    ctx.say(ctx.t("program_ask_language", client=target.client.name), _with_back(ctx, rows))


async def answer_language(ctx: Context, data: Data, target: Target, answer: Answer) -> Result:
    """The language the client's messages come in (flows.account.language); they are told."""
    if answer.choice == "back" or _typed_is(answer, ctx.t("program_back")):
        return Next(Step.MENU)
    locale = chosen_language(ctx, answer)
    await set_for_client(ctx, target.client, locale)
    name = language_name(locale)
    ctx.say(ctx.t("program_language_set", client=target.client.name, language=name))
    return Next(Step.MENU)


def _client_label(ctx: Context, person: Person, profile: ClientProfile) -> str:
    if profile.onboarded_at is None:
        return ctx.t("program_client_joining", name=person.name)
    return person.name


PROGRAM = register(
    Flow(
        "program",
        Data,
        {
            Step.CLIENT: StepSpec(ask_client, answer_client),
            Step.MENU: _client_step(ask_menu, answer_menu),
            Step.ADD_NAME: _client_step(ask_add_name, answer_add_name),
            Step.ADD_SETS: _client_step(ask_add_sets, answer_add_sets),
            Step.ADD_AMOUNT: _client_step(ask_add_amount, answer_add_amount),
            Step.ADD_LINK: _client_step(ask_add_link, answer_add_link),
            Step.ADD_NOTES: _client_step(ask_add_notes, answer_add_notes),
            Step.EDIT_PICK: _pick_step("program_pick_edit", then=Step.EDIT_FIELD),
            Step.EDIT_FIELD: _client_step(ask_edit_field, answer_edit_field),
            Step.EDIT_VALUE: _client_step(ask_edit_value, answer_edit_value),
            Step.REMOVE_PICK: _pick_step("program_pick_remove", then=Step.REMOVE_CONFIRM),
            Step.REMOVE_CONFIRM: _client_step(ask_remove_confirm, answer_remove_confirm),
            Step.PHASE: _client_step(ask_phase, answer_phase),
            Step.CLINICIAN: _client_step(ask_clinician, answer_clinician),
            Step.QUESTIONS: _client_step(ask_questions, answer_questions),
            Step.LANGUAGE: _client_step(ask_language, answer_language),
        },
    )
)


async def _start(ctx: Context) -> None:
    """/program, or /program <client name> to go straight to that client's program; a client
    sees their own ("my program")."""
    if ctx.person is not None and ctx.person.role == Role.CLIENT:
        await myprogram.show(ctx)
        return
    clients = await visible_clients(ctx)
    if not clients:
        ctx.say(ctx.t("program_no_clients"))
        return
    wanted = _one_line(ctx.event.args).casefold()
    named = [person for person, _ in clients if wanted and person.name.casefold() == wanted]
    if len(named) == 1:
        await start(ctx, PROGRAM, Step.MENU, Data(client_id=named[0].id))
    else:
        await start(ctx, PROGRAM)


COMMANDS = (
    Command(
        "program",
        _start,
        {
            Role.TRAINER: N_("cmd_program"),
            Role.ADMIN: N_("cmd_program"),
            Role.CLIENT: N_("cmd_my_program"),
        },
    ),
)
ACTIONS: Actions = ()
