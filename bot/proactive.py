"""Settings turned into what flows, the planner and the sender follow (one place to read them).

Their defaults are the settings' own (bot/settings.py): BotInfo, ReminderRules and SenderRules
declare none, so a default changed there changes everywhere.
"""

from __future__ import annotations

from bot.outbox import SenderRules
from bot.settings import Settings
from flows.checkin.reminder import ReminderRules
from flows.engine.core import BotInfo


def bot_info(settings: Settings, username: str) -> BotInfo:
    return BotInfo(
        username=username,
        emergency_number=settings.emergency_number,
        default_timezone=settings.default_timezone,
        invite_ttl_days=settings.invite_ttl_days,
        thresholds=settings.thresholds(),
        quiet_hours=settings.quiet_span(),
        digest_time=settings.digest_time,
    )


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
