"""Logging set up exactly as `mendbot run` does, for tests that read what it prints."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import setup_logging


@contextmanager
def logging_as_mendbot_run(level: str, secrets: list[str], fmt: str = "text") -> Iterator[None]:
    """bot.logs.setup_logging as `mendbot run` calls it (its handler writes to sys.stderr as it
    is now, so capsys captures it); every logger's level and the root's handlers are restored
    afterwards, so the rest of the session is untouched."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    levels: dict[str | None, int] = {None: root.level}
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            levels[name] = logger.level
    setup_logging(level, secrets, fmt)
    try:
        yield
    finally:
        root.handlers[:] = handlers
        for logger_name, value in levels.items():
            logging.getLogger(logger_name).setLevel(value)
