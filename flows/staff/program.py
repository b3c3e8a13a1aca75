"""/program: a trainer sets a client's program in chat (exercises, phase, questions, post-op).

Every change is saved as soon as it is confirmed; check-ins copy the prescription of their day,
so editing the current program never rewrites the past. Who may see a client is checked again on
every step (a trainer: only their own clients; an admin: everyone), so stale conversation data or
a typed name can never reach another trainer's client.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flows.checkin.questions import OPTIONAL_QUESTIONS
from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import (
    Answer,
    Command,
    Context,
    Flow,
    Retry,
    register,
    start,
    stop,
)
from flows.engine.core import Keyboard, keyboard
from flows.engine.parse import ID_MAX, ascii_int, exact_int
from flows.engine.sanitize import clean_label
from storage.models import STAFF, ClientProfile, Exercise, Person, Program, Role
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
PHASES = ("rehab", "strength", "performance")
NAME_MAX, NOTES_MAX, PHASE_MAX, LINK_MAX = 60, 200, 30, 300
SETS_RANGE = range(1, 11)
REPS_RANGE = range(1, 101)
SECONDS_RANGE = range(5, 601)
FIELDS = ("name", "sets", "amount", "link", "notes")

_AMOUNT = re.compile(
    r"(?P<n>[0-9]{1,4})\s*"  # ASCII digits only, as flows.engine.parse reads every typed number
    r"(?:(?P<reps>x|reps?|times)|(?P<sec>s|secs?|seconds?)|(?P<min>mins?|minutes?))?",
    re.IGNORECASE,
)


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
    """An http(s) address with a host, no spaces, at most 300 characters; else None."""
    link = text.strip()
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


def _link(ctx: Context, answer: Answer, none_value: str) -> str | None:
    """A link, or None when the Skip / No link button (or its typed label) was given."""
    if answer.choice == none_value or _typed_is(answer, ctx.t(f"program_{none_value}"), "skip"):
        return None
    link = parse_link(answer.text) if answer.choice is None else None
    if link is None:
        raise Retry(ctx.t("program_bad_link"))
    return link


def _notes(ctx: Context, answer: Answer, none_value: str) -> str | None:
    if answer.choice == none_value or _typed_is(answer, ctx.t(f"program_{none_value}"), "skip"):
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


async def _target(ctx: Context) -> Target | None:
    client_id = ctx.data.get("client_id")
    if not isinstance(client_id, int):
        return None
    profile = await ctx.store.profile(client_id)
    if profile is None or not may_see(ctx.person, profile):
        return None
    client = await ctx.store.person(client_id)
    if client is None:
        return None
    return Target(client, profile, await program_for(ctx.store, client_id))


def _deny(ctx: Context) -> None:
    stop(ctx)
    ctx.say(ctx.t("program_no_access"))


async def _program(ctx: Context, target: Target) -> Program:
    """The program to change, created on the first change."""
    if target.program is None:
        target.program = await ensure_program(ctx.store, target.client_id, ctx.now, _by(ctx))
    return target.program


async def _exercises(ctx: Context, target: Target) -> list[Exercise]:
    if target.program is None or target.program.id is None:
        return []
    return await exercises_of(ctx.store, target.program.id)


async def _chosen_exercise(ctx: Context, target: Target) -> Exercise | None:
    exercise_id = ctx.data.get("exercise_id")
    if target.program is None or target.program.id is None or not isinstance(exercise_id, int):
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
        phase=program.phase if program else PHASES[0],
        post_op=ctx.t("yes" if post_op else "no"),
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
    post_op_key = (
        "program_post_op_turn_off" if target.profile.post_op else "program_post_op_turn_on"
    )
    options += [
        ("phase", ctx.t("program_phase")),
        ("questions", ctx.t("program_questions")),
        ("post_op", ctx.t(post_op_key)),
        ("clinician", ctx.t("program_clinician")),
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
            ctx.t(
                "program_question_on" if code in on else "program_question_off",
                label=_question_label(ctx, code),
            ),
        )
        for code in OPTIONAL_QUESTIONS
    ]


# -- the flow ----------------------------------------------------------------------------------
class ProgramFlow(Flow):
    """Steps: client, menu, add_*, edit_*, remove_*, phase, questions."""

    name: ClassVar[str] = "program"
    first_step: ClassVar[str] = "client"

    async def ask(self, ctx: Context, step: str) -> None:
        if step == "client":
            await self._ask_client(ctx)
            return
        target = await _target(ctx)
        if target is None:
            _deny(ctx)
            return
        asker = getattr(self, f"_ask_{step}", None)
        if asker is None:  # a step this version no longer has: back to the program screen
            await start(ctx, self, "menu", client_id=target.client_id)
            return
        await asker(ctx, target)

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        if step == "client":
            return await self._answer_client(ctx, answer)
        target = await _target(ctx)
        if target is None:
            _deny(ctx)
            return None
        answerer = getattr(self, f"_answer_{step}", None)
        if answerer is None:
            return "menu"
        next_step: str | None = await answerer(ctx, target, answer)
        return next_step

    # client ----------------------------------------------------------------------------------
    async def _ask_client(self, ctx: Context) -> None:
        clients = await visible_clients(ctx)
        if not clients:
            stop(ctx)
            ctx.say(ctx.t("program_no_clients"))
            return
        pages = (len(clients) + PAGE_SIZE - 1) // PAGE_SIZE
        page = min(max(int(ctx.data.get("page", 0)), 0), pages - 1)
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

    async def _answer_client(self, ctx: Context, answer: Answer) -> str | None:
        clients = await visible_clients(ctx)
        last_page = max((len(clients) - 1) // PAGE_SIZE, 0)
        page = int(ctx.data.get("page", 0))
        if answer.choice is not None and answer.choice.startswith("page:"):
            number = answer.choice.removeprefix("page:")
            page = exact_int(number, 0, ID_MAX) or 0
            ctx.set_data(page=min(page, last_page))
            return "client"
        next_, previous = ctx.t("program_next"), ctx.t("program_previous")
        if _typed_is(answer, next_, next_.strip("‹› ")):
            ctx.set_data(page=min(page + 1, last_page))
            return "client"
        if _typed_is(answer, previous, previous.strip("‹› ")):
            ctx.set_data(page=max(page - 1, 0))
            return "client"
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
        ctx.set_data(client_id=chosen[0].id)
        return "menu"

    # menu ------------------------------------------------------------------------------------
    async def _ask_menu(self, ctx: Context, target: Target) -> None:
        exercises = await _exercises(ctx, target)
        options = _menu_options(ctx, target, bool(exercises))
        ctx.say(screen(ctx, target, exercises), buttons(ctx, options, per_row=2))

    async def _answer_menu(self, ctx: Context, target: Target, answer: Answer) -> str | None:
        exercises = await _exercises(ctx, target)
        choice = pick(ctx, answer, _menu_options(ctx, target, bool(exercises)))
        if choice == "add":
            if len(exercises) >= MAX_EXERCISES:
                raise Retry(ctx.t("program_full", max=MAX_EXERCISES))
            ctx.set_data(draft={})
            return "add_name"
        if choice == "post_op":
            target.profile.post_op = not target.profile.post_op
            await ctx.store.add(target.profile)
            key = "program_post_op_now_on" if target.profile.post_op else "program_post_op_now_off"
            ctx.say(ctx.t(key, client=target.client.name))
            return "menu"
        if choice == "done":
            ctx.say(ctx.t("program_finished", client=target.client.name))
            return None
        return {"edit": "edit_pick", "remove": "remove_pick"}.get(choice, choice)

    # add -------------------------------------------------------------------------------------
    def _draft(self, ctx: Context) -> dict[str, Any]:
        draft = ctx.data.get("draft")
        return dict(draft) if isinstance(draft, dict) else {}

    async def _ask_add_name(self, ctx: Context, target: Target) -> None:
        ctx.say(ctx.t("program_ask_name"))

    async def _answer_add_name(self, ctx: Context, target: Target, answer: Answer) -> str:
        ctx.set_data(draft={"name": parse_name(ctx, answer)})
        return "add_sets"

    async def _ask_add_sets(self, ctx: Context, target: Target) -> None:
        self._ask_sets(ctx, self._draft(ctx).get("name", ""))

    def _ask_sets(self, ctx: Context, name: str) -> None:
        options = [(str(n), str(n)) for n in range(1, 6)]
        ctx.say(ctx.t("program_ask_sets", name=name), buttons(ctx, options, per_row=5))

    async def _answer_add_sets(self, ctx: Context, target: Target, answer: Answer) -> str:
        ctx.set_data(draft={**self._draft(ctx), "sets": parse_sets(ctx, answer)})
        return "add_amount"

    async def _ask_add_amount(self, ctx: Context, target: Target) -> None:
        ctx.say(ctx.t("program_ask_amount"))

    async def _answer_add_amount(self, ctx: Context, target: Target, answer: Answer) -> str:
        reps, seconds = _amount(ctx, answer)
        ctx.set_data(draft={**self._draft(ctx), "reps": reps, "seconds": seconds})
        return "add_link"

    async def _ask_add_link(self, ctx: Context, target: Target) -> None:
        skip = keyboard([ctx.choice(ctx.t("program_skip"), "skip")])
        ctx.say(ctx.t("program_ask_link", name=self._draft(ctx).get("name", "")), skip)

    async def _answer_add_link(self, ctx: Context, target: Target, answer: Answer) -> str:
        ctx.set_data(draft={**self._draft(ctx), "link": _link(ctx, answer, "skip")})
        return "add_notes"

    async def _ask_add_notes(self, ctx: Context, target: Target) -> None:
        skip = keyboard([ctx.choice(ctx.t("program_skip"), "skip")])
        ctx.say(ctx.t("program_ask_notes", name=self._draft(ctx).get("name", "")), skip)

    async def _answer_add_notes(self, ctx: Context, target: Target, answer: Answer) -> str:
        draft = {**self._draft(ctx), "notes": _notes(ctx, answer, "skip")}
        ctx.set_data(draft=None)
        if not {"name", "sets", "reps", "seconds"} <= set(draft):
            return "menu"  # a draft from an older version of this flow: start again
        program = await _program(ctx, target)
        if len(await _exercises(ctx, target)) >= MAX_EXERCISES:
            ctx.say(ctx.t("program_full", max=MAX_EXERCISES))
            return "menu"
        exercise = await add_exercise(
            ctx.store,
            program,
            name=draft["name"],
            sets=draft["sets"],
            reps=draft["reps"],
            seconds=draft["seconds"],
            link=draft.get("link"),
            notes=draft["notes"],
            now=ctx.now,
            by=_by(ctx),
        )
        ctx.say(ctx.t("program_added", name=exercise.name))
        return "menu"

    # edit ------------------------------------------------------------------------------------
    async def _ask_edit_pick(self, ctx: Context, target: Target) -> None:
        await self._ask_pick(ctx, target, "program_pick_edit")

    async def _ask_pick(self, ctx: Context, target: Target, key: str) -> None:
        options = _exercise_options(await _exercises(ctx, target))
        ctx.say(ctx.t(key), _with_back(ctx, buttons(ctx, options, per_row=1)))

    async def _answer_edit_pick(self, ctx: Context, target: Target, answer: Answer) -> str:
        exercise_id = _pick_exercise(ctx, answer, await _exercises(ctx, target))
        if exercise_id is None:
            return "menu"
        ctx.set_data(exercise_id=exercise_id)
        return "edit_field"

    async def _ask_edit_field(self, ctx: Context, target: Target) -> None:
        exercise = await _chosen_exercise(ctx, target)
        if exercise is None:
            await self._gone(ctx)
            return
        options = [(field, ctx.t(f"program_field_{field}")) for field in FIELDS]
        ctx.say(
            ctx.t("program_pick_field", name=exercise.name),
            _with_back(ctx, buttons(ctx, options, per_row=3)),
        )

    async def _answer_edit_field(self, ctx: Context, target: Target, answer: Answer) -> str:
        options = [(field, ctx.t(f"program_field_{field}")) for field in FIELDS]
        field = pick(ctx, answer, [*options, ("back", ctx.t("program_back"))])
        if field == "back":
            return "menu"
        ctx.set_data(field=field)
        return "edit_value"

    async def _ask_edit_value(self, ctx: Context, target: Target) -> None:
        exercise = await _chosen_exercise(ctx, target)
        field = ctx.data.get("field")
        if exercise is None or field not in FIELDS:
            await self._gone(ctx)
            return
        name = exercise.name
        if field == "name":
            ctx.say(ctx.t("program_ask_new_name", name=name))
        elif field == "sets":
            self._ask_sets(ctx, name)
        elif field == "amount":
            ctx.say(ctx.t("program_ask_amount"))
        else:
            none_key = "program_no_link" if field == "link" else "program_no_notes"
            none_button = keyboard([ctx.choice(ctx.t(none_key), none_key.removeprefix("program_"))])
            ctx.say(ctx.t(f"program_ask_new_{field}", name=name), none_button)

    async def _answer_edit_value(self, ctx: Context, target: Target, answer: Answer) -> str:
        exercise = await _chosen_exercise(ctx, target)
        field = ctx.data.get("field")
        if exercise is None or field not in FIELDS:
            ctx.say(ctx.t("program_exercise_gone"))
            return "menu"
        changes: dict[str, Any]
        if field == "name":
            changes = {"name": parse_name(ctx, answer)}
        elif field == "sets":
            changes = {"sets": parse_sets(ctx, answer)}
        elif field == "amount":
            reps, seconds = _amount(ctx, answer)
            changes = {"reps": reps, "seconds": seconds}
        elif field == "link":
            changes = {"link": _link(ctx, answer, "no_link")}
        else:
            changes = {"notes": _notes(ctx, answer, "no_notes")}
        program = await _program(ctx, target)
        await update_exercise(ctx.store, program, exercise, now=ctx.now, by=_by(ctx), **changes)
        ctx.set_data(exercise_id=None, field=None)
        ctx.say(ctx.t("program_updated", name=exercise.name))
        return "menu"

    # remove ----------------------------------------------------------------------------------
    async def _ask_remove_pick(self, ctx: Context, target: Target) -> None:
        await self._ask_pick(ctx, target, "program_pick_remove")

    async def _answer_remove_pick(self, ctx: Context, target: Target, answer: Answer) -> str:
        exercise_id = _pick_exercise(ctx, answer, await _exercises(ctx, target))
        if exercise_id is None:
            return "menu"
        ctx.set_data(exercise_id=exercise_id)
        return "remove_confirm"

    def _remove_options(self, ctx: Context) -> list[Option]:
        return [("yes", ctx.t("program_remove_yes")), ("no", ctx.t("program_remove_no"))]

    async def _ask_remove_confirm(self, ctx: Context, target: Target) -> None:
        exercise = await _chosen_exercise(ctx, target)
        if exercise is None:
            await self._gone(ctx)
            return
        text = ctx.t("program_confirm_remove", name=exercise.name, client=target.client.name)
        ctx.say(text, buttons(ctx, self._remove_options(ctx)))

    async def _answer_remove_confirm(self, ctx: Context, target: Target, answer: Answer) -> str:
        choice = pick(ctx, answer, self._remove_options(ctx))
        exercise = await _chosen_exercise(ctx, target)
        ctx.set_data(exercise_id=None)
        if choice == "no":
            return "menu"
        if exercise is None or exercise.id is None:
            ctx.say(ctx.t("program_exercise_gone"))
            return "menu"
        program = await _program(ctx, target)
        await remove_exercise(ctx.store, program, exercise.id, now=ctx.now, by=_by(ctx))
        ctx.say(ctx.t("program_removed", name=exercise.name))
        return "menu"

    # phase -----------------------------------------------------------------------------------
    def _phase_options(self, ctx: Context) -> list[Option]:
        return [(phase, ctx.t(f"program_phase_{phase}")) for phase in PHASES]

    async def _ask_phase(self, ctx: Context, target: Target) -> None:
        rows = buttons(ctx, self._phase_options(ctx), per_row=3)
        ctx.say(ctx.t("program_ask_phase", client=target.client.name), _with_back(ctx, rows))

    async def _answer_phase(self, ctx: Context, target: Target, answer: Answer) -> str:
        options = [*self._phase_options(ctx), ("back", ctx.t("program_back"))]
        if answer.choice is not None:
            phase = pick(ctx, answer, options)
        else:
            typed = clean_label(answer.text, PHASE_MAX)
            if typed is None or typed.startswith("/"):
                raise Retry(ctx.t("program_bad_phase"))
            labels = {label.casefold(): value for value, label in options}
            phase = labels.get(typed.casefold(), typed)
        if phase == "back":
            return "menu"
        program = await _program(ctx, target)
        await set_phase(ctx.store, program, phase, now=ctx.now, by=_by(ctx))
        ctx.say(ctx.t("program_phase_set", phase=phase))
        return "menu"

    # clinician -------------------------------------------------------------------------------
    async def _ask_clinician(self, ctx: Context, target: Target) -> None:
        ask = ctx.t("program_ask_clinician", client=target.client.name)
        ctx.say(ask, _with_back(ctx, buttons(ctx, [("none", ctx.t("program_clinician_clear"))])))

    async def _answer_clinician(self, ctx: Context, target: Target, answer: Answer) -> str:
        """Who alerts tell the trainer to refer to: as typed, one line; None clears it."""
        if answer.choice == "back" or _typed_is(answer, ctx.t("program_back")):
            return "menu"
        typed = clean_label(answer.text, CLINICIAN_MAX) or ""
        if answer.choice == "none" or _typed_is(answer, "none", "-"):
            target.profile.clinician = None
        elif answer.choice is None and len(typed) >= 3:
            target.profile.clinician = typed
        else:
            raise Retry(ctx.t("program_bad_clinician", max=CLINICIAN_MAX))
        await ctx.store.add(target.profile)
        ctx.say(ctx.t("program_clinician_set", clinician=target.profile.clinician or "-"))
        return "menu"

    # questions -------------------------------------------------------------------------------
    async def _ask_questions(self, ctx: Context, target: Target) -> None:
        text = ctx.t("program_ask_questions", client=target.client.name)
        if target.profile.post_op:
            text += "\n\n" + ctx.t("program_ask_questions_post_op", client=target.client.name)
        rows = buttons(ctx, _question_options(ctx, target.program), per_row=1)
        ctx.say(text, (*rows, (ctx.choice(ctx.t("program_done"), "done"),)))

    async def _answer_questions(self, ctx: Context, target: Target, answer: Answer) -> str:
        options = _question_options(ctx, target.program)
        typed = {_question_label(ctx, code): f"q:{code}" for code in OPTIONAL_QUESTIONS}
        extra = [(value, label) for label, value in typed.items()]
        choice = pick(ctx, answer, [*options, *extra, ("done", ctx.t("program_done"))])
        if choice == "done":
            return "menu"
        code = choice.removeprefix("q:")
        program = await _program(ctx, target)
        chosen = set(program.questions) ^ {code}
        ordered = [c for c in OPTIONAL_QUESTIONS if c in chosen]
        await set_questions(ctx.store, program, ordered, now=ctx.now, by=_by(ctx))
        return "questions"

    # when the chosen exercise disappeared under us (another trainer or admin removed it)
    async def _gone(self, ctx: Context) -> None:
        ctx.say(ctx.t("program_exercise_gone"))
        keep = {k: ctx.data[k] for k in ("client_id",) if k in ctx.data}
        await start(ctx, self, "menu", **keep)


def _client_label(ctx: Context, person: Person, profile: ClientProfile) -> str:
    if profile.onboarded_at is None:
        return ctx.t("program_client_joining", name=person.name)
    return person.name


PROGRAM = register(ProgramFlow())


async def _start(ctx: Context) -> None:
    """/program, or /program <client name> to go straight to that client's program."""
    clients = await visible_clients(ctx)
    if not clients:
        ctx.say(ctx.t("program_no_clients"))
        return
    wanted = _one_line(ctx.event.args).casefold()
    named = [person for person, _ in clients if wanted and person.name.casefold() == wanted]
    if len(named) == 1:
        await start(ctx, PROGRAM, "menu", client_id=named[0].id)
    else:
        await start(ctx, PROGRAM, page=0)


COMMANDS = (Command("program", _start, {Role.TRAINER: "cmd_program", Role.ADMIN: "cmd_program"}),)
ACTIONS: Actions = ()
