"""`mendbot library import` and `export`, run as real processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flows.library.csvfile import read
from tests.bot.test_cli import _mendbot

HEADER = "name,region,phases,sets,reps,seconds,cues,video,photo,retired\n"


def _names(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "cli.sqlite3") as db:
        return [r[0] for r in db.execute("SELECT name FROM library_exercise ORDER BY name_key")]


def test_a_file_with_a_bad_row_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text(
        HEADER
        + "Nordic curl,knee,strength,3,6,,,,,\n"
        + "Toe yoga,toe,rehab,3,10,,,,,\n"
        + "nordic CURL,knee,strength,3,6,,,,,\n",
        encoding="utf-8",
    )
    done = _mendbot(tmp_path, "library", "import", "in.csv")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "in.csv: line 3: region: one of ankle, knee, hip, back, neck, shoulder, elbow, wrist, "
        "core, general",
        "in.csv: line 4: 'nordic CURL' is already on line 2",
        "mendbot library import: 2 bad row(s); nothing was imported",
    ]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "cli.sqlite3").exists() or "Nordic curl" not in _names(tmp_path)


def test_export_then_import_round_trips(tmp_path: Path) -> None:
    exported = _mendbot(tmp_path, "library", "export", "lib.csv")
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "lib.csv").read_text(encoding="utf-8")
    assert text.startswith(HEADER) and "Quad sets,knee,rehab,3,10," in text
    before = _names(tmp_path)
    (tmp_path / "lib.csv").write_text(
        text + 'Nordic curl,knee,strength,3,6,,"Slow, controlled.",https://vimeo.com/1,,\n',
        encoding="utf-8",
    )
    done = _mendbot(tmp_path, "library", "import", "lib.csv")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip() == f"Imported {len(before) + 1} row(s): 1 added, {len(before)} updated."
    )
    again = _mendbot(tmp_path, "library", "export")
    imported, _ = read((tmp_path / "lib.csv").read_text(encoding="utf-8"))
    assert read(again.stdout) == (sorted(imported, key=lambda v: v.name.casefold()), [])
    assert "Nordic curl" in _names(tmp_path)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    done = _mendbot(tmp_path, "library", "import", "nope.csv")
    assert done.returncode == 1
    assert done.stderr == "mendbot library import: cannot read nope.csv (FileNotFoundError)\n"
