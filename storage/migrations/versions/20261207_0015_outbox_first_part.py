"""a long text's later parts point at its first part, which alone carries the subjects

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:00:00.000000

A text longer than Telegram takes is queued as several outbox rows. Each row was linked to every
person the text is about (outbox_subject), so a trainer's weekly roster of N clients, about N/130
parts, took N rows a part: N²/130 a week (770,000 at 10,000 clients). Now only the first part is
linked and the others name it in first_part_id; deleting a person deletes the parts through it.
Rows queued before keep their per-part links, which deletion still follows. Downgrade drops the
column: later parts queued since then are no longer found from a person, so their links are
copied to them first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_part_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_outbox_first_part_id", ["first_part_id"], unique=False)


def downgrade() -> None:
    op.execute(
        "INSERT INTO outbox_subject (outbox_id, person_id)"
        " SELECT o.id, s.person_id FROM outbox o"
        " JOIN outbox_subject s ON s.outbox_id = o.first_part_id"
        " WHERE NOT EXISTS (SELECT 1 FROM outbox_subject t"
        " WHERE t.outbox_id = o.id AND t.person_id = s.person_id)"
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_first_part_id")
        batch_op.drop_column("first_part_id")
