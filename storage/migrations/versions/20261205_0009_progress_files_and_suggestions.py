"""outbox rows carrying a file (a chart, a report); progression suggestions; weekly summary time

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("file_content", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("client_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekly_day", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("weekly_time", sa.String(), nullable=True))
    op.create_table(
        "progression_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("green_days", sa.Integer(), nullable=False),
        sa.Column("adherence", sa.Float(), nullable=False),
        sa.Column("answer", sa.String(length=24), nullable=True),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["trainer_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "day", name="uq_progression_client_day"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("progression_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progression_suggestion_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_progression_suggestion_trainer_id"), ["trainer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("progression_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progression_suggestion_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_progression_suggestion_client_id"))
    op.drop_table("progression_suggestion")
    with op.batch_alter_table("client_profile", schema=None) as batch_op:
        batch_op.drop_column("weekly_time")
        batch_op.drop_column("weekly_day")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("file_content")
        batch_op.drop_column("file_name")
        batch_op.drop_column("file_kind")
