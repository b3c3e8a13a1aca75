"""/availability: a trainer sets consult hours, length, buffer, notice, horizon, blocked dates.

A menu of settings: each answer is saved at once and the menu comes back with the new summary,
so the trainer sees exactly what visitors will be offered.
"""

from __future__ import annotations

import itertools
import re
from typing import ClassVar

from flows.engine.buttons import Actions
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, Flow, Retry, register, start
from flows.engine.localtime import parse_clock_time, parse_day
from storage import booking as bk
from storage.models import Role

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CHOICES: dict[str, tuple[str, tuple[int, ...]]] = {
    "length": ("length_minutes", (15, 20, 30, 45, 60)),
    "buffer": ("buffer_minutes", (0, 5, 10, 15, 30)),
    "notice": ("notice_hours", (2, 6, 12, 24, 48)),
    "horizon": ("horizon_days", (7, 14, 21, 30, 60)),
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


class AvailabilityFlow(Flow):
    name: ClassVar[str] = "availability"
    first_step: ClassVar[str] = "menu"

    async def ask(self, ctx: Context, step: str) -> None:
        if step == "menu":
            ctx.say(await _summary(ctx), buttons(ctx, _menu(ctx), per_row=2))
        elif step == "day":
            ctx.say(ctx.t("av_ask_day"), buttons(ctx, list(_days()), per_row=4))
        elif step == "hours":
            ctx.say(ctx.t("av_ask_hours", day=WEEKDAYS[int(ctx.data["day"])]))
        elif step in CHOICES:
            options = [(str(v), str(v)) for v in CHOICES[step][1]]
            ctx.say(ctx.t(f"av_ask_{step}"), buttons(ctx, options, per_row=5))
        elif step == "blocked":
            ctx.say(ctx.t("av_ask_blocked"), buttons(ctx, [("back", ctx.t("av_back"))]))

    async def answer(self, ctx: Context, step: str, answer: Answer) -> str | None:
        trainer_id = ctx.person.id if ctx.person else 0
        assert trainer_id is not None
        if step == "menu":
            choice = pick(ctx, answer, _menu(ctx))
            if choice == "accepting":
                settings = await bk.consult_settings(ctx.store, trainer_id)
                settings.accepting = not settings.accepting
                return "menu"
            return None if choice == "done" else choice
        if step == "day":
            ctx.set_data(day=pick(ctx, answer, list(_days())))
            return "hours"
        if step == "hours":
            ranges = parse_ranges(answer.text)
            if answer.choice is not None or ranges is None:
                raise Retry(ctx.t("av_bad_hours"))
            await bk.set_day_hours(ctx.store, trainer_id, int(ctx.data["day"]), ranges)
            return "menu"
        if step in CHOICES:
            field, values = CHOICES[step]
            value = int(pick(ctx, answer, [(str(v), str(v)) for v in values]))
            setattr(await bk.consult_settings(ctx.store, trainer_id), field, value)
            return "menu"
        if answer.choice == "back" or answer.text.strip().lower() == "back":
            return "menu"
        return await self._toggle_date(ctx, trainer_id, answer.text)

    async def _toggle_date(self, ctx: Context, trainer_id: int, text: str) -> str:
        today = ctx.today(ctx.person)
        day = parse_day(text, today)
        if day is None:
            raise Retry(ctx.t("av_bad_date"))
        if day < today:
            raise Retry(ctx.t("av_past_date", day=day.isoformat()))
        blocked = await bk.toggle_blocked(ctx.store, trainer_id, day)
        ctx.say(ctx.t("av_blocked" if blocked else "av_unblocked", day=day.isoformat()))
        return "blocked"

    async def finish(self, ctx: Context) -> None:
        ctx.say(ctx.t("av_done"))


AVAILABILITY = register(AvailabilityFlow())


def _days() -> list[Option]:
    return [(str(i), name) for i, name in enumerate(WEEKDAYS)]


def _menu(ctx: Context) -> list[Option]:
    keys = ("day", "length", "buffer", "notice", "horizon", "blocked", "accepting", "done")
    return [(key, ctx.t(f"av_menu_{key}")) for key in keys]


async def _summary(ctx: Context) -> str:
    trainer = ctx.person
    trainer_id = trainer.id if trainer and trainer.id else 0
    settings = await bk.consult_settings(ctx.store, trainer_id)
    hours: dict[int, list[str]] = {}
    for row in await bk.availability(ctx.store, trainer_id):
        hours.setdefault(row.weekday, []).append(f"{row.start}-{row.end}")
    week = "\n".join(
        f"{name}: {', '.join(hours.get(i, [])) or ctx.t('av_off')}"
        for i, name in enumerate(WEEKDAYS)
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
        blocked=", ".join(d.isoformat() for d in blocked) or ctx.t("av_none"),
        accepting=ctx.t("av_accepting" if settings.accepting else "av_paused"),
    )


async def _availability(ctx: Context) -> None:
    await start(ctx, AVAILABILITY)


COMMANDS = (Command("availability", _availability, {Role.TRAINER: "cmd_availability"}),)
ACTIONS: Actions = ()
