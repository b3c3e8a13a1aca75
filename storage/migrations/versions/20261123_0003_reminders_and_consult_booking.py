"""reminders and consult booking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:34:20.349744
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(), nullable=False),
        sa.Column("end", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_trainer_id"), ["trainer_id"], unique=False
        )

    op.create_table(
        "blocked_date",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trainer_id", "day", name="uq_blocked_date"),
    )
    with op.batch_alter_table("blocked_date", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocked_date_trainer_id"), ["trainer_id"], unique=False
        )

    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("hold_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("intake", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        sa.Column("cancel_reason", sa.String(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cancelled_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_prospect_id"), ["prospect_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_trainer_id"), ["trainer_id"], unique=False)

    op.create_table(
        "consult_settings",
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("length_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("notice_hours", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("accepting", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("trainer_id"),
    )
    op.create_table(
        "reminder_schedule",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("next_due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("snoozed_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("client_id"),
    )
    with op.batch_alter_table("reminder_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_schedule_next_due_at"), ["next_due_at"], unique=False
        )

    op.create_table(
        "slot_claim",
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("trainer_id", "starts_at"),
        sa.UniqueConstraint("booking_id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digested_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_start", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("digest_time", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("unreachable_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("unreachable_at")
        batch_op.drop_column("digest_time")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("digested_at")

    op.drop_table("slot_claim")
    with op.batch_alter_table("reminder_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_schedule_next_due_at"))

    op.drop_table("reminder_schedule")
    op.drop_table("consult_settings")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_booking_status"))
        batch_op.drop_index(batch_op.f("ix_booking_starts_at"))
        batch_op.drop_index(batch_op.f("ix_booking_prospect_id"))

    op.drop_table("booking")
    with op.batch_alter_table("blocked_date", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocked_date_trainer_id"))

    op.drop_table("blocked_date")
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_trainer_id"))

    op.drop_table("availability")
