"""The tables. Times are aware UTC; dates of check-ins are the client's local dates."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    CLIENT = "client"
    PROSPECT = "prospect"


STAFF = frozenset({Role.TRAINER, Role.ADMIN})


class Clearance(StrEnum):
    """Medical clearance to exercise: without it check-ins stay off until the trainer confirms."""

    CLEARED = "cleared"
    AWAITING_TRAINER = "awaiting_trainer"


def _utc() -> Any:
    return Column(UTCDateTime(), nullable=False)


def _utc_null() -> Any:
    return Column(UTCDateTime(), nullable=True)


NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}
"""Table option for every integer surrogate key: ids appear in buttons, links and outbox dedupe
keys, so a deleted row's id must never come back (SQLite otherwise reuses the highest id after a
delete; PostgreSQL sequences never do). Tuple __table_args__ put it last."""


def _json_list() -> Any:
    """A JSON list column; each new row gets a list of its own (`_empty_list`)."""
    return Field(default_factory=_empty_list, sa_column=Column(JSON, nullable=False))


def _json_dict() -> Any:
    """A JSON object column; each new row gets a dict of its own."""
    return Field(default_factory=_empty_dict, sa_column=Column(JSON, nullable=False))


def _empty_list() -> list[Any]:
    """pydantic inspects a default factory's signature every time it builds a row's default,
    and for the builtin `list` (or `dict`) that takes ~80 us: a Checkin, with three such
    columns, cost 0.3 ms to construct. A plain function is read in ~3 us."""
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


def _word(nullable: bool = False, index: bool = False) -> Any:
    """Enums are stored as plain strings: portable, readable, no native enum types to migrate."""
    return Column(String(24), nullable=nullable, index=index)


class Centre(SQLModel, table=True):
    """The centre's own defaults; a null column falls back to the environment's setting."""

    id: int = Field(default=1, primary_key=True)
    name: str = "mendbot demo centre"
    emergency_number: str | None = None
    default_timezone: str | None = None
    locale: str = "en"
    created_at: datetime = Field(sa_column=_utc())


class Person(SQLModel, table=True):
    """Anyone the bot knows by Telegram id, in one role."""

    __table_args__ = NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    role: Role = Field(sa_column=_word(index=True))
    name: str
    timezone: str | None = None
    locale: str = "en"
    created_at: datetime = Field(sa_column=_utc())
    # quiet hours, local "HH:MM"; None: the centre's default (QUIET_HOURS)
    quiet_start: str | None = None
    quiet_end: str | None = None
    digest_time: str | None = None  # trainers: local "HH:MM" of the daily digest
    unreachable_at: datetime | None = Field(default=None, sa_column=_utc_null())  # blocked us


class ClientProfile(SQLModel, table=True):
    """What a trainer needs to know about a client, and where onboarding got to."""

    __tablename__ = "client_profile"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    condition: str | None = None
    post_op: bool | None = None  # None: not asked yet
    clearance: Clearance | None = Field(default=None, sa_column=_word(nullable=True))
    clearance_confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    clearance_confirmed_at: datetime | None = Field(default=None, sa_column=_utc_null())
    consent_at: datetime | None = Field(default=None, sa_column=_utc_null())
    checkin_time: str | None = None  # local "HH:MM"
    onboarded_at: datetime | None = Field(default=None, sa_column=_utc_null())
    clinician: str | None = Field(default=None, max_length=200)  # who to refer to, as typed
    # the weekly summary: local weekday (0 Monday .. 6 Sunday) and "HH:MM"; None: Sunday, 18:00
    weekly_day: int | None = None
    weekly_time: str | None = None


class Invite(SQLModel, table=True):
    """A one-time code for the deep link t.me/<bot>?start=<code>."""

    code: str = Field(primary_key=True, max_length=32)
    role: Role = Field(sa_column=_word())
    name: str
    created_by: int | None = Field(default=None, foreign_key="person.id")
    trainer_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
    used_by_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    used_at: datetime | None = Field(default=None, sa_column=_utc_null())


class Conversation(SQLModel, table=True):
    """One row per chat: which flow and step it is in, so a restart resumes where it stopped."""

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = _json_dict()
    version: int = 0
    # the values of the buttons the current question offered: a pressed value must be one of them
    offered: list[str] = _json_list()
    updated_at: datetime = Field(sa_column=_utc())
    # no person yet: the language chosen with /language (None: Telegram's decides); a person:
    # the language this chat's command menu is in when it isn't theirs (redone on their next update)
    locale: str | None = Field(default=None, max_length=8)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already handled, recorded with their effects so redelivery changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(sa_column=_utc())


class InboxUpdate(SQLModel, table=True):
    """An update stored before Telegram is told it arrived, kept until its replies are sent.

    `event` is the normalized Event; `replies` is set in the transaction that handles it, so a
    crash at any point either handles it again (not handled yet) or sends its replies again.
    """

    __tablename__ = "inbox"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    event: dict[str, Any] = _json_dict()
    received_at: datetime = Field(sa_column=_utc())
    handled_at: datetime | None = Field(default=None, sa_column=_utc_null())
    replies: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    attempts: int = 0  # times taken up to handle: a crash loop gives up on it


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


ALERT_PRIORITY = 0
"""Outbox.priority of emergency and urgent alerts: sent first, and through quiet hours."""
NORMAL_PRIORITY = 5
"""Outbox.priority of everything else (reminders, nudges, notices), sent in turn."""

OWN_ERROR = "error: "
"""Outbox.last_error of a row mendbot's own code failed on (not Telegram): "error: <type>"."""


class Outbox(SQLModel, table=True):
    """A proactive message, written in the same transaction as its cause and sent by one sender."""

    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_due", "status", "priority", "not_before"),
        NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_id: int | None = Field(default=None, foreign_key="person.id")
    kind: str
    priority: int = NORMAL_PRIORITY  # lower goes first
    text: str
    buttons: list[list[dict[str, str]]] = _json_list()
    dedupe_key: str | None = None
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_column=_word())
    attempts: int = 0
    not_before: datetime = Field(sa_column=_utc())
    created_at: datetime = Field(sa_column=_utc())
    sent_at: datetime | None = Field(default=None, sa_column=_utc_null())
    telegram_message_id: int | None = None
    last_error: str | None = None
    # the person it was about is deleted: deliver (an alert must arrive), then delete the row
    erase_after_send: bool = False
    # a photo (a chart) or document sent with `text` as its caption; None: a plain message
    file_kind: str | None = Field(default=None, sa_column=_word(nullable=True))
    file_name: str | None = Field(default=None, max_length=100)
    file_content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # a long text's later parts: the id of its first part, which alone carries the subjects
    first_part_id: int | None = Field(default=None, index=True)


class OutboxSubject(SQLModel, table=True):
    """Whom a message to someone else is about (an alert, a relayed reply, a digest line), so
    deleting that person deletes what was said about them. Linked to a long text's first part
    only: its other parts follow it by Outbox.first_part_id (a roster of N clients in N/130
    parts would otherwise take N rows a part)."""

    __tablename__ = "outbox_subject"

    outbox_id: int = Field(foreign_key="outbox.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class Program(SQLModel, table=True):
    """A client's current prescription; check-ins copy what was prescribed on their day."""

    __table_args__ = NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", unique=True)
    phase: str = "rehab"
    # which optional questions (TRIAGE.md Q4-Q8) the check-in asks
    questions: list[str] = _json_list()
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(sa_column=_utc())


class Exercise(SQLModel, table=True):
    __table_args__ = NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    position: int = 0
    name: str
    sets: int = 3
    reps: int | None = None
    seconds: int | None = None  # a hold or timed exercise instead of reps
    link: str | None = None  # video or instructions
    notes: str | None = None
    # the library entry (or template) it was copied from: its values are this row's own copy
    library_id: int | None = Field(default=None, foreign_key="library_exercise.id", index=True)


class Checkin(SQLModel, table=True):
    """One client's answers for one local date and what triage made of them."""

    __table_args__ = (
        UniqueConstraint("client_id", "local_date", name="uq_checkin_client_date"),
        NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", index=True)
    local_date: date
    status: str = Field(default="in_progress", sa_column=_word())  # in_progress | done | stopped
    pain_now: int | None = None
    exercise_pain: int | None = None
    morning: str | None = None
    stiffness: str | None = None
    swelling: str | None = None
    night_waking: str | None = None
    night_eased: bool | None = None
    confidence: int | None = None
    red_flags: list[str] = _json_list()
    # what was prescribed that day and what was done: [{name, sets_prescribed, sets_done,
    # skip_reason}]
    exercises: list[dict[str, Any]] = _json_list()
    note: str | None = None
    severity: str | None = None
    rules: list[str] = _json_list()
    light: str | None = None
    started_at: datetime = Field(sa_column=_utc())
    completed_at: datetime | None = Field(default=None, sa_column=_utc_null())


class CheckinVersion(SQLModel, table=True):
    """An earlier submitted version of a day's check-in, kept when "Change answers" replaces it.

    The Checkin row is the latest version (the one every screen and rule counts); these keep
    what was submitted before, symptoms and note included, for the trainer's history and
    /mydata (and /deleteme deletes them with the check-ins)."""

    __tablename__ = "checkin_version"

    checkin_id: int = Field(foreign_key="checkin.id", primary_key=True)
    version: int = Field(primary_key=True, ge=1)  # 1 is the day's first submission
    client_id: int = Field(foreign_key="person.id", index=True)
    local_date: date
    status: str = Field(sa_column=_word())  # done | stopped
    # the version's answers and exercises, as the check-in's own columns held them
    answers: dict[str, Any] = _json_dict()
    severity: str | None = None
    rules: list[str] = _json_list()
    light: str | None = None
    submitted_at: datetime | None = Field(default=None, sa_column=_utc_null())
    replaced_at: datetime = Field(sa_column=_utc())


class ProgressionSuggestion(SQLModel, table=True):
    """A suggestion to the trainer that a client's program may progress (TRIAGE.md section 3):
    never a change by itself. `day` is the client's last green day counted; the next suggestion
    counts only days after it. `answer`: None (not yet answered), "open" or "later"."""

    __tablename__ = "progression_suggestion"
    __table_args__ = (
        UniqueConstraint("client_id", "day", name="uq_progression_client_day"),
        NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", index=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    day: date
    green_days: int
    adherence: float
    answer: str | None = Field(default=None, sa_column=_word(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_utc_null())
    created_at: datetime = Field(sa_column=_utc())


class Pause(SQLModel, table=True):
    """Days a client is away (travel, illness, flare): no reminders, no flags, streak kept."""

    __table_args__ = NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", index=True)
    first_day: date
    last_day: date
    reason: str | None = None
    created_at: datetime = Field(sa_column=_utc())


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


class Alert(SQLModel, table=True):
    """One flagged rule for one client, open until a trainer acknowledges it."""

    __table_args__ = (Index("ix_alert_open", "client_id", "rule", "status"), NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", index=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    checkin_id: int | None = Field(default=None, foreign_key="checkin.id")
    rule: str = Field(max_length=4)
    severity: str = Field(sa_column=_word())
    status: AlertStatus = Field(default=AlertStatus.OPEN, sa_column=_word(index=True))
    answers: dict[str, Any] = _json_dict()
    series: list[dict[str, Any]] = _json_list()
    client_told: str | None = None  # what the client was told, e.g. "call 911"
    times_raised: int = 1
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc_null())
    escalated_at: datetime | None = Field(default=None, sa_column=_utc_null())
    digested_at: datetime | None = Field(default=None, sa_column=_utc_null())


class ReminderSchedule(SQLModel, table=True):
    """When a client's next daily reminder is due, in UTC, computed from their local date and time.

    One row per client, so planning is one indexed query however many clients there are.
    """

    __tablename__ = "reminder_schedule"

    client_id: int = Field(foreign_key="person.id", primary_key=True)
    next_due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    snoozed_until: datetime | None = Field(default=None, sa_column=_utc_null())
    updated_at: datetime = Field(sa_column=_utc())


class ConsultSettings(SQLModel, table=True):
    """A trainer's rules for free consults; availability and blocked dates hang off the trainer."""

    __tablename__ = "consult_settings"

    trainer_id: int = Field(foreign_key="person.id", primary_key=True)
    length_minutes: int = 30
    buffer_minutes: int = 0
    notice_hours: int = 12
    horizon_days: int = 14
    accepting: bool = True
    # how or where consults happen (an address or a video link), shown to the visitor
    location: str | None = Field(default=None, max_length=300)


class Availability(SQLModel, table=True):
    """Weekly consult hours in the trainer's own time zone (weekday 0 is Monday)."""

    __table_args__ = NEVER_REUSED
    id: int | None = Field(default=None, primary_key=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    weekday: int
    start: str  # local "HH:MM"
    end: str  # local "HH:MM", after start


class BlockedDate(SQLModel, table=True):
    __tablename__ = "blocked_date"
    __table_args__ = (UniqueConstraint("trainer_id", "day", name="uq_blocked_date"), NEVER_REUSED)

    id: int | None = Field(default=None, primary_key=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    day: date


class BookingStatus(StrEnum):
    HELD = "held"  # the visitor is confirming; the slot is theirs until hold_expires_at
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class Booking(SQLModel, table=True):
    __table_args__ = NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    trainer_id: int = Field(foreign_key="person.id", index=True)
    prospect_id: int = Field(foreign_key="person.id", index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=_utc())
    status: BookingStatus = Field(default=BookingStatus.HELD, sa_column=_word(index=True))
    hold_expires_at: datetime | None = Field(default=None, sa_column=_utc_null())
    intake: dict[str, Any] = _json_dict()
    phone: str | None = None
    cancelled_by: int | None = Field(default=None, foreign_key="person.id")
    cancel_reason: str | None = None
    # calendar identity: a rescheduled booking keeps its original's UID with SEQUENCE + 1, so
    # calendar apps move the event; None before confirmation (and on rows older than 0004)
    ics_uid: str | None = Field(default=None, max_length=128)
    ics_sequence: int = 0
    created_at: datetime = Field(sa_column=_utc())
    updated_at: datetime = Field(sa_column=_utc())


class SlotClaim(SQLModel, table=True):
    """One row per trainer and start time while a booking holds or owns it.

    The primary key, not a check-then-insert, makes a double booking impossible, across
    processes too; cancelling or an expired hold deletes the claim and frees the slot.
    """

    __tablename__ = "slot_claim"

    trainer_id: int = Field(foreign_key="person.id", primary_key=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    booking_id: int = Field(foreign_key="booking.id", unique=True)


class TickFailure(SQLModel, table=True):
    """A row a periodic tick failed on, so one bad row neither stops the tick nor is retried on
    every tick: the tick skips it until `retry_at` (backing off as `failures` grow) and deletes
    this row when it next succeeds. `tick` says what `row_id` is (flows/engine/ticks.py); `error` is
    the exception's type and where it was raised, never its message."""

    __tablename__ = "tick_failure"

    tick: str = Field(primary_key=True, max_length=24)
    row_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    failures: int = 1
    error: str = Field(max_length=200)
    failed_at: datetime = Field(sa_column=_utc())
    retry_at: datetime = Field(sa_column=_utc())


class LibraryExercise(SQLModel, table=True):
    """An entry of the centre's exercise library. A client's Exercise copies its values, so an
    edit here changes nobody's program until a trainer chooses to update the clients using it;
    entries are retired, never deleted, so copies and templates can still name their source."""

    __tablename__ = "library_exercise"
    __table_args__ = (
        UniqueConstraint("name_key", name="uq_library_exercise_name_key"),
        NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    name_key: str = Field(max_length=60)  # the name casefolded: one entry per name
    region: str = Field(max_length=24, index=True)
    phases: list[str] = _json_list()
    sets: int = 3
    reps: int | None = None
    seconds: int | None = None
    cues: str | None = Field(default=None, max_length=500)
    video: str | None = Field(default=None, max_length=300)
    photo: str | None = Field(default=None, max_length=200)  # a Telegram file_id
    retired_at: datetime | None = Field(default=None, sa_column=_utc_null())
    updated_at: datetime = Field(sa_column=_utc())
    updated_by: int | None = Field(default=None, foreign_key="person.id")


class ProgramTemplate(SQLModel, table=True):
    """A named set of library exercises for one phase ("ACL phase 2"), applied to a client's
    program in /program: the client gets copies, the template stays as it was."""

    __tablename__ = "program_template"
    __table_args__ = (
        UniqueConstraint("name_key", name="uq_program_template_name_key"),
        NEVER_REUSED,
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    name_key: str = Field(max_length=60)
    phase: str = Field(max_length=30)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = Field(sa_column=_utc())


class TemplateItem(SQLModel, table=True):
    """One exercise of a template: a library entry with the template's own dose."""

    __tablename__ = "template_item"
    __table_args__ = NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="program_template.id", index=True)
    position: int = 0
    library_id: int = Field(foreign_key="library_exercise.id")
    sets: int = 3
    reps: int | None = None
    seconds: int | None = None


class PhaseChange(SQLModel, table=True):
    """A client moved to another phase: from what, to what, by which template, who and when
    (the physio report reads these; storage/phases.py)."""

    __tablename__ = "phase_change"
    __table_args__ = NEVER_REUSED

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="person.id", index=True)
    from_phase: str | None = Field(default=None, max_length=30)
    to_phase: str = Field(max_length=30)
    template_id: int | None = Field(default=None, foreign_key="program_template.id")
    template_name: str | None = Field(default=None, max_length=60)  # kept if the template goes
    changed_by: int | None = Field(default=None, foreign_key="person.id")
    changed_at: datetime = Field(sa_column=_utc())
