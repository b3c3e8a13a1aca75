"""Which commands each role has, built from the commands the flows declare.

Each flow module declares its commands once (`Command`: roles and menu text); the router puts
them into one table at import (`command_table`: a name declared twice fails there) and installs
it here, so /help, Telegram's command menu and the router read the same declarations.
"""

from __future__ import annotations

from collections.abc import Iterable

from flows.engine.conversation import Command
from flows.engine.core import Menu
from flows.engine.texts import t

VISITOR = "visitor"

_installed: dict[str, Command] = {}


def command_table(commands: Iterable[Command]) -> dict[str, Command]:
    """One table by name, in declaration order; a name declared twice is a bug, found at import."""
    table: dict[str, Command] = {}
    for command in commands:
        if command.name in table:
            raise ValueError(f"/{command.name} is declared twice")
        table[command.name] = command
    return table


def install(table: dict[str, Command]) -> dict[str, Command]:
    """The table the menus are built from (the router's, once all flows are imported)."""
    global _installed
    _installed = table
    return table


def commands_for(role: str, locale: str = "en") -> tuple[tuple[str, str], ...]:
    """(name, description) for `role`: its main commands, then the general ones."""
    if not any(role in command.menu for command in _installed.values()):
        role = VISITOR
    listed = [command for command in _installed.values() if role in command.menu]
    ordered = [c for c in listed if not c.more] + [c for c in listed if c.more]
    return tuple((c.name, t(c.menu[role], locale)) for c in ordered)


def menu_for(role: str, locale: str) -> Menu:
    """A chat's command menu: for the person's role (and state, by which role the caller names)
    in their language. No default locale: a menu in the wrong language is easy to miss."""
    return Menu(commands_for(role, locale))


def help_text(role: str, locale: str = "en") -> str:
    lines = [t("help_header", locale)]
    lines += [f"/{name} - {description}" for name, description in commands_for(role, locale)]
    return "\n".join(lines)
