"""files of outbox rows already sent or given up: their bytes dropped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:00:00.000000

A weekly chart per client per week (about 70 KB each), reports and calendar files stayed in the
outbox after delivery, though only the sender reads them: the database grew by the week. The
sender now drops a file's bytes once its row is final (bot/outbox.py); this does the same for
rows final before it. The row, its text and the file's name and kind stay. Downgrade: nothing to
undo (the bytes are gone; nothing reads them).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE outbox SET file_content = NULL"
        " WHERE status IN ('sent', 'failed') AND file_content IS NOT NULL"
    )


def downgrade() -> None:
    pass
