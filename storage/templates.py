"""Program templates: named sets of library exercises for a phase, and applying one to a client.

Applying copies each item into the client's program (values from the template, cues and video
from the library entry, library_id kept), so later edits of the template or the library change
no running program by themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select

from storage.db import hold_name
from storage.models import (
    ClientProfile,
    Exercise,
    LibraryExercise,
    PhaseChange,
    Program,
    ProgramTemplate,
    TemplateItem,
)
from storage.programs import touch
from storage.repo import Store


async def templates(store: Store) -> list[ProgramTemplate]:
    query = select(ProgramTemplate).order_by(col(ProgramTemplate.name_key))
    return list((await store.session.exec(query)).all())


async def template(store: Store, template_id: int) -> ProgramTemplate | None:
    return await store.session.get(ProgramTemplate, template_id)


async def template_named(store: Store, name: str) -> ProgramTemplate | None:
    """The template of this name, if any; the name is held until the transaction ends, so
    the caller may take it if it is free (storage/db.py `hold_name`)."""
    key = name.casefold()
    await hold_name(store.session, "template", key)
    query = select(ProgramTemplate).where(ProgramTemplate.name_key == key)
    return (await store.session.exec(query)).first()


async def items_of(store: Store, template_id: int) -> list[tuple[TemplateItem, LibraryExercise]]:
    """The template's exercises in order, each with its library entry."""
    query = (
        select(TemplateItem, LibraryExercise)
        .join(LibraryExercise, col(LibraryExercise.id) == col(TemplateItem.library_id))
        .where(TemplateItem.template_id == template_id)
        .order_by(col(TemplateItem.position), col(TemplateItem.id))
    )
    return [(item, entry) for item, entry in (await store.session.exec(query)).all()]


async def delete_template(store: Store, template_id: int) -> None:
    """The template and its items go; clients' programs hold copies and keep them, and their
    phase changes keep the template's name (`PhaseChange.template_name`) without the link."""
    await store.session.exec(
        update(PhaseChange)
        .where(col(PhaseChange.template_id) == template_id)
        .values(template_id=None)
    )
    await store.session.exec(
        delete(TemplateItem).where(col(TemplateItem.template_id) == template_id)
    )
    await store.session.exec(delete(ProgramTemplate).where(col(ProgramTemplate.id) == template_id))


def rename_template(store: Store, chosen: ProgramTemplate, name: str, now: datetime) -> None:
    """A new name (its key as `template_named` looks it up); clients' phase history keeps
    the name it had when they got it."""
    chosen.name, chosen.name_key, chosen.updated_at = name, name.casefold(), now
    store.session.add(chosen)


def set_template_phase(store: Store, chosen: ProgramTemplate, phase: str, now: datetime) -> None:
    """The phase it is for: the one a client is moved to when it is applied from now on."""
    chosen.phase, chosen.updated_at = phase, now
    store.session.add(chosen)


async def replace_items(
    store: Store, chosen: ProgramTemplate, entries: Sequence[LibraryExercise], now: datetime
) -> None:
    """The template's exercises become these entries, each with the entry's default dose (as
    when it was saved); clients who got it before keep their copies."""
    template_id = chosen.id or 0
    await store.session.exec(
        delete(TemplateItem).where(col(TemplateItem.template_id) == template_id)
    )
    _add_items(store, template_id, entries)
    chosen.updated_at = now
    store.session.add(chosen)
    await store.session.flush()


def _add_items(store: Store, template_id: int, entries: Sequence[LibraryExercise]) -> None:
    for position, entry in enumerate(entries, start=1):
        store.session.add(
            TemplateItem(
                template_id=template_id,
                position=position,
                library_id=entry.id or 0,
                sets=entry.sets,
                reps=entry.reps,
                seconds=entry.seconds,
            )
        )


async def save_template(
    store: Store,
    *,
    name: str,
    phase: str,
    entries: Sequence[LibraryExercise],
    now: datetime,
    by: int | None,
) -> ProgramTemplate:
    """A new template of these library entries, each with the entry's default dose."""
    saved = ProgramTemplate(
        name=name, name_key=name.casefold(), phase=phase, created_by=by, updated_at=now
    )
    await store.add(saved)
    _add_items(store, saved.id or 0, entries)
    await store.session.flush()
    return saved


async def apply_template(
    store: Store, program: Program, chosen: ProgramTemplate, *, now: datetime, by: int | None
) -> list[Exercise]:
    """Replace the program's exercises with copies of the template's, and take its phase."""
    if program.id is None or chosen.id is None:
        raise ValueError("save the program and the template first")
    await store.session.exec(delete(Exercise).where(col(Exercise.program_id) == program.id))
    copies = [
        Exercise(
            program_id=program.id,
            position=position,
            name=entry.name,
            sets=item.sets,
            reps=item.reps,
            seconds=item.seconds,
            link=entry.video,
            notes=entry.cues,
            library_id=entry.id,
        )
        for position, (item, entry) in enumerate(await items_of(store, chosen.id), start=1)
    ]
    store.session.add_all(copies)
    program.phase = chosen.phase
    touch(program, now, by)
    store.session.add(program)
    await store.session.flush()
    return copies


async def copies_of(
    store: Store, library_id: int, trainer_id: int | None
) -> list[tuple[Exercise, int]]:
    """Client exercises copied from a library entry, with their client's id: a trainer's own
    clients' (every client's when `trainer_id` is None)."""
    query = (
        select(Exercise, Program.client_id)
        .join(Program, col(Program.id) == col(Exercise.program_id))
        .join(ClientProfile, col(ClientProfile.person_id) == col(Program.client_id))
        .where(Exercise.library_id == library_id)
    )
    if trainer_id is not None:
        query = query.where(ClientProfile.trainer_id == trainer_id)
    return [
        (exercise, client_id) for exercise, client_id in (await store.session.exec(query)).all()
    ]
