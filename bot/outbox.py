"""The outbox sender: delivers queued proactive messages, most urgent first, once each.

Rows are written by flows in the same transaction as their cause; this only sends. A 429 waits
as told, 5xx and network errors back off, 400/403 are final, and a request that may have reached
Telegram (a read timeout) is never repeated: a doubled message is worse than a late one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.telegram_api import ApiResult, BotApi, Outcome
from storage.db import SessionFactory
from storage.models import Outbox, OutboxStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)


class OutboxSender:
    def __init__(self, sessions: SessionFactory, api: BotApi, clock: Callable[[], datetime]):
        self.sessions = sessions
        self.api = api
        self.clock = clock

    async def deliver_due(self, limit: int = 50) -> int:
        """Send what is due now; returns how many were delivered."""
        delivered = 0
        async with self.sessions() as session:
            now = self.clock()
            query = (
                select(Outbox)
                .where(Outbox.status == OutboxStatus.PENDING, col(Outbox.not_before) <= now)
                .order_by(col(Outbox.priority), col(Outbox.id))
                .limit(limit)
            )
            rows = list((await session.exec(query)).all())
            for row in rows:
                row.status = OutboxStatus.SENDING  # a crash mid-send leaves it unsent, not doubled
                row.attempts += 1
                await session.commit()
                result = await self.api.send_message(row.chat_id, row.text, row.buttons)
                self._record(row, result, self.clock())
                await session.commit()
                delivered += row.status == OutboxStatus.SENT
                if result.outcome == Outcome.RETRY_AFTER:
                    break  # the whole bot is being throttled: stop this round
        return delivered

    def _record(self, row: Outbox, result: ApiResult, now: datetime) -> None:
        outcome = result.outcome
        row.last_error = None if outcome == Outcome.SENT else f"{outcome}: {result.description}"
        row.status = OutboxStatus.PENDING
        if outcome == Outcome.SENT:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.telegram_message_id = result.message_id
        elif outcome == Outcome.RETRY_AFTER:
            row.not_before = now + timedelta(seconds=result.retry_after)
        elif outcome == Outcome.TRANSIENT and row.attempts < MAX_ATTEMPTS:
            row.not_before = now + min(timedelta(seconds=2**row.attempts), MAX_BACKOFF)
        else:
            row.status = OutboxStatus.FAILED
            log.warning("outbox %d (%s) not delivered: %s", row.id, row.kind, outcome)
