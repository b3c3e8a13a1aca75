"""The exercise library's storage: the starter entries, search, edits, retiring, bulk import."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.clock import FakeClock
from flows.library.csvfile import read
from storage.db import SessionFactory
from storage.library import (
    add_entry,
    entries,
    entry_named,
    every_entry,
    import_rows,
    set_retired,
    update_entry,
)
from storage.repo import Store

STARTER = Path(__file__).parents[2] / "storage" / "starter_library.csv"


def _columns(name: str, region: str = "knee", reps: int | None = 10) -> dict[str, object]:
    return {
        "name": name,
        "name_key": name.casefold(),
        "region": region,
        "phases": ["rehab"],
        "sets": 3,
        "reps": reps,
        "seconds": None if reps else 30,
    }


async def test_the_migration_seeds_the_starter_library_as_shipped(sessions: SessionFactory):
    shipped, problems = read(STARTER.read_text(encoding="utf-8"))
    assert problems == []  # the shipped file passes the import's own checks
    async with sessions() as session:
        stored = await every_entry(Store(session))
    assert sorted(e.name for e in stored) == sorted(v.name for v in shipped)
    assert len(stored) >= 20 and all(e.video is None and e.cues for e in stored)


async def test_search_by_part_of_a_name_or_a_region(sessions: SessionFactory) -> None:
    async with sessions() as session:
        store = Store(session)
        assert [e.name for e in await entries(store, search="QUAD")] == [
            "Quad sets",
            "Short-arc quads",
        ]
        shoulder = {e.region for e in await entries(store, search="shoulder")}
        assert shoulder == {"shoulder"}
        assert await entries(store, search="%") == []  # a wildcard is just a character


async def test_add_edit_retire_and_restore(sessions: SessionFactory, clock: FakeClock) -> None:
    now = clock.now()
    async with sessions() as session:
        store = Store(session)
        row = await add_entry(store, _columns("Terminal knee extension"), now=now, by=None)
        await update_entry(store, row, now=now, by=None, name="TKE", cues="Band behind the knee.")
        assert (await entry_named(store, "tke")) is row and row.name_key == "tke"
        with pytest.raises(ValueError):
            await update_entry(store, row, now=now, by=None, seconds=30)  # reps and seconds
        row.seconds = None
        await set_retired(store, row, True, now=now, by=None)
        assert row not in await entries(store, search="tke")
        assert row in await entries(store, retired=True)
        await set_retired(store, row, False, now=now, by=None)
        assert row in await entries(store, search="tke")
        await store.commit()


async def test_one_entry_per_name_whatever_the_case(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    async with sessions() as session:
        store = Store(session)
        with pytest.raises(IntegrityError):
            await add_entry(store, _columns("QUAD SETS"), now=clock.now(), by=None)


async def test_import_adds_new_names_and_updates_known_ones(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    rows = [
        ({**_columns("Quad sets"), "cues": "New words."}, False),
        (_columns("Nordic curl"), False),
        (_columns("Ankle pumps"), True),
    ]
    async with sessions() as session:
        store = Store(session)
        before = len(await every_entry(store))
        assert await import_rows(store, rows, now=clock.now()) == (1, 2)
        await store.commit()
    async with sessions() as session:
        store = Store(session)
        assert len(await every_entry(store)) == before + 1
        quad = await entry_named(store, "quad sets")
        assert quad is not None and quad.cues == "New words." and quad.retired_at is None
        pumps = await entry_named(store, "ankle pumps")
        assert pumps is not None and pumps.retired_at is not None


async def test_a_name_checked_free_is_held_until_that_transaction_ends(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Two trainers (two processes) adding "Knee circuit" at once: the second check waits for the
    first transaction and finds its entry, rather than both finding the name free and the
    unique key failing the second update with the router's error reply."""
    async with sessions() as first, sessions() as second:
        adding = Store(first)
        assert await entry_named(adding, "Knee circuit") is None
        await add_entry(adding, _columns("Knee circuit"), now=clock.now(), by=None)
        await _checked_after_commit(adding, Store(second), "knee CIRCUIT")


async def test_an_import_holds_the_names_it_takes(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """The library import beside a running bot: a trainer adding "Knee circuit" while the import
    adds it too waits for the import's transaction and finds its entry."""
    rows = [(_columns("Step-up ladder"), False), (_columns("Knee circuit"), False)]
    async with sessions() as importing, sessions() as adding:
        importer = Store(importing)
        assert await import_rows(importer, rows, now=clock.now()) == (2, 0)
        await _checked_after_commit(importer, Store(adding), "knee circuit")


async def _checked_after_commit(taking: Store, checking: Store, typed: str) -> None:
    """`checking` looks up `typed` while `taking` holds "Knee circuit" uncommitted: it waits
    for that commit and finds the entry (without the hold it finds the name free at once)."""
    looking = asyncio.ensure_future(entry_named(checking, typed))
    await asyncio.sleep(0.3)
    assert not looking.done()
    await taking.commit()
    found = await asyncio.wait_for(looking, 10)
    assert found is not None and found.name == "Knee circuit"
