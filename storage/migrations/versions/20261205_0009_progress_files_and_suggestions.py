"""outbox rows carrying a file (a chart, a report); progression suggestions; weekly summary time

0008 gave the outbox a calendar file (file_name, document): that becomes the general
file_kind / file_name / file_content, its rows kept as documents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

# a batch that recreates the table on SQLite must keep it AUTOINCREMENT (0007): ids never reused
KEEP_IDS = {"sqlite_autoincrement": True}

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", table_kwargs=KEEP_IDS) as batch_op:
        batch_op.add_column(sa.Column("file_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("file_content", sa.LargeBinary(), nullable=True))
        batch_op.alter_column(
            "file_name", existing_type=sa.String(length=64), type_=sa.String(length=100)
        )
    op.execute(
        "UPDATE outbox SET file_kind = 'document', file_content = document"
        " WHERE document IS NOT NULL"
    )
    with op.batch_alter_table("outbox", table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_column("document")
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
    with op.batch_alter_table("outbox", table_kwargs=KEEP_IDS) as batch_op:
        batch_op.add_column(sa.Column("document", sa.LargeBinary(), nullable=True))
    # 0008 could carry documents only: a queued chart goes as a plain message (its caption)
    op.execute("UPDATE outbox SET document = file_content WHERE file_kind = 'document'")
    op.execute("UPDATE outbox SET file_name = NULL WHERE document IS NULL")
    # 0008's names are 64 characters at most: PostgreSQL refuses to shrink over a longer one
    op.execute(
        "UPDATE outbox SET file_name = substr(file_name, 1, 64) WHERE length(file_name) > 64"
    )
    with op.batch_alter_table("outbox", table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_column("file_content")
        batch_op.drop_column("file_kind")
        batch_op.alter_column(
            "file_name", existing_type=sa.String(length=100), type_=sa.String(length=64)
        )
