"""/mydata and /deleteme: a client or prospect takes a copy of everything stored about them, or
deletes it all (DESIGN.md, Storage).

/mydata sends one JSON file. /deleteme says what goes, asks with two buttons bound to this very
person ("delme:yes:<id>.<created>"), so a button left over from before a deletion can never act on
whoever has that Telegram account later; Delete everything removes every row about them in this
update's transaction (storage/personal.py), frees any consult slot they held, tells their trainer
in a neutral line, and leaves them a stranger: /start greets them as a new visitor.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flows.booking.times import when
from flows.checkin.triage import RULE_LABELS
from flows.engine.buttons import Actions, DeleteMe, Route, button
from flows.engine.conversation import Command, Context, stop
from flows.engine.core import Document, keyboard
from flows.engine.localtime import local
from flows.engine.menu import VISITOR, menu_for
from flows.engine.notify import notify_person
from flows.engine.schedule import zone_of
from flows.engine.texts import N_, t
from storage import booking as bk
from storage.models import STAFF, Person, Role
from storage.personal import Stored, delete_person, stored_about

SELF_SERVICE = frozenset({Role.CLIENT, Role.PROSPECT})

# columns left out of the export: internal ids, and staff-only facts about handling (who
# acknowledged or escalated an alert, when it went into a digest)
_HIDDEN: dict[str, frozenset[str]] = {
    "person": frozenset({"id", "chat_id", "digest_time"}),
    "client_profile": frozenset({"person_id", "trainer_id", "clearance_confirmed_by"}),
    "invite": frozenset({"code", "role", "created_by", "trainer_id", "used_by_user_id"}),
    "program": frozenset({"id", "client_id", "updated_by"}),
    "exercise": frozenset({"id", "program_id", "library_id"}),
    "phase_change": frozenset({"id", "client_id", "template_id", "changed_by"}),
    "checkin": frozenset({"id", "client_id"}),
    "checkin_version": frozenset({"checkin_id", "client_id"}),
    "pause": frozenset({"id", "client_id"}),
    "progression_suggestion": frozenset({"id", "client_id", "trainer_id"}),
    "alert": frozenset(
        {
            "id",
            "client_id",
            "trainer_id",
            "checkin_id",
            "acknowledged_by",
            "escalated_at",
            "digested_at",
        }
    ),
    "reminder_schedule": frozenset({"client_id"}),
    "booking": frozenset(
        {"id", "trainer_id", "prospect_id", "cancelled_by", "ics_uid", "ics_sequence"}
    ),
}
_MESSAGE_FIELDS = ("kind", "text", "status", "created_at", "sent_at")


# --- /mydata ---------------------------------------------------------------------------------


def _value(value: Any, zone: str) -> Any:
    if isinstance(value, datetime):
        return local(value, zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(row: Any, zone: str, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A row's columns (all but the hidden ones, or just `fields`), times in `zone` with offset."""
    table = row.__table__
    hidden = _HIDDEN.get(table.name, frozenset())
    names = fields or tuple(c.name for c in table.columns if c.name not in hidden)
    return {name: _value(getattr(row, name), zone) for name in names}


def export(found: Stored, now: datetime, default_zone: str) -> dict[str, Any]:
    """Everything about the person, as plain JSON-ready data."""
    person = found.person
    zone = zone_of(person, default_zone)
    profile = None
    if found.profile is not None:
        profile = {
            **_row(found.profile, zone),
            "trainer": found.trainer.name if found.trainer else None,
        }
    program = None
    if found.program is not None:
        program = {
            **_row(found.program, zone),
            "exercises": [_row(e, zone) for e in found.exercises],
            "phase_changes": [_row(c, zone) for c in found.phase_changes],
        }
    dates = {c.id: c.local_date.isoformat() for c in found.checkins}
    alerts = [
        {
            **_row(a, zone),
            "rule_label": RULE_LABELS.get(a.rule),
            "checkin_date": dates.get(a.checkin_id) if a.checkin_id else None,
        }
        for a in found.alerts
    ]
    bookings = []
    for b in found.bookings:
        by = None
        if b.cancelled_by is not None:
            by = "you" if b.cancelled_by == person.id else "the centre"
        bookings.append(
            {**_row(b, zone), "trainer": found.names.get(b.trainer_id), "cancelled_by": by}
        )
    return {
        "about": "Everything mendbot stores about you.",
        "exported_at": _value(now, zone),
        "times_shown_in": zone,
        "person": _row(person, zone),
        "client_profile": profile,
        "invites": [_row(i, zone) for i in found.invites],
        "program": program,
        "checkins": [_row(c, zone) for c in found.checkins],
        "checkins_replaced": [_row(v, zone) for v in found.versions],
        "pauses": [_row(p, zone) for p in found.pauses],
        "alerts": alerts,
        "progression_suggestions": [_row(p, zone) for p in found.suggestions],
        "reminder_schedule": _row(found.schedule, zone) if found.schedule else None,
        "consult_bookings": bookings,
        "messages_to_you": [_row(m, zone, _MESSAGE_FIELDS) for m in found.outbox],
        "your_messages_to_staff": [_row(m, zone, _MESSAGE_FIELDS) for m in found.written],
    }


async def send_mydata(ctx: Context) -> None:
    person = ctx.person
    if person is None:
        ctx.say(ctx.t("mydata_nothing"))
        return
    data = export(await stored_about(ctx.store, person), ctx.now, ctx.bot.default_timezone)
    content = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    day = ctx.today(person)
    filename = f"mendbot-data-{day.isoformat()}.json"
    ctx.replies.add(Document(content, filename, ctx.t("mydata_caption")))


# --- /deleteme --------------------------------------------------------------------------------


def _token(person: Person) -> str:
    """This person, not just this Telegram account: ids may be reused after a deletion."""
    return f"{person.id}.{int(person.created_at.timestamp())}"


async def ask_deleteme(ctx: Context) -> None:
    person = ctx.person
    if person is None:
        stop(ctx)  # a half-finished consult intake is all there is, and it goes
        ctx.say(ctx.t("mydata_nothing"))
        return
    if person.role in STAFF:
        ctx.say(ctx.t("deleteme_staff"))
        return
    trainer = None
    if person.role == Role.CLIENT:
        profile = await ctx.store.profile(person.id or 0)
        trainer = await ctx.store.person(profile.trainer_id) if profile else None
    if trainer is not None:
        told = ctx.t("deleteme_tell_trainer", trainer=trainer.name)
    else:
        told = ctx.t("deleteme_tell_consult")
    token = _token(person)
    choices = keyboard(
        [button(ctx.t("deleteme_yes"), DeleteMe("yes", token))],
        [button(ctx.t("deleteme_keep"), DeleteMe("keep", token))],
    )
    ctx.say(ctx.t("deleteme_ask", told=told), choices)


def _record(ctx: Context, outcome: str) -> None:
    """Write the answer onto the question and drop its buttons."""
    if ctx.event.message_id is not None:
        ctx.replies.edit(ctx.event.message_id, f"{ctx.event.message_text}\n\n» {outcome}")


async def on_delete(ctx: Context, data: DeleteMe) -> None:
    """ "delme:yes:<token>" deletes, "delme:keep:<token>" changes nothing; anything stale (the
    person is gone, or is someone new) only gets "this button has expired"."""
    person = ctx.person
    if person is None or person.role not in SELF_SERVICE or data.token != _token(person):
        ctx.replies.toast(ctx.t("button_expired"))
        return
    if data.answer == "keep":
        ctx.replies.toast(ctx.t("deleteme_kept"))
        _record(ctx, ctx.t("deleteme_keep"))
        return
    locale = person.locale
    _record(ctx, ctx.t("deleteme_yes"))
    await _tell_staff(ctx, person)
    stop(ctx)
    await delete_person(ctx.store, person, keep_update=ctx.event.update_id)
    ctx.person = None
    ctx.replies.toast()
    ctx.say(t("deleteme_done", locale))
    ctx.replies.add(menu_for(VISITOR, locale))


async def _tell_staff(ctx: Context, person: Person) -> None:
    """A client's trainer: they left. A trainer with a consult still to come: it's off.

    Neutral lines only: no condition, answers or intake.
    """
    if person.role == Role.CLIENT:
        profile = await ctx.store.profile(person.id or 0)
        trainer = await ctx.store.person(profile.trainer_id) if profile else None
        if trainer is not None:
            await notify_person(
                ctx, trainer, "deleteme_trainer", erase_after_send=True, name=person.name
            )
    for booking in await bk.upcoming(ctx.store, ctx.now, prospect_id=person.id or 0):
        trainer = await ctx.store.person(booking.trainer_id)
        if trainer is None:
            continue
        zone = ctx.zone(trainer)
        await notify_person(
            ctx,
            trainer,
            "deleteme_trainer_consult",
            erase_after_send=True,
            name=person.name,
            when=when(booking.starts_at, zone, trainer.locale),
            zone=zone,
        )


COMMANDS = (
    Command(
        "mydata",
        send_mydata,
        {role: N_("cmd_mydata") for role in SELF_SERVICE},
        also=frozenset({VISITOR}),
        more=True,
    ),
    Command(
        "deleteme",
        ask_deleteme,
        {role: N_("cmd_deleteme") for role in SELF_SERVICE},
        also=frozenset({VISITOR, *STAFF}),  # they are told how their account goes
        more=True,
    ),
)
ACTIONS: Actions = (Route(DeleteMe, on_delete),)
