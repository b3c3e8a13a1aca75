"""earlier check-in versions, a trainer's consult location, files in the outbox

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-05 08:00:00.000000

1. checkin_version: "Change answers" used to overwrite the day's check-in, so the first
   version's symptoms and note were lost; now each replaced version is kept here.
2. consult_settings.location: how or where a trainer's consults happen (an address or a video
   link), shown in the confirmation, the reminders and the calendar file's LOCATION.
3. outbox.file_name and outbox.document: a file (the cancellation .ics of a consult the trainer
   cancelled) sent through the outbox to someone other than the person talking.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_version",
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("light", sa.String(), nullable=True),
        sa.Column("submitted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("replaced_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkin.id"]),
        sa.ForeignKeyConstraint(["client_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("checkin_id", "version"),
    )
    with op.batch_alter_table("checkin_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_version_client_id"), ["client_id"], unique=False
        )
    with op.batch_alter_table("consult_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=300), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("document")
        batch_op.drop_column("file_name")
    with op.batch_alter_table("consult_settings", schema=None) as batch_op:
        batch_op.drop_column("location")
    with op.batch_alter_table("checkin_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_version_client_id"))
    op.drop_table("checkin_version")
