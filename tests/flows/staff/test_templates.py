"""Program templates: saved from library exercises, applied in /program (the client gets copies
and the phase), phase changes kept, and library edits reaching clients only when asked."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.core import Document, Reply, Send
from flows.router import Router
from storage.db import SessionFactory
from storage.library import entry_named
from storage.models import (
    ClientProfile,
    Exercise,
    Outbox,
    PhaseChange,
    ProgramTemplate,
    Role,
    TemplateItem,
)
from storage.phases import phase_changes
from storage.programs import exercises_of, program_for
from storage.repo import Store
from storage.templates import delete_template, items_of
from tests.flows.harness import User, add_person, make_router, person_of, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def labels(replies: list[Reply]) -> list[str]:
    return [b.text for r in replies if isinstance(r, Send) for row in r.buttons for b in row]


async def make_template(sam: User) -> None:
    """ "ACL phase 2" (strength): Mini squats and Step-ups, picked by page and by search."""
    await sam.command("templates")
    await sam.press("New template")
    await sam.text("ACL phase 2")
    await sam.press("strength")
    await sam.text("squat")
    await sam.press("Mini squats")
    await sam.text("step")
    picked = await sam.press("Step-ups")
    assert "Chosen: Mini squats, Step-ups" in texts(picked) and "✓ Step-ups" in labels(picked)
    assert "Saved ACL phase 2 with 2 exercises" in texts(await sam.press("Save template"))


async def _made_and_opened(sam: User) -> None:
    """ "ACL phase 2" made, then opened from /templates."""
    await make_template(sam)
    await sam.command("templates")
    await sam.press("ACL phase 2 (strength)")


async def _knee_early(sam: User) -> list[Reply]:
    """From the templates' list: "Knee early" (rehab), Mini squats only."""
    await sam.press("New template")
    await sam.text("Knee early")
    await sam.press("rehab")
    await sam.text("squat")
    await sam.press("Mini squats")
    return await sam.press("Save template")


async def apply_to_jordan(sam: User) -> list[Reply]:
    await sam.command("program", "Jordan")
    await sam.press("Apply template")
    confirm = await sam.press("ACL phase 2 (strength)")
    assert "1. Mini squats, 3 x 10" in texts(confirm) and "Replace Jordan's exercises" in texts(
        confirm
    )
    return await sam.press("Yes, apply it")


async def jordan_exercises(sessions: SessionFactory) -> list[Exercise]:
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        store = Store(session)
        program = await program_for(store, jordan.id or 0)
        assert program is not None and program.id is not None
        return await exercises_of(store, program.id)


async def test_a_template_is_saved_from_library_exercises(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    async with sessions() as session:
        [saved] = (await session.exec(select(ProgramTemplate))).all()
        items = (
            await session.exec(select(TemplateItem).order_by(col(TemplateItem.position)))
        ).all()
        squats = await entry_named(Store(session), "mini squats")
    assert (saved.name, saved.phase) == ("ACL phase 2", "strength")
    assert squats is not None and items[0].library_id == squats.id
    assert [(i.sets, i.reps, i.seconds) for i in items] == [(3, 10, None), (3, 10, None)]
    await sam.command("templates")
    await sam.press("New template")
    assert "already a template called ACL phase 2." in texts(await sam.text("acl PHASE 2"))


async def test_applying_copies_exercises_sets_the_phase_and_keeps_the_change(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    applied = await apply_to_jordan(sam)
    assert "Applied ACL phase 2 to Jordan's program" in texts(applied)
    assert "Program for Jordan" in texts(applied) and "Phase: strength" in texts(applied)
    copies = await jordan_exercises(sessions)
    assert [(e.position, e.name, e.sets, e.reps) for e in copies] == [
        (1, "Mini squats", 3, 10),
        (2, "Step-ups", 3, 10),
    ]
    assert all(e.library_id is not None and e.notes for e in copies)

    jordan, samp = (
        await person_of(sessions, CLIENT.user_id),
        await person_of(sessions, TRAINER.user_id),
    )
    async with sessions() as session:
        [change] = await phase_changes(Store(session), jordan.id or 0)
        told = (await session.exec(select(Outbox).where(Outbox.kind == "tpl_client_told"))).one()
    assert (change.from_phase, change.to_phase, change.template_name) == (
        "rehab",
        "strength",
        "ACL phase 2",
    )
    assert change.changed_by == samp.id and change.changed_at == clock.now()
    assert told.chat_id == CLIENT.user_id and "Mini squats, Step-ups" in told.text

    # then adjusted, as any program: the copy is the client's own
    await sam.press("Edit exercise")
    await sam.press("1. Mini squats")
    await sam.press("Sets")
    await sam.text("2")
    assert (await jordan_exercises(sessions))[0].sets == 2


async def test_a_plain_phase_change_is_kept_too(router: Router, sessions: SessionFactory) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("program", "Jordan")
    await sam.press("Phase")
    await sam.press("strength")
    await sam.press("Phase")
    await sam.press("strength")  # the same phase again: no change to keep
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        changes = await phase_changes(Store(session), jordan.id or 0)
    assert [(c.from_phase, c.to_phase, c.template_id) for c in changes] == [
        ("rehab", "strength", None)
    ]


async def test_a_library_edit_changes_no_program_until_the_trainer_updates_clients(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await apply_to_jordan(sam)
    await sam.command("cancel")
    riley_id = 7001
    await add_person(sessions, clock, riley_id, "Riley", Role.TRAINER)

    await sam.command("library", "mini squats")
    await sam.press("Mini squats")
    await sam.press("Edit")
    await sam.press("How-to cues")
    edited = await sam.text("Sit back as if into a chair; knees over the toes.")
    assert (await jordan_exercises(sessions))[
        0
    ].notes != "Sit back as if into a chair; knees over the toes."
    assert "Update 1 client using it" in labels(edited)

    riley = User(router, riley_id)  # another trainer: not his client, nothing to update
    await riley.command("library", "mini squats")
    assert not any("Update" in label for label in labels(await riley.press("Mini squats")))

    done = await sam.press("Update 1 client using it")
    assert "Updated the name, cues and video for 1 client" in texts(done)
    [copy, _] = await jordan_exercises(sessions)
    assert copy.notes == "Sit back as if into a chair; knees over the toes." and copy.sets == 3
    assert "Update" not in " ".join(labels(done))
    async with sessions() as session:
        query = select(Outbox).where(Outbox.kind == "lib_changed_updated")
        assert [o.chat_id for o in (await session.exec(query)).all()] == [CLIENT.user_id]


async def test_mydata_has_the_phase_changes_and_deleteme_removes_them(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await apply_to_jordan(sam)
    jordan = User(router, CLIENT.user_id)
    [document] = [r for r in await jordan.command("mydata") if isinstance(r, Document)]
    exported = json.loads(document.content)
    [change] = exported["program"]["phase_changes"]
    assert change["to_phase"] == "strength" and change["template_name"] == "ACL phase 2"
    assert "changed_by" not in change and "library_id" not in exported["program"]["exercises"][0]
    await jordan.command("deleteme")
    await jordan.press("Delete everything")
    async with sessions() as session:
        assert (await session.exec(select(PhaseChange))).all() == []
        assert len((await session.exec(select(ProgramTemplate))).all()) == 1  # the centre's


async def test_a_forged_exercise_button_adds_nothing(router: Router) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("templates")
    await sam.press("New template")
    await sam.text("Forged")
    asked = await sam.press("rehab")
    assert "expired" in texts(await sam.press_data("~4:e99999"))
    assert "Pick at least one exercise" in texts(await sam.press("Save template", asked))


async def test_a_client_moved_to_another_trainer_is_out_of_reach_before_applying(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await sam.command("program", "Jordan")
    await sam.press("Apply template")
    await sam.press("ACL phase 2 (strength)")
    riley = await add_person(sessions, clock, 7002, "Riley", Role.TRAINER)
    jordan = await person_of(sessions, CLIENT.user_id)
    async with sessions() as session:
        profile = await session.get(ClientProfile, jordan.id)
        assert profile is not None
        profile.trainer_id = riley.id or 0
        session.add(profile)
        await session.commit()
    denied = texts(await sam.press("Yes, apply it"))
    assert "isn't on your list any more" in denied and "Applied" not in denied
    assert [e.name for e in await jordan_exercises(sessions)] == [
        "Quad sets",
        "Straight-leg raises",
        "Heel slides",
    ]
    async with sessions() as session:
        assert (await session.exec(select(PhaseChange))).all() == []


async def test_a_template_deleted_is_gone_and_clients_keep_what_they_got(
    router: Router, sessions: SessionFactory
) -> None:
    """A template saved by mistake could not be removed. Deleting asks first; the client's
    copies and their phase history (by the template's name) stay."""
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await apply_to_jordan(sam)
    await sam.command("templates")
    view = await sam.press("ACL phase 2 (strength)")
    assert "Delete template" in labels(view)
    asked = await sam.press("Delete template")
    assert "Delete the template ACL phase 2?" in texts(asked)
    kept = await sam.press("No, keep it")
    assert "ACL phase 2, strength phase:" in texts(kept)  # back to it, nothing deleted
    await sam.press("Delete template")
    gone = await sam.press("Yes, delete it")
    assert "Deleted the template ACL phase 2." in texts(gone)
    assert "ACL phase 2 (strength)" not in labels(gone)
    async with sessions() as session:
        assert (await session.exec(select(ProgramTemplate))).all() == []
        assert (await session.exec(select(TemplateItem))).all() == []
        changes = (await session.exec(select(PhaseChange))).all()
    assert [(c.template_id, c.template_name) for c in changes] == [(None, "ACL phase 2")]
    assert [e.name for e in await jordan_exercises(sessions)] == ["Mini squats", "Step-ups"]


async def _deleted_by_another_trainer(sessions: SessionFactory) -> None:
    """The only template, deleted by someone else while this trainer's view is open."""
    async with sessions() as session:
        saved = (await session.exec(select(ProgramTemplate))).one()
        await delete_template(Store(session), saved.id or 0)
        await session.commit()


async def test_a_template_deleted_meanwhile_is_not_deleted_twice(
    router: Router, sessions: SessionFactory
) -> None:
    """Two trainers on the same template: the second one's confirmation finds it gone and
    shows the list, instead of failing."""
    sam = User(router, TRAINER.user_id)
    await _made_and_opened(sam)
    asked = await sam.press("Delete template")
    await _deleted_by_another_trainer(sessions)
    late = await sam.press("Yes, delete it", asked)
    assert "Deleted" not in texts(late) and "New template" in labels(late)


async def test_a_templates_exercises_are_changed_in_place(
    router: Router, sessions: SessionFactory
) -> None:
    """Change exercises starts from the template's own; saving replaces its items and keeps
    its name, phase and id; a client who got it before keeps their copies."""
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await apply_to_jordan(sam)
    await sam.command("templates")
    await sam.press("ACL phase 2 (strength)")
    picking = await sam.press("Change exercises")
    assert "Chosen: Mini squats, Step-ups" in texts(picking)
    await sam.text("squat")
    await sam.press("✓ Mini squats")
    saved = await sam.press("Save template")
    assert "Saved ACL phase 2 with its new exercises." in texts(saved)
    async with sessions() as session:
        (kept,) = (await session.exec(select(ProgramTemplate))).all()
        store = Store(session)
        items = [entry_.name for _, entry_ in await items_of(store, kept.id or 0)]
    assert (kept.name, kept.phase, items) == ("ACL phase 2", "strength", ["Step-ups"])
    assert [e.name for e in await jordan_exercises(sessions)] == ["Mini squats", "Step-ups"]


async def test_a_new_template_after_viewing_one_leaves_that_one_alone(
    router: Router, sessions: SessionFactory
) -> None:
    """Viewing a template remembers it; starting a new one must not save over it."""
    sam = User(router, TRAINER.user_id)
    await _made_and_opened(sam)
    await sam.press("Back")
    assert "Saved Knee early with 1 exercise" in texts(await _knee_early(sam))
    async with sessions() as session:
        names = sorted(t.name for t in (await session.exec(select(ProgramTemplate))).all())
        store = Store(session)
        first = (
            await session.exec(
                select(ProgramTemplate).where(col(ProgramTemplate.name) == "ACL phase 2")
            )
        ).one()
        items = [entry_.name for _, entry_ in await items_of(store, first.id or 0)]
    assert names == ["ACL phase 2", "Knee early"] and items == ["Mini squats", "Step-ups"]


async def test_changes_to_a_template_deleted_meanwhile_are_not_saved(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id)
    await _made_and_opened(sam)
    picking = await sam.press("Change exercises")
    await _deleted_by_another_trainer(sessions)
    late = await sam.press("Save template", picking)
    assert "That template was deleted meanwhile: nothing saved." in texts(late)
    async with sessions() as session:
        assert (await session.exec(select(ProgramTemplate))).all() == []
        assert (await session.exec(select(TemplateItem))).all() == []


async def test_a_template_is_renamed_and_its_phase_changed(
    router: Router, sessions: SessionFactory
) -> None:
    """Rename and Change phase from the template's view; a client moved by it before keeps
    the name and phase their history recorded, a client it is applied to now gets the new."""
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await apply_to_jordan(sam)
    await sam.command("templates")
    await sam.press("ACL phase 2 (strength)")
    await sam.press("Rename")
    renamed = await sam.text("ACL late")
    assert "Renamed to ACL late." in texts(renamed) and "ACL late, strength phase" in texts(renamed)
    await sam.press("Change phase")
    moved = await sam.press("performance")
    assert "ACL late is now for the performance phase." in texts(moved)
    async with sessions() as session:
        (kept,) = (await session.exec(select(ProgramTemplate))).all()
        jordan = await person_of(sessions, CLIENT.user_id)
        [change] = await phase_changes(Store(session), jordan.id or 0)
    assert (kept.name, kept.name_key, kept.phase) == ("ACL late", "acl late", "performance")
    assert (change.template_name, change.to_phase) == ("ACL phase 2", "strength")
    await sam.command("program", "Jordan")
    await sam.press("Apply template")
    await sam.press("ACL late (performance)")
    applied = await sam.press("Yes, apply it")
    assert "Phase: performance" in texts(applied)


async def test_a_rename_to_another_templates_name_is_asked_again(
    router: Router, sessions: SessionFactory
) -> None:
    """Another template's name (in any capitals) is refused with the question again; its own
    in other capitals is fine; "Keep it as it is", pressed or typed, changes nothing."""
    sam = User(router, TRAINER.user_id)
    await make_template(sam)
    await sam.command("templates")
    await _knee_early(sam)
    await sam.command("templates")
    await sam.press("Knee early (rehab)")
    await sam.press("Rename")
    refused = await sam.text("acl PHASE 2")
    assert "already" in texts(refused).lower()
    assert "Renamed to Knee Early." in texts(await sam.text("Knee Early"))
    await sam.press("Rename")
    kept = await sam.press("Keep it as it is")
    assert "Knee Early, rehab phase" in texts(kept) and "Renamed" not in texts(kept)
    await sam.press("Rename")
    typed = await sam.text("keep it as it is")  # the button's label typed: kept too
    assert "Knee Early, rehab phase" in texts(typed) and "Renamed" not in texts(typed)
    await sam.press("Change phase")
    same = await sam.press("Keep it as it is")
    assert "Knee Early, rehab phase" in texts(same) and "now for" not in texts(same)
    async with sessions() as session:
        names = sorted(t.name for t in (await session.exec(select(ProgramTemplate))).all())
    assert names == ["ACL phase 2", "Knee Early"]


async def test_a_template_renamed_after_another_trainer_deleted_it_shows_the_list(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id)
    await _made_and_opened(sam)
    await sam.press("Rename")
    await _deleted_by_another_trainer(sessions)
    late = await sam.text("ACL late")
    assert "Renamed" not in texts(late) and "New template" in labels(late)
    async with sessions() as session:
        assert (await session.exec(select(ProgramTemplate))).all() == []
