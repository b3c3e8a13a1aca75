"""A progress chart as PNG bytes: pain over the days with the traffic-light bands, adherence bars.

Pure drawing: it gets days already gathered (flows/progress/chartdata.py) and every label already
in the reader's language, and knows nothing of Telegram, the database or the clock, so the report
PDF and the weekly summary draw the same picture. Callers in the event loop have it drawn by
the drawing process (`render_async`, flows/progress/drawer.py): drawing takes tens of
milliseconds of CPU and loads matplotlib, which the bot's process never does.

matplotlib's object API on an Agg canvas, never pyplot: pyplot keeps global state that is not
thread-safe and picks a backend; Agg needs no display. Sized for a phone: about 1000 px wide,
large type, the day axis thinned to at most 8 labels.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from flows.progress.drawer import DRAWER

if TYPE_CHECKING:  # matplotlib (with numpy, some 50 MB) is imported by the first drawing
    from matplotlib.axes import Axes

DayStatus = Literal["checkin", "paused", "skipped", "missing", "before"]

# TRIAGE.md section 3, on the 0-10 scale: green 0-2, amber 3-5, red above 5
BANDS = ((0.0, 2.5, "#d9f2d9"), (2.5, 5.5, "#fff1c7"), (5.5, 10.5, "#f9d6d5"))
PAIN_COLOUR = "#1f4e79"
EXERCISE_COLOUR = "#b35900"
BAR_COLOUR = "#4f8f4f"
FLAG_COLOUR = "#c00000"
PAUSE_COLOUR = "#d0d0d0"
MAX_TICKS = 8
DPI = 120
SIZE = (8.5, 6.5)  # inches: 1020 x 780 px


@dataclass(frozen=True)
class ChartDay:
    """One day as the chart shows it."""

    day: date
    status: DayStatus
    pain: int | None = None
    exercise_pain: int | None = None
    adherence: float | None = None  # 0..1, None: nothing prescribed or not answered
    flagged: bool = False  # a red flag was ticked (urgent or emergency)


@dataclass(frozen=True)
class ChartLabels:
    """Every word on the chart, in the reader's language."""

    title: str
    pain: str
    exercise_pain: str
    adherence: str
    paused: str
    skipped: str
    flag: str
    no_data: str
    day_labels: tuple[str, ...]  # one per day, e.g. "Mon 7"


@dataclass(frozen=True)
class Chart:
    days: tuple[ChartDay, ...]
    labels: ChartLabels


def render(chart: Chart) -> bytes:
    """The chart as PNG bytes (CPU-bound: call it off the event loop)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=(2.3, 1), hspace=0.12)
    pain_axes = figure.add_subplot(grid[0])
    bar_axes = figure.add_subplot(grid[1], sharex=pain_axes)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.1)
    figure.suptitle(chart.labels.title, fontsize=17, fontweight="bold")
    _pain(pain_axes, chart)
    _adherence(bar_axes, chart)
    _away(pain_axes, bar_axes, chart)
    _day_axis(bar_axes, chart)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 3})
    return out.getvalue()


async def render_async(chart: Chart) -> bytes:
    """`render` in the drawing process, so the bot keeps answering others meanwhile."""
    return await DRAWER.draw(render, chart)


def _pain(axes: Axes, chart: Chart) -> None:
    ax = axes
    labels = chart.labels
    count = len(chart.days)
    for low, high, colour in BANDS:
        ax.axhspan(low - 0.5 if low == 0 else low, high, color=colour, zorder=0)
    xs = list(range(count))
    pains = [d.pain if d.status == "checkin" else None for d in chart.days]
    _line(ax, xs, pains, PAIN_COLOUR, labels.pain, "o")
    exercise = [d.exercise_pain if d.status == "checkin" else None for d in chart.days]
    if any(value is not None for value in exercise):
        _line(ax, xs, exercise, EXERCISE_COLOUR, labels.exercise_pain, "s", dashed=True)
    for x, day in enumerate(chart.days):
        if day.flagged:
            ax.annotate(
                "▲",
                (x, 9.9),
                ha="center",
                va="top",
                color=FLAG_COLOUR,
                fontsize=18 if count <= 28 else 12,
                zorder=5,
            )
    if not any(value is not None for value in pains):
        ax.text(0.5, 0.5, labels.no_data, transform=ax.transAxes, ha="center", fontsize=15)
    ax.set_ylim(-0.5, 10.5)
    ax.set_yticks([0, 2, 4, 6, 8, 10])
    ax.tick_params(labelsize=13, labelbottom=False)
    handles = ax.get_legend_handles_labels()[0]
    if any(d.flagged for d in chart.days):
        handles.append(ax.scatter([], [], marker="^", color=FLAG_COLOUR, s=80, label=labels.flag))
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=3,
            fontsize=12,
            frameon=False,
            borderaxespad=0.2,
        )


def _line(
    ax: Axes,
    xs: list[int],
    values: list[int | None],
    colour: str,
    label: str,
    marker: str,
    dashed: bool = False,
) -> None:
    """A line through the days that have a value; a missing day leaves a gap. The dashed line
    (pain during exercise) has hollow, larger markers under the solid one's, so a day with the
    same pain on both shows both."""
    ys = [float("nan") if v is None else float(v) for v in values]
    size = 7 if len(xs) <= 28 else 4
    ax.plot(
        xs,
        ys,
        color=colour,
        linewidth=2.5,
        linestyle="--" if dashed else "-",
        marker=marker,
        markersize=size + 5 if dashed else size,
        markerfacecolor="none" if dashed else colour,
        markeredgewidth=2 if dashed else 1,
        label=label,
        zorder=3 if dashed else 4,
    )


def _adherence(axes: Axes, chart: Chart) -> None:
    from matplotlib.collections import PolyCollection

    ax = axes
    xs = [x for x, d in enumerate(chart.days) if d.adherence is not None]
    heights = [round((chart.days[x].adherence or 0) * 100) for x in xs]
    half = 0.35
    bars = [
        [(x - half, 0), (x - half, h), (x + half, h), (x + half, 0)]
        for x, h in zip(xs, heights, strict=True)
    ]
    ax.add_collection(PolyCollection(bars, facecolors=BAR_COLOUR, zorder=3))  # one artist: fast
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 50, 100])
    ax.set_ylabel(chart.labels.adherence, fontsize=13)
    ax.axhline(80, color="#777777", linewidth=1, linestyle=":", zorder=2)
    ax.tick_params(labelsize=12)


def _away(pain_axes: Axes, bar_axes: Axes, chart: Chart) -> None:
    """Paused and skipped days: a grey column through both panels, named once per run."""
    runs: list[tuple[int, int, DayStatus]] = []
    for x, day in enumerate(chart.days):
        if day.status not in ("paused", "skipped"):
            continue
        if runs and runs[-1][1] == x - 1 and runs[-1][2] == day.status:
            runs[-1] = (runs[-1][0], x, day.status)
        else:
            runs.append((x, x, day.status))
    for first, last, status in runs:
        hatch = "//" if status == "paused" else ".."
        for ax in (pain_axes, bar_axes):
            ax.axvspan(
                first - 0.45,
                last + 0.45,
                facecolor=PAUSE_COLOUR,
                alpha=0.7,
                hatch=hatch,
                edgecolor="#9a9a9a",
                linewidth=0,
                zorder=1,
            )
        word = chart.labels.paused if status == "paused" else chart.labels.skipped
        pain_axes.text(
            (first + last) / 2,
            5,
            word,
            rotation=90,
            ha="center",
            va="center",
            fontsize=12,
            color="#444444",
            zorder=2,
        )


def _day_axis(axes: Axes, chart: Chart) -> None:
    count = len(chart.days)
    step = max(1, -(-count // MAX_TICKS))
    ticks = list(range(count - 1, -1, -step))[::-1]  # today always labelled
    axes.set_xticks(ticks)
    axes.set_xticklabels([chart.labels.day_labels[x] for x in ticks], fontsize=12)
    axes.set_xlim(-0.6, count - 0.4)
