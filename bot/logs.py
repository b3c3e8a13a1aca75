"""Logging set-up: our own modules at LOG_LEVEL, every library at WARNING or above whatever
LOG_LEVEL says, and no line (at any level) that holds message content, SQL parameters, an
exception's message or the bot token.

Libraries log exactly what must never be printed: at INFO and DEBUG SQLAlchemy logs statements
with their parameters, aiosqlite every call with its SQL and parameters, python-telegram-bot and
aiogram the Bot API calls with their text and the updates with names and phone numbers,
httpx/httpcore the request URLs (with the token). So LOG_LEVEL=DEBUG gives our own modules' debug
lines only. Exception messages quote what failed (an SQL value, a typed value, a URL), so
tracebacks keep their frames and exception types and withhold the messages.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime

OWN_LOGGERS = ("bot", "handlers", "flows", "storage")
"""Our packages: the only loggers LOG_LEVEL can open below WARNING."""

LIBRARY_LOGGERS = (
    "sqlalchemy",  # INFO: every statement and its parameters; DEBUG: result rows
    "aiosqlite",  # DEBUG: every call with its SQL and parameters
    "asyncpg",
    "httpx",  # INFO: every request's URL (the token is in it)
    "httpcore",  # DEBUG: connection and request trace
    "telegram",  # DEBUG: Bot API calls with their parameters and results, the updates
    "aiogram",  # INFO/DEBUG: updates handled, API calls
    "aiohttp",  # INFO: access log (the webhook path), client and server traces
    "apscheduler",  # INFO: every tick
    "alembic",  # INFO: migrations run
    "asyncio",  # DEBUG: slow callbacks with their arguments
)
"""Pinned at WARNING or above; any other library is held there by the handler's filter too."""


class OwnOrWarning(logging.Filter):
    """Below WARNING, only our own modules' lines: a library that sets its own level (or one
    not in LIBRARY_LOGGERS) still cannot print its debug trace through our handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        return any(record.name == own or record.name.startswith(f"{own}.") for own in OWN_LOGGERS)


class WithholdExceptionText(logging.Filter):
    """Exceptions appear by type (and, with exc_info, their frames), never by message: the
    message of a database error quotes the values, a ValueError the text that was typed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, BaseException):
            record.msg = exception_kind(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_withheld(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _withheld(value) for key, value in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = withheld_traceback(record.exc_info[1])
        return True


def _withheld(value: object) -> object:
    return exception_kind(value) if isinstance(value, BaseException) else value


def exception_kind(exc: BaseException) -> str:
    """ "ValueError", "sqlalchemy.exc.IntegrityError": what failed, without what it says."""
    kind = type(exc)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def withheld_traceback(exc: BaseException) -> str:
    """The traceback of `exc` and of what caused it: frames and types, no messages."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        context = None if current.__suppress_context__ else current.__context__
        current = current.__cause__ if current.__cause__ is not None else context
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(link.__traceback__))
        + f"{exception_kind(link)} (message withheld)"
        for link in reversed(chain)
    ]
    return "\n\nwhich led to:\n\n".join(parts)


class RedactSecrets(logging.Filter):
    """Replace each secret with *** in the formatted message (httpx logs URLs with the token)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        return True


FIELDS = ("update_id", "event", "outcome", "duration_ms")
"""Structured fields a line may carry (`extra=`): ids, kinds and timings, never content."""


class JsonLines(logging.Formatter):
    """LOG_FORMAT=json: one object a line for a log collector. It formats the same record the
    filters above have already cleaned, so it can't show more than the text format does."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: record.__dict__[name] for name in FIELDS if name in record.__dict__})
        if record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str, secrets: list[str], fmt: str = "text") -> None:
    """One handler on the root logger; our modules at `level`, everything else at WARNING or
    above (see the module's docstring for why)."""
    handler = logging.StreamHandler()
    text = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonLines() if fmt == "json" else text)
    for keep_out in (OwnOrWarning(), WithholdExceptionText(), RedactSecrets(secrets)):
        handler.addFilter(keep_out)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    chosen = root.level
    quiet = max(logging.WARNING, chosen)
    root.setLevel(quiet)
    for own in OWN_LOGGERS:
        logging.getLogger(own).setLevel(chosen)
    for library in LIBRARY_LOGGERS:
        logging.getLogger(library).setLevel(quiet)
    logging.getLogger(__name__).debug(
        "logging at %s; libraries at %s and above",
        logging.getLevelName(chosen),
        logging.getLevelName(quiet),
    )
