"""Consults from the staff side: /bookings, cancelling with a reason, attended or no-show.

Cancelling (the Cancel consult button) asks one thing:  REASON -> done (visitor told)
"""

from __future__ import annotations

from enum import StrEnum

from flows.booking.times import when
from flows.booking.visitor import calendar_file
from flows.engine.buttons import (
    Actions,
    BookingNew,
    Outcome,
    Route,
    StaffCancel,
    button,
    outbox_button,
)
from flows.engine.conversation import Answer, Command, Context, register, start
from flows.engine.core import keyboard
from flows.engine.flow import Done, Flow, FlowData, Result, Retry, StepSpec
from flows.engine.notify import notify_person
from flows.engine.texts import N_, t
from storage import booking as bk
from storage.models import Booking, BookingStatus, Person, Role
from storage.repo import Attachment

MAX_REASON = 300
LISTED = 40  # consults /bookings shows, each with its Cancel button (Telegram allows 100)


def _new_slot_button(person_locale: str, booking_id: int) -> list[list[dict[str, str]]]:
    return [[outbox_button(t("bk_book_new", person_locale), BookingNew(booking_id))]]


async def _staff_booking(ctx: Context, booking_id: int) -> Booking | None:
    """A booking this trainer owns (or any, for an admin); otherwise "expired"."""
    booking = await bk.booking(ctx.store, booking_id)
    person = ctx.person
    allowed = person is not None and (
        person.role == Role.ADMIN
        or (person.role == Role.TRAINER and booking is not None and booking.trainer_id == person.id)
    )
    if booking is None or not allowed:
        ctx.replies.toast(ctx.t("button_expired"))
        return None
    return booking


async def _bookings(ctx: Context) -> None:
    person = ctx.person
    if person is None:
        return
    mine = person.id if person.role == Role.TRAINER else None
    found = await bk.upcoming(ctx.store, ctx.now, trainer_id=mine)
    if not found:
        ctx.say(ctx.t("bk_list_none"))
        return
    zone = ctx.zone(person)
    lines = [ctx.t("bk_list_header", count=len(found), zone=zone)]
    cancels = []
    for n, booking in enumerate(found[:LISTED], start=1):
        trainer = await ctx.store.person(booking.trainer_id)
        name = booking.intake.get("name") or "?"
        lines.append(
            ctx.t(
                "bk_list_line",
                n=n,
                when=when(booking.starts_at, zone, ctx.locale),
                name=name,
                trainer=trainer.name if trainer else "?",
            )
        )
        if booking.starts_at > ctx.now:  # under way: nothing to cancel
            label = ctx.t("bk_list_cancel", n=n, name=name)
            cancels.append(button(label, StaffCancel(booking.id or 0)))
    rows = [[cancel] for cancel in cancels]
    ctx.say("\n".join(lines), keyboard(*rows))


class Step(StrEnum):
    REASON = "reason"


class Data(FlowData):
    """The booking being cancelled (checked again on cancelling) and the visitor's name."""

    booking_id: int = 0
    name: str | None = None


async def ask_reason(ctx: Context, data: Data) -> None:
    ctx.say(ctx.t("bk_ask_reason", name=data.name or "?"))


async def answer_reason(ctx: Context, data: Data, answer: Answer) -> Result:
    """The reason, which the visitor is told along with new slots."""
    reason = " ".join(answer.text.split())
    if answer.choice is not None or not 2 <= len(reason) <= MAX_REASON:
        raise Retry(ctx.t("bk_bad_text"))
    await _cancel(ctx, data.booking_id, reason)
    return Done()


async def _cancel(ctx: Context, booking_id: int, reason: str) -> None:
    booking = await bk.booking(ctx.store, booking_id)
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        ctx.say(ctx.t("bk_already_over"))
        return
    await bk.cancel(
        ctx.store, booking, ctx.now, by=ctx.person.id if ctx.person else None, reason=reason
    )
    ctx.say(ctx.t("bk_trainer_cancel_done", name=booking.intake.get("name") or "?"))
    prospect = await ctx.store.person(booking.prospect_id)
    trainer = await ctx.store.person(booking.trainer_id)
    if prospect is not None:
        zone = ctx.zone(prospect)
        await notify_person(
            ctx,
            prospect,
            "bk_cancelled_by_trainer",
            buttons=_new_slot_button(prospect.locale, booking.id or 0),
            trainer=trainer.name if trainer else "?",
            when=when(booking.starts_at, zone, prospect.locale),
            reason=reason,
        )
        await _send_cancelled_event(ctx, booking, prospect, trainer)


async def _send_cancelled_event(
    ctx: Context, booking: Booking, prospect: Person, trainer: Person | None
) -> None:
    """The calendar file that takes the consult out of the visitor's calendar (the same UID,
    the next SEQUENCE, METHOD:CANCEL), as their own cancel sends; through the outbox, since
    the trainer is the one talking."""
    ics = await calendar_file(ctx, booking, trainer, cancelled=True, locale=prospect.locale)
    await ctx.store.enqueue(
        chat_id=prospect.chat_id,
        person_id=prospect.id,
        text=ics.caption,
        kind="bk_ics_cancel",
        now=ctx.now,
        dedupe_key=f"booking:{booking.id}:ics_cancel",
        attachment=Attachment("document", ics.filename, ics.content),
    )


TRAINER_CANCEL = register(
    Flow("consult_cancel", Data, {Step.REASON: StepSpec(ask_reason, answer_reason)})
)


async def on_trainer_cancel(ctx: Context, data: StaffCancel) -> None:
    booking = await _staff_booking(ctx, data.booking_id)
    if booking is None:
        return
    if booking.status != BookingStatus.CONFIRMED or booking.starts_at <= ctx.now:
        ctx.replies.toast(ctx.t("bk_already_over"))
        return
    ctx.replies.toast()
    name = booking.intake.get("name") or "?"
    await start(ctx, TRAINER_CANCEL, data=Data(booking_id=booking.id or 0, name=name))


async def on_outcome(ctx: Context, data: Outcome) -> None:
    """ "bkout:<id>:a" (attended) or "bkout:<id>:n" (no-show), once the consult has begun; the
    codec lets through exactly "a" or "n"."""
    booking = await _staff_booking(ctx, data.booking_id)
    if booking is None:
        return
    mark = data.mark
    if booking.status != BookingStatus.CONFIRMED or booking.starts_at > ctx.now:
        ctx.replies.toast(ctx.t("bk_outcome_not_now"))
        return
    booking.status = BookingStatus.ATTENDED if mark == "a" else BookingStatus.NO_SHOW
    booking.updated_at = ctx.now
    done = ctx.t("bk_marked_attended") if mark == "a" else ctx.t("bk_marked_no_show")
    ctx.replies.toast(done)
    if ctx.event.message_id is not None:
        ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n» {done}")
    prospect = await ctx.store.person(booking.prospect_id)
    trainer = await ctx.store.person(booking.trainer_id)
    if mark == "n" and prospect is not None:
        await notify_person(
            ctx,
            prospect,
            "bk_no_show_follow_up",
            buttons=_new_slot_button(prospect.locale, booking.id or 0),
            dedupe_key=f"booking:{booking.id}:noshow",
            name=booking.intake.get("name") or prospect.name,
            trainer=trainer.name if trainer else "?",
        )


def outcome_buttons(person_locale: str, booking_id: int) -> list[list[dict[str, str]]]:
    return [
        [
            outbox_button(t("bk_attended", person_locale), Outcome(booking_id, "a")),
            outbox_button(t("bk_no_show", person_locale), Outcome(booking_id, "n")),
        ]
    ]


COMMANDS = (
    Command(
        "bookings",
        _bookings,
        {Role.TRAINER: N_("cmd_bookings_trainer"), Role.ADMIN: N_("cmd_bookings_admin")},
    ),
)
ACTIONS: Actions = (Route(StaffCancel, on_trainer_cancel), Route(Outcome, on_outcome))
