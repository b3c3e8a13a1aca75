"""mendbot in Spanish end to end, through the sandbox: a check-in, an emergency, the alert to an
English-speaking trainer and a booking, with no English text reaching the Spanish speaker."""

from __future__ import annotations

import asyncio
import re
import string
from functools import cache
from typing import Any

import httpx

from bot.demo import DEMO_EXERCISES
from bot.sandbox.driver import ChatUser
from bot.sandbox.server import SandboxServer
from flows.engine.menu import commands_for
from flows.engine.texts import catalog
from storage.models import Role

from .conftest import StartBot

MIN_FRAGMENT = 4  # letters; shorter English words ("No", "OK") are Spanish too
TYPED_BY_THE_TRAINER = tuple(  # bot.demo's program: names and how-to, the trainer's words
    str(exercise[field]) for exercise in DEMO_EXERCISES for field in ("name", "notes")
)


@cache
def english_fragments() -> tuple[re.Pattern[str], ...]:
    """The literal words of every English text that Spanish says differently, as whole-word
    patterns (the parts between placeholders: a name or a time is not English)."""
    english, spanish = catalog("en"), catalog("es")
    found: set[str] = set()
    for key, text in english.items():
        if spanish.get(key) == text:
            continue  # "English", "15-30 min", "{n}. {name}{statuses}": the same in both
        for literal, *_ in string.Formatter().parse(text):
            for part in literal.splitlines():
                part = part.strip(" \t.,:;!?()»•·-–")
                if sum(c.isalpha() for c in part) >= MIN_FRAGMENT:
                    found.add(part)
    return tuple(re.compile(rf"(?<!\w){re.escape(f)}(?!\w)") for f in sorted(found))


def english_in(texts: list[str]) -> list[tuple[str, str]]:
    """(English fragment, the text it was found in) for every hit; what the trainer typed
    (exercise names, how-to cues) is theirs, not ours, and left out."""
    hits = []
    for text in texts:
        ours = text
        for words in TYPED_BY_THE_TRAINER:
            ours = ours.replace(words, "")
        hits += [(p.pattern, text) for p in english_fragments() if p.search(ours)]
    return hits


async def everything_shown(user: ChatUser, since: int = 0) -> list[str]:
    """Every text the bot put in front of `user` from message `since` on: messages, captions,
    buttons, notifications and the chat's command menu."""
    shown: list[str] = []
    for message in await user.messages():
        if not message["from_bot"] or message["message_id"] < since:
            continue
        shown += [message.get("text") or "", message.get("caption") or ""]
        shown += [b["text"] for row in message["buttons"] for b in row]
    shown += await user.toasts()
    menu = (await user._chat(0))["commands"]
    shown += [command["description"] for command in menu]
    return [text for text in shown if text]


async def step(user: ChatUser, label: str, expect: str) -> dict[str, Any]:
    await user.press(label)
    return await user.wait_for(contains=expect)


async def spanish_checkin(jordan: ChatUser, flag: str | None = None) -> dict[str, Any]:
    """The demo client's whole check-in, in Spanish; `flag` ticks a red flag (an emergency)."""
    await step(jordan, "2", "Ejercicio 1 de 3")
    await step(jordan, "Hecho", "Ejercicio 2 de 3")
    await step(jordan, "Hecho", "Ejercicio 3 de 3")
    await step(jordan, "Hecho", "peor dolor durante los ejercicios")
    await step(jordan, "1", "Esta mañana")
    await step(jordan, "Como siempre", "rigidez")
    await step(jordan, "Sin rigidez", "Hinchazón")
    await step(jordan, "Igual", "despertó el dolor")
    await step(jordan, "No", "confianza")
    await step(jordan, "7", "alguna de estas cosas desde ayer")
    if flag is not None:
        await jordan.press(flag)
        return await jordan.wait_for(contains="Llama al 999 ahora.")
    await step(jordan, "Ninguna de estas", "Algo más para tu entrenador")
    await jordan.press("Omitir")
    return await jordan.wait_for(contains="El registro de hoy está guardado")


async def test_a_checkin_and_an_emergency_in_spanish_alert_the_english_trainer_in_english(
    start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    jordan, sam = people["client"], people["trainer"]
    await sam.send("/program Jordan")
    await sam.wait_for(contains="Program for Jordan")
    await step(sam, "Language: English", "Which language should Jordan's messages be in?")
    await step(sam, "Español", "Jordan's language: Español.")
    told = await jordan.wait_for(contains="Tu entrenador ha cambiado tu idioma a Español.")

    await jordan.send("/checkin")
    await jordan.wait_for(contains="¿Cómo está tu dolor ahora mismo")
    summary = await spanish_checkin(jordan)
    assert "🟢 Verde: sigue así." in summary["text"]
    assert "Ejercicios de hoy: 9 de 9 series (100\xa0%)." in summary["text"]
    assert "Racha: 1 día. ¡Buen comienzo!" in summary["text"]
    await jordan.send("/program")  # "my program": the phase in his words, the how-to, the video
    mine = await jordan.wait_for(contains="Tu programa (fase: rehabilitación).")
    assert [b["text"] for row in mine["buttons"] for b in row] == [
        "▶ 2. Straight-leg raises (vídeo)"
    ]

    await jordan.send("/checkin")
    await jordan.wait_for(contains="¿Quieres cambiar las respuestas de hoy?")
    await step(jordan, "Cambiar respuestas", "¿Cómo está tu dolor ahora mismo")
    stopped = await spanish_checkin(jordan, flag="Dolor pecho")
    assert stopped["text"].splitlines()[0] == "Llama al 999 ahora."
    assert "Ya se ha avisado a tu entrenador." in stopped["text"]

    alert = await sam.wait_for(contains="EMERGENCY alert: Jordan needs your attention now.")
    assert "E1: chest pain or pressure, sudden breathlessness" in alert["text"]
    assert "Ticked on the symptom screen: chest pain or pressure" in alert["text"]
    assert "Jordan: told to call 999 now." in alert["text"]
    assert "Suggested action: contact the client now" in alert["text"]
    assert not re.search(r"[áéíóúñ¿¡]", alert["text"])  # nothing of the client's Spanish
    assert [b["text"] for row in alert["buttons"] for b in row] == [
        "Acknowledge",
        "Message client",
        "History",
    ]

    shown = await everything_shown(jordan, since=told["message_id"])
    assert "Cambiar el idioma" in shown  # the chat's menu is Spanish now too
    assert english_in(shown) == []


async def test_a_visitor_whose_telegram_is_spanish_books_in_spanish(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    await start_bot()
    async with await ChatUser.visitor(sandbox.base_url, "Lucía", language="es-MX") as lucia:
        menu = (await lucia._chat(0))["commands"]  # the bot-wide menu for Spanish, before a word
        assert {"command": "book", "description": "Reservar una consulta gratuita"} in menu
        await lucia.send("/start consult")
        await lucia.wait_for(contains="¿Cuál es tu nombre?")
        await step(lucia, "Lucía", "¿en qué te gustaría que te ayudáramos?")
        await lucia.send("Quiero volver a correr")
        await lucia.wait_for(contains="¿Prefieres algún entrenador")
        await step(lucia, "Cualquier entrenador", "¿Tienes ahora alguna lesión")
        await lucia.send("esguince de tobillo el mes pasado")
        await lucia.wait_for(contains="Una comprobación rápida de seguridad")
        await step(lucia, "Ninguna de estas", "visto bueno para hacer ejercicio")
        await step(lucia, "Todavía no", "¿En qué zona horaria estás?")
        await step(lucia, "India", "Horas libres el mar, 24 nov")
        await step(lucia, "14:30", "queda reservado para ti")
        await lucia.share_contact("+34600111222")
        await lucia.wait_for(contains="he anotado tu número")
        await lucia.wait_for(contains="¿La reservo?")
        confirmed = await step(lucia, "Sí, resérvala", "¡Reservada!")
        assert "mar, 24 nov, 14:30" in confirmed["text"]
        assert [b["text"] for b in confirmed["buttons"][0]] == ["Cambiar hora", "Cancelar"]
        ics = await lucia.wait_for(lambda m: m["document"] is not None)
        assert ics["caption"] == "Añádela a tu calendario"
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            content = (await http.get(ics["document"]["url"])).content.decode()
        assert "SUMMARY:Consulta gratuita con Sam" in content

        told = await people["trainer"].wait_for(contains="New free consult: Lucía")
        assert "Wants help with: Quiero volver a correr" in told["text"]
        assert "Tue 24 Nov" in told["text"]

        await lucia.send("/mybooking")
        await lucia.wait_for(contains="Tu consulta gratuita con Sam")
        assert english_in(await everything_shown(lucia)) == []


def test_the_english_check_finds_english_and_lets_spanish_and_typed_names_through() -> None:
    assert english_in(["Call 999 now.\n\nThese symptoms need medical help straight away."])
    assert english_in(["Ejercicio 1 de 3: Quad sets, 3 x 10. Did you do it today?"])
    assert english_in(["Ejercicio 1 de 3: Quad sets, 3 x 10. ¿Lo has hecho hoy?"]) == []
    assert english_in(["Llama al 999 ahora.", "Sí", "No", "English"]) == []


async def test_a_restart_gives_a_spanish_client_his_menu_in_spanish_before_he_writes(
    sandbox: SandboxServer, start_bot: StartBot, people: dict[str, ChatUser]
) -> None:
    """Start-up sets each stored person's menu for their role and their language (the sandbox's
    menus live in its memory, forgotten here as a restarted sandbox would)."""
    app = await start_bot()
    jordan = people["client"]
    await jordan.send("/language es")
    await jordan.wait_for(contains="a partir de ahora te escribiré en español")
    await app.stop()
    sandbox.chats.commands.clear()
    assert await jordan.commands() == []
    await start_bot()
    spanish = dict(commands_for(Role.CLIENT, "es"))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not (menu := (await jordan._chat(0))["commands"]):
        if loop.time() > deadline:
            raise AssertionError("no menu for Jordan after the restart")
        await asyncio.sleep(0.05)
    assert {c["command"]: c["description"] for c in menu} == spanish
