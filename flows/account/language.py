"""/language: which language mendbot writes to you in (English or Spanish).

Everyone has it, even a visitor who hasn't booked: their choice is kept on their chat until they
become a person (flows.engine.conversation.Context.locale). Trainers set it for a client from
/program, with the same options (`language_options`, `chosen_language`, `set_for_client`).

/language          asks:  PICK -> done (the confirmation and the command menu in the new language)
/language es       sets it at once
"""

from __future__ import annotations

from enum import StrEnum

from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, resume, start
from flows.engine.flow import Done, Flow, FlowData, Result, StepSpec
from flows.engine.languages import NAMES, SUPPORTED, from_telegram, supported
from flows.engine.menu import VISITOR, menu_for
from flows.engine.notify import notify_person
from flows.engine.texts import N_, t
from storage.models import Person, Role


def language_name(locale: str) -> str:
    """ "Español": a language by its own name (see flows.engine.languages.NAMES)."""
    code = supported(locale)
    return t(NAMES[code], code)


def language_options() -> list[Option]:
    return [(code, language_name(code)) for code in SUPPORTED]


def chosen_language(ctx: Context, answer: Answer) -> str:
    """A supported code, by button, by its name or its code typed ("es", "español", "Spanish"
    in no catalog: then the buttons again, with a hint)."""
    typed = answer.text.strip().lower()
    if answer.choice is None and typed and from_telegram(typed) == typed:
        return typed
    return pick(ctx, answer, language_options(), ctx.t("language_bad"))


async def set_for_client(ctx: Context, client: Person, locale: str) -> None:
    """A trainer's choice for their client: stored, and the client told in it. Their chat's
    command menu is still in the old language: their chat row says so (`refresh_menu`)."""
    if client.locale == locale:
        return
    chat = await ctx.store.conversation(client.chat_id, client.telegram_user_id, ctx.now)
    chat.locale = client.locale
    client.locale = locale
    await ctx.store.add(client)
    await notify_person(ctx, client, "language_set_by_trainer", language=language_name(locale))


def refresh_menu(ctx: Context) -> None:
    """A person whose chat row names another language than theirs (their trainer changed it)
    gets their command menu again, in theirs, with this update's replies."""
    person = ctx.person
    if person is not None and ctx.convo.locale is not None:
        ctx.convo.locale = None
        ctx.replies.add(menu_for(person.role, ctx.locale))


def _apply(ctx: Context, locale: str) -> None:
    """Store the choice, confirm it in the new language, and redo this chat's command menu."""
    if ctx.person is not None:
        ctx.person.locale = locale
    ctx.convo.locale = None if ctx.person is not None else locale
    ctx.say(t("language_set", locale))
    ctx.replies.add(menu_for(ctx.person.role if ctx.person else VISITOR, locale))


class Step(StrEnum):
    PICK = "pick"


class Data(FlowData):
    """Nothing to remember: the one answer sets it."""


async def ask_pick(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("language_ask"), buttons(ctx, language_options()))


async def answer_pick(ctx: Context, data: Data, answer: Answer) -> Result:
    _apply(ctx, chosen_language(ctx, answer))
    return Done()


LANGUAGE = register(Flow("language", Data, {Step.PICK: StepSpec(ask_pick, answer_pick)}))


async def _language(ctx: Context) -> None:
    wanted = ctx.event.args.strip().lower()
    if wanted and from_telegram(wanted) == wanted:
        _apply(ctx, wanted)
        await resume(ctx)  # the question under way, again, in the new language
    else:
        await start(ctx, LANGUAGE)


COMMANDS = (
    Command(
        "language",
        _language,
        {role: N_("cmd_language") for role in (VISITOR, *Role)},
        more=True,
    ),
)
ACTIONS: Actions = ()
