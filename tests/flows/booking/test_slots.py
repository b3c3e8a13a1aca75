"""Slot generation: local hours across zones and DST, buffers, notice, horizon, blocked, taken."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.booking.slots import Rules, Window, by_local_day, free_slots

LONDON, LA, KOLKATA = "Europe/London", "America/Los_Angeles", "Asia/Kolkata"
MORNING = [Window(d, time(9), time(10)) for d in range(7)]  # 09:00-10:00 every day
NO_LIMITS = Rules(length_minutes=30, notice_hours=0, horizon_days=14)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_times(starts: list[datetime], zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for s in starts]


def test_slots_follow_local_hours_across_the_autumn_dst_change_in_london() -> None:
    # BST ends on Sun 25 Oct 2026: 09:00 London is 08:00 UTC before and 09:00 UTC after.
    starts = free_slots(LONDON, MORNING, NO_LIMITS, utc(2026, 10, 23, 0, 0))
    assert utc(2026, 10, 24, 8, 0) in starts and utc(2026, 10, 24, 8, 30) in starts
    assert utc(2026, 10, 26, 9, 0) in starts and utc(2026, 10, 26, 8, 0) not in starts
    assert all(t.endswith(("09:00", "09:30")) for t in local_times(starts, LONDON))


def test_slots_follow_local_hours_across_the_spring_dst_change_in_los_angeles() -> None:
    # PDT starts on Sun 8 Mar 2026: 09:00 LA is 17:00 UTC before and 16:00 UTC after.
    starts = free_slots(LA, MORNING, NO_LIMITS, utc(2026, 3, 6, 0, 0))
    assert utc(2026, 3, 7, 17, 0) in starts
    assert utc(2026, 3, 9, 16, 0) in starts and utc(2026, 3, 9, 17, 0) not in starts


def test_a_local_time_in_the_dst_gap_is_skipped() -> None:
    # 02:00-03:00 doesn't exist in LA on 8 Mar 2026; 01:30-02:00 does.
    night = [Window(6, time(1, 30), time(3, 0))]  # Sundays
    starts = free_slots(
        LA,
        night,
        NO_LIMITS,
        utc(2026, 3, 7, 0, 0),
    )
    on_the_day = [s for s in starts if s.astimezone(ZoneInfo(LA)).date() == date(2026, 3, 8)]
    assert local_times(on_the_day, LA) == ["2026-03-08 01:30"]  # 02:00 and 02:30 don't exist
    assert len(starts) == 4  # the next Sunday has all three


def test_a_visitor_in_kolkata_sees_a_london_trainer_on_their_own_clock_and_day() -> None:
    evening = [Window(0, time(18), time(20))]  # Monday 18:00-20:00 London (GMT in November)
    starts = free_slots(LONDON, evening, NO_LIMITS, utc(2026, 11, 22, 0, 0))
    days = by_local_day(starts, KOLKATA)
    # 18:00-19:30 London = 23:30-01:00 Kolkata: one London day spans two Kolkata days
    assert [d for d, _ in days][:2] == [date(2026, 11, 23), date(2026, 11, 24)]
    assert local_times(days[0][1], KOLKATA) == ["2026-11-23 23:30"]
    assert local_times(days[1][1], KOLKATA)[0] == "2026-11-24 00:00"


def test_length_and_buffer_space_the_slots() -> None:
    hours = [Window(0, time(9), time(11))]
    rules = Rules(length_minutes=30, buffer_minutes=15, notice_hours=0, horizon_days=7)
    starts = free_slots(LONDON, hours, rules, utc(2026, 11, 22, 0, 0))
    assert local_times(starts, LONDON) == [
        "2026-11-23 09:00",
        "2026-11-23 09:45",
        "2026-11-23 10:30",
    ]


def test_notice_and_horizon_bound_the_slots() -> None:
    now = utc(2026, 11, 23, 9, 0)  # Monday 09:00 London
    rules = Rules(length_minutes=30, notice_hours=12, horizon_days=3)
    starts = free_slots(LONDON, MORNING, rules, now)
    assert starts[0] == utc(2026, 11, 24, 9, 0)  # today's are inside the notice
    assert starts[-1] <= now + timedelta(days=3)
    assert local_times(starts, LONDON)[-1] == "2026-11-26 09:00"  # 09:30 is past the horizon


def test_blocked_dates_are_skipped() -> None:
    now = utc(2026, 11, 23, 0, 0)
    starts = free_slots(LONDON, MORNING, NO_LIMITS, now, blocked=[date(2026, 11, 24)])
    assert not any(s.date() == date(2026, 11, 24) for s in starts)
    assert any(s.date() == date(2026, 11, 25) for s in starts)


def test_taken_slots_and_their_buffer_are_not_offered() -> None:
    hours = [Window(0, time(9), time(12))]
    rules = Rules(length_minutes=30, buffer_minutes=15, notice_hours=0, horizon_days=7)
    now = utc(2026, 11, 22, 0, 0)
    taken = [(utc(2026, 11, 23, 10, 0), utc(2026, 11, 23, 10, 30))]  # a booking at 10:00
    starts = free_slots(LONDON, hours, rules, now, busy=taken)
    # grid 09:00, 09:45, 10:30, 11:15: 09:45 ends 10:15 (> 10:00 - 15 min), 10:30 starts
    # before 10:30 + 15 min; both clash.
    assert local_times(starts, LONDON) == ["2026-11-23 09:00", "2026-11-23 11:15"]


def test_no_windows_no_slots() -> None:
    assert free_slots(LONDON, [], NO_LIMITS, utc(2026, 11, 23, 0, 0)) == []
