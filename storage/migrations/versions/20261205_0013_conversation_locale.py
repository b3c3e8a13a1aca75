"""a chat's language before its person exists

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-05 09:00:00.000000

A person's language is person.locale (since 0001). A visitor who has not booked yet has no person
row, only their chat's conversation row: /language stores their choice there, and it becomes
person.locale when they book or join. NULL: not chosen, Telegram's language_code decides. For a
person it names the language their chat's command menu is still in after a trainer changed
theirs, until their next update sends the menu again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("locale")
