"""The sandbox: a local Telegram Bot API stand-in with a web chat page (see server.py)."""

from bot.sandbox.server import ApiCall, Persona, SandboxServer

__all__ = ["ApiCall", "Persona", "SandboxServer"]
