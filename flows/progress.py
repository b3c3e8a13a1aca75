"""Adherence, streaks and the 7-day series: plain arithmetic over check-ins, no I/O."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any


def adherence(exercises: Iterable[Mapping[str, Any]]) -> float | None:
    """Sets done / sets prescribed; None when nothing was prescribed (TRIAGE.md section 4)."""
    prescribed = done = 0
    for exercise in exercises:
        prescribed += int(exercise.get("sets_prescribed") or 0)
        done += int(exercise.get("sets_done") or 0)
    return done / prescribed if prescribed else None


def percent(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


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
