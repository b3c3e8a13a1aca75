"""What people type, however odd: Unicode digits and huge numbers get the question's own hint (never
the generic error, nothing stored); names with no visible letter are refused; bidi controls never
reach the person who reads a message."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.engine.core import Event, EventKind, Reply, Send
from flows.engine.sanitize import clean_label, visible, without_bidi_controls
from flows.engine.texts import t
from flows.router import Router
from flows.staff.invite import clean_name
from flows.staff.program import parse_link
from storage.db import SessionFactory
from storage.models import Checkin, Exercise, Invite, Outbox, Pause, Program
from tests.flows.checkin.test_checkin import CLIENT_ID, make_client
from tests.flows.harness import User, make_router, person_of, texts

ODD_NUMBERS = ["²", "٣", "１２", "1234567890123456789012345"]
"""A superscript, an Arabic-Indic and a full-width digit, and a number past any column."""

INVISIBLE = ["\u200b\u200c\u200d", "\u202e\u2066\u2069", "\ufeff \u2060", "\u3164", "\u200e!"]
"""Zero-width space/joiners, bidi override and isolates, BOM and word joiner, a Hangul filler,
and a mark with only punctuation: nothing anyone could read as a name."""

RLO, PDI = "\u202e", "\u2069"
HIDDEN = "\u200b\u2066\ufeff"  # a zero-width space, a bidi isolate, a BOM


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def asked_again(replies: list[Reply], hint: str, question: str) -> bool:
    """The step's own hint and its question again, and not the generic apology."""
    body = texts(replies)
    return hint in body and question in body and t("error") not in body


async def rows(sessions: SessionFactory, model: type[Any]) -> list[Any]:
    async with sessions() as session:
        return list((await session.exec(select(model))).all())


# -- numbers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_checkin_scores_and_sets(
    router: Router, sessions: SessionFactory, clock: FakeClock, odd: str
) -> None:
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    assert asked_again(await pat.text(odd), "from 0 to 10", "pain right now")
    await pat.text("2")
    await pat.press("Partly")
    assert asked_again(await pat.text(odd), "from 1 to 2", "How many of the 3 sets")
    await pat.text("1")
    await pat.press("Done")
    assert asked_again(await pat.text(odd), "from 0 to 10", "during the exercises")
    assert await rows(sessions, Checkin) == []


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_pause_days(
    router: Router, sessions: SessionFactory, clock: FakeClock, odd: str
) -> None:
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    assert asked_again(await pat.command("pause", odd), "1 to 60", "For how long")
    assert asked_again(await pat.text(odd), "1 to 60", "For how long")
    assert asked_again(await pat.command("pause", f"{odd} weeks"), "1 to 60", "For how long")
    assert await rows(sessions, Pause) == []


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_program_sets_and_amounts(router: Router, sessions: SessionFactory, odd: str) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("program", "Jordan")
    await sam.press("Add exercise")
    await sam.text("Wall sit")
    assert asked_again(await sam.text(odd), "sets from 1 to 10", "How many sets of Wall sit")
    await sam.text("3")
    for amount in (odd, f"{odd}s", f"{odd} min"):
        assert asked_again(await sam.text(amount), "reps from 1 to 100", "How many per set")
    assert len(await rows(sessions, Exercise)) == 3  # the demo program's, nothing added


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_availability_hours_dates_and_values(router: Router, odd: str) -> None:
    sam = User(router, TRAINER.user_id)
    before = texts(await sam.command("availability"))
    await sam.press("Weekly hours")
    await sam.press("Sat")
    for hours in (odd, f"{odd}-12", f"09:00-{odd}:00"):
        assert asked_again(await sam.text(hours), "like 09:00-12:00", "consult hours for Sat")
    await sam.text("off")
    await sam.press("Length")
    assert asked_again(await sam.text(odd), "tap one of the buttons", "How long")
    await sam.press("30")
    await sam.press("Blocked dates")
    for day in (odd, f"{odd} Dec", f"Dec {odd}", f"2026-12-{odd}"):
        assert asked_again(await sam.text(day), "like 24 Dec", "Type a date")
    after = await sam.press("Back")
    assert [r.text for r in after if isinstance(r, Send)] == [before]  # nothing changed


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_booking_and_onboarding_times(router: Router, odd: str) -> None:
    visitor = User(router, 5100, "Vera")
    await visitor.command("start")
    await visitor.press("Vera")
    await visitor.text("Run again")
    await visitor.press("Sam")
    await visitor.press("No")
    await visitor.press("None of these")
    await visitor.press("India")
    assert asked_again(await visitor.text(odd), "tap one of the times", "Free times on")

    code = await _invite_code(router, "Ola")
    ola = User(router, 5200, "Ola")
    await ola.command("start", code)
    for answer in ("I agree", "Yes, I'm cleared"):
        await ola.press(answer)
    await ola.text("knee")
    await ola.press("No")
    await ola.press("London")
    assert asked_again(await ola.text(odd), "like 7:30", "short check-in")


async def _invite_code(router: Router, name: str) -> str:
    sam = User(router, TRAINER.user_id)
    await sam.command("invite")
    return texts(await sam.text(name)).rsplit("Invite code: ", 1)[1].strip()


# -- names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", INVISIBLE)
def test_clean_label_refuses_what_nobody_could_read(typed: str) -> None:
    assert clean_label(typed, 64) is None
    assert clean_name(typed) is None  # /invite and `mendbot invite`


def test_clean_label_keeps_the_name_and_drops_the_invisible() -> None:
    assert clean_label(f" Ann\u200b {RLO}Lee{PDI}\ufeff ", 64) == "Ann Lee"
    assert clean_label("Zoë  O'Neil\nSmith", 64) == "Zoë O'Neil Smith"
    assert clean_label("ab", 1) is None


@pytest.mark.parametrize("hidden", ["\u200b", RLO, "\u2066", "\ufeff", "\x07"])
def test_an_exercise_link_with_hidden_characters_is_refused(hidden: str) -> None:
    assert parse_link("https://example.com/video") == "https://example.com/video"
    assert parse_link(f"https://example.com/{hidden}oediv") is None


@pytest.mark.parametrize("typed", INVISIBLE)
async def test_invite_names(router: Router, sessions: SessionFactory, typed: str) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("invite")
    assert asked_again(await sam.text(typed), "with at least one letter", "client's name")
    assert "Here's the invite for Anna Lee" in texts(await sam.text(f"Anna{RLO} Lee{HIDDEN}"))
    [invite] = await rows(sessions, Invite)
    assert invite.name == "Anna Lee"


@pytest.mark.parametrize("typed", INVISIBLE)
async def test_visitor_names(router: Router, sessions: SessionFactory, typed: str) -> None:
    visitor = User(router, 5300, typed)  # their Telegram first name is invisible too
    asked = await visitor.command("book")
    assert "first name" in texts(asked)
    assert not [r for r in asked if isinstance(r, Send) and r.buttons]  # no button to tap it
    assert asked_again(await visitor.text(typed), "your first name", "first name")
    assert "Vera" in texts(await visitor.text(f"{RLO}Vera{HIDDEN}"))
    await visitor.text("Run again")
    await visitor.press("Sam")
    await visitor.press("No")
    await visitor.press("None of these")
    await visitor.press("India")
    await visitor.press("14:30")
    await visitor.text("Skip")
    await visitor.press("Yes, book it")
    assert (await person_of(sessions, 5300)).name == "Vera"


@pytest.mark.parametrize("typed", INVISIBLE)
async def test_exercise_phase_and_clinician_names(
    router: Router, sessions: SessionFactory, typed: str
) -> None:
    sam = User(router, TRAINER.user_id)
    await sam.command("program", "Jordan")
    await sam.press("Add exercise")
    assert asked_again(await sam.text(typed), "with at least one letter", "exercise called")
    await sam.command("program", "Jordan")
    await sam.press("Phase")
    assert asked_again(await sam.text(typed), "phase name of 1 to 30", "Which phase")
    await sam.press("Back")
    await sam.press("Clinician contact")
    assert asked_again(await sam.text(typed * 3), "name and a phone number", "physio, surgeon")
    program = (await rows(sessions, Program))[0]
    assert program.phase == "rehab" and len(await rows(sessions, Exercise)) == 3


# -- free text, passed on as written -------------------------------------------------------------
def test_events_carry_no_bidi_controls() -> None:
    event = Event(
        update_id=1,
        user_id=1,
        chat_id=1,
        kind=EventKind.TEXT,
        text=f"{RLO}gnp.exe and \u2066isolated\u2069 \u202aembedded\u202c",
        first_name=f"Eve{RLO}",
    )
    assert event.text == "gnp.exe and isolated embedded"
    assert event.first_name == "Eve"
    assert without_bidi_controls("שלום\u200f ok") == "שלום\u200f ok"  # marks are harmless


async def test_the_intake_reaches_the_trainer_without_bidi_controls(
    router: Router, sessions: SessionFactory
) -> None:
    visitor = User(router, 5400, "Vera")
    await visitor.command("book")
    await visitor.press("Vera")
    await visitor.text(f"Run {RLO}again")
    await visitor.press("Sam")
    await visitor.text(f"ankle{RLO} sprain \u2066ok{PDI}")
    await visitor.press("None of these")
    await visitor.press("Yes, I'm cleared")
    await visitor.press("India")
    await visitor.press("14:30")
    await visitor.text("Skip")
    await visitor.press("Yes, book it")
    [told] = [o for o in await rows(sessions, Outbox) if o.kind == "bk_trainer_booked"]
    assert "Run again" in told.text and "ankle sprain ok" in told.text


async def test_a_checkin_note_and_a_relayed_message_carry_no_bidi_controls(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    await pat.text(f"knee {RLO}better{PDI} today")
    [checkin] = await rows(sessions, Checkin)
    assert checkin.note == "knee better today"

    jordan = await person_of(sessions, CLIENT.user_id)
    sam = User(router, TRAINER.user_id)
    await sam.press_data(f"msg:{jordan.id}", "Message client")
    await sam.text(f"Call me {RLO}at 5")
    async with sessions() as session:
        query = select(Outbox).where(Outbox.chat_id == CLIENT.user_id).order_by(col(Outbox.id))
        relayed = (await session.exec(query)).all()[-1]
    assert relayed.text.endswith("Call me at 5")


@pytest.mark.parametrize("blank", [text for text in INVISIBLE if visible(text) is False])
async def test_a_note_or_message_with_nothing_visible_is_asked_again(
    router: Router, sessions: SessionFactory, clock: FakeClock, blank: str
) -> None:
    """Zero-width characters alone would reach the trainer as an empty-looking note."""
    await make_client(sessions, clock, sets=())
    pat = User(router, CLIENT_ID)
    await pat.command("checkin")
    await pat.press("2")
    replies = await pat.text(blank)
    assert asked_again(replies, t("ci_note_hint"), t("ci_note"))
    assert all(checkin.note is None for checkin in await rows(sessions, Checkin))

    jordan = await person_of(sessions, CLIENT.user_id)
    sam = User(router, TRAINER.user_id)
    await sam.press_data(f"msg:{jordan.id}", "Message client")
    before = len(await rows(sessions, Outbox))
    assert t("relay_empty") in texts(await sam.text(blank))
    assert len(await rows(sessions, Outbox)) == before


def test_visible_text() -> None:
    assert visible("ok") and visible("\u200e!") and visible(" 5 ")
    assert not any(visible(text) for text in ("", "  ", "\u200b\u200c", "\u3164", "\ufeff \u2060"))
