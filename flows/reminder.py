"""Work in progress: filled in by its author in this change."""

from __future__ import annotations

from flows.conversation import Action, Command

COMMANDS: dict[str, Command] = {}
ACTIONS: dict[str, Action] = {}
