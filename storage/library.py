"""The centre's exercise library: queries, edits, and the bulk import.

Entries are keyed by their casefolded name (one entry per name); they are retired, never
deleted, so client exercises and templates copied from one can still name it. An import is one
transaction of two executemany statements (new names inserted, known names updated), so 5,000
rows take well under the 2 s goal (bench/bench_library.py) and a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, update
from sqlmodel import col, select

from storage.db import hold_name, hold_names
from storage.models import Exercise, LibraryExercise
from storage.repo import Store

EDITABLE = frozenset(
    {"name", "region", "phases", "sets", "reps", "seconds", "cues", "video", "photo"}
)


def name_key(name: str) -> str:
    return name.casefold()


async def entries(
    store: Store, *, search: str | None = None, retired: bool = False
) -> list[LibraryExercise]:
    """Entries by name: active ones (or the retired ones), those whose name contains `search`
    or whose region is `search` when given."""
    query = select(LibraryExercise).where(
        col(LibraryExercise.retired_at).is_not(None)
        if retired
        else col(LibraryExercise.retired_at).is_(None)
    )
    if search:
        key = name_key(search)
        escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                col(LibraryExercise.name_key).like(f"%{escaped}%", escape="\\"),
                col(LibraryExercise.region) == key,
            )
        )
    return list((await store.session.exec(query.order_by(col(LibraryExercise.name_key)))).all())


async def every_entry(store: Store) -> list[LibraryExercise]:
    """All entries, retired ones too, by name (the export)."""
    query = select(LibraryExercise).order_by(col(LibraryExercise.name_key))
    return list((await store.session.exec(query)).all())


async def entry(store: Store, entry_id: int) -> LibraryExercise | None:
    return await store.session.get(LibraryExercise, entry_id)


async def entry_named(store: Store, name: str) -> LibraryExercise | None:
    """The entry of this name, if any; the name is held until the transaction ends, so the
    caller may take it if it is free (storage/db.py `hold_name`)."""
    key = name_key(name)
    await hold_name(store.session, "library", key)
    query = select(LibraryExercise).where(LibraryExercise.name_key == key)
    return (await store.session.exec(query)).first()


async def add_entry(
    store: Store, columns: dict[str, Any], *, now: datetime, by: int | None
) -> LibraryExercise:
    """A new entry (the caller checked the name is free: the unique key refuses a second)."""
    row = LibraryExercise(**columns, updated_at=now, updated_by=by)
    await store.add(row)
    return row


async def update_entry(
    store: Store, row: LibraryExercise, *, now: datetime, by: int | None, **changes: Any
) -> LibraryExercise:
    """Change some of the editable columns; a new name updates the key too."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(row, name, value)
    row.name_key = name_key(row.name)
    if (row.reps is None) == (row.seconds is None):
        raise ValueError("an entry has either reps or seconds")
    row.updated_at, row.updated_by = now, by
    await store.add(row)
    return row


async def set_retired(
    store: Store, row: LibraryExercise, retired: bool, *, now: datetime, by: int | None
) -> None:
    row.retired_at = now if retired else None
    row.updated_at, row.updated_by = now, by
    await store.add(row)


async def import_rows(
    store: Store, rows: Sequence[tuple[dict[str, Any], bool]], *, now: datetime
) -> tuple[int, int]:
    """(columns, retired) per row: known names updated, new ones added, in the caller's
    transaction; (added, updated). The caller checked the rows and their names are distinct.
    Their names are held first (storage/db.py `hold_names`): a name found free stays free."""
    await hold_names(store.session, "library", [columns["name_key"] for columns, _ in rows])
    table = LibraryExercise.__table__  # type: ignore[attr-defined]
    known = dict(
        (await store.session.exec(select(LibraryExercise.name_key, LibraryExercise.id))).all()
    )
    new, changed = [], []
    for columns, retired in rows:
        values = {name: columns.get(name) for name in sorted(EDITABLE | {"name_key"})}
        values |= {"updated_at": now, "updated_by": None}
        values["retired_at"] = now if retired else None
        entry_id = known.get(columns["name_key"])
        if entry_id is None:
            new.append(values)
        else:
            changed.append({f"v_{k}": v for k, v in values.items()} | {"row_id": entry_id})
    if new:
        await store.session.exec(insert(table), params=new)
    if changed:
        names = [c.removeprefix("v_") for c in changed[0] if c != "row_id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"v_{name}") for name in names})
        )
        await store.session.exec(statement, params=changed)
    return len(new), len(changed)


async def clients_using(store: Store, library_id: int) -> int:
    """How many client exercises were copied from this entry."""
    query = select(func.count()).where(Exercise.library_id == library_id)
    return int((await store.session.exec(query)).one())
