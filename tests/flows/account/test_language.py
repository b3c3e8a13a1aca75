"""/language, a person's language from Telegram's language_code, and a trainer setting a client's
in /program: the texts, the command menu and what is stored follow it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlmodel import select

from bot.clock import FakeClock
from bot.demo import CLIENT, TRAINER, seed_demo_centre
from flows.account.onboarding import ZONE_NAMES
from flows.engine.core import Menu
from flows.engine.localtime import COMMON_ZONES
from flows.engine.menu import VISITOR, commands_for
from flows.engine.texts import t
from flows.router import Router
from storage.db import SessionFactory
from storage.models import Conversation, Outbox, Role
from tests.flows.harness import User, make_router, person_of, texts


@pytest.fixture
async def router(sessions: SessionFactory, clock: FakeClock) -> Router:
    await seed_demo_centre(sessions, "Europe/London", clock.now())
    return make_router(sessions, clock)


def _menu(replies: Sequence[object]) -> Menu:
    [menu] = [r for r in replies if isinstance(r, Menu)]
    return menu


@pytest.mark.parametrize(
    ("code", "locale"),
    [("es", "es"), ("es-MX", "es"), ("en-US", "en"), ("pt-BR", "en"), ("", "en")],
)
async def test_a_visitor_is_answered_in_their_telegram_language(
    router: Router, code: str, locale: str
) -> None:
    visitor = User(router, 5001, "Lucía", language_code=code)
    assert texts(await visitor.text("hola")) == t("visitor_welcome", locale, name="Lucía")


async def test_a_visitor_who_books_is_stored_in_their_telegram_language(
    router: Router, sessions: SessionFactory
) -> None:
    lucia = User(router, 5002, "Lucía", language_code="es-AR")
    assert "¿Cuál es tu nombre?" in texts(await lucia.command("book"))
    await lucia.press("Lucía")
    await lucia.text("Volver a correr")
    await lucia.press("Cualquier entrenador")
    await lucia.press("No")
    assert "zona horaria" in texts(await lucia.press("Ninguna de estas"))
    assert "Horas libres el" in texts(await lucia.press("Londres"))
    await lucia.press(":")  # the first free time
    assert (await person_of(sessions, 5002)).locale == "es"


async def test_a_visitor_chooses_a_language_before_they_exist_and_it_sticks(
    router: Router, sessions: SessionFactory
) -> None:
    visitor = User(router, 5003, "Ana", language_code="en")
    asked = await visitor.command("language")
    assert [b.text for row in asked[-1].buttons for b in row] == ["English", "Español"]  # type: ignore[union-attr]
    done = await visitor.press("Español")
    assert t("language_set", "es") in texts(done)
    assert _menu(done).commands == commands_for(VISITOR, "es")
    async with sessions() as session:
        convo = (await session.exec(select(Conversation).where(Conversation.chat_id == 5003))).one()
        assert convo.locale == "es"
    assert texts(await visitor.text("hola")) == t("visitor_welcome", "es", name="Ana")


async def test_a_client_switches_with_an_argument_and_typed_answers_are_checked(
    router: Router, sessions: SessionFactory
) -> None:
    jordan = User(router, CLIENT.user_id, "Jordan")
    done = await jordan.command("language", "es")
    assert texts(done) == t("language_set", "es")
    assert _menu(done).commands == commands_for(Role.CLIENT, "es")
    assert (await person_of(sessions, CLIENT.user_id)).locale == "es"
    await jordan.command("language")
    again = await jordan.text("klingon")
    assert t("language_bad", "es") in texts(again) and t("language_ask", "es") in texts(again)
    assert texts(await jordan.text("english")) == t("language_set", "en")
    assert (await person_of(sessions, CLIENT.user_id)).locale == "en"


async def test_a_trainer_sets_a_clients_language_and_the_client_is_told_in_it(
    router: Router, sessions: SessionFactory
) -> None:
    sam = User(router, TRAINER.user_id, "Sam")
    await sam.command("program", "Jordan")
    asked = await sam.press("Language: English")
    assert t("program_ask_language", "en", client="Jordan") in texts(asked)
    done = await sam.press("Español")
    assert t("program_language_set", "en", client="Jordan", language="Español") in texts(done)
    assert "Language: Español" in [b.text for row in done[-1].buttons for b in row]  # type: ignore[union-attr]
    assert (await person_of(sessions, CLIENT.user_id)).locale == "es"
    async with sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.chat_id == CLIENT.user_id))).all()
    assert [r.text for r in rows] == [t("language_set_by_trainer", "es", language="Español")]


async def test_after_a_trainer_changed_it_the_clients_next_update_redoes_their_menu(
    router: Router,
) -> None:
    sam = User(router, TRAINER.user_id, "Sam")
    await sam.command("program", "Jordan")
    await sam.press("Language: English")
    await sam.press("Español")
    jordan = User(router, CLIENT.user_id, "Jordan")
    first = await jordan.text("hola")
    assert texts(first) == t("not_understood", "es")
    assert _menu(first).commands == commands_for(Role.CLIENT, "es")
    assert not [r for r in await jordan.text("hola") if isinstance(r, Menu)]  # once is enough


def test_the_time_zone_buttons_name_places_in_each_language() -> None:
    assert {zone for _, zone in COMMON_ZONES} == set(ZONE_NAMES)
    assert [t(ZONE_NAMES[zone], "en") for _, zone in COMMON_ZONES] == [
        label for label, _ in COMMON_ZONES
    ]
    assert t(ZONE_NAMES["Europe/London"], "es") == "Londres"
