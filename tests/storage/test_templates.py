"""Program templates' storage: a name checked free stays free for the transaction that checked."""

from __future__ import annotations

import asyncio

from bot.clock import FakeClock
from storage.db import SessionFactory
from storage.library import entry_named
from storage.repo import Store
from storage.templates import rename_template, save_template, template_named


async def test_two_renames_to_one_name_at_once_find_it_taken_not_an_error(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    """Two trainers (two processes) renaming two templates to "Knee week 2" at once: the
    second check waits for the first rename's transaction and finds the name taken."""
    async with sessions() as session:
        store = Store(session)
        squats = await entry_named(store, "mini squats")
        assert squats is not None
        for name in ("Knee A", "Knee B"):
            await save_template(
                store, name=name, phase="rehab", entries=[squats], now=clock.now(), by=None
            )
        await store.commit()
    async with sessions() as first, sessions() as second:
        renaming = Store(first)
        knee_a = await template_named(renaming, "Knee A")
        assert knee_a is not None and await template_named(renaming, "Knee week 2") is None
        rename_template(renaming, knee_a, "Knee week 2", clock.now())
        await first.flush()
        checking = asyncio.ensure_future(template_named(Store(second), "knee WEEK 2"))
        await asyncio.sleep(0.3)
        assert not checking.done()  # without the hold it finds the name free at once
        await renaming.commit()
        taken = await asyncio.wait_for(checking, 10)
        assert taken is not None and taken.id == knee_a.id
