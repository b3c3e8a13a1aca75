"""/pause and /resume: time away (travel, illness, a flare) costs no streak and raises no flag.

/pause without a number asks one thing:  DAYS -> done (paused)
"""

from __future__ import annotations

from enum import StrEnum

from flows.engine import dates
from flows.engine.buttons import Actions
from flows.engine.choices import buttons
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.flow import Done, Flow, FlowData, Result, Retry, StepSpec
from flows.engine.parse import ascii_int
from flows.engine.texts import N_
from storage.models import Role
from storage.pauses import add_pause, end_pause, is_skipped_day, pause_on

MAX_DAYS = 60
CHOICES = {"3": N_("pause_3"), "7": N_("pause_7"), "14": N_("pause_14")}  # days -> text key


async def pause_for(ctx: Context, days: int) -> None:
    person = ctx.person
    if person is None or person.id is None:
        return
    today = ctx.today(person)
    pause = await add_pause(ctx.store, person.id, today, days, ctx.now)
    ctx.say(ctx.t("paused", until=dates.day(pause.last_day, ctx.locale)))


def parse_days(text: str) -> int | None:
    """ "3", "10 days", "2 weeks" -> days, 1..MAX_DAYS; None for anything else ("²", "٣")."""
    words = text.strip().lower().split()
    number = ascii_int(words[0], 1, MAX_DAYS) if words else None
    if number is None:
        return None
    days = number * (7 if len(words) > 1 and words[1].startswith("week") else 1)
    return days if days <= MAX_DAYS else None


class Step(StrEnum):
    DAYS = "days"


class Data(FlowData):
    """Nothing to remember: the one answer pauses."""


async def ask_days(ctx: Context, data: Data) -> None:
    options = [(value, ctx.t(CHOICES[value])) for value in CHOICES]
    ctx.say(ctx.t("pause_ask", most=MAX_DAYS), buttons(ctx, options, 3))


async def answer_days(ctx: Context, data: Data, answer: Answer) -> Result:
    days = parse_days(answer.choice or answer.text)
    if days is None:
        raise Retry(ctx.t("pause_bad", most=MAX_DAYS))
    await pause_for(ctx, days)
    return Done()


PAUSE = register(Flow("pause", Data, {Step.DAYS: StepSpec(ask_days, answer_days)}))


async def _pause(ctx: Context) -> None:
    if ctx.event.args:
        days = parse_days(ctx.event.args)
        if days is None:
            ctx.say(ctx.t("pause_bad", most=MAX_DAYS))
            await start(ctx, PAUSE)
        else:
            await pause_for(ctx, days)
        return
    await start(ctx, PAUSE)


async def _resume(ctx: Context) -> None:
    person = ctx.person
    if person is None or person.id is None:
        return
    today = ctx.today(person)
    current = await pause_on(ctx.store, person.id, today)
    if current is not None and is_skipped_day(current):  # a skipped day is no pause
        ctx.say(ctx.t("not_paused"))
        return
    ended = await end_pause(ctx.store, person.id, today)
    ctx.say(ctx.t("resumed") if ended else ctx.t("not_paused"))


COMMANDS = (
    Command("pause", _pause, {Role.CLIENT: N_("cmd_pause")}),
    Command("resume", _resume, {Role.CLIENT: N_("cmd_resume")}),
)
ACTIONS: Actions = ()
