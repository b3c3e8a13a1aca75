"""Time zones and clock times as people type them."""

from __future__ import annotations

from datetime import date, time

import pytest

from flows.engine.localtime import find_timezone, parse_clock_time, parse_day


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("London", "Europe/London"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("America/Los_Angeles", "America/Los_Angeles"),
        ("  kolkata ", "Asia/Kolkata"),
        ("India", "Asia/Kolkata"),
        ("UTC", "UTC"),
    ],
)
def test_finds_zones(typed: str, zone: str) -> None:
    assert find_timezone(typed) == zone


@pytest.mark.parametrize("typed", ["", "Atlantis", "Mars/Olympus", "12345", "x" * 100])
def test_unknown_zones(typed: str) -> None:
    assert find_timezone(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7", time(7, 0)),
        ("7:30", time(7, 30)),
        ("07.30", time(7, 30)),
        ("18h00", time(18, 0)),
        ("6pm", time(18, 0)),
        ("6:15 am", time(6, 15)),
        ("12am", time(0, 0)),
        ("12 pm", time(12, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parses_times(typed: str, expected: time) -> None:
    assert parse_clock_time(typed) == expected


@pytest.mark.parametrize("typed", ["24:00", "7:60", "13pm", "0am", "noonish", "", "7:5"])
def test_rejects_times(typed: str) -> None:
    assert parse_clock_time(typed) is None


TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-12-24", date(2026, 12, 24)),
        ("24 Dec", date(2026, 12, 24)),
        ("Dec 24th", date(2026, 12, 24)),
        ("24 December 2027", date(2027, 12, 24)),
        ("december 24, 2026", date(2026, 12, 24)),
        ("26 nov", date(2026, 11, 26)),  # today counts
        ("3 Jan", date(2027, 1, 3)),  # no year: the next one
        ("today", TODAY),
        ("Tomorrow", date(2026, 11, 27)),
        ("29 Feb", date(2028, 2, 29)),  # no year: the next year that has one
    ],
)
def test_parses_days(typed: str, day: date) -> None:
    assert parse_day(typed, TODAY) == day


@pytest.mark.parametrize("typed", ["", "soon", "31 Feb", "24 Decx", "2026-13-01", "Dec", "32 Jan"])
def test_rejects_what_is_not_a_day(typed: str) -> None:
    assert parse_day(typed, TODAY) is None
