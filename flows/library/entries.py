"""What a library entry may hold, checked the same way whether typed in /library or imported.

Each check returns the clean value or None; `check_row` gathers a whole row's problems as short
sentences, so an import can say exactly what is wrong with each bad row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flows.engine.parse import ascii_int
from flows.engine.sanitize import clean_label
from flows.library.video import web_link

REGIONS = ("ankle", "knee", "hip", "back", "neck", "shoulder", "elbow", "wrist", "core", "general")
PHASES = ("rehab", "strength", "performance")
NAME_MAX, CUES_MAX, PHOTO_MAX = 60, 500, 200
SETS = (1, 10)
REPS = (1, 100)
SECONDS = (5, 600)


@dataclass(frozen=True)
class Values:
    """One entry's values, clean."""

    name: str
    region: str
    phases: tuple[str, ...]
    sets: int
    reps: int | None = None
    seconds: int | None = None
    cues: str | None = None
    video: str | None = None
    photo: str | None = None
    retired: bool = False

    def columns(self) -> dict[str, Any]:
        """As storage.library stores them (retired aside: it is a time there)."""
        return {
            "name": self.name,
            "name_key": self.name.casefold(),
            "region": self.region,
            "phases": list(self.phases),
            "sets": self.sets,
            "reps": self.reps,
            "seconds": self.seconds,
            "cues": self.cues,
            "video": self.video,
            "photo": self.photo,
        }


def clean_name(text: str) -> str | None:
    name = clean_label(text, NAME_MAX)
    return None if name is None or name.startswith("/") else name


def parse_region(text: str) -> str | None:
    region = text.strip().casefold()
    return region if region in REGIONS else None


def parse_phases(text: str) -> tuple[str, ...] | None:
    """ "rehab; strength" (also with commas, |, +, "and" or blanks) in the order of PHASES;
    None if empty or a word isn't a phase."""
    for separator in ",;|+&":
        text = text.replace(separator, " ")
    words = [w for w in text.casefold().split() if w != "and"]
    if not words or any(word not in PHASES for word in words):
        return None
    return tuple(phase for phase in PHASES if phase in words)


def parse_cues(text: str) -> str | None:
    """How to do it: any text up to CUES_MAX characters, blanks collapsed (it shows on one line
    under the exercise); None if too long or empty."""
    return clean_label(text, CUES_MAX)


def parse_photo(text: str) -> str | None:
    """A Telegram file_id: letters, digits, - and _ only."""
    photo = text.strip()
    if (
        not photo
        or len(photo) > PHOTO_MAX
        or not all(c.isascii() and (c.isalnum() or c in "-_") for c in photo)
    ):
        return None
    return photo


_YES, _NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n", "")


@dataclass
class Row:
    """A row being checked: its problems gather in `problems`."""

    raw: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        return (self.raw.get(name) or "").strip()

    def need(self, value: Any, why: str) -> Any:
        if value is None:
            self.problems.append(why)
        return value

    def optional(self, name: str, parse: Any, why: str) -> Any:
        text = self.get(name)
        return self.need(parse(text), why) if text else None


def check_row(raw: dict[str, str]) -> Values | list[str]:
    """A CSV row's values, or what is wrong with it (every problem, not just the first)."""
    row = Row(raw)
    name = row.need(clean_name(row.get("name")), f"name: 1 to {NAME_MAX} characters")
    region = row.need(parse_region(row.get("region")), f"region: one of {', '.join(REGIONS)}")
    phases = row.need(
        parse_phases(row.get("phases")), f"phases: one or more of {', '.join(PHASES)}"
    )
    sets = row.need(ascii_int(row.get("sets"), *SETS), "sets: a whole number 1-10")
    reps = row.optional("reps", lambda t: ascii_int(t, *REPS), "reps: a whole number 1-100")
    seconds = row.optional(
        "seconds", lambda t: ascii_int(t, *SECONDS), "seconds: a whole number 5-600"
    )
    if bool(row.get("reps")) == bool(row.get("seconds")):
        row.problems.append("give reps or seconds, one of them")
    cues = row.optional("cues", parse_cues, f"cues: at most {CUES_MAX} characters")
    video = row.optional("video", web_link, "video: an http or https link")
    photo = row.optional("photo", parse_photo, "photo: a Telegram file_id")
    retired = row.get("retired").casefold()
    if retired not in _YES + _NO:
        row.problems.append("retired: yes or no")
    if row.problems:
        return row.problems
    return Values(name, region, phases, sets, reps, seconds, cues, video, photo, retired in _YES)
