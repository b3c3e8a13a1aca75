"""Local times to UTC instants: DST in Los Angeles and London, Kolkata, midnight, the date line."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.engine.schedule import (
    in_span,
    next_at,
    parse_hhmm,
    parse_span,
    parse_typed_span,
    quiet_until,
)

LA, LONDON = "America/Los_Angeles", "Europe/London"


def wall(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def test_los_angeles_spring_forward_keeps_the_wall_clock() -> None:
    before = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)  # 08:00 PST on Saturday
    due = next_at("08:00", LA, before)
    assert wall(due, LA) == "2026-03-08 08:00"
    assert due - before == timedelta(hours=23)  # not "+24 h"


def test_los_angeles_fall_back_and_a_missing_local_time() -> None:
    due = next_at("08:00", LA, datetime(2026, 10, 31, 15, 0, tzinfo=UTC))
    assert wall(due, LA) == "2026-11-01 08:00" and due.hour == 16  # PST again
    gap = next_at("02:30", LA, datetime(2026, 3, 8, 9, 0, tzinfo=UTC))
    assert wall(gap, LA) == "2026-03-08 03:30"  # 02:30 doesn't exist that day: an hour later
    twice = next_at("01:30", LA, datetime(2026, 11, 1, 7, 0, tzinfo=UTC))
    assert twice == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # the first 01:30 (PDT)


def test_london_clocks_change() -> None:
    spring = next_at("08:00", LONDON, datetime(2026, 3, 28, 8, 0, tzinfo=UTC))
    assert spring == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    autumn = next_at("08:00", LONDON, datetime(2026, 10, 24, 7, 0, tzinfo=UTC))
    assert autumn == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_kolkata_half_hour_offset_and_midnight() -> None:
    due = next_at("07:00", "Asia/Kolkata", datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert due == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    midnight = next_at("00:00", "Asia/Kolkata", datetime(2026, 11, 23, 18, 29, tzinfo=UTC))
    assert midnight == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)


def test_date_line_zones() -> None:
    moment = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    kiri = next_at("08:00", "Pacific/Kiritimati", moment)  # UTC+14: 02:00 on the 24th
    assert wall(kiri, "Pacific/Kiritimati") == "2026-11-24 08:00"
    pago = next_at("08:00", "Pacific/Pago_Pago", moment)  # UTC-11: 01:00 on the 23rd
    assert wall(pago, "Pacific/Pago_Pago") == "2026-11-23 08:00"


def test_quiet_hours_wrap_midnight() -> None:
    night = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    assert in_span(night, LONDON, "21:00", "08:00")
    assert quiet_until(night, LONDON, "21:00", "08:00") == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert quiet_until(datetime(2026, 11, 23, 12, tzinfo=UTC), LONDON, "21:00", "08:00") is None
    assert quiet_until(night, LONDON, "00:00", "00:00") is None  # "off"
    assert in_span(datetime(2026, 11, 23, 13, tzinfo=UTC), LONDON, "12:00", "14:00")


def test_parsing_spans() -> None:
    assert parse_span("21:00-08:00") == ("21:00", "08:00")
    assert parse_typed_span("10pm-7am") == ("22:00", "07:00")
    assert parse_typed_span("22 - 7:30") == ("22:00", "07:30")
    assert parse_typed_span("soon") is None
    with pytest.raises(ValueError):
        parse_span("21-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8, 0)),
        ("8:05", time(8, 5)),
        (" 23:59 ", time(23, 59)),
        ("00:00", time(0, 0)),
    ],
)
def test_parse_hhmm_reads_the_times_mendbot_writes(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize(
    "text", ["", "8", "08:0", "08:000", "24:00", "12:60", "8pm", "08.00", "٠٨:٠٠", "008:00"]
)
def test_parse_hhmm_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(text)
