"""/library in chat: browse, search by name or region, add, edit, retire and restore."""

from __future__ import annotations

import pytest

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.core import Reply, Send
from flows.router import Router
from storage.db import SessionFactory
from storage.library import entry_named
from storage.models import LibraryExercise
from storage.repo import Store
from tests.flows.harness import User, make_router, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def labels(replies: list[Reply]) -> list[str]:
    return [b.text for r in replies if isinstance(r, Send) for row in r.buttons for b in row]


async def stored(sessions: SessionFactory, name: str) -> LibraryExercise | None:
    async with sessions() as session:
        return await entry_named(Store(session), name)


async def test_browse_pages_and_search_by_name_or_region(router: Router) -> None:
    sam = User(router, TRAINER.user_id)
    opened = await sam.command("library")
    assert "Exercise library: 26 exercises" in texts(opened) and "Page 1 of 4" in texts(opened)
    assert "Ankle alphabet · ankle" in labels(opened)
    assert "Page 2 of 4" in texts(await sam.press("Next"))
    found = await sam.text("quad")
    assert 'matching "quad"' in texts(found)
    assert [x for x in labels(found) if "·" in x] == ["Quad sets · knee", "Short-arc quads · knee"]
    shoulder = await sam.text("Shoulder")
    assert all("shoulder" in x for x in labels(shoulder) if "·" in x)
    assert "Nothing in the library matches" in texts(await sam.text("zumba"))
    assert "26 exercises" in texts(await sam.press("Show all"))


async def test_a_typed_search_on_the_command(router: Router) -> None:
    shown = await User(router, TRAINER.user_id).command("library", "bridge")
    assert [x for x in labels(shown) if "·" in x] == ["Glute bridge · hip"]


async def test_add_an_exercise_field_by_field(router: Router, sessions: SessionFactory) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("library")
    assert "What's the exercise called" in texts(await sam.press("Add exercise"))
    assert "already has Quad sets" in texts(await sam.text("quad SETS"))
    await sam.text("Nordic curl")
    assert "Please pick a region" in texts(await sam.text("toe"))
    await sam.press("knee")
    await sam.press("strength + performance")
    await sam.press("3")
    assert "how long" in texts(await sam.text("lots"))  # asked again
    await sam.text("6")
    await sam.text("Kneel, lower yourself slowly, catch with your hands.")
    assert "http or https" in texts(await sam.text("javascript:alert(1)"))
    shown = await sam.text("https://youtu.be/nordic")
    assert "Added Nordic curl to the library." in texts(shown)
    assert "Phases: strength + performance" in texts(shown) and "3 x 6" in texts(shown)
    assert "▶ Watch on YouTube" in labels(shown)
    row = await stored(sessions, "nordic curl")
    assert row is not None and row.region == "knee" and row.video == "https://youtu.be/nordic"
    assert row.updated_by is not None


async def test_edit_and_retire_and_restore(router: Router, sessions: SessionFactory) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("library", "wall sit")
    await sam.press("Wall sit")
    await sam.press("Edit")
    await sam.press("Reps or seconds")
    assert "Saved Wall sit." in texts(await sam.text("45 s"))
    await sam.press("Edit")
    await sam.press("How-to cues")
    await sam.press("None")
    await sam.press("Edit")
    await sam.press("Name")
    assert "already has Mini squats" in texts(await sam.text("mini squats"))
    await sam.text("Wall squat hold")
    row = await stored(sessions, "wall squat hold")
    assert row is not None and (row.reps, row.seconds, row.cues) == (None, 45, None)

    retired = await sam.press("Retire")
    assert "is retired" in texts(retired) and "Restore" in labels(retired)
    assert (await stored(sessions, "wall squat hold")).retired_at is not None  # type: ignore[union-attr]
    await sam.press("Back")
    listed = await sam.press("Show all")
    assert "Wall squat hold · knee" not in labels(listed)
    back = await sam.press("Retired")
    assert "Retired exercises: 1" in texts(back)
    await sam.press("Wall squat hold")
    assert "is back in the library" in texts(await sam.press("Restore"))
    assert (await stored(sessions, "wall squat hold")).retired_at is None  # type: ignore[union-attr]


async def test_clients_cannot_open_the_library(router: Router) -> None:
    assert "isn't available" in texts(await User(router, CLIENT.user_id).command("library"))


async def test_a_forged_entry_button_has_expired(router: Router) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("library")
    assert "expired" in texts(await sam.press_data("~1:e99999"))
