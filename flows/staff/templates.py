"""Program templates: /templates saves a named set of library exercises for a phase; in
/program, "Apply template" gives a client copies of them (and the template's phase), which the
trainer then adjusts. Applying is how a client moves to the next phase: the change, who made it
and when are recorded (storage/phases.py) and the client is told.

    /templates: LIST -> VIEW -> LIST
                VIEW -> RENAME -> VIEW; VIEW -> PHASE -> VIEW
                VIEW -> DELETE (yes: deleted, LIST; no: VIEW)
                VIEW -> NEW_PICK (its exercises chosen) -> saved in place: LIST
                LIST -> NEW_NAME -> NEW_PHASE -> NEW_PICK (toggle entries; typed text searches)
                     -> saved: LIST
    /program "Apply template": APPLY_PICK -> APPLY_CONFIRM -> the program's menu again
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from pydantic import Field

from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import FLOWS, Answer, Command, Context, register, start
from flows.engine.core import Keyboard, keyboard
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, StepSpec, Stop, Switch
from flows.engine.notify import notify_person
from flows.engine.parse import ID_MAX, exact_int
from flows.engine.texts import N_
from flows.library.entries import PHASES, clean_name
from flows.library.labels import phase_label
from flows.library.staffonly import staff_step
from storage.library import entries, entry
from storage.models import STAFF, ClientProfile, LibraryExercise, Person, ProgramTemplate, Role
from storage.phases import record_phase_change
from storage.programs import ensure_program, program_for
from storage.templates import (
    apply_template,
    delete_template,
    items_of,
    rename_template,
    replace_items,
    save_template,
    set_template_phase,
    template,
    template_named,
    templates,
)

PAGE_SIZE = 8
MAX_ITEMS = 12  # as a program holds at most (flows/staff/program.py MAX_EXERCISES)


class Step(StrEnum):
    LIST = "list"
    VIEW = "view"
    DELETE = "delete"
    RENAME = "rename"
    PHASE = "phase"
    NEW_NAME = "new_name"
    NEW_PHASE = "new_phase"
    NEW_PICK = "new_pick"


class Data(FlowData):
    template_id: int | None = None
    name: str | None = None
    phase: str | None = None
    chosen: list[int] = Field(default_factory=list)  # library entry ids, in the order picked
    search: str | None = None
    page: int = 0


# -- /templates ---------------------------------------------------------------------------------
def _template_options(ctx: Context, found: list[ProgramTemplate]) -> list[Option]:
    """A button per template: its name and phase, in the reader's words."""
    return [
        (f"t{t.id}", ctx.t("tpl_item", name=t.name, phase=phase_label(t.phase, ctx.locale)))
        for t in found
    ]


async def ask_list(ctx: Context, data: Data) -> None:
    found = await templates(ctx.store)
    options = _template_options(ctx, found)
    rows = buttons(ctx, [*options, ("new", ctx.t("tpl_new")), ("done", ctx.t("program_done"))], 1)
    if found:
        ctx.say(ctx.tn("tpl_list", "tpl_list_plural", len(found), count=len(found)), rows)
    else:
        ctx.say(ctx.t("tpl_list_empty"), rows)


async def answer_list(ctx: Context, data: Data, answer: Answer) -> Result:
    found = {f"t{t.id}": t.id for t in await templates(ctx.store)}
    options = [*((k, k) for k in found), ("new", ctx.t("tpl_new")), ("done", ctx.t("program_done"))]
    choice = pick(ctx, answer, options)
    if choice == "done":
        return Done()
    if choice == "new":
        data.template_id = None  # a new one, not the one viewed before
        return Next(Step.NEW_NAME)
    data.template_id = found[choice]
    return Next(Step.VIEW)


async def describe(ctx: Context, chosen: ProgramTemplate) -> str:
    lines = [ctx.t("tpl_header", name=chosen.name, phase=phase_label(chosen.phase, ctx.locale))]
    for position, (item, entry_) in enumerate(await items_of(ctx.store, chosen.id or 0), 1):
        amount = (
            ctx.t("lib_dose_seconds", sets=item.sets, seconds=item.seconds)
            if item.seconds is not None
            else ctx.t("lib_dose_reps", sets=item.sets, reps=item.reps or 0)
        )
        lines.append(ctx.t("lib_my_exercise", n=position, name=entry_.name, dose=amount))
    return "\n".join(lines)


def _view_options(ctx: Context) -> list[Option]:
    return [
        ("edit", ctx.t("tpl_edit")),
        ("rename", ctx.t("tpl_rename")),
        ("phase", ctx.t("tpl_change_phase")),
        ("delete", ctx.t("tpl_delete")),
        ("back", ctx.t("program_back")),
    ]


async def ask_view(ctx: Context, data: Data) -> Result | None:
    chosen = await template(ctx.store, data.template_id or 0)
    if chosen is None:
        return Next(Step.LIST)
    ctx.say(await describe(ctx, chosen), buttons(ctx, _view_options(ctx)))
    return None


async def answer_view(ctx: Context, data: Data, answer: Answer) -> Result:
    """Change exercises: the pick, with the template's own chosen; Delete asks first."""
    choice = pick(ctx, answer, _view_options(ctx))
    chosen = await template(ctx.store, data.template_id or 0)
    if choice == "back" or chosen is None:
        return Next(Step.LIST)
    if choice in ("delete", "rename", "phase"):
        return Next(Step(choice))
    items = await items_of(ctx.store, chosen.id or 0)
    data.name, data.phase = chosen.name, chosen.phase
    data.chosen, data.search, data.page = [item.library_id for item, _ in items], None, 0
    return Next(Step.NEW_PICK)


async def _ask_about(
    ctx: Context, data: Data, question: Callable[[str], str], rows: Keyboard
) -> Result | None:
    """A question about the open template (`question` of its name); the list if it was
    deleted meanwhile (by another trainer)."""
    chosen = await template(ctx.store, data.template_id or 0)
    if chosen is None:
        return Next(Step.LIST)
    ctx.say(question(chosen.name), rows)
    return None


async def ask_rename(ctx: Context, data: Data) -> Result | None:
    rows = buttons(ctx, _keep_options(ctx))
    return await _ask_about(ctx, data, lambda name: ctx.t("tpl_ask_rename", name=name), rows)


def _keep_options(ctx: Context) -> list[Option]:
    return [("keep", ctx.t("tpl_keep_as_is"))]


async def answer_rename(ctx: Context, data: Data, answer: Answer) -> Result:
    """A name no other template has (its own, in other capitals, is fine); the button's
    label typed keeps it too (no one means to call a template "Keep it as it is")."""
    chosen = await template(ctx.store, data.template_id or 0)
    if chosen is None:
        return Next(Step.LIST)
    [(_, keep_label)] = keep = _keep_options(ctx)
    if answer.choice is not None or answer.text.strip().casefold() == keep_label.casefold():
        pick(ctx, answer, keep)
        return Next(Step.VIEW)
    name = clean_name(answer.text)
    if name is None:
        raise Retry(ctx.t("lib_bad_name"))
    other = await template_named(ctx.store, name)
    if other is not None and other.id != chosen.id:
        raise Retry(ctx.t("tpl_name_taken", name=other.name))
    rename_template(ctx.store, chosen, name, ctx.now)
    ctx.say(ctx.t("tpl_renamed", name=name))
    return Next(Step.VIEW)


async def ask_phase(ctx: Context, data: Data) -> Result | None:
    rows = buttons(ctx, _phase_options(ctx), 3) + buttons(ctx, _keep_options(ctx))
    return await _ask_about(ctx, data, lambda name: ctx.t("tpl_ask_phase", name=name), rows)


async def answer_phase(ctx: Context, data: Data, answer: Answer) -> Result:
    """Applied from now on, it moves a client to this phase; earlier moves stay recorded."""
    choice = pick(ctx, answer, [*_phase_options(ctx), *_keep_options(ctx)])
    chosen = await template(ctx.store, data.template_id or 0)
    if chosen is None:
        return Next(Step.LIST)
    if choice != "keep" and choice != chosen.phase:
        set_template_phase(ctx.store, chosen, choice, ctx.now)
        label = phase_label(choice, ctx.locale)
        ctx.say(ctx.t("tpl_phase_changed", name=chosen.name, phase=label))
    return Next(Step.VIEW)


def _delete_options(ctx: Context) -> list[Option]:
    return [("yes", ctx.t("tpl_delete_yes")), ("no", ctx.t("tpl_delete_keep"))]


async def ask_delete(ctx: Context, data: Data) -> Result | None:
    rows = buttons(ctx, _delete_options(ctx))
    return await _ask_about(ctx, data, lambda name: ctx.t("tpl_delete_confirm", name=name), rows)


async def answer_delete(ctx: Context, data: Data, answer: Answer) -> Result:
    """Yes: the template goes (clients keep the copies they got); No: back to it."""
    choice = pick(ctx, answer, _delete_options(ctx))
    chosen = await template(ctx.store, data.template_id or 0)
    if chosen is None:
        return Next(Step.LIST)
    if choice == "no":
        return Next(Step.VIEW)
    await delete_template(ctx.store, chosen.id or 0)
    ctx.say(ctx.t("tpl_deleted", name=chosen.name))
    data.template_id = None
    return Next(Step.LIST)


async def ask_new_name(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("tpl_ask_name"))


async def answer_new_name(ctx: Context, data: Data, answer: Answer) -> Result:
    name = clean_name(answer.text) if answer.choice is None else None
    if name is None:
        raise Retry(ctx.t("lib_bad_name"))
    if (other := await template_named(ctx.store, name)) is not None:
        raise Retry(ctx.t("tpl_name_taken", name=other.name))
    data.name, data.chosen = name, []
    return Next(Step.NEW_PHASE)


def _phase_options(ctx: Context) -> list[Option]:
    return [(phase, phase_label(phase, ctx.locale)) for phase in PHASES]


async def ask_new_phase(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("tpl_ask_phase", name=data.name or ""), buttons(ctx, _phase_options(ctx), 3))


async def answer_new_phase(ctx: Context, data: Data, answer: Answer) -> Result:
    data.phase = pick(ctx, answer, _phase_options(ctx))
    return Next(Step.NEW_PICK)


async def ask_new_pick(ctx: Context, data: Data) -> None:
    found = await entries(ctx.store, search=data.search)
    pages = max((len(found) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(data.page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    options = [(f"e{e.id}", _pick_label(ctx, e, data)) for e in shown]
    nav = []
    if page > 0:
        nav.append(ctx.choice(ctx.t("program_previous"), f"page:{page - 1}"))
    if page < pages - 1:
        nav.append(ctx.choice(ctx.t("program_next"), f"page:{page + 1}"))
    last = [ctx.choice(ctx.t("tpl_save"), "save"), ctx.choice(ctx.t("tpl_cancel"), "cancel")]
    names = [e.name for e in await _chosen_entries(ctx, data)]
    text = ctx.t("tpl_pick", name=data.name or "", chosen=", ".join(names) or "-")
    if pages > 1:
        text += "\n" + ctx.t("program_page", page=page + 1, pages=pages)
    ctx.say(text, (*buttons(ctx, options, 2), *keyboard(nav), tuple(last)))


def _pick_label(ctx: Context, row: LibraryExercise, data: Data) -> str:
    if row.id in data.chosen:
        return ctx.t("tpl_picked", name=row.name)
    return ctx.t("tpl_not_picked", name=row.name)


async def _chosen_entries(ctx: Context, data: Data) -> list[LibraryExercise]:
    found = [await entry(ctx.store, entry_id) for entry_id in data.chosen]
    return [e for e in found if e is not None and e.retired_at is None]


async def answer_new_pick(ctx: Context, data: Data, answer: Answer) -> Result:
    """An entry toggles; a page turns; typed text searches; Save keeps the template."""
    choice = answer.choice
    if choice is None:
        search = " ".join(answer.text.split())[:60]
        if not search or not await entries(ctx.store, search=search):
            raise Retry(ctx.t("lib_no_match", search=search))
        data.search, data.page = search, 0
        return Next(Step.NEW_PICK)
    if choice.startswith("page:"):
        data.page = exact_int(choice.removeprefix("page:"), 0, ID_MAX) or 0
        return Next(Step.NEW_PICK)
    if choice == "cancel":
        return Stop(ctx.t("tpl_cancelled"))
    if choice == "save":
        return await _save(ctx, data)
    entry_id = exact_int(choice.removeprefix("e"), 1, ID_MAX) if choice.startswith("e") else None
    found = await entry(ctx.store, entry_id) if entry_id is not None else None
    if found is None or found.retired_at is not None or found.id is None:
        raise Retry(ctx.t("button_expired"))
    if found.id in data.chosen:
        data.chosen = [i for i in data.chosen if i != found.id]
    elif len(data.chosen) >= MAX_ITEMS:
        raise Retry(ctx.t("program_full", max=MAX_ITEMS))
    else:
        data.chosen = [*data.chosen, found.id]
    return Next(Step.NEW_PICK)


async def _save(ctx: Context, data: Data) -> Result:
    chosen = await _chosen_entries(ctx, data)
    if not chosen:
        raise Retry(ctx.t("tpl_pick_some"))
    if data.name is None or data.phase is None:
        return Next(Step.LIST)
    if data.template_id is not None:  # changing the exercises of one saved before
        editing = await template(ctx.store, data.template_id)
        if editing is None:  # deleted meanwhile (another trainer)
            ctx.say(ctx.t("tpl_gone"))
            return Next(Step.LIST)
        await replace_items(ctx.store, editing, chosen, ctx.now)
        ctx.say(ctx.t("tpl_updated", name=editing.name))
        return Done()
    if (other := await template_named(ctx.store, data.name)) is not None:
        raise Retry(ctx.t("tpl_name_taken", name=other.name))
    by = ctx.person.id if ctx.person else None
    await save_template(
        ctx.store, name=data.name, phase=data.phase, entries=chosen, now=ctx.now, by=by
    )
    ctx.say(ctx.tn("tpl_saved", "tpl_saved_plural", len(chosen), name=data.name, count=len(chosen)))
    return Done()


TEMPLATES = register(
    Flow(
        "templates",
        Data,
        {
            Step.LIST: staff_step(ask_list, answer_list),
            Step.VIEW: staff_step(ask_view, answer_view),
            Step.DELETE: staff_step(ask_delete, answer_delete),
            Step.RENAME: staff_step(ask_rename, answer_rename),
            Step.PHASE: staff_step(ask_phase, answer_phase),
            Step.NEW_NAME: staff_step(ask_new_name, answer_new_name),
            Step.NEW_PHASE: staff_step(ask_new_phase, answer_new_phase),
            Step.NEW_PICK: staff_step(ask_new_pick, answer_new_pick),
        },
    )
)


# -- applying one in /program ------------------------------------------------------------------
class ApplyStep(StrEnum):
    PICK = "pick"
    CONFIRM = "confirm"


class ApplyData(FlowData):
    client_id: int | None = None
    template_id: int | None = None


async def _client(ctx: Context, data: ApplyData) -> tuple[Person, ClientProfile] | None:
    """The client, if the asker may still change their program (a trainer: their own)."""
    staff = ctx.person
    profile = await ctx.store.profile(data.client_id or 0)
    if staff is None or staff.role not in STAFF or profile is None:
        return None
    if staff.role != Role.ADMIN and profile.trainer_id != staff.id:
        return None
    client = await ctx.store.person(profile.person_id)
    return (client, profile) if client is not None else None


def _back_to_program(data: ApplyData) -> Result:
    program = FLOWS["program"]
    return Switch(program, program.step_of("menu"), program.data(client_id=data.client_id))


async def ask_pick(ctx: Context, data: ApplyData) -> Result | None:
    found = await templates(ctx.store)
    if await _client(ctx, data) is None:
        return Stop(ctx.t("program_no_access"))
    if not found:
        ctx.say(ctx.t("tpl_none_yet"))
        return _back_to_program(data)
    options = _template_options(ctx, found)
    ctx.say(ctx.t("tpl_apply_pick"), buttons(ctx, [*options, ("back", ctx.t("program_back"))], 1))
    return None


async def answer_pick(ctx: Context, data: ApplyData, answer: Answer) -> Result:
    found = {f"t{t.id}": t.id for t in await templates(ctx.store)}
    choice = pick(ctx, answer, [*((k, k) for k in found), ("back", ctx.t("program_back"))])
    if choice == "back":
        return _back_to_program(data)
    data.template_id = found[choice]
    return Next(ApplyStep.CONFIRM)


def _confirm_options(ctx: Context) -> list[Option]:
    return [("yes", ctx.t("tpl_apply_yes")), ("no", ctx.t("program_back"))]


async def ask_confirm(ctx: Context, data: ApplyData) -> Result | None:
    who = await _client(ctx, data)
    chosen = await template(ctx.store, data.template_id or 0)
    if who is None:
        return Stop(ctx.t("program_no_access"))
    if chosen is None:
        return Next(ApplyStep.PICK)
    text = await describe(ctx, chosen) + "\n\n" + ctx.t("tpl_apply_confirm", client=who[0].name)
    ctx.say(text, buttons(ctx, _confirm_options(ctx)))
    return None


async def answer_confirm(ctx: Context, data: ApplyData, answer: Answer) -> Result:
    """Yes: the client's exercises become copies of the template's, the phase its phase."""
    choice = pick(ctx, answer, _confirm_options(ctx))
    who = await _client(ctx, data)
    chosen = await template(ctx.store, data.template_id or 0)
    if who is None:
        return Stop(ctx.t("program_no_access"))
    if choice == "no" or chosen is None:
        return _back_to_program(data)
    client, profile = who
    by = ctx.person.id if ctx.person else None
    before = await program_for(ctx.store, client.id or 0)
    from_phase = before.phase if before else None
    program = await ensure_program(ctx.store, client.id or 0, ctx.now, by)
    copies = await apply_template(ctx.store, program, chosen, now=ctx.now, by=by)
    await record_phase_change(
        ctx.store,
        client.id or 0,
        from_phase=from_phase,
        to_phase=chosen.phase,
        now=ctx.now,
        by=by,
        template=chosen,
    )
    if profile.onboarded_at is not None and ctx.person is not None:
        names = ", ".join(c.name for c in copies)
        phase = phase_label(chosen.phase, client.locale)
        await notify_person(
            ctx, client, "tpl_client_told", by=ctx.person.name, phase=phase, names=names
        )
    ctx.say(ctx.t("tpl_applied", name=chosen.name, client=client.name))
    return _back_to_program(data)


APPLY = register(
    Flow(
        "apply_template",
        ApplyData,
        {
            ApplyStep.PICK: StepSpec(ask_pick, answer_pick),
            ApplyStep.CONFIRM: StepSpec(ask_confirm, answer_confirm),
        },
    )
)


async def _start(ctx: Context) -> None:
    await start(ctx, TEMPLATES)


COMMANDS = (
    Command(
        "templates", _start, {Role.TRAINER: N_("cmd_templates"), Role.ADMIN: N_("cmd_templates")}
    ),
)
ACTIONS: Actions = ()
