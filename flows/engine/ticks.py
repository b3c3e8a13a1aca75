"""One bad row never stops a periodic tick (DESIGN.md, "Proactive messages").

A tick does its rows as it always did, in one transaction (the planner: one per batch), so the
happy path costs nothing more. If that raises, the transaction is rolled back and the same rows
are done again one at a time, each in a transaction of its own: the good ones go through in this
same tick, and a bad one is logged (the tick, the row's id, the exception's type and where it was
raised; never its message, which may quote SQL parameters, never content) and recorded in
tick_failure (storage/failures.py): the tick's queries skip it until its retry time, which backs
off from `first_retry` to `last_retry`, and the record goes when the row next succeeds. Work may
also report a row it could only partly do (an escalation one admin could not get) without
raising: that row is recorded the same way, and what did work is kept.

Separate transactions, not savepoints: the SQLite driver (pysqlite, under aiosqlite) opens its
transactions lazily, so a SAVEPOINT issued outside one starts one and its RELEASE commits it;
SQLAlchemy's remedy (BEGIN by hand on every connection) would change every transaction of the
app. A failing batch is rare, and redoing it costs one short transaction per row.

The ticks and what their row ids are: "schedule", "reminder", "nudge" (a client), "digest" (a
trainer or admin), "escalate" (an alert), "booking" (a booking). The outbox sender marks its rows
in the outbox itself (bot/outbox.py).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from storage.failures import clear_failures, record_failure
from storage.repo import Store, StoreFactory

log = logging.getLogger(__name__)
PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Tick:
    name: str  # tick_failure.tick
    what: str  # what a row id names, for the log
    first_retry: timedelta
    last_retry: timedelta

    def retry_after(self, failures: int) -> timedelta:
        """Doubling from first_retry, never past last_retry."""
        return min(self.first_retry * 2 ** min(failures - 1, 30), self.last_retry)


@dataclass
class RowErrors:
    """Rows a work function could only partly do; recorded (once each) after it returns."""

    found: dict[int, BaseException] = field(default_factory=dict)

    def add(self, row_id: int, exc: BaseException) -> None:
        self.found.setdefault(row_id, exc)


@dataclass(frozen=True)
class Outcome:
    rows: int = 0  # rows the tick took on
    done: int = 0  # what the work counted (messages queued, alerts escalated)
    unmarked: int = 0  # rows that failed and could not even be recorded (the database is down)

    def __add__(self, other: Outcome) -> Outcome:
        """Two runs' outcomes as one (a paged tick's pages, a tick of two kinds of rows)."""
        return Outcome(
            self.rows + other.rows, self.done + other.done, self.unmarked + other.unmarked
        )


Work = Callable[[Store, Sequence[int], RowErrors], Awaitable[int]]
Page = Callable[[Store, int, int, str, datetime], Awaitable[list[int]]]
"""(store, after, limit, tick, now) -> up to `limit` row ids above `after`, in order, leaving
out those `tick` waits to retry."""
PAGE = 500  # rows a paged tick holds at once, in one transaction


def describe(exc: BaseException) -> str:
    """ "ZoneInfoNotFoundError at flows/engine/schedule.py:60 in local_date": the type and our own
    innermost frame, never the message."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if _ours(frame.filename)]
    where = ""
    if ours or frames:
        frame = (ours or frames)[-1]
        where = f" at {_short(frame.filename)}:{frame.lineno} in {frame.name}"
    return f"{type(exc).__name__}{where}"


def _ours(filename: str) -> bool:
    path = Path(filename).resolve()
    return path.is_relative_to(PROJECT) and ".venv" not in path.parts


def _short(filename: str) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(PROJECT)) if path.is_relative_to(PROJECT) else path.name


async def isolated(
    stores: StoreFactory, tick: Tick, now: datetime, ids: Sequence[int], work: Work
) -> Outcome:
    """`work(store, ids)` in one transaction; if it raises, each id in a transaction of its own,
    a failing one logged and recorded. The caller leaves out ids waiting for a retry."""
    if not ids:
        return Outcome()
    try:
        async with stores() as store:
            done = await _work(store, tick, now, ids, work)
            await store.commit()
        return Outcome(len(ids), done)
    except Exception as exc:
        log.warning(
            "tick %s: a batch of %d failed (%s); doing them one by one",
            tick.name,
            len(ids),
            describe(exc),
        )
    done = unmarked = 0
    for row_id in ids:
        try:
            async with stores() as store:
                one = await _work(store, tick, now, [row_id], work)
                await store.commit()
            done += one
        except Exception as exc:
            unmarked += not await _record(stores, tick, now, row_id, exc)
    return Outcome(len(ids), done, unmarked)


Going = Callable[[], bool]
"""Whether a long tick may take its next page (False once the bot is stopping)."""


def always() -> bool:
    return True


async def paged(
    stores: StoreFactory,
    tick: Tick,
    now: datetime,
    page: Page,
    work: Work,
    going: Going = always,
    size: int | None = None,
) -> Outcome:
    """`isolated` over every row `page` lists, `size` (PAGE) at a time: memory holds one page,
    however many rows there are, and a failing row sends only its own page one by one. A stop
    ends it between pages (`going`): the rest waits for the next run, as a crash would leave
    it."""
    total, after = Outcome(), 0
    limit = PAGE if size is None else size
    while going():
        async with stores() as store:
            ids = await page(store, after, limit, tick.name, now)
        if not ids:
            break
        total += await isolated(stores, tick, now, ids, work)
        after = ids[-1]
    return total


async def _work(store: Store, tick: Tick, now: datetime, ids: Sequence[int], work: Work) -> int:
    errors = RowErrors()
    done = await work(store, ids, errors)
    await clear_failures(store, tick.name, [row_id for row_id in ids if row_id not in errors.found])
    for row_id, exc in errors.found.items():
        failure = await record_failure(
            store, tick.name, row_id, describe(exc), now, tick.retry_after
        )
        _log(tick, row_id, exc, failure.failures, failure.retry_at)
    return done


async def _record(
    stores: StoreFactory, tick: Tick, now: datetime, row_id: int, exc: BaseException
) -> bool:
    """Record a row's failure in a transaction of its own; False if even that failed."""
    try:
        async with stores() as store:
            failure = await record_failure(
                store, tick.name, row_id, describe(exc), now, tick.retry_after
            )
            await store.commit()
    except Exception as again:
        log.error(
            "tick %s: %s %d failed (%s) and could not be recorded (%s)",
            tick.name,
            tick.what,
            row_id,
            describe(exc),
            describe(again),
        )
        return False
    _log(tick, row_id, exc, failure.failures, failure.retry_at)
    return True


def _log(tick: Tick, row_id: int, exc: BaseException, failures: int, retry_at: datetime) -> None:
    log.error(
        "tick %s: %s %d failed (%s); skipped until %s (failure %d)",
        tick.name,
        tick.what,
        row_id,
        describe(exc),
        retry_at.isoformat(timespec="seconds"),
        failures,
    )
