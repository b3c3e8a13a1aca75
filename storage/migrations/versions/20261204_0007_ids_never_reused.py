"""ids never reused (SQLite AUTOINCREMENT), tick failures, unusable zones and times cleared

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:00:00.000000

1. Ids that appear in buttons, links and outbox dedupe keys must never come back after a delete:
   SQLite otherwise hands the highest id out again, so a deleted client's alert buttons acted on
   the next client and their alert's key matched the old one's. On SQLite every table with an
   integer surrogate key is recreated with AUTOINCREMENT (all rows, indexes and constraints
   kept; storage.db.migrate runs this with foreign keys off and checks them before it commits).
   Its sqlite_sequence starts at the highest id still known: the highest in the table, or named
   by a stored outbox message (a dedupe key or a button). Ids deleted before this migration,
   above that, can't be known. PostgreSQL sequences never reuse ids: nothing to do there.
2. tick_failure: the rows a periodic tick failed on (flows/ticks.py).
3. Values no code can use, stored before buttons were validated, stopped every tick that read
   them: a time zone zoneinfo doesn't know, an "HH:MM" that doesn't parse. They become NULL,
   which means the centre's default. Downgrade doesn't bring them back.
"""

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_REUSED = (
    "person",
    "program",
    "exercise",
    "checkin",
    "pause",
    "alert",
    "availability",
    "blocked_date",
    "booking",
    "outbox",
)
"""Every table with an integer surrogate primary key (centre's is the constant 1)."""

# ids that stored messages name, by table: dedupe keys and button data as flows write them
KEY_IDS = {
    "alert": (r"^alert:(?P<ids>\d+x\d+(?:\.\d+x\d+)*)$", r"^escalate:(\d+):"),
    "person": (r"^(?:rem|nudge|digest|unreachable):(\d+):", r"^escalate:\d+:(\d+)$"),
    "booking": (r"^booking:(\d+):",),
}
BUTTON_IDS = {
    "alert": (r"^ack:L?(?P<ids>\d+(?:,\d+)*)$",),
    "checkin": (r"^ack:C(\d+)[EUR]$",),
    "person": (r"^ack:V(\d+)[EUR]$", r"^(?:msg|hist|reply|clear|cprog|client):(\d+)$"),
    "booking": (r"^(?:bkmove|bkcancel|bktcancel|bknew|bkout):(\d+)(?::|$)",),
}

PERSON_TIMES = ("quiet_start", "quiet_end", "digest_time")


def upgrade() -> None:
    op.create_table(
        "tick_failure",
        sa.Column("tick", sa.String(length=24), nullable=False),
        sa.Column("row_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("failed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retry_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tick", "row_id"),
    )
    _clear_unusable_values()
    if op.get_bind().dialect.name != "sqlite":
        return
    known = _ids_named_by_messages()
    for table in NEVER_REUSED:
        _recreate(table, autoincrement=True)
        _sequence_at_least(table, known.get(table, 0))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in reversed(NEVER_REUSED):
            _recreate(table, autoincrement=False)
    op.drop_table("tick_failure")


# --- 1. AUTOINCREMENT on SQLite --------------------------------------------------------------


def _recreate(table: str, *, autoincrement: bool) -> None:
    """Copy the table into a new one declared with (or without) AUTOINCREMENT; batch mode
    reflects its columns, constraints and indexes and copies every row, ids included."""
    with op.batch_alter_table(
        table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def _sequence_at_least(table: str, known: int) -> None:
    """sqlite_sequence already holds the highest id copied in; raise it to `known`."""
    if known <= 0:
        return
    bind = op.get_bind()
    params = {"name": table, "seq": known}
    updated = bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = :seq WHERE name = :name AND seq < :seq"), params
    )
    if updated.rowcount:
        return
    present = bind.execute(
        sa.text("SELECT 1 FROM sqlite_sequence WHERE name = :name"), params
    ).first()
    if present is None:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"), params
        )


def _ids_named_by_messages() -> dict[str, int]:
    """The highest id of each table that an outbox row's dedupe key or buttons name."""
    highest: dict[str, int] = {}
    rows = op.get_bind().execute(sa.text("SELECT dedupe_key, buttons FROM outbox"))
    for key, buttons in rows:
        if key:
            _note(highest, KEY_IDS, [key])
        _note(highest, BUTTON_IDS, _button_data(buttons))
    return highest


def _button_data(buttons: object) -> list[str]:
    if isinstance(buttons, str):  # a driver that hands JSON back as text
        try:
            buttons = json.loads(buttons)
        except ValueError:
            return []
    if not isinstance(buttons, list):
        return []
    return [
        str(button["data"])
        for row in buttons
        if isinstance(row, list)
        for button in row
        if isinstance(button, dict) and button.get("data")
    ]


def _note(
    highest: dict[str, int], patterns: dict[str, tuple[str, ...]], values: Iterable[str]
) -> None:
    for value in values:
        for table, table_patterns in patterns.items():
            for pattern in table_patterns:
                match = re.search(pattern, value)
                if match is None:
                    continue
                found = match.group("ids") if "ids" in match.groupdict() else match.group(1)
                for number in re.findall(r"(\d+)(?:x\d+)?", found):
                    highest[table] = max(highest.get(table, 0), int(number))


# --- 3. values no code can use ---------------------------------------------------------------


def _clear_unusable_values() -> None:
    _clear_where("person", "timezone", _unusable_zone)
    for column in PERSON_TIMES:
        _clear_where("person", column, _unusable_time)
    _clear_where("client_profile", "checkin_time", _unusable_time)


def _clear_where(table: str, column: str, unusable: Callable[[str], bool]) -> None:
    """Set `column` to NULL wherever its value is unusable (one UPDATE per distinct value)."""
    bind = op.get_bind()
    values = bind.execute(
        sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL")
    ).scalars()
    bad = [value for value in values if unusable(value)]
    for value in bad:
        bind.execute(
            sa.text(f"UPDATE {table} SET {column} = NULL WHERE {column} = :value"),
            {"value": value},
        )


def _unusable_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except Exception:  # ZoneInfoNotFoundError, ValueError ("../x", ""), anything else
        return True
    return False


def _unusable_time(value: str) -> bool:
    """What flows.schedule.parse_hhmm refuses (copied: a migration must not change with it)."""
    hour, sep, minute = value.strip().partition(":")
    if not sep or not hour.isdigit() or not minute.isdigit() or len(minute) != 2:
        return True
    try:
        time(int(hour), int(minute))
    except ValueError:
        return True
    return False
