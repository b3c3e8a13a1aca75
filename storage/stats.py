"""Aggregates for /metrics and /healthz: counts and oldest times by kind or severity, never a
row's contents, so nothing here can name or quote a person.

Each is one short query on an indexed status (outbox: ix_outbox_due, alert: status), cheap
enough to run on every scrape.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from storage.db import sqlite_file
from storage.models import OWN_ERROR, Alert, AlertStatus, Outbox, OutboxStatus
from storage.repo import Store

UNSENT = (OutboxStatus.PENDING, OutboxStatus.SENDING)


class DatabaseFileGone(Exception):
    """The SQLite file was deleted or moved while the bot had it open."""


async def ping(store: Store) -> None:
    """The most trivial query: raises if the database can't be reached. A SQLite file deleted
    under a running bot still answers (the bot keeps the unlinked file open) while everything
    written from then on is lost at its exit: DatabaseFileGone."""
    await store.session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    bind = store.session.bind
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    database = sqlite_file(engine)
    if database is not None and not await asyncio.to_thread(Path(database).exists):
        raise DatabaseFileGone


@dataclass(frozen=True)
class Group:
    """How many rows share one kind (or severity), and when the oldest was created."""

    name: str
    count: int
    oldest: datetime


async def outbox_backlog(store: Store) -> list[Group]:
    """Messages not yet delivered nor given up (pending or mid-send), by kind."""
    query = (
        select(Outbox.kind, func.count(), func.min(col(Outbox.created_at)))
        .where(col(Outbox.status).in_(UNSENT))
        .group_by(col(Outbox.kind))
    )
    return [Group(kind, count, oldest) for kind, count, oldest in await store.session.exec(query)]


async def open_alerts(store: Store) -> list[Group]:
    """Alerts nobody has acknowledged, by severity."""
    query = (
        select(Alert.severity, func.count(), func.min(col(Alert.created_at)))
        .where(col(Alert.status) == AlertStatus.OPEN)
        .group_by(col(Alert.severity))
    )
    return [Group(sev, count, oldest) for sev, count, oldest in await store.session.exec(query)]


async def outbox_waiting(store: Store, now: datetime, longer_than: timedelta) -> int:
    """Messages kept waiting by the sender or by Telegram for over `longer_than`: due (and not
    sent) since then, or created before then and retried since after the Bot API failed them.
    Messages held by quiet hours are not due; rows our own code failed on (last_error
    "error: ...") are the sender skipping a row, not the sender stuck, and are left out."""
    since = now - longer_than
    api_failed = and_(
        col(Outbox.attempts) > 0,
        col(Outbox.created_at) <= since,
        col(Outbox.last_error).is_not(None),
        ~col(Outbox.last_error).startswith(OWN_ERROR),
    )
    query = select(func.count()).where(
        col(Outbox.status).in_(UNSENT), or_(col(Outbox.not_before) <= since, api_failed)
    )
    return int((await store.session.exec(query)).one())
