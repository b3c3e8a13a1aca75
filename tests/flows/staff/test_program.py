"""The trainer's /program flow through the router, on a real SQLite file."""

from __future__ import annotations

from typing import get_args

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, CLIENT, TRAINER, seed_demo_centre
from flows.checkin.questions import OPTIONAL_QUESTIONS
from flows.engine.core import Reply, Send, Toast
from flows.router import Router
from flows.staff.program import MAX_EXERCISES, NONE_TEXTS, NoneChoice, parse_amount, parse_link
from storage.db import SessionFactory
from storage.models import ClientProfile, Conversation, Exercise, Person, Program, Role
from storage.programs import add_exercise, ensure_program, exercises_of, program_for
from storage.repo import Store
from tests.flows.harness import User, find_button, make_router, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


# -- helpers -----------------------------------------------------------------------------------
async def person_id(sessions: SessionFactory, user_id: int) -> int:
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == user_id)
        person = (await session.exec(query)).one()
    assert person.id is not None
    return person.id


async def program_of(sessions: SessionFactory, user_id: int) -> tuple[Program, list[Exercise]]:
    client_id = await person_id(sessions, user_id)
    async with sessions() as session:
        store = Store(session)
        program = await program_for(store, client_id)
        assert program is not None and program.id is not None
        return program, await exercises_of(store, program.id)


async def profile_of(sessions: SessionFactory, user_id: int) -> ClientProfile:
    client_id = await person_id(sessions, user_id)
    async with sessions() as session:
        profile = await session.get(ClientProfile, client_id)
    assert profile is not None
    return profile


async def add_person(
    sessions: SessionFactory,
    clock: FakeClock,
    user_id: int,
    name: str,
    role: Role,
    trainer_id: int | None = None,
    onboarded: bool = True,
) -> int:
    async with sessions() as session:
        person = Person(
            telegram_user_id=user_id,
            chat_id=user_id,
            role=role,
            name=name,
            timezone="Europe/London",
            created_at=clock.now(),
        )
        session.add(person)
        await session.flush()
        assert person.id is not None
        if role == Role.CLIENT and trainer_id is not None:
            session.add(
                ClientProfile(
                    person_id=person.id,
                    trainer_id=trainer_id,
                    post_op=False,
                    onboarded_at=clock.now() if onboarded else None,
                )
            )
        await session.commit()
        return person.id


def labels(replies: list[Reply]) -> list[str]:
    return [b.text for r in replies if isinstance(r, Send) for row in r.buttons for b in row]


async def open_jordan(router: Router) -> User:
    sam = User(router, TRAINER.user_id)
    picked = await sam.command("program")
    assert "Whose program" in texts(picked)
    screen = await sam.press("Jordan")
    assert "Program for Jordan" in texts(screen)
    return sam


# -- the demo program --------------------------------------------------------------------------
async def test_demo_client_has_a_program(router: Router, sessions: SessionFactory) -> None:
    program, exercises = await program_of(sessions, CLIENT.user_id)
    assert program.phase == "rehab"
    assert program.questions == list(OPTIONAL_QUESTIONS)
    assert program.updated_by == await person_id(sessions, TRAINER.user_id)
    assert [(e.position, e.name, e.sets, e.reps, e.seconds) for e in exercises] == [
        (1, "Quad sets", 3, 10, None),
        (2, "Straight-leg raises", 3, 10, None),
        (3, "Heel slides", 3, 15, None),
    ]
    assert [e.link is not None for e in exercises] == [False, True, False]
    screen = texts((await open_jordan(router)).last)
    assert "Phase: rehab" in screen and "Post-op: Yes" in screen
    assert "1. Quad sets: 3 x 10 reps" in screen
    assert "Link: https://www.merckmanuals.com/" in screen
    assert "always asked all five" in screen
    assert "surgeon's or physio's protocol" in screen


async def test_seeding_twice_adds_no_second_program(sessions: SessionFactory, clock: FakeClock):
    assert await seed_demo_centre(sessions, "Europe/London", clock.now())
    assert not await seed_demo_centre(sessions, "Europe/London", clock.now())
    async with sessions() as session:
        assert len((await session.exec(select(Program))).all()) == 1
        assert len((await session.exec(select(Exercise))).all()) == 3


# -- adding, editing, removing -----------------------------------------------------------------
async def test_trainer_adds_exercises_end_to_end(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    assert "What's the exercise called" in texts(await sam.press("Add exercise"))
    assert "How many sets of Wall sit" in texts(await sam.text("  Wall   sit "))
    await sam.press("3")
    assert "Add a video or instruction link" in texts(await sam.text("30 sec"))
    assert "Any notes for Wall sit" in texts(await sam.press("Skip"))
    done = texts(await sam.text("Back flat against the wall"))
    assert "Added Wall sit." in done
    assert "4. Wall sit: 3 x 30 s" in done and "Notes: Back flat against the wall" in done

    await sam.press("Add exercise")
    await sam.text("Step-ups")
    await sam.text("4")  # typed instead of a button
    await sam.text("12")
    await sam.text("https://example.com/step-ups")
    done = texts(await sam.press("Skip"))
    assert "5. Step-ups: 4 x 12 reps" in done and "Link: https://example.com/step-ups" in done

    program, exercises = await program_of(sessions, CLIENT.user_id)
    new = [(e.position, e.name, e.sets, e.reps, e.seconds, e.link, e.notes) for e in exercises[3:]]
    assert new == [
        (4, "Wall sit", 3, None, 30, None, "Back flat against the wall"),
        (5, "Step-ups", 4, 12, None, "https://example.com/step-ups", None),
    ]
    assert program.updated_by == await person_id(sessions, TRAINER.user_id)
    assert "All saved" in texts(await sam.press("Done"))
    async with sessions() as session:
        convo = await session.get(Conversation, TRAINER.user_id)
    assert convo is not None and convo.flow is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10", (10, None)),
        ("10 reps", (10, None)),
        ("30s", (None, 30)),
        ("30 sec", (None, 30)),
        ("45 seconds", (None, 45)),
        ("2 min", (None, 120)),
        ("100", (100, None)),
        ("600s", (None, 600)),
        ("0", None),
        ("101", None),
        ("4s", None),
        ("601 seconds", None),
        ("lots", None),
        ("3x10", None),
        ("", None),
    ],
)
def test_reps_or_seconds(typed: str, expected: tuple[int | None, int | None] | None) -> None:
    assert parse_amount(typed) == expected


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("https://example.com/v", True),
        ("http://youtu.be/abc", True),
        ("example.com", False),
        ("www.example.com/v", True),
        (" WWW.youtube.com/watch?v=1 ", True),
        ("www.", False),
        ("www.exa mple.com", False),
        ("ftp://example.com/x", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://localhost/x", False),
        ("https://example.com/" + "x" * 300, False),
    ],
)
def test_links(typed: str, ok: bool) -> None:
    assert (parse_link(typed) is not None) is ok


def test_a_www_link_is_stored_with_https() -> None:
    assert parse_link("www.example.com/v") == "https://www.example.com/v"
    assert parse_link("https://www.example.com/v") == "https://www.example.com/v"


async def test_trainer_edits_fields(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    await sam.press("Edit exercise")
    assert "What would you like to change about Straight-leg raises" in texts(
        await sam.press("2. Straight-leg raises")
    )
    await sam.press("Sets")
    edited = texts(await sam.text("4"))
    assert "Updated Straight-leg raises." in edited
    assert "2. Straight-leg raises: 4 x 10 reps" in edited

    await sam.press("Edit exercise")
    await sam.text("3")  # the exercise's number, typed
    await sam.press("Reps or seconds")
    assert "3. Heel slides: 3 x 45 s" in texts(await sam.text("45 seconds"))

    await sam.press("Edit exercise")
    await sam.press("2. Straight-leg raises")
    await sam.press("Link")
    await sam.press("No link")
    await sam.press("Edit exercise")
    await sam.press("Quad sets")
    await sam.press("Name")
    assert "Updated Quad sets (seated)." in texts(await sam.text("Quad sets (seated)"))

    _, exercises = await program_of(sessions, CLIENT.user_id)
    rows = [(e.name, e.sets, e.reps, e.seconds, e.link) for e in exercises]
    assert rows == [
        ("Quad sets (seated)", 3, 10, None, None),
        ("Straight-leg raises", 4, 10, None, None),
        ("Heel slides", 3, None, 45, None),
    ]


async def test_trainer_removes_an_exercise(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    await sam.press("Remove exercise")
    asked = texts(await sam.press("1. Quad sets"))
    assert "Remove Quad sets from Jordan's program?" in asked
    kept = texts(await sam.press("Keep it"))
    assert "1. Quad sets" in kept
    await sam.press("Remove exercise")
    await sam.press("1. Quad sets")
    removed = texts(await sam.press("Yes, remove it"))
    assert "Removed Quad sets." in removed
    assert "1. Straight-leg raises" in removed and "2. Heel slides" in removed
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert [(e.position, e.name) for e in exercises] == [
        (1, "Straight-leg raises"),
        (2, "Heel slides"),
    ]


async def test_back_returns_to_the_screen_without_changes(
    router: Router, sessions: SessionFactory
) -> None:
    sam = await open_jordan(router)
    await sam.press("Remove exercise")
    assert "Program for Jordan" in texts(await sam.press("Back"))
    await sam.press("Phase")
    assert "Program for Jordan" in texts(await sam.press("Back"))
    program, exercises = await program_of(sessions, CLIENT.user_id)
    assert program.phase == "rehab" and len(exercises) == 3


# -- phase, questions, post-op -----------------------------------------------------------------
async def test_phase_by_button_and_typed(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    await sam.press("Phase")
    assert "Phase: strength" in texts(await sam.press("strength"))
    assert (await program_of(sessions, CLIENT.user_id))[0].phase == "strength"
    await sam.press("Phase")
    assert "1 to 30 characters" in texts(await sam.text("x" * 31))
    assert "Phase set to Return to sport." in texts(await sam.text("Return to  sport"))
    assert (await program_of(sessions, CLIENT.user_id))[0].phase == "Return to sport"
    await sam.press("Phase")
    await sam.text("Performance")  # a button's label, typed
    assert (await program_of(sessions, CLIENT.user_id))[0].phase == "performance"


async def test_questions_are_toggled_and_saved(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    shown = await sam.press("Questions")
    assert "post-op, so they're asked all five anyway" in texts(shown)
    assert "Swelling (Q6): on" in labels(shown)
    toggled = await sam.press("Swelling (Q6)")
    assert "Swelling (Q6): off" in labels(toggled)
    await sam.press("Night pain (Q7)")
    program, _ = await program_of(sessions, CLIENT.user_id)
    assert program.questions == ["morning", "stiffness", "confidence"]
    again = await sam.press("Swelling (Q6)")
    assert "Swelling (Q6): on" in labels(again)
    screen = texts(await sam.press("Done"))
    assert "Optional questions: Next morning (Q4), Morning stiffness (Q5), Swelling (Q6)" in screen
    program, _ = await program_of(sessions, CLIENT.user_id)
    assert program.questions == ["morning", "stiffness", "swelling", "confidence"]


async def test_post_op_is_toggled(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    off = await sam.press("Post-op: turn off")
    assert "Jordan is no longer marked post-op." in texts(off)
    assert "Post-op: No" in texts(off) and "always asked all five" not in texts(off)
    assert (await profile_of(sessions, CLIENT.user_id)).post_op is False
    on = await sam.press("Post-op: turn on")
    assert "Jordan is now marked post-op" in texts(on)
    assert (await profile_of(sessions, CLIENT.user_id)).post_op is True


async def test_the_clinician_contact_is_set_and_cleared(
    router: Router, sessions: SessionFactory
) -> None:
    sam = await open_jordan(router)
    assert "Clinician: not on file" in texts(sam.last)
    asked = await sam.press("Clinician contact")
    assert "physio, surgeon or doctor" in texts(asked)
    assert "up to 200 characters" in texts(await sam.text("x" * 201))
    assert "up to 200 characters" in texts(await sam.text("ok"))
    done = await sam.text("  Dr Lee,   Riverside Physio, 020 7946 0000 ")
    assert "Clinician: Dr Lee, Riverside Physio, 020 7946 0000" in texts(done)
    profile = await profile_of(sessions, CLIENT.user_id)
    assert profile.clinician == "Dr Lee, Riverside Physio, 020 7946 0000"
    await sam.press("Clinician contact")
    assert "Clinician: not on file" in texts(await sam.press("Clear it"))
    assert (await profile_of(sessions, CLIENT.user_id)).clinician is None


# -- bad input ---------------------------------------------------------------------------------
async def test_bad_inputs_ask_again(router: Router, sessions: SessionFactory) -> None:
    sam = await open_jordan(router)
    await sam.press("Add exercise")
    long_name = texts(await sam.text("x" * 61))
    assert "1 to 60 characters" in long_name and "What's the exercise called" in long_name
    await sam.text("Bridges")
    for typed in ("0", "11", "abc", "2.5"):
        again = texts(await sam.text(typed))
        assert "from 1 to 10" in again and "How many sets of Bridges" in again
    await sam.text("2")
    for typed in ("lots", "0", "700s"):
        again = texts(await sam.text(typed))
        assert "reps from 1 to 100" in again and "How many per set" in again
    await sam.text("12")
    for typed in ("not a link", "ftp://example.com/v", "example.com"):
        again = texts(await sam.text(typed))
        assert "doesn't look like a web link" in again and "Add a video" in again
    await sam.press("Skip")
    assert "200 characters or fewer" in texts(await sam.text("n" * 201))
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert len(exercises) == 3  # nothing added until the last answer
    assert "Added Bridges." in texts(await sam.text("Squeeze the glutes at the top"))
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert [(e.name, e.sets, e.reps) for e in exercises[3:]] == [("Bridges", 2, 12)]


async def test_free_text_on_the_screen_and_cancel(router: Router, sessions: SessionFactory):
    sam = await open_jordan(router)
    again = texts(await sam.text("banana"))
    assert "tap one of the buttons" in again and "Program for Jordan" in again
    await sam.press("Add exercise")
    await sam.text("Lunges")
    assert "stopped" in texts(await sam.command("cancel"))
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert [e.name for e in exercises] == ["Quad sets", "Straight-leg raises", "Heel slides"]


async def test_twelve_exercises_at_most(router: Router, sessions: SessionFactory, clock: FakeClock):
    client_id = await person_id(sessions, CLIENT.user_id)
    async with sessions() as session:
        store = Store(session)
        program = await ensure_program(store, client_id, clock.now())
        for n in range(MAX_EXERCISES - 3):
            await add_exercise(store, program, name=f"Extra {n}", sets=2, reps=8, now=clock.now())
        await session.commit()
    sam = await open_jordan(router)
    refused = texts(await sam.press("Add exercise"))
    assert "already has 12 exercises" in refused and "Program for Jordan" in refused
    assert "12. Extra 8: 2 x 8 reps" in refused
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert len(exercises) == MAX_EXERCISES


async def test_the_limit_holds_when_another_change_filled_the_program(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = await open_jordan(router)
    await sam.press("Add exercise")
    await sam.text("Calf raises")
    await sam.text("3")
    await sam.text("15")
    await sam.press("Skip")
    client_id = await person_id(sessions, CLIENT.user_id)
    async with sessions() as session:  # meanwhile, someone else fills the program
        store = Store(session)
        program = await ensure_program(store, client_id, clock.now())
        for n in range(MAX_EXERCISES - 3):
            await add_exercise(store, program, name=f"Extra {n}", sets=2, reps=8, now=clock.now())
        await session.commit()
    assert "already has 12 exercises" in texts(await sam.press("Skip"))
    _, exercises = await program_of(sessions, CLIENT.user_id)
    assert len(exercises) == MAX_EXERCISES and "Calf raises" not in [e.name for e in exercises]


# -- who may see what --------------------------------------------------------------------------
async def test_another_trainer_cannot_reach_the_demo_client(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley_id = await add_person(sessions, clock, 5001, "Riley", Role.TRAINER)
    await add_person(sessions, clock, 5002, "Kim", Role.CLIENT, trainer_id=riley_id)
    jordan_id = await person_id(sessions, CLIENT.user_id)
    riley = User(router, 5001)
    listed = await riley.command("program")
    assert labels(listed) == ["Kim"]
    assert "Jordan" not in texts(listed)
    typed = texts(await riley.text("Jordan"))
    assert "couldn't find a client by that name" in typed and "Jordan" not in labels(riley.last)
    assert "Program for" not in texts(await riley.command("program", "Jordan"))
    # a forged button for the current question, naming Jordan
    question = riley.last
    kim = find_button(question, "Kim").data
    assert kim is not None
    forged = await riley.press_data(kim.rsplit(":", 1)[0] + f":c{jordan_id}")
    assert "expired" in texts(forged) and "Program for" not in texts(forged)
    assert "Program for Kim" in texts(await riley.press("Kim", question))  # it still stands
    # a stale button from an earlier message
    stale = await riley.press("Kim", listed)
    assert stale == [Toast("This button has expired. Please use the latest message.")]
    program, exercises = await program_of(sessions, CLIENT.user_id)
    assert program.phase == "rehab" and len(exercises) == 3


async def test_a_client_moved_to_another_trainer_is_out_of_reach_at_once(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    sam = await open_jordan(router)
    riley_id = await add_person(sessions, clock, 5001, "Riley", Role.TRAINER)
    jordan_id = await person_id(sessions, CLIENT.user_id)
    async with sessions() as session:  # an admin reassigns Jordan mid-way
        profile = await session.get(ClientProfile, jordan_id)
        assert profile is not None
        profile.trainer_id = riley_id
        session.add(profile)
        await session.commit()
    denied = texts(await sam.press("Phase"))
    assert "isn't on your list any more" in denied and "Program for" not in denied
    assert "nothing to cancel" in texts(await sam.command("cancel"))
    assert (await program_of(sessions, CLIENT.user_id))[0].phase == "rehab"


async def test_a_trainer_without_clients_is_pointed_to_invite(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await add_person(sessions, clock, 5001, "Riley", Role.TRAINER)
    riley = User(router, 5001)
    assert "/invite" in texts(await riley.command("program"))
    assert "expired" in texts(await riley.press_data("~1:c3"))


async def test_clients_get_their_own_program_not_the_editor(router: Router) -> None:
    shown = texts(await User(router, CLIENT.user_id).command("program"))
    assert "Your program" in shown and "Program for" not in shown


async def test_admin_sees_and_edits_every_client(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley_id = await add_person(sessions, clock, 5001, "Riley", Role.TRAINER)
    await add_person(sessions, clock, 5002, "Kim", Role.CLIENT, trainer_id=riley_id)
    await add_person(
        sessions, clock, 5003, "Lee", Role.CLIENT, trainer_id=riley_id, onboarded=False
    )
    admin = User(router, ADMIN.user_id)
    assert labels(await admin.command("program")) == ["Jordan", "Kim", "Lee (joining)"]
    screen = texts(await admin.text("kim"))
    assert "Program for Kim" in screen and "Exercises:\nNone yet" in screen
    await admin.press("Phase")
    await admin.press("strength")
    program, exercises = await program_of(sessions, 5002)
    assert (program.phase, exercises) == ("strength", [])
    assert program.updated_by == await person_id(sessions, ADMIN.user_id)


async def test_clients_are_paged_past_eight(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    riley_id = await add_person(sessions, clock, 5001, "Riley", Role.TRAINER)
    for n in range(1, 11):
        await add_person(sessions, clock, 5100 + n, f"Client {n:02d}", Role.CLIENT, riley_id)
    riley = User(router, 5001)
    first = await riley.command("program")
    assert labels(first) == [f"Client {n:02d}" for n in range(1, 9)] + ["Next ›"]
    assert "Page 1 of 2" in texts(first)
    second = await riley.press("Next")
    assert labels(second) == ["Client 09", "Client 10", "‹ Previous"]
    assert "Page 2 of 2" in texts(second)
    assert labels(await riley.text("previous"))[-1] == "Next ›"
    screen = texts(await riley.text("client 10"))  # typed: a client on another page
    assert "Program for Client 10" in screen


def test_every_way_to_leave_a_field_empty_has_its_button() -> None:
    assert set(NONE_TEXTS) == set(get_args(NoneChoice))
