"""/library: trainers and admins browse, search, add, edit and retire the centre's exercises.

    LIST (a page of entries; typed text searches names and regions) -> ENTRY | ADD | done
    ENTRY -> FIELD -> VALUE -> ENTRY                      (Back: ENTRY, then LIST)
          -> ENTRY (retired or restored)
    ADD asks each field in FIELDS order (data.field), then saves and shows the ENTRY.

Entries are the centre's, not personal: any staff member may change them, and whether the asker
is still staff is checked again on every update. A client's exercise is a copy, so nothing here
changes a running program (flows/staff/templates.py offers to update the clients using one).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.core import Keyboard, keyboard
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry
from flows.engine.parse import ID_MAX, ascii_int, exact_int
from flows.engine.texts import N_
from flows.library import changes as told
from flows.library.entries import (
    CUES_MAX,
    PHASES,
    REGIONS,
    SETS,
    clean_name,
    parse_cues,
    parse_region,
)
from flows.library.labels import (
    phases_label,
    region_label,
    region_labels,
    typed_phases,
    typed_region,
)
from flows.library.staffonly import staff_step
from flows.library.video import video_button, web_link
from flows.staff.program import parse_amount
from storage.library import add_entry, entries, entry, entry_named, set_retired, update_entry
from storage.models import Exercise, LibraryExercise, Role
from storage.templates import copies_of

PAGE_SIZE = 8
FIELD_TEXTS = {  # an entry's fields to edit: value -> its button's text key
    "name": N_("lib_field_name"),
    "region": N_("lib_field_region"),
    "phases": N_("lib_field_phases"),
    "sets": N_("lib_field_sets"),
    "amount": N_("lib_field_amount"),
    "cues": N_("lib_field_cues"),
    "video": N_("lib_field_video"),
}
FIELDS = tuple(FIELD_TEXTS)
PHASE_CHOICES = (
    ("rehab",),
    ("strength",),
    ("performance",),
    ("rehab", "strength"),
    ("strength", "performance"),
    PHASES,
)


class Step(StrEnum):
    LIST = "list"
    ENTRY = "entry"
    FIELD = "field"
    VALUE = "value"
    ADD = "add"


class Data(FlowData):
    search: str | None = None
    page: int = 0
    retired: bool = False  # listing the retired entries instead
    entry_id: int | None = None
    field: str | None = None  # being edited, or asked while adding
    draft: dict[str, Any] | None = None  # an entry being added, field by field


# -- values: each field's question and its parsing (shared by adding and editing) --------------
def _field_keyboard(ctx: Context, field: str) -> Keyboard:
    if field == "region":
        return buttons(ctx, [(r, region_label(r, ctx.locale)) for r in REGIONS], per_row=4)
    if field == "phases":
        options = [(";".join(p), phases_label(p, ctx.locale)) for p in PHASE_CHOICES]
        return buttons(ctx, options, per_row=3)
    if field == "sets":
        return buttons(ctx, [(str(n), str(n)) for n in range(1, 6)], per_row=5)
    if field in ("cues", "video"):
        return keyboard([ctx.choice(ctx.t("lib_none"), "none")])
    return ()


def ask_value(ctx: Context, field: str, name: str, adding: bool) -> None:
    """The question for one field of entry `name`."""
    if field == "name":
        text = ctx.t("lib_ask_name") if adding else ctx.t("lib_ask_new_name", name=name)
    elif field == "region":
        text = ctx.t("lib_ask_region", name=name)
    elif field == "phases":
        text = ctx.t("lib_ask_phases", name=name)
    elif field == "sets":
        text = ctx.t("lib_ask_sets", name=name)
    elif field == "amount":
        text = ctx.t("lib_ask_amount", name=name)
    elif field == "cues":
        text = ctx.t("lib_ask_cues", name=name, max=CUES_MAX)
    else:
        text = ctx.t("lib_ask_video", name=name)
    ctx.say(text, _field_keyboard(ctx, field))


async def parse_value(
    ctx: Context, field: str, answer: Answer, entry_id: int | None
) -> dict[str, Any]:
    """The columns one answered field sets, or Retry with a short hint."""
    given = answer.choice if answer.choice is not None else answer.text
    if field == "name":
        name = clean_name(answer.text) if answer.choice is None else None
        if name is None:
            raise Retry(ctx.t("lib_bad_name"))
        other = await entry_named(ctx.store, name)
        if other is not None and other.id != entry_id:
            raise Retry(ctx.t("lib_name_taken", name=other.name))
        return {"name": name}
    if field == "region":
        region = parse_region(given) or typed_region(given, ctx.locale)
        if region is None:
            raise Retry(ctx.t("lib_bad_region", regions=region_labels(ctx.locale)))
        return {"region": region}
    if field == "phases":
        phases = typed_phases(given, ctx.locale)
        if phases is None:
            raise Retry(ctx.t("lib_bad_phases"))
        return {"phases": list(phases)}
    if field == "sets":
        sets = ascii_int(given, *SETS)
        if sets is None:
            raise Retry(ctx.t("program_bad_sets"))
        return {"sets": sets}
    if field == "amount":
        amount = parse_amount(answer.text) if answer.choice is None else None
        if amount is None:
            raise Retry(ctx.t("program_bad_amount"))
        return {"reps": amount[0], "seconds": amount[1]}
    none = answer.choice == "none" or answer.text.strip().casefold() in ("none", "-")
    if field == "cues":
        cues = None if none else parse_cues(answer.text) if answer.choice is None else None
        if cues is None and not none:
            raise Retry(ctx.t("lib_bad_cues", max=CUES_MAX))
        return {"cues": cues}
    video = None if none else web_link(answer.text) if answer.choice is None else None
    if video is None and not none:
        raise Retry(ctx.t("program_bad_link"))
    return {"video": video}


# -- rendering ---------------------------------------------------------------------------------
def dose(ctx: Context, row: LibraryExercise) -> str:
    if row.seconds is not None:
        return ctx.t("lib_dose_seconds", sets=row.sets, seconds=row.seconds)
    return ctx.t("lib_dose_reps", sets=row.sets, reps=row.reps or 0)


def entry_text(ctx: Context, row: LibraryExercise) -> str:
    text = ctx.t(
        "lib_entry",
        name=row.name,
        region=region_label(row.region, ctx.locale),
        phases=phases_label(row.phases, ctx.locale),
        dose=dose(ctx, row),
        cues=row.cues or ctx.t("lib_no_cues"),
        video=row.video or ctx.t("lib_no_video"),
    )
    return text + ("\n" + ctx.t("lib_entry_retired") if row.retired_at else "")


# -- the steps ---------------------------------------------------------------------------------
async def _listed(ctx: Context, data: Data) -> list[LibraryExercise]:
    return await entries(ctx.store, search=data.search, retired=data.retired)


async def ask_list(ctx: Context, data: Data) -> None:
    rows = await _listed(ctx, data)
    pages = max((len(rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(data.page, 0), pages - 1)
    shown = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    loc = ctx.locale
    options = [
        (f"e{row.id}", ctx.t("lib_list_item", name=row.name, region=region_label(row.region, loc)))
        for row in shown
    ]
    nav = []
    if page > 0:
        nav.append(ctx.choice(ctx.t("program_previous"), f"page:{page - 1}"))
    if page < pages - 1:
        nav.append(ctx.choice(ctx.t("program_next"), f"page:{page + 1}"))
    more = [ctx.choice(ctx.t("lib_add"), "add")]
    if data.search or data.retired:
        more.append(ctx.choice(ctx.t("lib_show_all"), "all"))
    else:
        more.append(ctx.choice(ctx.t("lib_show_retired"), "retired"))
    more.append(ctx.choice(ctx.t("program_done"), "done"))
    if data.retired:
        text = ctx.t("lib_list_retired", count=len(rows))
    else:
        text = ctx.t("lib_list", count=len(rows), regions=region_labels(ctx.locale))
    if data.search:
        text += "\n" + ctx.t("lib_list_search", search=region_label(data.search, ctx.locale))
    if pages > 1:
        text += "\n" + ctx.t("program_page", page=page + 1, pages=pages)
    ctx.say(text, (*buttons(ctx, options, per_row=1), *keyboard(nav), tuple(more)))


async def answer_list(ctx: Context, data: Data, answer: Answer) -> Result:
    """An entry, a page, Add, Show all / Retired, Done; typed text searches."""
    choice = answer.choice
    if choice is None:
        search = " ".join(answer.text.split())[:60]
        if not search or search.startswith("/"):
            raise Retry(ctx.t("lib_search_hint"))
        search = typed_region(search, ctx.locale) or search  # "rodilla": the knee's entries
        found = await entries(ctx.store, search=search, retired=data.retired)
        if not found:
            raise Retry(ctx.t("lib_no_match", search=region_label(search, ctx.locale)))
        data.search, data.page = search, 0
        return Next(Step.LIST)
    if choice.startswith("page:"):
        data.page = exact_int(choice.removeprefix("page:"), 0, ID_MAX) or 0
        return Next(Step.LIST)
    if choice == "add":
        data.draft, data.field = {}, FIELDS[0]
        return Next(Step.ADD)
    if choice in ("all", "retired"):
        data.search, data.page, data.retired = None, 0, choice == "retired"
        return Next(Step.LIST)
    if choice == "done":
        ctx.say(ctx.t("lib_closed"))
        return Done()
    listed = {f"e{row.id}": row.id for row in await _listed(ctx, data)}
    if choice not in listed:
        raise Retry(ctx.t("button_expired"))
    data.entry_id = listed[choice]
    return Next(Step.ENTRY)


async def _chosen(ctx: Context, data: Data) -> LibraryExercise | None:
    return await entry(ctx.store, data.entry_id) if data.entry_id is not None else None


def _entry_options(ctx: Context, row: LibraryExercise, stale: int) -> list[Option]:
    retire = (
        ("restore", ctx.t("lib_restore")) if row.retired_at else ("retire", ctx.t("lib_retire"))
    )
    options = [("edit", ctx.t("lib_edit")), retire, ("back", ctx.t("program_back"))]
    if stale:
        update = ctx.tn("lib_update_clients", "lib_update_clients_plural", stale, count=stale)
        options.insert(0, ("sync", update))
    return options


async def _stale_copies(ctx: Context, row: LibraryExercise) -> list[tuple[Exercise, int]]:
    """Copies of this entry in the asker's clients' programs (an admin: everyone's) whose name,
    cues or video differ from the entry now: what "update clients using it" would change."""
    staff = ctx.person
    if row.id is None or staff is None:
        return []
    scope = None if staff.role == Role.ADMIN else staff.id
    return [
        (copy, client_id)
        for copy, client_id in await copies_of(ctx.store, row.id, scope)
        if (copy.name, copy.notes, copy.link) != (row.name, row.cues, row.video)
    ]


async def _update_clients(ctx: Context, row: LibraryExercise) -> int:
    """Bring the copies' name, cues and video in line with the entry (doses stay each client's
    own), and tell each client; the number of clients."""
    stale = await _stale_copies(ctx, row)
    for copy, client_id in stale:
        copy.name, copy.notes, copy.link = row.name, row.cues, row.video
        await ctx.store.add(copy)
        client = await ctx.store.person(client_id)
        profile = await ctx.store.profile(client_id)
        if client is not None and profile is not None:
            await told.updated(ctx, client, profile, copy)
    return len({client_id for _, client_id in stale})


async def ask_entry(ctx: Context, data: Data) -> Result | None:
    row = await _chosen(ctx, data)
    if row is None:
        return Next(Step.LIST)
    video = video_button(row.video, ctx.locale) if row.video else None
    rows = ((video,),) if video is not None else ()
    options = _entry_options(ctx, row, len(await _stale_copies(ctx, row)))
    ctx.say(entry_text(ctx, row), (*rows, *buttons(ctx, options, per_row=3)))
    return None


async def answer_entry(ctx: Context, data: Data, answer: Answer) -> Result:
    row = await _chosen(ctx, data)
    if row is None:
        return Next(Step.LIST)
    choice = pick(ctx, answer, _entry_options(ctx, row, len(await _stale_copies(ctx, row))))
    if choice == "sync":
        clients = await _update_clients(ctx, row)
        ctx.say(ctx.tn("lib_clients_updated", "lib_clients_updated_plural", clients, count=clients))
        return Next(Step.ENTRY)
    if choice == "back":
        data.entry_id = None
        return Next(Step.LIST)
    if choice == "edit":
        return Next(Step.FIELD)
    retired = choice == "retire"
    await set_retired(ctx.store, row, retired, now=ctx.now, by=_by(ctx))
    if retired:
        ctx.say(ctx.t("lib_retired", name=row.name))
    else:
        ctx.say(ctx.t("lib_restored", name=row.name))
    return Next(Step.ENTRY)


def _field_options(ctx: Context) -> list[Option]:
    return [(field, ctx.t(FIELD_TEXTS[field])) for field in FIELDS]


async def ask_field(ctx: Context, data: Data) -> Result | None:
    row = await _chosen(ctx, data)
    if row is None:
        return Next(Step.LIST)
    options = [*_field_options(ctx), ("back", ctx.t("program_back"))]
    ctx.say(ctx.t("lib_pick_field", name=row.name), buttons(ctx, options, per_row=4))
    return None


async def answer_field(ctx: Context, data: Data, answer: Answer) -> Result:
    field = pick(ctx, answer, [*_field_options(ctx), ("back", ctx.t("program_back"))])
    if field == "back":
        return Next(Step.ENTRY)
    data.field = field
    return Next(Step.VALUE)


async def ask_edit_value(ctx: Context, data: Data) -> Result | None:
    row = await _chosen(ctx, data)
    if row is None or data.field not in FIELDS:
        return Next(Step.LIST)
    ask_value(ctx, data.field or "", row.name, adding=False)
    return None


async def answer_edit_value(ctx: Context, data: Data, answer: Answer) -> Result:
    row = await _chosen(ctx, data)
    field = data.field
    if row is None or field is None or field not in FIELDS:
        return Next(Step.LIST)
    changes = await parse_value(ctx, field, answer, row.id)
    await update_entry(ctx.store, row, now=ctx.now, by=_by(ctx), **changes)
    data.field = None
    ctx.say(ctx.t("lib_saved", name=row.name))
    return Next(Step.ENTRY)


async def ask_add(ctx: Context, data: Data) -> Result | None:
    draft, field = data.draft, data.field
    if draft is None or field not in FIELDS:
        return Next(Step.LIST)
    ask_value(ctx, field or "", str(draft.get("name", "")), adding=True)
    return None


async def answer_add(ctx: Context, data: Data, answer: Answer) -> Result:
    """One field of the new entry; after the last one it is saved and shown."""
    draft, field = data.draft, data.field
    if draft is None or field is None or field not in FIELDS:
        return Next(Step.LIST)
    draft = {**draft, **await parse_value(ctx, field, answer, None)}
    following = FIELDS.index(field) + 1
    if following < len(FIELDS):
        data.draft, data.field = draft, FIELDS[following]
        return Next(Step.ADD)
    if not {"name", "region", "phases", "sets", "reps", "seconds"} <= set(draft):
        return Next(Step.LIST)  # a draft from another version of this flow: start again
    if await entry_named(ctx.store, draft["name"]) is not None:  # added meanwhile by someone
        raise Retry(ctx.t("lib_name_taken", name=draft["name"]))
    columns = {**draft, "name_key": str(draft["name"]).casefold()}
    row = await add_entry(ctx.store, columns, now=ctx.now, by=_by(ctx))
    data.draft, data.field, data.entry_id = None, None, row.id
    ctx.say(ctx.t("lib_added", name=row.name))
    return Next(Step.ENTRY)


def _by(ctx: Context) -> int | None:
    return ctx.person.id if ctx.person else None


LIBRARY = register(
    Flow(
        "library",
        Data,
        {
            Step.LIST: staff_step(ask_list, answer_list),
            Step.ENTRY: staff_step(ask_entry, answer_entry),
            Step.FIELD: staff_step(ask_field, answer_field),
            Step.VALUE: staff_step(ask_edit_value, answer_edit_value),
            Step.ADD: staff_step(ask_add, answer_add),
        },
    )
)


async def _start(ctx: Context) -> None:
    """/library, or /library <words> to start with a search."""
    search = " ".join(ctx.event.args.split())[:60] or None
    await start(ctx, LIBRARY, Step.LIST, Data(search=search))


COMMANDS = (
    Command("library", _start, {Role.TRAINER: N_("cmd_library"), Role.ADMIN: N_("cmd_library")}),
)
ACTIONS: Actions = ()
