"""Adherence, streaks, the 7-day series and the pain trend: arithmetic over check-ins, no I/O."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean
from typing import Any, Literal


def set_counts(exercises: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(sets done, sets prescribed) over any number of exercises, e.g. a week of check-ins."""
    prescribed = done = 0
    for exercise in exercises:
        prescribed += int(exercise.get("sets_prescribed") or 0)
        done += int(exercise.get("sets_done") or 0)
    return done, prescribed


def adherence(exercises: Iterable[Mapping[str, Any]]) -> float | None:
    """Sets done / sets prescribed; None when nothing was prescribed (TRIAGE.md section 4)."""
    done, prescribed = set_counts(exercises)
    return done / prescribed if prescribed else None


def streak(checked_in: Container[date], paused: Container[date], today: date) -> int:
    """Days in a row with a check-in up to today; paused days neither count nor break it.

    Today without a check-in yet doesn't break it either: the day isn't over.
    """
    count, day = 0, today
    if day not in checked_in:
        day -= timedelta(days=1)
    for _ in range(3650):
        if day in checked_in:
            count += 1
        elif day not in paused:
            break
        day -= timedelta(days=1)
    return count


def series(days: Sequence[Mapping[str, Any]], today: date, length: int = 7) -> list[dict[str, Any]]:
    """The last `length` days up to today, one entry a day (None where no check-in)."""
    by_date = {str(d["date"]): d for d in days}
    out = []
    for offset in range(length - 1, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        found = by_date.get(day, {})
        out.append(
            {
                "date": day,
                "pain_now": found.get("pain_now"),
                "exercise_pain": found.get("exercise_pain"),
                "adherence": adherence(found.get("exercises") or []),
                "light": found.get("light"),
            }
        )
    return out


Direction = Literal["down", "flat", "up"]


@dataclass(frozen=True)
class Trend:
    """Mean pain of the latest `size` check-ins against the `size` before them."""

    direction: Direction
    before: float
    recent: float
    size: int


def pain_trend(pains: Sequence[int], step: float = 1.0) -> Trend | None:
    """Pain values oldest first: the last 3 against the 3 before (with fewer than 6, equal halves
    of what there is: 2 values compare 1 with 1); None under 2 values. A change of at least
    `step` (0-10 scale) is "up" or "down", anything smaller "flat"."""
    size = min(3, len(pains) // 2)
    if size == 0:
        return None
    recent = mean(pains[-size:])
    before = mean(pains[-2 * size : -size])
    direction: Direction
    if recent - before >= step:
        direction = "up"
    elif before - recent >= step:
        direction = "down"
    else:
        direction = "flat"
    return Trend(direction, before, recent, size)
