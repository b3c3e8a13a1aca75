"""Chart rendering benchmark (not a test; `make bench`): the median time to draw a progress chart.

Prints, for each window /progress offers (7, 14, 28, 56 days), the median and the slowest of
BENCH_ROUNDS renders (default 30) of a busy chart: pain and exercise pain every day, adherence
bars, paused and skipped days, red-flag marks. The goal is a median of at most 150 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.progress.chart import Chart, ChartDay, ChartLabels, render

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
FIRST = date(2026, 10, 1)
GOAL_MS = 150


def busy_chart(days: int) -> Chart:
    """Every kind of day, as a long-running client's chart has them."""
    shown = []
    for n in range(days):
        day = FIRST + timedelta(days=n)
        if n % 10 == 4:
            shown.append(ChartDay(day, "paused"))
        elif n % 10 == 7:
            shown.append(ChartDay(day, "skipped"))
        elif n % 10 == 9:
            shown.append(ChartDay(day, "missing"))
        else:
            pain, exercise = (n * 7) % 11, (n * 3) % 9
            shown.append(ChartDay(day, "checkin", pain, exercise, (n % 5) / 4, n % 13 == 2))
    labels = ChartLabels(
        title=f"Jordan, last {days} days",
        pain="Pain now",
        exercise_pain="Pain during exercise",
        adherence="Sets done %",
        paused="paused",
        skipped="skipped",
        flag="red flag ticked",
        no_data="No check-ins in these days",
        day_labels=tuple((FIRST + timedelta(days=n)).isoformat()[5:] for n in range(days)),
    )
    return Chart(tuple(shown), labels)


def main() -> None:
    print(f"chart render, {ROUNDS} rounds per window (goal: median <= {GOAL_MS} ms)")
    print("| days | median ms | slowest ms | PNG KB |")
    print("| --- | --- | --- | --- |")
    for days in (7, 14, 28, 56):
        chart = busy_chart(days)
        png = render(chart)  # warm up: fonts, caches
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            render(chart)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        print(f"| {days} | {median:.1f} | {max(times):.1f} | {len(png) // 1024} |")


if __name__ == "__main__":
    main()
