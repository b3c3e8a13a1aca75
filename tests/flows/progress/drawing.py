"""Chart drawing held at its start, for tests of what goes on while a chart is drawn."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from flows.progress import chartdata
from flows.progress.chart import Chart


@dataclass
class HeldDrawing:
    """Every chart drawing sets `started`, then waits for `go_on` before it draws."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    go_on: asyncio.Event = field(default_factory=asyncio.Event)


def hold_drawing(monkeypatch: pytest.MonkeyPatch) -> HeldDrawing:
    held = HeldDrawing()
    draw = chartdata.render_async

    async def waiting(chart: Chart) -> bytes:
        held.started.set()
        await held.go_on.wait()
        return await draw(chart)

    monkeypatch.setattr(chartdata, "render_async", waiting)
    return held
