"""/availability: a trainer sets consult hours, length, buffer, notice, horizon, blocked dates.

A menu of settings: each answer is saved at once and the menu comes back with the new summary,
so the trainer sees exactly what visitors will be offered.

    MENU -> DAY -> HOURS -> MENU
         -> LENGTH | BUFFER | NOTICE | HORIZON -> MENU
         -> BLOCKED (a date toggles, again) -> MENU
         -> LOCATION (an address or a video link) -> MENU
         -> MENU (taking consults toggled)  |  done
"""

from __future__ import annotations

import itertools
import re
from enum import StrEnum

from flows.booking.location import CLEAR_WORDS, parse_location
from flows.engine import dates
from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, StepSpec
from flows.engine.localtime import parse_clock_time, parse_day
from flows.engine.texts import N_
from storage import booking as bk
from storage.models import Role


class Step(StrEnum):
    MENU = "menu"
    DAY = "day"
    HOURS = "hours"
    LENGTH = "length"
    BUFFER = "buffer"
    NOTICE = "notice"
    HORIZON = "horizon"
    BLOCKED = "blocked"
    LOCATION = "location"


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# step: (setting, question's text key, values offered)
CHOICES: dict[Step, tuple[str, str, tuple[int, ...]]] = {
    Step.LENGTH: ("length_minutes", N_("av_ask_length"), (15, 20, 30, 45, 60)),
    Step.BUFFER: ("buffer_minutes", N_("av_ask_buffer"), (0, 5, 10, 15, 30)),
    Step.NOTICE: ("notice_hours", N_("av_ask_notice"), (2, 6, 12, 24, 48)),
    Step.HORIZON: ("horizon_days", N_("av_ask_horizon"), (7, 14, 21, 30, 60)),
}
# the menu's choices: value -> button text key
MENU: dict[str, str] = {
    "day": N_("av_menu_day"),
    "length": N_("av_menu_length"),
    "buffer": N_("av_menu_buffer"),
    "notice": N_("av_menu_notice"),
    "horizon": N_("av_menu_horizon"),
    "blocked": N_("av_menu_blocked"),
    "location": N_("av_menu_location"),
    "accepting": N_("av_menu_accepting"),
    "done": N_("av_menu_done"),
}
_RANGE = re.compile(r"^\s*([^-–]+?)\s*[-–]\s*(.+?)\s*$")


def parse_ranges(text: str) -> list[tuple[str, str]] | None:
    """ "09:00-12:00, 14:00-17:00" -> [("09:00", "12:00"), ...]; "off" -> []; None if invalid."""
    if text.strip().lower() in ("off", "none", "closed"):
        return []
    ranges = []
    for part in text.replace(";", ",").split(","):
        match = _RANGE.match(part)
        first = parse_clock_time(match.group(1)) if match else None
        last = parse_clock_time(match.group(2)) if match else None
        if first is None or last is None or last <= first:
            return None
        ranges.append((first.strftime("%H:%M"), last.strftime("%H:%M")))
    ranges.sort()
    if any(a[1] > b[0] for a, b in itertools.pairwise(ranges)):
        return None  # overlapping hours
    return ranges


class Data(FlowData):
    day: int = 0  # the weekday whose hours are asked (0 Monday)


def _trainer_id(ctx: Context) -> int:
    return (ctx.person.id or 0) if ctx.person else 0


async def ask_menu(ctx: Context, data: Data) -> None:
    ctx.say(await _summary(ctx), buttons(ctx, _menu(ctx), per_row=2))


async def answer_menu(ctx: Context, data: Data, answer: Answer) -> Result:
    choice = pick(ctx, answer, _menu(ctx))
    if choice == "accepting":
        settings = await bk.consult_settings(ctx.store, _trainer_id(ctx))
        settings.accepting = not settings.accepting
        return Next(Step.MENU)
    if choice == "done":
        ctx.say(ctx.t("av_done"))
        return Done()
    return Next(Step(choice))


async def ask_day(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("av_ask_day"), buttons(ctx, list(_days()), per_row=4))


async def answer_day(ctx: Context, data: Data, answer: Answer) -> Result:
    data.day = int(pick(ctx, answer, list(_days())))
    return Next(Step.HOURS)


async def ask_hours(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("av_ask_hours", day=WEEKDAYS[data.day]))


async def answer_hours(ctx: Context, data: Data, answer: Answer) -> Result:
    ranges = parse_ranges(answer.text)
    if answer.choice is not None or ranges is None:
        raise Retry(ctx.t("av_bad_hours"))
    await bk.set_day_hours(ctx.store, _trainer_id(ctx), data.day, ranges)
    return Next(Step.MENU)


def _number_step(step: Step) -> StepSpec[Data]:
    """Length, buffer, notice and horizon: a few numbers to pick, saved to one setting."""
    field, _, values = CHOICES[step]
    options = [(str(v), str(v)) for v in values]

    async def ask_number(ctx: Context, data: Data) -> None:
        ctx.say(ctx.t(CHOICES[step][1]), buttons(ctx, options, per_row=5))

    async def answer_number(ctx: Context, data: Data, answer: Answer) -> Result:
        value = int(pick(ctx, answer, options))
        setattr(await bk.consult_settings(ctx.store, _trainer_id(ctx)), field, value)
        return Next(Step.MENU)

    return StepSpec(ask_number, answer_number)


async def ask_blocked(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("av_ask_blocked"), buttons(ctx, [("back", ctx.t("av_back"))]))


async def answer_blocked(ctx: Context, data: Data, answer: Answer) -> Result:
    """A date blocks or unblocks it (and asks for another); Back returns to the menu."""
    if answer.choice == "back" or answer.text.strip().lower() == "back":
        return Next(Step.MENU)
    today = ctx.today(ctx.person)
    day = parse_day(answer.text, today)
    if day is None:
        raise Retry(ctx.t("av_bad_date"))
    if day < today:
        raise Retry(ctx.t("av_past_date", day=dates.weekday(day, ctx.locale)))
    blocked = await bk.toggle_blocked(ctx.store, _trainer_id(ctx), day)
    day_text = dates.weekday(day, ctx.locale)
    ctx.say(ctx.t("av_blocked", day=day_text) if blocked else ctx.t("av_unblocked", day=day_text))
    return Next(Step.BLOCKED)


async def ask_location(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("av_ask_location"), buttons(ctx, [("back", ctx.t("av_back"))]))


async def answer_location(ctx: Context, data: Data, answer: Answer) -> Result:
    """An address or a link (shown to visitors), "clear" to remove it; Back keeps it."""
    typed = answer.text.strip().lower()
    if answer.choice == "back" or typed == "back":
        return Next(Step.MENU)
    settings = await bk.consult_settings(ctx.store, _trainer_id(ctx))
    place = None if typed in CLEAR_WORDS else parse_location(answer.text)
    if answer.choice is not None or (place is None and typed not in CLEAR_WORDS):
        raise Retry(ctx.t("av_bad_location"))
    settings.location = place
    return Next(Step.MENU)


AVAILABILITY = register(
    Flow(
        "availability",
        Data,
        {
            Step.MENU: StepSpec(ask_menu, answer_menu),
            Step.DAY: StepSpec(ask_day, answer_day),
            Step.HOURS: StepSpec(ask_hours, answer_hours),
            **{step: _number_step(step) for step in CHOICES},
            Step.BLOCKED: StepSpec(ask_blocked, answer_blocked),
            Step.LOCATION: StepSpec(ask_location, answer_location),
        },
    )
)


def _days() -> list[Option]:
    return [(str(i), name) for i, name in enumerate(WEEKDAYS)]


def _menu(ctx: Context) -> list[Option]:
    return [(key, ctx.t(MENU[key])) for key in MENU]


async def _summary(ctx: Context) -> str:
    trainer = ctx.person
    trainer_id = trainer.id if trainer and trainer.id else 0
    settings = await bk.consult_settings(ctx.store, trainer_id)
    hours: dict[int, list[str]] = {}
    for row in await bk.availability(ctx.store, trainer_id):
        hours.setdefault(row.weekday, []).append(f"{row.start}-{row.end}")
    off = ctx.t("av_off")
    week = "\n".join(
        f"{name}: {', '.join(hours.get(i, [])) or off}" for i, name in enumerate(WEEKDAYS)
    )
    today = ctx.today(trainer)
    blocked = await bk.blocked_dates(ctx.store, trainer_id, today)
    return ctx.t(
        "av_summary",
        zone=ctx.zone(trainer),
        week=week,
        length=settings.length_minutes,
        buffer=settings.buffer_minutes,
        notice=settings.notice_hours,
        horizon=settings.horizon_days,
        blocked=", ".join(dates.weekday(d, ctx.locale) for d in blocked) or ctx.t("av_none"),
        accepting=ctx.t("av_accepting") if settings.accepting else ctx.t("av_paused"),
        location=settings.location or ctx.t("av_location_none"),
    )


async def _availability(ctx: Context) -> None:
    await start(ctx, AVAILABILITY)


COMMANDS = (Command("availability", _availability, {Role.TRAINER: N_("cmd_availability")}),)
ACTIONS: Actions = ()
