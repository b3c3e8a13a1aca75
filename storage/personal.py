"""Everything stored about one person: gathered for /mydata, deleted for /deleteme.

Every table is listed in TABLES with what it holds about people, and every column that references
person.id in PERSON_REFERENCES with what deleting a person does to it
(tests/flows/account/test_mydata.py fails when a table or such a column is added without a decision
here). Deletion is one transaction of plain DELETE and UPDATE statements, children before parents,
so it needs no ON DELETE CASCADE and runs the same on SQLite (foreign keys on) and PostgreSQL.

Only clients and prospects delete themselves: staff columns (a trainer's hours, the trainer of an
alert) never name them, and a staff account is removed by the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlmodel import SQLModel, col, select

from storage.inbox import forget_chat
from storage.models import (
    ALERT_PRIORITY,
    Alert,
    Booking,
    Checkin,
    CheckinVersion,
    ClientProfile,
    Conversation,
    Exercise,
    Invite,
    Outbox,
    OutboxStatus,
    OutboxSubject,
    Pause,
    Person,
    PhaseChange,
    Program,
    ProgressionSuggestion,
    ReminderSchedule,
    SlotClaim,
    TickFailure,
)
from storage.repo import Store
from storage.sent import delete_messages, with_later_parts


class Ref(StrEnum):
    """What deleting a person does to a column that references them."""

    OWNED = "owned"  # the row is about them: exported and deleted
    CLEARED = "cleared"  # who did something to another row (nullable): set to NULL
    STAFF = "staff"  # a staff member's column: never a client's or prospect's


PERSON_REFERENCES: dict[tuple[str, str], Ref] = {
    ("client_profile", "person_id"): Ref.OWNED,
    ("client_profile", "trainer_id"): Ref.STAFF,
    ("client_profile", "clearance_confirmed_by"): Ref.CLEARED,
    ("invite", "created_by"): Ref.CLEARED,
    ("invite", "trainer_id"): Ref.CLEARED,
    ("outbox", "person_id"): Ref.OWNED,
    ("outbox_subject", "person_id"): Ref.OWNED,
    ("program", "client_id"): Ref.OWNED,
    ("program", "updated_by"): Ref.CLEARED,
    ("checkin", "client_id"): Ref.OWNED,
    ("checkin_version", "client_id"): Ref.OWNED,
    ("pause", "client_id"): Ref.OWNED,
    ("alert", "client_id"): Ref.OWNED,
    ("alert", "trainer_id"): Ref.STAFF,
    ("alert", "acknowledged_by"): Ref.CLEARED,
    ("reminder_schedule", "client_id"): Ref.OWNED,
    ("consult_settings", "trainer_id"): Ref.STAFF,
    ("availability", "trainer_id"): Ref.STAFF,
    ("blocked_date", "trainer_id"): Ref.STAFF,
    ("booking", "trainer_id"): Ref.STAFF,
    ("booking", "prospect_id"): Ref.OWNED,
    ("booking", "cancelled_by"): Ref.CLEARED,
    ("slot_claim", "trainer_id"): Ref.STAFF,
    ("library_exercise", "updated_by"): Ref.CLEARED,
    ("program_template", "created_by"): Ref.CLEARED,
    ("phase_change", "client_id"): Ref.OWNED,
    ("phase_change", "changed_by"): Ref.CLEARED,
    ("progression_suggestion", "client_id"): Ref.OWNED,
    ("progression_suggestion", "trainer_id"): Ref.STAFF,
}
"""Every column with a foreign key to person.id."""

CHILD_REFERENCES: dict[tuple[str, str], str] = {
    ("exercise", "program_id"): "deleted with the client's program",
    ("alert", "checkin_id"): "alerts are deleted before the check-ins they point at",
    ("checkin_version", "checkin_id"): "earlier versions are deleted before their check-ins",
    ("slot_claim", "booking_id"): "deleted with the booking, which frees the slot",
    ("outbox_subject", "outbox_id"): "deleted with the message it describes",
}
"""Every column with a foreign key to a table holding OWNED rows (other than person)."""

TABLES: dict[str, str] = {
    "person": "the person: exported, deleted last",
    "client_profile": "a client's profile: exported, deleted",
    "invite": "the invite a client joined with names them (used_by_user_id): exported, deleted",
    "conversation": "the chat's state (chat_id): deleted, not exported (it is only a cursor)",
    "processed_update": "update ids and times only, nothing personal: kept",
    "outbox": "messages to the person (person_id, chat_id) and about them (outbox_subject): "
    "exported, deleted; an alert about them not yet sent is delivered first, then deleted",
    "outbox_subject": "whom a message to someone else is about: deleted with the message",
    "inbox": "updates not yet handled or answered (chat_id, the update): the person's deleted",
    "program": "a client's program: exported, deleted",
    "exercise": "the program's exercises: exported, deleted",
    "checkin": "a client's check-ins: exported, deleted",
    "checkin_version": "earlier versions of a client's check-ins: exported, deleted",
    "pause": "a client's pauses: exported, deleted",
    "alert": "alerts about the person: exported (no staff-only fields), deleted",
    "reminder_schedule": "a client's reminder schedule: exported, deleted",
    "consult_settings": "a trainer's consult rules: staff only",
    "availability": "a trainer's consult hours: staff only",
    "blocked_date": "a trainer's blocked days: staff only",
    "booking": "a prospect's consult bookings and intake: exported, deleted",
    "slot_claim": "the slot a booking holds: deleted with it (the slot is free again)",
    "centre": "the centre's settings: nothing personal",
    "library_exercise": "the centre's exercise library: nothing personal (who last edited an "
    "entry: staff)",
    "program_template": "the centre's program templates: nothing personal",
    "template_item": "a template's exercises: nothing personal",
    "phase_change": "a client's phase changes (who, when, which template): exported, deleted",
    "progression_suggestion": "suggestions to a client's trainer that their program may "
    "progress (green days, adherence, the trainer's answer): exported, deleted",
    "tick_failure": "rows a periodic tick failed on (tick, row id, exception type): the "
    "person's (their id, their alerts' and bookings') deleted",
}
"""Every table, and what it holds about people."""


@dataclass
class Stored:
    """The rows about one person, for the export."""

    person: Person
    profile: ClientProfile | None = None
    trainer: Person | None = None
    invites: list[Invite] = field(default_factory=list)
    program: Program | None = None
    exercises: list[Exercise] = field(default_factory=list)
    phase_changes: list[PhaseChange] = field(default_factory=list)
    checkins: list[Checkin] = field(default_factory=list)
    versions: list[CheckinVersion] = field(default_factory=list)  # earlier, replaced ones
    pauses: list[Pause] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    outbox: list[Outbox] = field(default_factory=list)
    suggestions: list[ProgressionSuggestion] = field(default_factory=list)
    written: list[Outbox] = field(default_factory=list)  # their own words relayed to staff
    schedule: ReminderSchedule | None = None
    bookings: list[Booking] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # trainers of bookings, by id


async def _all(store: Store, query: Any) -> list[Any]:
    return list((await store.session.exec(query)).all())


def _to_person(person: Person) -> Any:
    return or_(col(Outbox.person_id) == person.id, col(Outbox.chat_id) == person.chat_id)


# ticks whose row id is a person
PERSON_TICKS = ("schedule", "reminder", "nudge", "digest", "progress", "weekly")
WRITTEN_KINDS = ("reply_to_trainer", "ci_note_for_trainer")  # carry the person's own words


def _about(pid: int) -> Any:
    """Ids of the outbox rows about the person: those linked, and the later parts of a long
    text whose first part is (only a first part carries the links)."""
    linked = select(OutboxSubject.outbox_id).where(OutboxSubject.person_id == pid)
    return select(Outbox.id).where(with_later_parts(linked))


async def _forget_messages_about(store: Store, pid: int) -> None:
    """Messages to others about the person go, sent or not, except an alert not yet sent: a
    flag must reach the trainer whatever else happens, so it is delivered and then deleted by
    the sender (erase_after_send). Its subject link goes now either way."""
    about = _about(pid)
    await store.session.exec(
        update(Outbox)
        .where(
            col(Outbox.id).in_(about),
            col(Outbox.priority) == ALERT_PRIORITY,
            col(Outbox.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(erase_after_send=True)
    )
    doomed = list(
        (
            await store.session.exec(
                select(Outbox.id).where(col(Outbox.id).in_(about), ~col(Outbox.erase_after_send))
            )
        ).all()
    )
    await store.session.exec(delete(OutboxSubject).where(col(OutboxSubject.person_id) == pid))
    await delete_messages(store.session, col(Outbox.id).in_(doomed))


async def stored_about(store: Store, person: Person) -> Stored:
    """Everything about `person` (not other people's rows that merely name them)."""
    pid = person.id or 0
    found = Stored(person=person)
    found.profile = await store.profile(pid)
    if found.profile is not None:
        found.trainer = await store.person(found.profile.trainer_id)
    found.invites = await _all(
        store, select(Invite).where(Invite.used_by_user_id == person.telegram_user_id)
    )
    found.program = (
        await store.session.exec(select(Program).where(Program.client_id == pid))
    ).first()
    if found.program is not None:
        found.exercises = await _all(
            store,
            select(Exercise)
            .where(Exercise.program_id == found.program.id)
            .order_by(col(Exercise.position), col(Exercise.id)),
        )
    found.phase_changes = await _all(
        store,
        select(PhaseChange).where(PhaseChange.client_id == pid).order_by(col(PhaseChange.id)),
    )
    found.checkins = await _all(
        store,
        select(Checkin).where(Checkin.client_id == pid).order_by(col(Checkin.local_date)),
    )
    found.versions = await _all(
        store,
        select(CheckinVersion)
        .where(CheckinVersion.client_id == pid)
        .order_by(col(CheckinVersion.local_date), col(CheckinVersion.version)),
    )
    found.pauses = await _all(
        store, select(Pause).where(Pause.client_id == pid).order_by(col(Pause.first_day))
    )
    found.alerts = await _all(
        store, select(Alert).where(Alert.client_id == pid).order_by(col(Alert.id))
    )
    found.outbox = await _all(
        store, select(Outbox).where(_to_person(person)).order_by(col(Outbox.id))
    )
    found.suggestions = await _all(
        store,
        select(ProgressionSuggestion)
        .where(ProgressionSuggestion.client_id == pid)
        .order_by(col(ProgressionSuggestion.id)),
    )
    about = _about(pid)
    found.written = await _all(
        store,
        select(Outbox)
        .where(col(Outbox.id).in_(about), col(Outbox.kind).in_(WRITTEN_KINDS))
        .order_by(col(Outbox.id)),
    )
    found.schedule = await store.session.get(ReminderSchedule, pid)
    found.bookings = await _all(
        store, select(Booking).where(Booking.prospect_id == pid).order_by(col(Booking.id))
    )
    for trainer_id in {b.trainer_id for b in found.bookings}:
        trainer = await store.person(trainer_id)
        found.names[trainer_id] = trainer.name if trainer is not None else "?"
    return found


async def delete_person(store: Store, person: Person, keep_update: int | None = None) -> None:
    """Delete every row about `person`, in the caller's transaction, children first.

    Their updates still waiting in the inbox go too, except `keep_update` (the one deleting
    them, whose answer is still to be sent).

    Rows of other people that merely name them (who acknowledged an alert, who last changed a
    program) keep the row with that column cleared. Flushes first, so pending changes to rows
    about to go are written (and then deleted) rather than written after the deletion.
    """
    pid = person.id
    if pid is None:
        return
    session = store.session
    await session.flush()
    store.erased = True
    await _forget_messages_about(store, pid)
    programs = select(Program.id).where(Program.client_id == pid)
    bookings = select(Booking.id).where(Booking.prospect_id == pid)
    checkins = select(Checkin.id).where(Checkin.client_id == pid)
    alerts = select(Alert.id).where(Alert.client_id == pid)
    statements: list[Any] = [
        delete(TickFailure).where(
            or_(
                and_(col(TickFailure.tick).in_(PERSON_TICKS), col(TickFailure.row_id) == pid),
                and_(col(TickFailure.tick) == "escalate", col(TickFailure.row_id).in_(alerts)),
                and_(col(TickFailure.tick) == "booking", col(TickFailure.row_id).in_(bookings)),
            )
        ),
        delete(SlotClaim).where(col(SlotClaim.booking_id).in_(bookings)),
        delete(Exercise).where(col(Exercise.program_id).in_(programs)),
        delete(Alert).where(or_(col(Alert.client_id) == pid, col(Alert.checkin_id).in_(checkins))),
        delete(CheckinVersion).where(
            or_(col(CheckinVersion.client_id) == pid, col(CheckinVersion.checkin_id).in_(checkins))
        ),
        delete(Checkin).where(col(Checkin.client_id) == pid),
        delete(Pause).where(col(Pause.client_id) == pid),
        delete(ProgressionSuggestion).where(col(ProgressionSuggestion.client_id) == pid),
        delete(Program).where(col(Program.client_id) == pid),
        delete(PhaseChange).where(col(PhaseChange.client_id) == pid),
        delete(ReminderSchedule).where(col(ReminderSchedule.client_id) == pid),
        delete(Booking).where(col(Booking.prospect_id) == pid),
        delete(OutboxSubject).where(
            col(OutboxSubject.outbox_id).in_(select(Outbox.id).where(_to_person(person)))
        ),
        delete(Outbox).where(_to_person(person)),
        delete(ClientProfile).where(col(ClientProfile.person_id) == pid),
        delete(Invite).where(col(Invite.used_by_user_id) == person.telegram_user_id),
    ]
    cleared = [ref for ref, how in PERSON_REFERENCES.items() if how == Ref.CLEARED]
    for table_name, column_name in cleared:
        table = SQLModel.metadata.tables[table_name]
        column = table.c[column_name]
        statements.append(update(table).where(column == pid).values({column_name: None}))
    statements += [
        delete(Conversation).where(
            or_(
                col(Conversation.chat_id) == person.chat_id,
                col(Conversation.user_id) == person.telegram_user_id,
            )
        ),
        delete(Person).where(col(Person.id) == pid),
    ]
    for statement in statements:
        await session.exec(statement)
    await forget_chat(store, person.chat_id, keep=keep_update)
