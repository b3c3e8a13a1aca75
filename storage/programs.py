"""Programs: each client's current prescription (phase, optional questions, exercises in order).

Only the current program is kept: a check-in copies what was prescribed on its day, so editing
here never changes the past. Positions run 1..n in the order the client sees the exercises.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from storage.models import ClientProfile, Exercise, Person, Program
from storage.plain import Plain
from storage.repo import Store

EDITABLE = frozenset({"name", "sets", "reps", "seconds", "link", "notes"})
# Built once: every check-in asks them.
_PROGRAM = Plain(select(Program).where(Program.client_id == bindparam("client")))
_EXERCISES = Plain(
    select(Exercise)
    .where(Exercise.program_id == bindparam("program"))
    .order_by(col(Exercise.position), col(Exercise.id))
)


async def program_for(store: Store, client_id: int) -> Program | None:
    """The client's current program, or None if nobody has set one yet."""
    return await store.load_first(Program, _PROGRAM, {"client": client_id})


async def exercises_of(store: Store, program_id: int) -> list[Exercise]:
    """The program's exercises in the order the client sees them."""
    return await store.load(Exercise, _EXERCISES, {"program": program_id})


async def ensure_program(
    store: Store, client_id: int, now: datetime, by: int | None = None
) -> Program:
    """The client's program, created (phase "rehab", no optional questions) if there is none."""
    program = await program_for(store, client_id)
    if program is None:
        program = Program(client_id=client_id, questions=[], updated_by=by, updated_at=now)
        await store.add(program)
    return program


def touch(program: Program, now: datetime, by: int | None) -> None:
    """Record who changed the program last, and when."""
    program.updated_at, program.updated_by = now, by


async def exercise_in(store: Store, program_id: int, exercise_id: int) -> Exercise | None:
    """One exercise, only if it belongs to this program (ids from chat are never trusted)."""
    exercise = await store.session.get(Exercise, exercise_id)
    return exercise if exercise is not None and exercise.program_id == program_id else None


async def add_exercise(
    store: Store,
    program: Program,
    *,
    name: str,
    sets: int,
    reps: int | None = None,
    seconds: int | None = None,
    link: str | None = None,
    notes: str | None = None,
    now: datetime,
    by: int | None = None,
) -> Exercise:
    """Append an exercise at the end of the program."""
    if program.id is None:
        raise ValueError("the program must be saved first")
    if (reps is None) == (seconds is None):
        raise ValueError("an exercise has either reps or seconds")
    count = len(await exercises_of(store, program.id))
    exercise = Exercise(
        program_id=program.id,
        position=count + 1,
        name=name,
        sets=sets,
        reps=reps,
        seconds=seconds,
        link=link,
        notes=notes,
    )
    await store.add(exercise)
    touch(program, now, by)
    return exercise


async def update_exercise(
    store: Store,
    program: Program,
    exercise: Exercise,
    *,
    now: datetime,
    by: int | None = None,
    **changes: Any,
) -> Exercise:
    """Change some of name, sets, reps, seconds, link, notes (reps xor seconds stays true)."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if exercise.program_id != program.id:
        raise ValueError("the exercise belongs to another program")
    for field, value in changes.items():
        setattr(exercise, field, value)
    if (exercise.reps is None) == (exercise.seconds is None):
        raise ValueError("an exercise has either reps or seconds")
    await store.add(exercise)
    touch(program, now, by)
    return exercise


async def renumber(store: Store, program_id: int) -> list[Exercise]:
    """Positions 1..n again, keeping the order (after a removal)."""
    exercises = await exercises_of(store, program_id)
    for position, exercise in enumerate(exercises, start=1):
        exercise.position = position
        store.session.add(exercise)
    await store.session.flush()
    return exercises


async def remove_exercise(
    store: Store, program: Program, exercise_id: int, *, now: datetime, by: int | None = None
) -> Exercise | None:
    """Delete one exercise of this program and close the gap; None if it isn't there."""
    if program.id is None:
        return None
    exercise = await exercise_in(store, program.id, exercise_id)
    if exercise is None:
        return None
    await store.session.delete(exercise)
    await store.session.flush()
    await renumber(store, program.id)
    touch(program, now, by)
    return exercise


async def set_phase(
    store: Store, program: Program, phase: str, *, now: datetime, by: int | None = None
) -> None:
    program.phase = phase
    touch(program, now, by)
    await store.add(program)


async def set_questions(
    store: Store, program: Program, questions: list[str], *, now: datetime, by: int | None = None
) -> None:
    program.questions = list(questions)  # JSON columns only notice reassignment
    touch(program, now, by)
    await store.add(program)


async def clients_of(store: Store, trainer_id: int | None) -> list[tuple[Person, ClientProfile]]:
    """A trainer's clients (every client when `trainer_id` is None), by name then id."""
    query = select(Person, ClientProfile).join(
        ClientProfile, col(ClientProfile.person_id) == col(Person.id)
    )
    if trainer_id is not None:
        query = query.where(ClientProfile.trainer_id == trainer_id)
    rows = list((await store.session.exec(query)).all())
    return sorted(rows, key=lambda row: (row[0].name.casefold(), row[0].id or 0))
