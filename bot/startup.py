"""Start-up failures as one line that names the setting and says what to do.

A newcomer who mistypes a host or starts the bot before PostgreSQL should read one sentence, not a
hundred lines of traceback from asyncpg or asyncio. Each helper turns the errors of one start-up
step (reaching the database, binding a port, reaching Telegram) into a `SettingsError`, which the
command line prints as `mendbot: <line>` with exit status 2. Anything else keeps its traceback:
it is a bug, not a setting.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import SettingsError
from bot.telegram_api import BotApi, Outcome

MAX_REASON = 160


def _reason(exc: BaseException) -> str:
    """The first line of what went wrong, short; SQLAlchemy's wrapper and links left out."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(inner, OSError) and inner.strerror:
        text_ = inner.strerror
    else:
        text_ = str(inner).strip() or type(inner).__name__
    first = text_.splitlines()[0] if text_ else type(inner).__name__
    return first[:MAX_REASON]


def database_place(url: str) -> str:
    """Where DATABASE_URL points, without the user or password: host:port/name or the file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "DATABASE_URL"
    if parsed.get_backend_name() == "sqlite":
        return f"the file {parsed.database}"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}/{parsed.database or ''}"


@contextmanager
def opening_database(url: str) -> Iterator[None]:
    """Creating the engine and its SQLite folder: a path that can't be made names DATABASE_URL."""
    try:
        yield
    except OSError as exc:
        raise SettingsError(
            f"Cannot open {database_place(url)} (DATABASE_URL): {_reason(exc)}. "
            "Fix DATABASE_URL or the folder's permissions."
        ) from None


async def reach_database(engine: AsyncEngine, url: str) -> None:
    """Connect once before migrating, so an unreachable or refused database is one line (the
    migration's own errors, which are bugs, keep their traceback)."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, DBAPIError) as exc:
        what = "PostgreSQL" if engine.dialect.name == "postgresql" else "the database"
        raise SettingsError(
            f"Cannot reach the database at {database_place(url)} (DATABASE_URL): "
            f"{_reason(exc)}. Start {what} or fix DATABASE_URL."
        ) from None


def bind_error(exc: OSError, prefix: str, host: str, port: int) -> SettingsError:
    """A server that could not listen: blame the host or the port, whichever it was.

    `prefix` is the settings' common start, e.g. SANDBOX for SANDBOX_HOST and SANDBOX_PORT.
    """
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return SettingsError(
            f"Invalid setting {prefix}_HOST: {host} is not an address of this machine "
            f"({_reason(exc)}); use 127.0.0.1, 0.0.0.0 or one of its own addresses"
        )
    if exc.errno == errno.EACCES:
        return SettingsError(
            f"Invalid setting {prefix}_PORT: {port} needs more privileges ({_reason(exc)}); "
            "use a port above 1023"
        )
    return SettingsError(
        f"Invalid setting {prefix}_PORT: {port} is not free ({_reason(exc)}); "
        f"stop what uses it or pick another {prefix}_PORT"
    )


@asynccontextmanager
async def binding(prefix: str, host: str, port: int) -> AsyncIterator[None]:
    """Starting a listening server: its OSError becomes `bind_error`'s one line."""
    try:
        yield
    except OSError as exc:
        raise bind_error(exc, prefix, host, port) from None


async def reach_telegram(base_url: str, token: str) -> None:
    """getMe before the runtime starts: a refused token or an unreachable API is one line that
    names TELEGRAM_BOT_TOKEN or TELEGRAM_API_BASE_URL, the same for both runtimes."""
    api = BotApi(base_url, token)
    try:
        me = await api.call("getMe", {})
    finally:
        await api.aclose()
    if me.outcome == Outcome.SENT:
        return
    if me.outcome in (Outcome.TRANSIENT, Outcome.UNCERTAIN, Outcome.RETRY_AFTER):
        raise SettingsError(
            f"Cannot reach Telegram at {base_url} (TELEGRAM_API_BASE_URL): "
            f"{me.description or me.outcome}. Check the network or TELEGRAM_API_BASE_URL."
        )
    raise SettingsError(
        f"Invalid setting TELEGRAM_BOT_TOKEN: Telegram refused it ({me.description[:80]}); "
        "copy the token from @BotFather into .env"
    )
