"""The engine's rule for question buttons ("~<version>:<value>"): a pressed value must be one
the current question offered, checked once for every flow; a zone is stored by its IANA name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import ADMIN, TRAINER, seed_demo_centre
from flows.account.onboarding import answer_timezone
from flows.engine.conversation import Answer, Context, parse_state_payload
from flows.engine.core import Event, EventKind, Reply, Toast
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Conversation, Person
from tests.flows.checkin.test_checkin import CLIENT_ID, make_client
from tests.flows.harness import BOT, User, find_button, make_router, texts

EXPIRED = [Toast("This button has expired. Please use the latest message.")]


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


async def _invited(
    router: Router, inviter: int, name: str, user_id: int
) -> tuple[User, list[Reply]]:
    """A new person who opened `inviter`'s invite link, and the first question they got."""
    staff = User(router, inviter)
    await staff.command("invite")
    code = texts(await staff.text(name)).rsplit("Invite code: ", 1)[1].strip()
    newbie = User(router, user_id, name)
    return newbie, await newbie.command("start", code)


def _forged(question: list[Reply], label: str, value: str) -> str:
    """The payload of `label`'s button on `question`, with another value: the right version."""
    data = find_button(question, label).data
    assert data is not None and data.startswith("~")
    return data.partition(":")[0] + ":" + value


async def _person(sessions: SessionFactory, user_id: int) -> Person:
    async with sessions() as session:
        query = select(Person).where(Person.telegram_user_id == user_id)
        return (await session.exec(query)).one()


async def _conversation(sessions: SessionFactory, user_id: int) -> Conversation:
    async with sessions() as session:
        found = await session.get(Conversation, user_id)
        assert found is not None
        return found


async def test_a_forged_value_for_the_current_question_is_refused_and_stores_nothing(
    router: Router, sessions: SessionFactory
) -> None:
    """Safety issue 2a: "~<version>:london" stored "london" as the zone. Now a value the time
    zone question didn't offer (even a real zone, like Paris) is "expired" and nothing moves."""
    riley, question = await _invited(router, ADMIN.user_id, "Riley", 7100)
    assert "time zone" in texts(question)
    before = await _conversation(sessions, 7100)
    for value in ("london", "Europe/Paris", "Atlantis", "Europe/London "):
        assert await riley.press_data(_forged(question, "London", value)) == EXPIRED, value
    assert (await _person(sessions, 7100)).timezone is None
    after = await _conversation(sessions, 7100)
    assert (after.step, after.version, after.offered) == (
        before.step,
        before.version,
        before.offered,
    )
    assert "All set, Riley" in texts(await riley.press("London", question))
    assert (await _person(sessions, 7100)).timezone == "Europe/London"


async def test_a_typed_zone_is_stored_by_its_iana_name(
    router: Router, sessions: SessionFactory
) -> None:
    riley, _ = await _invited(router, ADMIN.user_id, "Riley", 7100)
    assert "All set, Riley" in texts(await riley.text("london"))
    assert (await _person(sessions, 7100)).timezone == "Europe/London"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("london", "Europe/London"), ("europe/london", "Europe/London"), ("utc", "UTC")],
)
def test_a_zone_is_stored_by_its_iana_name_however_it_came(given: str, stored: str) -> None:
    """Behind the engine's check too: the step stores find_timezone's name, never the value."""
    event = Event(update_id=1, user_id=1, chat_id=1, kind=EventKind.BUTTON)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ctx = Context(event, now, BOT, None, Conversation(chat_id=1, user_id=1, updated_at=now), None)  # type: ignore[arg-type]
    assert answer_timezone(ctx, Answer(choice=given)) == stored
    assert answer_timezone(ctx, Answer(text=given)) == stored


async def test_moving_on_withdraws_the_earlier_questions_values(
    router: Router, sessions: SessionFactory
) -> None:
    """ "more" was offered at consent; at the clearance question it is no answer at all."""
    fay, consent = await _invited(router, TRAINER.user_id, "Fay", 7500)
    clearance = await fay.press("I agree", consent)
    assert await fay.press_data(_forged(clearance, "Not yet", "more")) == EXPIRED
    assert (await _conversation(sessions, 7500)).step == "clearance"
    assert sorted((await _conversation(sessions, 7500)).offered) == ["no", "yes"]


async def test_a_hint_keeps_the_questions_buttons_and_cancel_clears_them(
    router: Router, sessions: SessionFactory
) -> None:
    eve, consent = await _invited(router, TRAINER.user_id, "Eve", 7400)
    hinted = await eve.text("banana")  # the same question again, same version
    assert "tap one of the buttons" in texts(hinted)
    assert "cleared you" in texts(await eve.press("I agree", consent))  # the first one still works
    await eve.command("help")  # asked again too
    assert sorted((await _conversation(sessions, 7400)).offered) == ["no", "yes"]
    await eve.command("cancel")
    assert (await _conversation(sessions, 7400)).offered == []


async def test_the_version_is_read_strictly(router: Router, sessions: SessionFactory) -> None:
    riley, question = await _invited(router, ADMIN.user_id, "Riley", 7100)
    data = find_button(question, "London").data
    assert data is not None
    version, _, value = data[1:].partition(":")
    for forged in (
        f"~0{version}:{value}",
        f"~ {version}:{value}",
        f"~{version}²:{value}",
        f"~{'9' * 25}:{value}",
        f"~{version}:",
        f"~{version}",
        f"~-{version}:{value}",
    ):
        assert parse_state_payload(forged) is None, forged
        assert await riley.press_data(forged) == EXPIRED, forged
    assert parse_state_payload(data) == (int(version), value)
    assert (await _person(sessions, 7100)).timezone is None


async def test_a_button_only_where_it_is_shown(
    router: Router, sessions: SessionFactory, clock: FakeClock
) -> None:
    """The check-in's "something worrying" button isn't on the note question, so pressing it
    there (forged) opens no red-flag screen."""
    await make_client(sessions, clock)
    pat = User(router, CLIENT_ID, "Pat")
    await pat.command("checkin")
    await pat.press("2")
    for label in ("Done", "Done", "1"):
        await pat.press(label)
    note = pat.last
    assert "Anything else" in texts(note)
    assert await pat.press_data(_forged(note, "Skip", "worry")) == EXPIRED
    assert "Green" in texts(await pat.press("Skip", note))
