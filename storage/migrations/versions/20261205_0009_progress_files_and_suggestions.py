"""outbox rows carrying a file (a chart, a report)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_kind", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("file_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("file_content", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("file_content")
        batch_op.drop_column("file_name")
        batch_op.drop_column("file_kind")
