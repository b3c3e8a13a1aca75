"""Settings turned into the rules the planner and the sender follow (one place to read them)."""

from __future__ import annotations

from bot.outbox import SenderRules
from bot.settings import Settings
from flows.checkin.reminder import ReminderRules


def reminder_rules(settings: Settings) -> ReminderRules:
    return ReminderRules(
        default_timezone=settings.default_timezone,
        nudge_time=settings.nudge_time,
        quiet_hours=settings.quiet_span(),
        thresholds=settings.thresholds(),
    )


def sender_rules(settings: Settings) -> SenderRules:
    return SenderRules(
        rate_per_second=settings.send_rate_per_second,
        per_chat_seconds=settings.per_chat_interval_seconds,
        quiet_hours=settings.quiet_span(),
        default_timezone=settings.default_timezone,
    )
