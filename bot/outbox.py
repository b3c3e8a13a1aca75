"""The outbox sender: delivers queued proactive messages, most urgent first, once each.

Rows are written by flows in the same transaction as their cause; this only sends. Alerts go
before everything else (each round re-reads the queue by priority, so an alert waits at most one
round). Sends are paced (a global rate and about 1/s per chat); quiet hours hold everything but
emergency and urgent alerts; a 429 pauses all sending for retry_after; 5xx and network errors
back off; 400 is final; 403 marks the person unreachable and tells their trainer. A request that
may have reached Telegram (a read timeout, or a crash mid-send) is never repeated: a doubled
message is worse than a late one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.pacing import Pacer
from bot.telegram_api import ApiResult, BotApi, Outcome
from flows.schedule import local_date, quiet_span, quiet_until, zone_of
from flows.texts import t
from storage.db import SessionFactory
from storage.models import ClientProfile, Outbox, OutboxStatus, Person, Role
from storage.repo import Store

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)
BREAKS_QUIET_HOURS = 0  # priority of emergency and urgent alerts (flows.notify.ALERT_PRIORITY)
DAY_BOUND_KINDS = ("reminder", "nudge")  # about one local day: dropped rather than moved past it


@dataclass(frozen=True)
class SenderRules:
    rate_per_second: float = 25.0
    per_chat_seconds: float = 1.0
    quiet_hours: tuple[str, str] = ("21:00", "08:00")
    default_timezone: str = "Europe/London"


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        api: BotApi,
        clock: Callable[[], datetime],
        rules: SenderRules | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.sessions = sessions
        self.api = api
        self.clock = clock
        self.rules = rules or SenderRules()
        self.pacer = pacer or Pacer(self.rules.rate_per_second, self.rules.per_chat_seconds)
        self.round_size = max(1, int(self.rules.rate_per_second))
        self.hold_until: datetime | None = None  # a 429 stops all sending until then
        self.closing = False

    def close(self) -> None:
        """Stop after the send under way (a drain can take an hour; a stop must not)."""
        self.closing = True

    async def recover(self) -> int:
        """Rows left "sending" by a sender that died mid-send may have reached Telegram: they
        are final, never resent. Call before each delivery round, holding the sender's turn
        (then no live sender has a row in flight)."""
        async with self.sessions() as session:
            result = await session.exec(
                update(Outbox)
                .where(col(Outbox.status) == OutboxStatus.SENDING)
                .values(status=OutboxStatus.FAILED, last_error="uncertain: interrupted mid-send")
            )
            await session.commit()
        count = int(result.rowcount or 0)
        if count:
            log.warning("%d outbox row(s) were mid-send at a crash; not resent", count)
        return count

    async def deliver_due(self) -> int:
        """Send everything due now, round by round; returns how many were delivered."""
        delivered = 0
        while not self.closing and not self._held():
            sent, progressed = await self._round()
            delivered += sent
            if not progressed:
                break
        return delivered

    def _held(self) -> bool:
        return self.hold_until is not None and self.clock() < self.hold_until

    async def _round(self) -> tuple[int, bool]:
        """One round: up to `round_size` due rows, most urgent first. Returns (sent, progressed)."""
        async with self.sessions() as session:
            rows = await self._due(session)
            if not rows:
                return 0, False
            people = await self._people(session, rows)
            sent, handled, waits = 0, 0, []
            for row in rows:
                if self.closing or self._held():
                    return sent, False
                person = people.get(row.person_id or 0)
                if self._defer_for_quiet(row, person):
                    await session.commit()
                    handled += 1
                    continue
                wait = self.pacer.chat_wait(row.chat_id)
                if wait > 0:
                    waits.append(wait)
                    continue  # another chat's message goes first; this one next round
                sent += await self._send(session, row, person)
                handled += 1
            if not handled and waits:
                await self.pacer.sleep(min(waits))  # only busy chats are due: wait for the first
            return sent, True

    async def _due(self, session: AsyncSession) -> list[Outbox]:
        query = (
            select(Outbox)
            .where(Outbox.status == OutboxStatus.PENDING, col(Outbox.not_before) <= self.clock())
            .order_by(col(Outbox.priority), col(Outbox.id))
            .limit(self.round_size)
        )
        return list((await session.exec(query)).all())

    async def _people(self, session: AsyncSession, rows: Sequence[Outbox]) -> dict[int, Person]:
        ids = {row.person_id for row in rows if row.person_id is not None}
        if not ids:
            return {}
        found = await session.exec(select(Person).where(col(Person.id).in_(ids)))
        return {person.id or 0: person for person in found.all()}

    def _defer_for_quiet(self, row: Outbox, person: Person | None) -> bool:
        """Hold a row until the person's quiet hours end; True if it was held (or dropped)."""
        if person is None or row.priority <= BREAKS_QUIET_HOURS:
            return False
        zone = zone_of(person, self.rules.default_timezone)
        now = self.clock()
        until = quiet_until(now, zone, *quiet_span(person, self.rules.quiet_hours))
        if until is None:
            return False
        if row.kind in DAY_BOUND_KINDS and local_date(until, zone) != local_date(
            row.created_at, zone
        ):
            row.status, row.last_error = OutboxStatus.FAILED, "expired: quiet hours until next day"
        else:
            row.not_before = until
        return True

    async def _send(self, session: AsyncSession, row: Outbox, person: Person | None) -> int:
        await self.pacer.acquire()
        row.status = OutboxStatus.SENDING  # a crash mid-send leaves it unsent, not doubled
        row.attempts += 1
        await session.commit()
        result = await self.api.send_message(row.chat_id, row.text, row.buttons)
        now = self.clock()
        self._record(row, result, now)
        if result.outcome == Outcome.SENT:
            self.pacer.delivered(row.chat_id)
        if result.outcome == Outcome.BLOCKED:
            await self._unreachable(session, row, person, now)
        await session.commit()
        return int(row.status == OutboxStatus.SENT)

    def _record(self, row: Outbox, result: ApiResult, now: datetime) -> None:
        outcome = result.outcome
        row.last_error = None if outcome == Outcome.SENT else f"{outcome}: {result.description}"
        row.status = OutboxStatus.PENDING
        if outcome == Outcome.SENT:
            row.status, row.sent_at = OutboxStatus.SENT, now
            row.telegram_message_id = result.message_id
        elif outcome == Outcome.RETRY_AFTER:
            row.attempts -= 1  # being throttled is not the message's failure
            row.not_before = now + timedelta(seconds=result.retry_after)
            self.hold_until = row.not_before
        elif outcome == Outcome.TRANSIENT and row.attempts < MAX_ATTEMPTS:
            row.not_before = now + min(timedelta(seconds=2**row.attempts), MAX_BACKOFF)
        else:
            row.status = OutboxStatus.FAILED
            log.warning("outbox %d (%s) not delivered: %s", row.id, row.kind, outcome)

    async def _unreachable(
        self, session: AsyncSession, row: Outbox, person: Person | None, now: datetime
    ) -> None:
        """403: the person blocked the bot. Mark them, drop their queue, tell their trainer once."""
        await session.exec(
            update(Outbox)
            .where(col(Outbox.chat_id) == row.chat_id, col(Outbox.status) == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, last_error="blocked: the person blocked the bot")
        )
        if person is None or person.unreachable_at is not None:
            return
        person.unreachable_at = now
        if person.role != Role.CLIENT:
            return
        profile = await session.get(ClientProfile, person.id)
        trainer = await session.get(Person, profile.trainer_id) if profile else None
        if trainer is None:
            return
        await Store(session).enqueue(
            chat_id=trainer.chat_id,
            person_id=trainer.id,
            text=t("client_unreachable", trainer.locale, client=person.name),
            kind="client_unreachable",
            now=now,
            dedupe_key=f"unreachable:{person.id}:{now.isoformat()}",
        )
