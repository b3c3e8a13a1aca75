"""Commands are declared once, by the flow that runs them: the router's table, /help and
Telegram's menu all come from those declarations."""

from __future__ import annotations

import pytest

from flows.engine.conversation import Command, Context
from flows.engine.menu import VISITOR, command_table, commands_for, help_text
from flows.router import COMMANDS
from storage.models import Role


async def _nothing(ctx: Context) -> None:
    return None


def test_a_name_declared_twice_fails_when_the_table_is_built() -> None:
    first = Command("pause", _nothing, {Role.CLIENT: "cmd_pause"})
    again = Command("pause", _nothing, {Role.TRAINER: "cmd_program"})
    with pytest.raises(ValueError, match="/pause is declared twice"):
        command_table([first, again])


def test_each_role_sees_its_own_commands_main_ones_first() -> None:
    names = {role: [name for name, _ in commands_for(role)] for role in (VISITOR, *Role)}
    assert names[VISITOR] == ["book", "start", "language", "help", "privacy"]
    assert names[Role.CLIENT] == [
        *("program", "checkin", "progress", "pause", "resume", "settings"),
        *("language", "mydata", "deleteme", "help", "privacy", "cancel"),
    ]
    assert all("language" in names[role] for role in names)
    assert names[Role.TRAINER][:8] == [
        "alerts",
        "clients",
        "program",
        "library",
        "templates",
        "availability",
        "bookings",
        "invite",
    ]
    assert "availability" not in names[Role.ADMIN]
    assert names[Role.PROSPECT][:2] == ["book", "mybooking"]


def test_every_menu_line_is_a_command_the_role_may_use() -> None:
    for role in (VISITOR, *Role):
        for name, _ in commands_for(role):
            assert role in COMMANDS[name].roles, (role, name)


def test_help_describes_a_command_per_role() -> None:
    trainer, admin = help_text(Role.TRAINER), help_text(Role.ADMIN)
    clients = [line for line in trainer.splitlines() if line.startswith("/clients")]
    assert clients and clients[0] not in admin  # "your clients" / "every client"


def test_an_unknown_role_gets_the_visitors_menu() -> None:
    assert commands_for("stranger") == commands_for(VISITOR)
