"""Telegram adapters: the only code that imports python-telegram-bot or aiogram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from flows.core import Event, Reply

Handle = Callable[[Event], Awaitable[list[Reply]]]
