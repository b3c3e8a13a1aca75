"""A periodic tick that keeps failing, told once rather than every time it runs.

With the database down (or its file deleted under the bot) the outbox tick fails every second,
and APScheduler logged each failure with its traceback: the log became that traceback, and
whatever else went wrong scrolled away. A tick's failure is logged with its traceback the first
time (and whenever it fails in another way), then one line a minute while it goes on failing,
and one line when it works again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.logs import exception_kind

log = logging.getLogger(__name__)

REPEAT_EVERY = 60.0  # seconds between "still failing" lines


@dataclass
class _Failing:
    kind: str
    since: float
    told_at: float
    times: int = 0  # failures since it was last told


class TickFailures:
    """What each tick's failures were, to tell them once (module docstring)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self._failing: dict[str, _Failing] = {}

    def failed(self, tick: str, exc: Exception) -> None:
        now, kind = self.monotonic(), exception_kind(exc)
        failing = self._failing.get(tick)
        if failing is None or failing.kind != kind:
            self._failing[tick] = _Failing(kind, now, now)
            log.error("tick %s failed (%s)", tick, kind, exc_info=exc)
            return
        failing.times += 1
        if now - failing.told_at >= REPEAT_EVERY:
            log.error(
                "tick %s still failing (%s): %d more time(s) in %.0f s",
                tick,
                kind,
                failing.times,
                now - failing.told_at,
            )
            failing.told_at, failing.times = now, 0

    def succeeded(self, tick: str) -> None:
        failing = self._failing.pop(tick, None)
        if failing is not None:
            log.warning(
                "tick %s works again, after %.0f s of failing (%s)",
                tick,
                self.monotonic() - failing.since,
                failing.kind,
            )
