"""Which commands each role has: one table feeds both /help and Telegram's command menu."""

from __future__ import annotations

from flows.engine.core import Menu
from flows.engine.texts import t
from storage.models import Role

VISITOR = "visitor"

COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    VISITOR: (
        ("book", "cmd_book"),
        ("start", "cmd_start"),
        ("help", "cmd_help"),
        ("privacy", "cmd_privacy"),
    ),
    Role.PROSPECT: (
        ("book", "cmd_book"),
        ("mybooking", "cmd_mybooking"),
        ("help", "cmd_help"),
        ("privacy", "cmd_privacy"),
        ("mydata", "cmd_mydata"),
        ("deleteme", "cmd_deleteme"),
        ("cancel", "cmd_cancel"),
    ),
    Role.CLIENT: (
        ("checkin", "cmd_checkin"),
        ("progress", "cmd_progress"),
        ("pause", "cmd_pause"),
        ("resume", "cmd_resume"),
        ("settings", "cmd_settings_client"),
        ("help", "cmd_help"),
        ("privacy", "cmd_privacy"),
        ("mydata", "cmd_mydata"),
        ("deleteme", "cmd_deleteme"),
        ("cancel", "cmd_cancel"),
    ),
    Role.TRAINER: (
        ("alerts", "cmd_alerts"),
        ("clients", "cmd_clients_trainer"),
        ("program", "cmd_program"),
        ("availability", "cmd_availability"),
        ("bookings", "cmd_bookings_trainer"),
        ("invite", "cmd_invite_trainer"),
        ("settings", "cmd_settings_staff"),
        ("help", "cmd_help"),
        ("privacy", "cmd_privacy"),
        ("cancel", "cmd_cancel"),
    ),
    Role.ADMIN: (
        ("alerts", "cmd_alerts_admin"),
        ("clients", "cmd_clients_admin"),
        ("program", "cmd_program"),
        ("bookings", "cmd_bookings_admin"),
        ("invite", "cmd_invite_admin"),
        ("settings", "cmd_settings_staff"),
        ("help", "cmd_help"),
        ("privacy", "cmd_privacy"),
        ("cancel", "cmd_cancel"),
    ),
}


def commands_for(role: str, locale: str = "en") -> tuple[tuple[str, str], ...]:
    return tuple((name, t(key, locale)) for name, key in COMMANDS.get(role, COMMANDS[VISITOR]))


def menu_for(role: str, locale: str = "en") -> Menu:
    return Menu(commands_for(role, locale))


def help_text(role: str, locale: str = "en") -> str:
    lines = [t("help_header", locale)]
    lines += [f"/{name} - {description}" for name, description in commands_for(role, locale)]
    return "\n".join(lines)
