"""exercise library, program templates, phase changes; the starter library

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-05 08:35:14.310394

1. library_exercise: the centre's exercise library; program_template and template_item: named
   sets of library exercises for a phase; phase_change: who moved a client to which phase, when.
2. exercise.library_id: the entry a client's exercise was copied from (its values stay its own).
3. The starter library (storage/starter_library.csv, the `mendbot library import` format) is
   added once, here; the centre edits or retires it like any other entry. Downgrade drops it all.
"""

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@contextmanager
def _exercise_batch() -> Iterator[Any]:
    """Alter exercise; on SQLite the table is recreated, so keep it AUTOINCREMENT (0007) and
    keep its sqlite_sequence, the highest id ever handed out, which the copy would lose."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    seq = "SELECT seq FROM sqlite_sequence WHERE name = 'exercise'"
    before = bind.execute(sa.text(seq)).scalar() if sqlite else None
    kwargs = {"sqlite_autoincrement": True} if sqlite else {}
    with op.batch_alter_table("exercise", schema=None, table_kwargs=kwargs) as batch_op:
        yield batch_op
    if before is not None:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'exercise'"))
        high = max(
            int(before), int(bind.execute(sa.text("SELECT max(id) FROM exercise")).scalar() or 0)
        )
        insert = "INSERT INTO sqlite_sequence (name, seq) VALUES ('exercise', :seq)"
        bind.execute(sa.text(insert), {"seq": high})


def upgrade() -> None:
    op.create_table(
        "library_exercise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.Column("region", sa.String(length=24), nullable=False),
        sa.Column("phases", sa.JSON(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("cues", sa.String(length=500), nullable=True),
        sa.Column("video", sa.String(length=300), nullable=True),
        sa.Column("photo", sa.String(length=200), nullable=True),
        sa.Column("retired_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_library_exercise_name_key"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("library_exercise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_exercise_region"), ["region"], unique=False)

    op.create_table(
        "program_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("name_key", sa.String(length=60), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_program_template_name_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "phase_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("from_phase", sa.String(length=30), nullable=True),
        sa.Column("to_phase", sa.String(length=30), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("template_name", sa.String(length=60), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["program_template.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phase_change_client_id"), ["client_id"], unique=False)

    op.create_table(
        "template_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("sets", sa.Integer(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["library_exercise.id"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["program_template.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("template_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_item_template_id"), ["template_id"], unique=False
        )

    with _exercise_batch() as batch_op:
        batch_op.add_column(sa.Column("library_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_exercise_library_id"), ["library_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_exercise_library_id", "library_exercise", ["library_id"], ["id"]
        )
    _seed_starter_library()


STARTER = Path(__file__).resolve().parents[2] / "starter_library.csv"


def _number(text: str) -> int | None:
    return int(text) if text.strip() else None


def _seed_starter_library() -> None:
    """The shipped starter entries, as of this revision's file."""
    now = datetime.now(UTC)
    with STARTER.open(newline="", encoding="utf-8") as handle:
        rows = [
            {
                "name": row["name"],
                "name_key": row["name"].casefold(),
                "region": row["region"],
                "phases": [p for p in row["phases"].split(";") if p],
                "sets": int(row["sets"]),
                "reps": _number(row["reps"]),
                "seconds": _number(row["seconds"]),
                "cues": row["cues"] or None,
                "video": row["video"] or None,
                "photo": row["photo"] or None,
                "updated_at": now,
            }
            for row in csv.DictReader(handle)
        ]
    table = sa.table(
        "library_exercise",
        *(sa.column(name) for name in ("name", "name_key", "region", "sets", "reps", "seconds")),
        *(sa.column(name) for name in ("cues", "video", "photo")),
        sa.column("phases", sa.JSON()),
        sa.column("updated_at", storage.types.UTCDateTime()),
    )
    op.bulk_insert(table, rows)


def downgrade() -> None:
    with _exercise_batch() as batch_op:
        batch_op.drop_constraint("fk_exercise_library_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_exercise_library_id"))
        batch_op.drop_column("library_id")

    with op.batch_alter_table("template_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_item_template_id"))

    op.drop_table("template_item")
    with op.batch_alter_table("phase_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_change_client_id"))

    op.drop_table("phase_change")
    op.drop_table("program_template")
    with op.batch_alter_table("library_exercise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_exercise_region"))

    op.drop_table("library_exercise")
