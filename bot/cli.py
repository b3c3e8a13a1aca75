"""The `mendbot` command: run the bot, invite staff, check a check-in against the triage rules,
the operator's backup, restore and check, and the sandbox's demo reset.

A bad setting or an unreachable dependency is one line naming the setting, exit status 2
(bot/startup.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "triage":  # needs no settings or database
        from bot.triage_cli import run as run_triage

        return run_triage(sys.stdin, sys.stdout, sys.stderr)
    if args.command == "check":  # reports a settings error as one of its lines
        from bot.maintenance import check

        return asyncio.run(check(load_settings, sys.stdout))
    try:
        settings = load_settings()
        if args.command == "run":
            return asyncio.run(_run(settings))
        if args.command == "invite":
            return asyncio.run(_invite(settings, args.role, args.name))
        if args.command == "migrate":
            return asyncio.run(_migrate(settings, args.revision))
        if args.command == "report":
            from bot.clock import Clock
            from bot.report_cli import run as run_report

            out = Path(args.output)
            now = Clock().now()
            return run_report(settings, args.client, args.weeks, out, now, sys.stdout)
        if args.command in ("backup", "restore"):
            return _maintain(settings, args.command, Path(args.path))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(settings, reset=args.reset))
        if args.command == "library" and args.action is not None:
            return _library(settings, args.action, args.path)
    except SettingsError as exc:
        print(f"mendbot: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mendbot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start the bot (the sandbox when no TELEGRAM_BOT_TOKEN is set)")
    invite = commands.add_parser("invite", help="print a one-time invite link for staff")
    invite.add_argument("role", choices=["trainer", "admin"])
    invite.add_argument("--name", required=True, help="the person's name, as the bot greets them")
    commands.add_parser("triage", help="assess one check-in (JSON on stdin) with the triage rules")
    migrate = commands.add_parser("migrate", help="upgrade (or downgrade) the database")
    migrate.add_argument("revision", nargs="?", default="head")
    backup = commands.add_parser("backup", help="copy the database to PATH, while the bot runs")
    backup.add_argument("path")
    restore = commands.add_parser(
        "restore", help="replace the database with a backup (bot stopped)"
    )
    restore.add_argument("path")
    commands.add_parser("check", help="check the settings, the database and the Telegram token")
    sandbox = commands.add_parser("sandbox", help="manage the sandbox's demo centre")
    sandbox.add_argument(
        "--reset",
        action="store_true",
        help="the demo admin, trainer and client as at the first start (other people stay)",
    )
    library = commands.add_parser("library", help="import or export the exercise library (CSV)")
    actions = library.add_subparsers(dest="action")
    actions.add_parser("import", help="add or update entries from a CSV file").add_argument("path")
    export = actions.add_parser("export", help="write the library as CSV (stdout without FILE)")
    export.add_argument("path", nargs="?")
    report = commands.add_parser("report", help="write a client's progress report (PDF)")
    report.add_argument("--client", required=True, help="the client's id, or their name")
    report.add_argument("--weeks", type=int, choices=[2, 4, 8, 12], default=4)
    report.add_argument("-o", "--output", default="report.pdf", help="where to write the PDF")
    return parser


def _library(settings: Settings, action: str, path: str | None) -> int:
    from bot.library_cli import run_export, run_import

    if action == "import":
        return run_import(settings, Path(path or ""), sys.stdout, sys.stderr)
    return run_export(settings, Path(path) if path else None, sys.stdout)


def _maintain(settings: Settings, command: str, path: Path) -> int:
    from bot.maintenance import MaintenanceError, backup, restore

    try:
        if command == "backup":
            return backup(settings, path, print)
        return asyncio.run(restore(settings, path, print))
    except MaintenanceError as exc:
        print(f"mendbot {command}: {exc}", file=sys.stderr)
        return 1


async def _run(settings: Settings) -> int:
    from bot.app import MendBot, freeze_startup
    from bot.clock import clock_starting_at
    from bot.logs import setup_logging

    token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
    setup_logging(settings.log_level, [token], settings.log_format)
    app = MendBot(settings, clock=clock_starting_at(settings.mendbot_fake_now))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopping.set)
    try:
        await app.start()
        freeze_startup()
        if app.sandbox is not None:
            print(
                f"\nmendbot sandbox is running: open {app.sandbox.page_url} to chat with the bot."
            )
            print("Press Ctrl+C to stop.\n", flush=True)
        await stopping.wait()
    finally:
        await app.stop()
    return 0


async def _invite(settings: Settings, role: str, name: str) -> int:
    from bot.app import SANDBOX_BOT_USERNAME
    from bot.clock import Clock
    from bot.telegram_api import BotApi
    from flows.staff.invite import clean_name, create_invite, invite_link
    from storage.db import migrate, session_factory
    from storage.models import Role
    from storage.repo import Store

    clean = clean_name(name)
    if clean is None:
        raise SettingsError("Invalid name: use 1 to 64 characters")
    username = SANDBOX_BOT_USERNAME
    if settings.telegram_bot_token is not None:
        api = BotApi(settings.telegram_api_base_url, settings.telegram_bot_token.get_secret_value())
        me = await api.call("getMe", {})
        await api.aclose()
        if not isinstance(me.result, dict):
            raise SettingsError(f"Invalid setting TELEGRAM_BOT_TOKEN: getMe failed ({me.outcome})")
        username = me.result["username"]
    engine = await _open_database(settings)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session:
            store = Store(session)
            invite = await create_invite(
                store,
                role=Role(role),
                name=clean,
                now=Clock().now(),
                ttl_days=settings.invite_ttl_days,
            )
            await store.commit()
    finally:
        await engine.dispose()
    print(f"Invite for {clean} ({role}), valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC:")
    print(invite_link(username, invite.code))
    print(f"Code: {invite.code}  (in the sandbox: New visitor, then paste the code)")
    return 0


async def _sandbox(settings: Settings, *, reset: bool) -> int:
    """`mendbot sandbox --reset`: the demo centre back, e.g. after /deleteme on Jordan. While a
    sandbox runs on the database, its page's "Reset the demo" button does it instead."""
    from bot.clock import Clock
    from bot.demo import reset_demo_centre
    from bot.maintenance import sqlite_path
    from storage.db import migrate, running_elsewhere, session_factory

    if not reset:
        print("mendbot sandbox: say what to do: --reset restores the demo centre", file=sys.stderr)
        return 2
    if not settings.sandbox:
        raise SettingsError(
            "The demo centre lives in the sandbox: TELEGRAM_BOT_TOKEN is set, so there is none "
            "to reset"
        )
    path = sqlite_path(settings)
    if path is not None and path.exists() and running_elsewhere(str(path)):
        print(
            "mendbot sandbox: the sandbox is running on this database: use the page's "
            '"Reset the demo" button, or stop it first',
            file=sys.stderr,
        )
        return 1
    engine = await _open_database(settings)
    try:
        await migrate(engine)
        await reset_demo_centre(session_factory(engine), settings.default_timezone, Clock().now())
    finally:
        await engine.dispose()
    print("The demo centre is reset: Alex, Sam and Jordan as at the first start.")
    return 0


async def _migrate(settings: Settings, revision: str) -> int:
    from storage.db import migrate

    engine = await _open_database(settings)
    try:
        await migrate(engine, revision)
    finally:
        await engine.dispose()
    print(f"Database migrated to {revision}.")
    return 0


async def _open_database(settings: Settings) -> AsyncEngine:
    """The engine, once the database answered: an unreachable one is one line, exit 2."""
    from bot.startup import opening_database, reach_database
    from storage.db import make_engine

    with opening_database(settings.database_url):
        engine = make_engine(settings.database_url)
    try:
        await reach_database(engine, settings.database_url)
    except BaseException:
        await engine.dispose()
        raise
    return engine


if __name__ == "__main__":
    sys.exit(main())
