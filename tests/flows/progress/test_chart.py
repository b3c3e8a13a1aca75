"""The chart drawing: a real PNG of phone size whatever the window, and nothing left out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.sandbox.files import image_info
from flows.progress.chart import Chart, ChartDay, ChartLabels, render, render_async

FIRST = date(2026, 11, 1)


def labels(days: int) -> ChartLabels:
    return ChartLabels(
        title="Jordan, last days",
        pain="Pain now",
        exercise_pain="Pain during exercise",
        adherence="Sets done %",
        paused="paused",
        skipped="skipped",
        flag="red flag ticked",
        no_data="No check-ins in these days",
        day_labels=tuple(f"d{n}" for n in range(days)),
    )


def a_window(days: int) -> Chart:
    found = []
    for n in range(days):
        day = FIRST + timedelta(days=n)
        if n % 9 == 3:
            found.append(ChartDay(day, "paused"))
        elif n % 9 == 5:
            found.append(ChartDay(day, "skipped"))
        elif n % 9 == 7:
            found.append(ChartDay(day, "missing"))
        else:
            found.append(ChartDay(day, "checkin", n % 11, (n + 3) % 11, 0.5, flagged=n == 2))
    return Chart(tuple(found), labels(days))


@pytest.mark.parametrize("days", [7, 14, 28, 56])
def test_every_window_is_a_png_wide_enough_for_a_phone(days: int) -> None:
    png = render(a_window(days))
    info = image_info(png)
    assert info is not None
    kind, width, height = info
    assert kind == "image/png" and 900 <= width <= 1280 and 600 <= height <= width


async def test_rendering_off_the_event_loop_gives_the_same_picture() -> None:
    chart = a_window(14)
    assert image_info(await render_async(chart)) == image_info(render(chart))


def test_days_without_any_check_in_still_draw() -> None:
    days = tuple(ChartDay(FIRST + timedelta(days=n), "before") for n in range(7))
    assert image_info(render(Chart(days, labels(7)))) is not None
