"""The library as CSV: what `mendbot library import` reads and `export` writes (one format, so
an export imports again unchanged). Reading checks every row and reports each bad one on its own
line; the caller imports nothing unless there are none."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flows.library.entries import Values, check_row

COLUMNS = (
    "name",
    "region",
    "phases",
    "sets",
    "reps",
    "seconds",
    "cues",
    "video",
    "photo",
    "retired",
)
REQUIRED = ("name", "region", "phases", "sets")


def read(text: str) -> tuple[list[Values], list[str]]:
    """The rows' values and the problems, one line each ("line 4: sets: ..."); duplicates (the
    same name, any case) are problems too."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip().casefold() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        wrong = [f"header: missing column(s) {', '.join(missing)}"] if missing else []
        wrong += [f"header: unknown column(s) {', '.join(unknown)}"] if unknown else []
        return [], wrong
    reader.fieldnames = header
    found: list[Values] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if None in raw:
            problems.append(f"line {line}: more fields than the header has")
            continue
        checked = check_row({k: v or "" for k, v in raw.items()})
        if isinstance(checked, list):
            problems.append(f"line {line}: {'; '.join(checked)}")
            continue
        key = checked.name.casefold()
        if key in seen:
            problems.append(f"line {line}: {checked.name!r} is already on line {seen[key]}")
            continue
        seen[key] = line
        found.append(checked)
    return found, problems


def write(rows: Iterable[Values]) -> str:
    """CSV text with the header, one row per entry."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in rows:
        writer.writerow(
            [
                v.name,
                v.region,
                ";".join(v.phases),
                v.sets,
                "" if v.reps is None else v.reps,
                "" if v.seconds is None else v.seconds,
                v.cues or "",
                v.video or "",
                v.photo or "",
                "yes" if v.retired else "",
            ]
        )
    return out.getvalue()
