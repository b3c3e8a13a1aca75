"""/settings: a client's reminder time, weekly summary and quiet hours; staff's quiet hours and
digest time.

A new reminder time moves the schedule row at once (from the local date and time, like the
planner), so the next reminder comes at the new time without waiting for a tick.

    MENU -> TIME (clients) | WEEKLY_DAY -> WEEKLY_TIME (clients) | DIGEST (staff) | QUIET
         -> done (saved)
         -> done (closed)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from flows.engine import dates
from flows.engine.buttons import Actions
from flows.engine.choices import buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, StepSpec
from flows.engine.localtime import COMMON_TIMES, parse_clock_time
from flows.engine.schedule import (
    WEEKLY_DAY,
    WEEKLY_TIME,
    next_at,
    parse_hhmm,
    parse_typed_span,
    quiet_span,
    wall_in_span,
)
from flows.engine.texts import N_
from storage.models import ClientProfile, Person, Role
from storage.reminders import schedule_of

OFF = ("00:00", "00:00")  # an empty span: never quiet
DIGEST_TIMES = ("08:00", "12:00", "17:00", "18:00", "20:00")


def _quiet(ctx: Context, person: Person) -> tuple[str, str]:
    return quiet_span(person, ctx.bot.quiet_hours)


def _span_text(ctx: Context, span: tuple[str, str]) -> str:
    return ctx.t("settings_quiet_none") if span[0] == span[1] else f"{span[0]}–{span[1]}"


class Step(StrEnum):
    MENU = "menu"
    TIME = "time"
    QUIET = "quiet"
    DIGEST = "digest"
    WEEKLY_DAY = "weekly_day"
    WEEKLY_TIME = "weekly_time"


class Data(FlowData):
    """Only the weekly summary's day until its time is given; the rest is saved at once."""

    weekly_day: int | None = None


async def ask_menu(ctx: Context, data: Data) -> None:
    person = ctx.person
    if person is None:
        return
    zone = ctx.zone(person)
    quiet = _span_text(ctx, _quiet(ctx, person))
    if person.role == Role.CLIENT:
        profile = await ctx.store.profile(person.id or 0)
        time = profile.checkin_time if profile and profile.checkin_time else "-"
        text = ctx.t("settings_client", time=time, zone=zone, quiet=quiet)
        text += "\n" + ctx.t("settings_weekly", when=_weekly_when(ctx, profile))
        options = [
            ("time", ctx.t("settings_change_time")),
            ("weekly", ctx.t("settings_change_weekly")),
        ]
    else:
        digest = person.digest_time or ctx.bot.digest_time
        text = ctx.t("settings_staff", quiet=quiet, digest=digest, zone=zone)
        options = [("digest", ctx.t("settings_change_digest"))]
    options += [("quiet", ctx.t("settings_change_quiet")), ("done", ctx.t("settings_done"))]
    ctx.say(text, buttons(ctx, options, 3))


async def answer_menu(ctx: Context, data: Data, answer: Answer) -> Result:
    person = ctx.person
    if person is None:
        return Done()
    if person.role == Role.CLIENT:
        options = [("time", ctx.t("settings_change_time"))]
        options += [("weekly", ctx.t("settings_change_weekly"))]
    else:
        options = [("digest", ctx.t("settings_change_digest"))]
    options += [("quiet", ctx.t("settings_change_quiet"))]
    chosen = pick(ctx, answer, [*options, ("done", ctx.t("settings_done"))])
    if chosen == "done":
        ctx.say(ctx.t("settings_closed"))
        return Done()
    return Next(Step.WEEKLY_DAY if chosen == "weekly" else Step(chosen))


def _weekly_when(ctx: Context, profile: ClientProfile | None) -> str:
    """ "Sunday at 18:00" """
    day = profile.weekly_day if profile and profile.weekly_day is not None else WEEKLY_DAY
    time = profile.weekly_time if profile and profile.weekly_time else WEEKLY_TIME
    return ctx.t("settings_weekly_when", day=_day_name(ctx, day), time=time)


def _day_name(ctx: Context, weekday: int) -> str:
    """The locale's name of the weekday (0 Monday)."""
    return str(dates.babel_locale(ctx.locale).days["format"]["wide"][weekday])


async def ask_weekly_day(ctx: Context, data: Data) -> None:
    options = [(str(n), _day_name(ctx, n)) for n in range(7)]
    ctx.say(ctx.t("settings_weekly_day_ask"), buttons(ctx, options, 4))


async def answer_weekly_day(ctx: Context, data: Data, answer: Answer) -> Result:
    options = [(str(n), _day_name(ctx, n)) for n in range(7)]
    chosen = pick(ctx, answer, options, ctx.t("settings_weekly_day_bad"))
    data.weekly_day = int(chosen)
    return Next(Step.WEEKLY_TIME)


async def ask_weekly_time(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("settings_weekly_time_ask"), buttons(ctx, [(x, x) for x in COMMON_TIMES], 3))


async def answer_weekly_time(ctx: Context, data: Data, answer: Answer) -> Result:
    person = ctx.person
    profile = await ctx.store.profile(person.id or 0) if person is not None else None
    if profile is None or data.weekly_day is None:
        return Done()
    profile.weekly_day, profile.weekly_time = data.weekly_day, clock_time(ctx, answer)
    ctx.say(ctx.t("settings_weekly_saved", when=_weekly_when(ctx, profile)))
    return Done()


def clock_time(ctx: Context, answer: Answer) -> str:
    """The time picked or typed, as "HH:MM"; a hint and the question again if it isn't one."""
    picked = parse_clock_time(answer.choice or answer.text)
    if picked is None:
        raise Retry(ctx.t("checkin_time_bad"))
    return picked.strftime("%H:%M")


async def ask_time(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("settings_time_ask"), buttons(ctx, [(x, x) for x in COMMON_TIMES], 3))


async def answer_time(ctx: Context, data: Data, answer: Answer) -> Result:
    """A client's reminder time; the schedule moves at once."""
    person = ctx.person
    if person is None:
        return Done()
    chosen = clock_time(ctx, answer)
    profile = await ctx.store.profile(person.id or 0)
    if profile is None:
        return Done()
    profile.checkin_time = chosen
    schedule = await schedule_of(ctx.store, person.id or 0)
    if schedule is not None:  # otherwise the planner creates it on its next tick
        zone = ctx.zone(person)
        regular = next_at(profile.checkin_time, zone, ctx.now)
        pending = schedule.snoozed_until
        schedule.next_due_at = min(regular, pending) if pending else regular
        schedule.updated_at = ctx.now
    ctx.say(ctx.t("settings_time_saved", time=profile.checkin_time))
    fit_quiet(ctx, person, profile.checkin_time)
    return Done()


async def ask_quiet(ctx: Context, data: Data) -> None:
    default = _span_text(ctx, ctx.bot.quiet_hours)
    options = [
        ("default", ctx.t("settings_quiet_default", quiet=default)),
        ("22:00-07:00", "22:00–07:00"),
        ("off", ctx.t("settings_quiet_off")),
    ]
    client = ctx.person is not None and ctx.person.role == Role.CLIENT  # alerts aren't theirs
    ask = ctx.t("settings_quiet_ask_client") if client else ctx.t("settings_quiet_ask")
    ctx.say(ask, buttons(ctx, options, 1))


async def answer_quiet(ctx: Context, data: Data, answer: Answer) -> Result:
    person = ctx.person
    if person is None:
        return Done()
    choice = answer.choice or answer.text.strip().lower()
    span: tuple[str, str] | None
    if choice == "default":
        span = None
    elif choice == "off":
        span = OFF
    else:
        span = parse_typed_span(choice)
        if span is None:
            raise Retry(ctx.t("settings_quiet_bad"))
    person.quiet_start, person.quiet_end = span if span else (None, None)
    ctx.say(ctx.t("settings_quiet_saved", quiet=_span_text(ctx, _quiet(ctx, person))))
    return Done()


async def ask_digest(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("settings_digest_ask"), buttons(ctx, [(x, x) for x in DIGEST_TIMES], 3))


async def answer_digest(ctx: Context, data: Data, answer: Answer) -> Result:
    """Staff's daily digest time."""
    person = ctx.person
    if person is None:
        return Done()
    person.digest_time = clock_time(ctx, answer)
    ctx.say(ctx.t("settings_digest_saved", time=person.digest_time))
    return Done()


def fit_quiet(ctx: Context, person: Person, checkin_time: str) -> None:
    """A reminder time inside quiet hours would be held till they end. The person just said when
    they want it, so their quiet hours move to let it through, and they are told."""
    start, end = _quiet(ctx, person)
    wall = parse_hhmm(checkin_time)
    if not wall_in_span(wall, start, end):
        return
    if wall < parse_hhmm(end):  # the morning part: stay quiet only until the reminder
        start, end = start, checkin_time
    else:  # the evening part: start being quiet an hour after it
        later = (datetime.combine(date.min, wall) + timedelta(hours=1)).time()
        start = later.strftime("%H:%M") if wall_in_span(later, start, end) else end  # or none
    person.quiet_start, person.quiet_end = start, end
    ctx.say(ctx.t("time_in_quiet", time=checkin_time, quiet=_span_text(ctx, (start, end))))


SETTINGS = register(
    Flow(
        "settings",
        Data,
        {
            Step.MENU: StepSpec(ask_menu, answer_menu),
            Step.TIME: StepSpec(ask_time, answer_time),
            Step.QUIET: StepSpec(ask_quiet, answer_quiet),
            Step.DIGEST: StepSpec(ask_digest, answer_digest),
            Step.WEEKLY_DAY: StepSpec(ask_weekly_day, answer_weekly_day),
            Step.WEEKLY_TIME: StepSpec(ask_weekly_time, answer_weekly_time),
        },
    )
)


async def _settings(ctx: Context) -> None:
    await start(ctx, SETTINGS)


COMMANDS = (
    Command(
        "settings",
        _settings,
        {
            Role.CLIENT: N_("cmd_settings_client"),
            Role.TRAINER: N_("cmd_settings_staff"),
            Role.ADMIN: N_("cmd_settings_staff"),
        },
    ),
)
ACTIONS: Actions = ()
