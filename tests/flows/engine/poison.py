"""Poison rows for the tick tests: values stored before buttons were validated (a zone zoneinfo
doesn't know, an "HH:MM" that doesn't parse), written straight to the database, and what the
ticks made of them (tick_failure rows, their log lines)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import SQLModel, select

from storage.db import SessionFactory
from storage.models import TickFailure

TICK_LOGGERS = ("flows.engine.ticks", "bot.outbox")


async def poison(sessions: SessionFactory, model: type[SQLModel], key: int, **values: Any) -> None:
    """Set columns of one row by primary key with a plain UPDATE: no validation on the way."""
    table = model.__table__  # type: ignore[attr-defined]
    [primary] = table.primary_key.columns
    async with sessions() as session:
        await session.exec(update(table).where(primary == key).values(**values))
        await session.commit()


async def failures(sessions: SessionFactory) -> dict[tuple[str, int], int]:
    """(tick, row id) -> how many times it failed."""
    async with sessions() as session:
        rows = (await session.exec(select(TickFailure))).all()
    return {(row.tick, row.row_id): row.failures for row in rows}


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The error lines the ticks logged, as printed; the capture is cleared for the next tick."""
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name in TICK_LOGGERS and record.levelno >= logging.ERROR
    ]
    caplog.clear()
    return lines


def assert_no_content(lines: list[str], *secrets: str) -> None:
    """No name, note, zone or time as stored, and no exception message, in any line."""
    for line in lines:
        for secret in secrets:
            assert secret not in line, (secret, line)
        assert "No time zone found" not in line and "is not a time like" not in line
