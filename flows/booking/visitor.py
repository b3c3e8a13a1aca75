"""Free consult booking for visitors: a short intake, a red-flag screen, slots, hold, confirm.

The slot is held (a SlotClaim row) as soon as it is picked, so nobody else can take it while the
visitor confirms; a clash found by the database sends them back to fresh slots. Red flags in the
intake are never booked as a normal consult: the visitor gets TRIAGE.md section 5's wording and
the trainer a stored alert (flows/checkin/alert.py: Acknowledge, /alerts, escalation to the admins).

Cancelling asks first ("Cancel your consult on ...?"). Each consult is one calendar event: a
reschedule keeps the original's UID with SEQUENCE + 1, and a cancel sends a METHOD:CANCEL file.

    NAME -> GOAL -> TRAINER -> INJURY -> FLAGS (a tick redraws it in place)
      -> CLEARED (if injured) -> TIMEZONE (if not known) -> SLOT -> PHONE -> CONFIRM -> done
    FLAGS with a red flag ticked -> done (safety wording, the trainer alerted; not booked)
    SLOT: a page turns in place; a time taken meanwhile -> SLOT
    CONFIRM "another time", or the hold lost -> SLOT
    TRAINER or SLOT with nothing to offer -> stop
    Reschedule / Book again (buttons) start at SLOT with the old intake.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from flows.account.onboarding import answer_timezone, ask_timezone
from flows.booking.ics import booking_uid, consult_ics
from flows.booking.location import location_of, where
from flows.booking.slots import by_local_day
from flows.booking.times import HOLD_MINUTES, clock_at, length_of, offered_slots, when
from flows.checkin.alert import raise_visitor_alerts
from flows.checkin.day import RED_FLAG_ITEMS, Client, Day, RedFlagCode
from flows.checkin.flag_screen import flag_keyboard, flag_question, flags_record
from flows.checkin.labels import told_record
from flows.checkin.triage import assess
from flows.engine import dates
from flows.engine.buttons import (
    Actions,
    BookingCancel,
    BookingMove,
    BookingNew,
    Route,
    StaffCancel,
    button,
    outbox_button,
)
from flows.engine.choices import Option, buttons, pick
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.core import ContactRequest, Document, Keyboard, Send, keyboard
from flows.engine.flow import Done, Flow, FlowData, Next, Result, Retry, Stay, StepSpec, Stop
from flows.engine.menu import VISITOR, menu_for
from flows.engine.notify import notify_person
from flows.engine.parse import ID_MAX, exact_int
from flows.engine.sanitize import clean_label
from flows.engine.texts import N_, t
from storage import booking as bk
from storage.models import Booking, BookingStatus, Person, Role

log = logging.getLogger(__name__)

DEEP_LINK = "consult"
ANY = "any"
TIMES_PER_ROW = 4
NAME_MAX = 64
_SURGERY = re.compile(r"surg|operat|replace|reconstruct|post.?op", re.IGNORECASE)


class Step(StrEnum):
    NAME = "name"
    GOAL = "goal"
    TRAINER = "trainer"
    INJURY = "injury"
    FLAGS = "flags"
    CLEARED = "cleared"
    TIMEZONE = "timezone"
    SLOT = "slot"
    PHONE = "phone"
    CONFIRM = "confirm"


# the clearance answers: value -> its text key (the visitor's button, the trainer's message)
CLEARED: dict[str, str] = {
    "yes": N_("bk_cleared_yes"),
    "no": N_("bk_cleared_no"),
    "unsure": N_("bk_cleared_unsure"),
}
INTAKE = ("name", "goal", "injury", "cleared", "flags", "trainer")  # what the trainer is shown


class Data(FlowData):
    """The intake (INTAKE), then the booking being made."""

    name: str | None = None
    goal: str | None = None
    trainer: str | None = None  # a trainer's id, or ANY
    injury: str | None = None
    flags: list[RedFlagCode] | None = None  # ticked
    cleared: str | None = None
    zone: str | None = None
    page: int = 0  # of the days with free times
    booking_id: int | None = None  # the held slot
    phone: str | None = None
    reschedule: int | None = None  # the booking this one replaces


async def welcome(ctx: Context, greet: bool = True) -> None:
    """/start (no invite), /start consult and /book: begin the intake, greeting a new visitor
    first unless they asked for the booking by name (/book already knows what it is for)."""
    person = ctx.person
    if person is not None and person.role != Role.PROSPECT:
        ctx.say(ctx.t("bk_members_only"))
        return
    if person is None:
        if greet:
            ctx.say(ctx.t("visitor_welcome", name=ctx.event.first_name or "there"))
    elif await _show_upcoming(ctx, person):
        return
    await start(ctx, BOOKING)


# intake ----------------------------------------------------------------------------------------
async def ask_name(ctx: Context, data: Data) -> None:
    first = clean_label(ctx.event.first_name, NAME_MAX)
    ctx.say(ctx.t("bk_ask_name"), keyboard([ctx.choice(first, "tg")]) if first else ())


async def answer_name(ctx: Context, data: Data, answer: Answer) -> Result:
    typed = ctx.event.first_name if answer.choice == "tg" else answer.text
    name = clean_label(typed, NAME_MAX)
    if name is None:
        raise Retry(ctx.t("bk_bad_name"))
    data.name = name
    return Next(Step.GOAL)


def _free_text(ctx: Context, answer: Answer) -> str:
    text = " ".join(answer.text.split())
    if answer.choice is not None or not 2 <= len(text) <= 300:
        raise Retry(ctx.t("bk_bad_text"))
    return text


async def ask_goal(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("bk_ask_goal", name=data.name))


async def answer_goal(ctx: Context, data: Data, answer: Answer) -> Result:
    data.goal = _free_text(ctx, answer)
    return Next(Step.TRAINER)


async def ask_trainer(ctx: Context, data: Data) -> Result | None:
    options = await _trainer_options(ctx)
    if len(options) == 1:  # only "any": nobody takes consults right now
        return Stop(ctx.t("bk_no_trainers"))
    ctx.say(ctx.t("bk_ask_trainer"), buttons(ctx, options, per_row=2))
    return None


async def answer_trainer(ctx: Context, data: Data, answer: Answer) -> Result:
    data.trainer = pick(ctx, answer, await _trainer_options(ctx))
    return Next(Step.INJURY)


async def ask_injury(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("bk_ask_injury"), keyboard([ctx.choice(ctx.t("bk_no_injury"), "no")]))


async def answer_injury(ctx: Context, data: Data, answer: Answer) -> Result:
    none = answer.choice == "no" or answer.text.strip().lower() in ("no", "none")
    data.injury = None if none else _free_text(ctx, answer)
    return Next(Step.FLAGS)


async def ask_flags(ctx: Context, data: Data) -> None:
    ctx.say(flag_question(ctx, ctx.t("bk_ask_flags")), _flag_buttons(ctx, data))


async def answer_flags(ctx: Context, data: Data, answer: Answer) -> Result:
    """A tick toggles a flag in place; None or Done ends the screen. Any flag: no booking."""
    flags = list(data.flags or [])
    typed = answer.text.strip().lower()
    choice = answer.choice or ("none" if typed in ("none", "no") else "")
    code = next((c for c in RED_FLAG_ITEMS if choice == f"f:{c}"), None)
    if code is not None:
        data.flags = [f for f in flags if f != code] if code in flags else [*flags, code]
        if answer.message_id is None:
            return Next(Step.FLAGS)
        ctx.replies.edit(
            answer.message_id, flag_question(ctx, ctx.t("bk_ask_flags")), _flag_buttons(ctx, data)
        )
        return Stay()
    if choice not in ("none", "done"):
        raise Retry(ctx.t("ci_flags_hint"))
    if choice == "none":
        data.flags = []
    if answer.message_id is not None:
        ctx.replies.edit(answer.message_id, _flags_record(ctx, data))
    if data.flags:
        await _red_flag_stop(ctx, data)
        return Done()
    return Next(Step.CLEARED) if data.injury else _after_intake(ctx, data)


async def ask_cleared(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("bk_ask_cleared"), buttons(ctx, _cleared_options(ctx), per_row=1))


async def answer_cleared(ctx: Context, data: Data, answer: Answer) -> Result:
    data.cleared = pick(ctx, answer, _cleared_options(ctx))
    return _after_intake(ctx, data)


def _after_intake(ctx: Context, data: Data) -> Result:
    if ctx.person is not None and ctx.person.timezone:
        data.zone = ctx.person.timezone
    return Next(Step.SLOT if data.zone else Step.TIMEZONE)


async def ask_zone(ctx: Context, data: Data) -> None:
    ask_timezone(ctx)


async def answer_zone(ctx: Context, data: Data, answer: Answer) -> Result:
    zone = answer_timezone(ctx, answer)
    data.zone = zone
    if ctx.person is not None:
        ctx.person.timezone = zone
    return Next(Step.SLOT)


# slots -----------------------------------------------------------------------------------------
def _zone(data: Data) -> str:
    if data.zone is None:
        raise RuntimeError("booking flow at the slots without a time zone")
    return data.zone


async def _days(ctx: Context, data: Data) -> list[tuple[Any, list[datetime]]]:
    return by_local_day(await _offered(ctx, data), _zone(data))


async def ask_slot(ctx: Context, data: Data) -> Result | None:
    return await _show_slots(ctx, data)


async def _show_slots(ctx: Context, data: Data, edit_id: int | None = None) -> Result | None:
    """One day's free times, with Earlier / Later; into message `edit_id` when paging."""
    days = await _days(ctx, data)
    if not days:
        return Stop(ctx.t("bk_no_slots"))
    page = max(0, min(data.page, len(days) - 1))
    day, starts = days[page]
    zone = _zone(data)
    rows: list[list[Any]] = []
    times = [ctx.choice(clock_at(s, zone, ctx.locale), f"t:{_minutes(s)}") for s in starts]
    rows += [times[i : i + TIMES_PER_ROW] for i in range(0, len(times), TIMES_PER_ROW)]
    nav = []
    if page > 0:
        nav.append(ctx.choice(ctx.t("bk_earlier"), f"p:{page - 1}"))
    if page + 1 < len(days):
        nav.append(ctx.choice(ctx.t("bk_later"), f"p:{page + 1}"))
    rows.append(nav)
    text = ctx.t(
        "bk_slots",
        day=dates.weekday(day, ctx.locale),
        zone=zone,
        n=page + 1,
        total=len(days),
    )
    if edit_id is not None:
        ctx.replies.edit(edit_id, text, keyboard(*rows))
    else:
        ctx.say(text, keyboard(*rows))
    return None


async def answer_slot(ctx: Context, data: Data, answer: Answer) -> Result:
    """A page turns in place; a time is held at once (taken meanwhile: fresh times)."""
    choice = answer.choice or ""
    page = exact_int(choice[2:], 0, ID_MAX) if choice.startswith("p:") else None
    if page is not None:
        data.page = page
        if answer.message_id is None:
            return Next(Step.SLOT)
        return await _show_slots(ctx, data, edit_id=answer.message_id) or Stay()
    minutes = exact_int(choice[2:], 0, ID_MAX) if choice.startswith("t:") else None
    if minutes is None:
        raise Retry(ctx.t("bk_pick_time"))
    starts_at = datetime.fromtimestamp(minutes * 60, UTC)
    offered = await _offered(ctx, data)
    trainer_id = offered.get(starts_at)
    if trainer_id is None or not await _hold(ctx, data, trainer_id, starts_at):
        ctx.say(ctx.t("bk_taken"))
        data.page = 0
        return Next(Step.SLOT)  # fresh slots, asked again
    return Next(Step.PHONE)


async def _hold(ctx: Context, data: Data, trainer_id: int, starts_at: datetime) -> bool:
    prospect = await _prospect(ctx, data)
    held = await bk.hold_slot(
        ctx.store,
        trainer_id=trainer_id,
        prospect_id=prospect.id or 0,
        starts_at=starts_at,
        length=await length_of(ctx.store, trainer_id),
        hold_for=timedelta(minutes=HOLD_MINUTES),
        intake={key: getattr(data, key) for key in INTAKE},
        now=ctx.now,
    )
    if held is None:
        return False
    data.booking_id = held.id
    return True


# phone and confirmation ------------------------------------------------------------------------
async def ask_phone(ctx: Context, data: Data) -> None:
    booking, trainer = await _held(ctx, data)
    request = ContactRequest(ctx.t("bk_share_phone"), (ctx.t("bk_skip_phone"),))
    text = ctx.t(
        "bk_holding",
        when=when(booking.starts_at, _zone(data), ctx.locale),
        trainer=trainer.name,
        minutes=HOLD_MINUTES,
    )
    ctx.replies.add(Send(text, contact=request))


async def answer_phone(ctx: Context, data: Data, answer: Answer) -> Result:
    if answer.phone:
        data.phone = answer.phone[:32]
        return Next(Step.CONFIRM)
    if answer.text.strip().lower() in (ctx.t("bk_skip_phone").lower(), "skip", "no"):
        data.phone = None
        return Next(Step.CONFIRM)
    raise Retry(ctx.t("bk_phone_hint"))


def _confirm_options(ctx: Context) -> list[Option]:
    return [("yes", ctx.t("bk_confirm")), ("other", ctx.t("bk_other_time"))]


async def ask_confirm(ctx: Context, data: Data) -> None:
    booking, trainer = await _held(ctx, data)
    got = ctx.t("bk_phone_saved") if data.phone else ctx.t("bk_phone_skipped")
    ctx.replies.add(Send(got, remove_keyboard=True))
    text = ctx.t(
        "bk_confirm_ask",
        when=when(booking.starts_at, _zone(data), ctx.locale),
        zone=_zone(data),
        trainer=trainer.name,
        minutes=int((booking.ends_at - booking.starts_at).total_seconds() // 60),
    )
    ctx.say(text, buttons(ctx, _confirm_options(ctx), per_row=1))


async def answer_confirm(ctx: Context, data: Data, answer: Answer) -> Result:
    """Confirmed: booked (a reschedule replaces the old one). Another time, or the hold was
    lost meanwhile: back to the slots."""
    choice = pick(ctx, answer, _confirm_options(ctx))
    booking, trainer = await _held(ctx, data)
    if choice == "other" or booking.status != BookingStatus.HELD:
        if booking.status == BookingStatus.HELD:
            await bk.cancel(ctx.store, booking, ctx.now, reason="visitor chose another time")
        else:
            ctx.say(ctx.t("bk_hold_lost"))
        data.booking_id, data.page = None, 0
        return Next(Step.SLOT)
    bk.confirm(booking, ctx.now, data.phone)
    await _booked(ctx, data, booking, trainer)
    return Done()


async def _booked(ctx: Context, data: Data, booking: Booking, trainer: Person) -> None:
    """The confirmation and calendar file; the trainer told; a rescheduled consult cancelled."""
    old = await bk.booking(ctx.store, data.reschedule) if data.reschedule else None
    if old is not None and old.status == BookingStatus.CONFIRMED:
        await bk.cancel(ctx.store, old, ctx.now, by=old.prospect_id, reason="rescheduled")
    _calendar_identity(booking, old)
    await send_confirmation(ctx, booking, trainer, _zone(data))
    await _tell_trainer_booked(ctx, booking, trainer, old)
    if ctx.person is not None:
        ctx.replies.add(menu_for(ctx.person.role, ctx.locale))


BOOKING = register(
    Flow(
        "booking",
        Data,
        {
            Step.NAME: StepSpec(ask_name, answer_name),
            Step.GOAL: StepSpec(ask_goal, answer_goal),
            Step.TRAINER: StepSpec(ask_trainer, answer_trainer),
            Step.INJURY: StepSpec(ask_injury, answer_injury),
            Step.FLAGS: StepSpec(ask_flags, answer_flags),
            Step.CLEARED: StepSpec(ask_cleared, answer_cleared),
            Step.TIMEZONE: StepSpec(ask_zone, answer_zone),
            Step.SLOT: StepSpec(ask_slot, answer_slot),
            Step.PHONE: StepSpec(ask_phone, answer_phone),
            Step.CONFIRM: StepSpec(ask_confirm, answer_confirm),
        },
    )
)


# helpers ---------------------------------------------------------------------------------------
def _minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _cleared_options(ctx: Context) -> list[Option]:
    return [(value, ctx.t(CLEARED[value])) for value in CLEARED]


async def _trainer_options(ctx: Context) -> list[Option]:
    trainers = await bk.consult_trainers(ctx.store)
    return [(str(t.id), t.name) for t in trainers] + [(ANY, ctx.t("bk_any_trainer"))]


async def _trainer_ids(ctx: Context, data: Data) -> list[int]:
    chosen = data.trainer or ANY
    if chosen != ANY:
        return [int(chosen)]
    return [t.id or 0 for t in await bk.consult_trainers(ctx.store)]


async def _offered(ctx: Context, data: Data) -> dict[datetime, int]:
    ids = await _trainer_ids(ctx, data)
    return await offered_slots(ctx.store, ids, ctx.now, ctx.bot.default_timezone)


def _flag_buttons(ctx: Context, data: Data) -> Keyboard:
    return flag_keyboard(ctx, set(data.flags or []))


def _flags_record(ctx: Context, data: Data) -> str:
    return flags_record(ctx, ctx.t("bk_ask_flags"), data.flags or [])


async def _prospect(ctx: Context, data: Data) -> Person:
    """The visitor as a Person (role prospect), created when they first hold a slot."""
    if ctx.person is not None:
        return ctx.person
    person = Person(
        telegram_user_id=ctx.event.user_id,
        chat_id=ctx.event.chat_id,
        role=Role.PROSPECT,
        name=data.name or "",
        timezone=data.zone,  # not asked yet when the intake stops on a red flag
        locale=ctx.locale,  # before the row exists: their chat's language
        created_at=ctx.now,
    )
    ctx.person = await ctx.store.add_person(person)
    return person


async def _held(ctx: Context, data: Data) -> tuple[Booking, Person]:
    booking = await bk.booking(ctx.store, data.booking_id or 0)
    trainer = await ctx.store.person(booking.trainer_id) if booking else None
    if booking is None or trainer is None:
        raise RuntimeError("booking flow without its held booking")
    return booking, trainer


async def _red_flag_stop(ctx: Context, data: Data) -> None:
    """No normal consult: section 5's wording (emergency number first) and a stored alert.

    The visitor becomes a Person (role prospect) if they aren't one yet, so the alert has
    someone to be about; the trainer is the one they chose, else the first taking consults.
    """
    codes = data.flags or []
    post_op = bool(_SURGERY.search(data.injury or ""))
    day = Day(date=ctx.now.date(), red_flags=tuple(codes))
    assessment = assess(Client(post_op=post_op), day, [])
    if assessment.severity == "emergency":
        told = told_record("emergency", ctx.bot.emergency_number)
        ctx.replies.items.insert(0, Send(ctx.t("bk_emergency", number=ctx.bot.emergency_number)))
    else:
        told = told_record("urgent", ctx.bot.emergency_number)
        ctx.say(ctx.t("bk_urgent"))
    visitor = await _prospect(ctx, data)
    trainer = await _red_flag_trainer(ctx, data.trainer)
    if trainer is None:
        log.error("visitor %s has red flags but no trainer or admin to alert", visitor.id)
        return
    answers = {
        "red_flags": list(codes),
        "goal": data.goal,
        "injury": data.injury,
    }
    await raise_visitor_alerts(ctx, visitor, trainer, assessment, answers, told)


async def _red_flag_trainer(ctx: Context, chosen: str | None) -> Person | None:
    """The trainer the visitor chose; else the first taking consults; else the first admin."""
    if chosen not in (None, ANY) and str(chosen).isdigit():
        trainer = await ctx.store.person(int(str(chosen)))
        if trainer is not None:
            return trainer
    trainers = await bk.consult_trainers(ctx.store)
    if trainers:
        return trainers[0]
    admins = await ctx.store.people_with_role(Role.ADMIN)
    return admins[0] if admins else None


async def send_confirmation(ctx: Context, booking: Booking, trainer: Person, zone: str) -> None:
    """The confirmation with Reschedule and Cancel, then the calendar file."""
    length = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    day_ahead = booking.starts_at - ctx.now > timedelta(hours=24)  # else only the 1 h reminder
    text = ctx.t(
        "bk_confirmed",
        when=when(booking.starts_at, zone, ctx.locale),
        zone=zone,
        trainer=trainer.name,
        minutes=length,
        reminders=ctx.t("bk_remind_both") if day_ahead else ctx.t("bk_remind_hour"),
        where=where(ctx.locale, await location_of(ctx.store, trainer.id or 0), trainer.name),
    )
    ctx.say(text, prospect_buttons(ctx, booking.id or 0))
    ctx.replies.add(await calendar_file(ctx, booking, trainer))


def _uid(booking: Booking) -> str:
    return booking.ics_uid or booking_uid(booking.id or 0)


def _calendar_identity(booking: Booking, old: Booking | None) -> None:
    """A reschedule is the original's calendar event moved: its UID, SEQUENCE + 1."""
    if old is not None and old.prospect_id == booking.prospect_id:
        booking.ics_uid, booking.ics_sequence = _uid(old), old.ics_sequence + 1
    else:
        booking.ics_uid, booking.ics_sequence = _uid(booking), 0


async def calendar_file(
    ctx: Context,
    booking: Booking,
    trainer: Person | None,
    cancelled: bool = False,
    locale: str | None = None,
) -> Document:
    """The booking's event as an .ics, in `locale` (default: the person talking); a cancel is
    the next SEQUENCE of the same UID. Its LOCATION is the trainer's place, if set."""
    if cancelled:
        booking.ics_uid, booking.ics_sequence = _uid(booking), booking.ics_sequence + 1
    lang = locale or ctx.locale
    name = trainer.name if trainer is not None else "?"
    ics = consult_ics(
        uid=_uid(booking),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        title=t("bk_ics_title", lang, trainer=name),
        details=t("bk_ics_details", lang, trainer=name),
        now=ctx.now,
        sequence=booking.ics_sequence,
        cancelled=cancelled,
        location=await location_of(ctx.store, booking.trainer_id),
    )
    if cancelled:
        return Document(ics, "consult-cancelled.ics", t("bk_ics_cancel_caption", lang))
    return Document(ics, "consult.ics", t("bk_ics_caption", lang))


def prospect_buttons(ctx: Context, booking_id: int) -> Keyboard:
    return keyboard(
        [
            button(ctx.t("bk_reschedule"), BookingMove(booking_id)),
            button(ctx.t("bk_cancel"), BookingCancel(booking_id)),
        ]
    )


def prospect_outbox_buttons(locale: str, booking_id: int) -> list[list[dict[str, str]]]:
    """The same two buttons for an outbox message (reminders)."""
    return [
        [
            outbox_button(t("bk_reschedule", locale), BookingMove(booking_id)),
            outbox_button(t("bk_cancel", locale), BookingCancel(booking_id)),
        ]
    ]


async def _tell_trainer_booked(
    ctx: Context, booking: Booking, trainer: Person, old: Booking | None
) -> None:
    intake = booking.intake
    zone = ctx.zone(trainer)
    cleared = intake.get("cleared")
    await notify_person(
        ctx,
        trainer,
        N_("bk_trainer_moved") if old is not None else N_("bk_trainer_booked"),
        about=[booking.prospect_id],
        buttons=[
            [outbox_button(t_for(trainer, "bk_trainer_cancel"), StaffCancel(booking.id or 0))]
        ],
        name=intake.get("name") or "?",
        when=when(booking.starts_at, zone, trainer.locale),
        old=when(old.starts_at, zone, trainer.locale) if old is not None else "",
        zone=zone,
        goal=intake.get("goal") or "-",
        injury=intake.get("injury") or t_for(trainer, "bk_none"),
        cleared=t_for(trainer, CLEARED[cleared]) if cleared else "-",
        phone=booking.phone or t_for(trainer, "bk_none"),
    )


def t_for(person: Person, key: str, **values: Any) -> str:
    return t(key, person.locale, **values)


async def _show_upcoming(ctx: Context, person: Person) -> bool:
    """A prospect's upcoming consults with their buttons; False when there are none."""
    found = await bk.upcoming(ctx.store, ctx.now, prospect_id=person.id or 0)
    zone = ctx.zone(person)
    for booking in found:
        trainer = await ctx.store.person(booking.trainer_id)
        name = trainer.name if trainer else "?"
        place = await location_of(ctx.store, booking.trainer_id)
        text = ctx.t(
            "bk_upcoming",
            when=when(booking.starts_at, zone, ctx.locale),
            zone=zone,
            trainer=name,
            where=where(ctx.locale, place, name),
        )
        ctx.say(text, prospect_buttons(ctx, booking.id or 0))
    return bool(found)


# global buttons --------------------------------------------------------------------------------
async def _own_booking(ctx: Context, booking_id: int) -> Booking | None:
    """The prospect's own booking from a button; anyone else's is "expired"."""
    booking = await bk.booking(ctx.store, booking_id)
    person = ctx.person
    if booking is None or person is None or booking.prospect_id != person.id:
        ctx.replies.toast(ctx.t("button_expired"))
        return None
    return booking


async def rebook(ctx: Context, old: Booking, reschedule: bool) -> None:
    """Back to the slots, with the old intake and the same trainer."""
    data = Data.model_validate(
        {
            **old.intake,
            "trainer": str(old.trainer_id),
            "zone": ctx.zone(ctx.person),
            "page": 0,
            "reschedule": old.id if reschedule else None,
        }
    )
    await start(ctx, BOOKING, Step.SLOT, data)


def _record(ctx: Context, outcome: str) -> None:
    """Write the outcome onto the question whose button was pressed, dropping its buttons."""
    if ctx.event.message_id is not None:
        ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n» {outcome}")


def _changeable(ctx: Context, booking: Booking, on_question: bool = False) -> bool:
    """Confirmed and not begun; otherwise a short polite answer (and False)."""
    if booking.status == BookingStatus.CONFIRMED and booking.starts_at > ctx.now:
        return True
    if booking.status == BookingStatus.CANCELLED:
        stale = ctx.t("bk_already_cancelled")
    elif booking.starts_at <= ctx.now:
        stale = ctx.t("bk_already_past")
    else:
        stale = ctx.t("bk_not_movable")
    ctx.replies.toast(stale)
    if on_question:
        _record(ctx, stale)
    return False


async def on_move(ctx: Context, data: BookingMove) -> None:
    booking = await _own_booking(ctx, data.booking_id)
    if booking is None or not _changeable(ctx, booking):
        return
    ctx.replies.toast()
    await rebook(ctx, booking, reschedule=True)


async def on_cancel(ctx: Context, data: BookingCancel) -> None:
    """ "bkcancel:<id>" asks first; its answers are "bkcancel:<id>:yes" and "bkcancel:<id>:keep".

    Every press checks the booking afresh, so a stale one (cancelled, or its time has come)
    only gets a polite answer.
    """
    answer = data.answer
    booking = await _own_booking(ctx, data.booking_id)
    if booking is None:
        return
    if not _changeable(ctx, booking, on_question=answer is not None):
        return
    zone = ctx.zone(ctx.person)
    if answer is None:
        ctx.replies.toast()
        choices = [
            button(ctx.t("bk_cancel_yes"), BookingCancel(data.booking_id, "yes")),
            button(ctx.t("bk_cancel_keep"), BookingCancel(data.booking_id, "keep")),
        ]
        ctx.say(
            ctx.t("bk_cancel_ask", when=when(booking.starts_at, zone, ctx.locale)),
            keyboard(choices),
        )
        return
    if answer == "keep":
        kept = ctx.t("bk_kept", when=when(booking.starts_at, zone, ctx.locale))
        ctx.replies.toast(kept)
        _record(ctx, ctx.t("bk_cancel_keep"))
        return
    _record(ctx, ctx.t("bk_cancel_yes"))
    await bk.cancel(ctx.store, booking, ctx.now, by=booking.prospect_id, reason="visitor")
    ctx.replies.toast(ctx.t("bk_cancelled_toast"))
    new = keyboard([button(ctx.t("bk_book_new"), BookingNew(data.booking_id))])
    ctx.say(ctx.t("bk_cancelled", when=when(booking.starts_at, zone, ctx.locale)), new)
    trainer = await ctx.store.person(booking.trainer_id)
    ctx.replies.add(await calendar_file(ctx, booking, trainer, cancelled=True))
    if trainer is not None:
        tz = ctx.zone(trainer)
        await notify_person(
            ctx,
            trainer,
            "bk_trainer_cancelled",
            about=[booking.prospect_id],
            name=booking.intake.get("name") or "?",
            when=when(booking.starts_at, tz, trainer.locale),
            zone=tz,
        )


async def on_new(ctx: Context, data: BookingNew) -> None:
    booking = await _own_booking(ctx, data.booking_id)
    if booking is None:
        return
    ctx.replies.toast()
    if ctx.person is not None and await _show_upcoming(ctx, ctx.person):
        return  # already booked again: show that instead of a second booking
    await rebook(ctx, booking, reschedule=False)


async def _book(ctx: Context) -> None:
    await welcome(ctx, greet=False)


async def _mybooking(ctx: Context) -> None:
    if ctx.person is None or not await _show_upcoming(ctx, ctx.person):
        ctx.say(ctx.t("bk_none_upcoming"))


COMMANDS = (
    Command("book", _book, {VISITOR: N_("cmd_book"), Role.PROSPECT: N_("cmd_book")}),
    Command("mybooking", _mybooking, {Role.PROSPECT: N_("cmd_mybooking")}),
)
ACTIONS: Actions = (
    Route(BookingMove, on_move),
    Route(BookingCancel, on_cancel),
    Route(BookingNew, on_new),
)
