"""mendbot's own cost of an update (not a test; `make bench`): the router alone, in this process.

CLIENTS demo clients (default 40) check in at the same time, the whole daily check-in of
bench_runtimes (13 updates each), driven as the intake drives the router: store the update,
take the chat's turn, handle it, forget it once answered. No Bot API calls and no framework: what
is left is mendbot's flows and storage on a real SQLite file, on the engine the bot uses for
updates (inline). A first crowd is not counted (first statements, caches). Prints the CPU time
an update costs, median of --runs runs; --steps each of the 13 steps' (the counted clients
then check in one after another); --statements counts and lists the statements (with a
listener that costs CPU of its own: not in the timed figure otherwise).

bench_runtimes measures mendbot against an echo bot in a process of its own; this one says how
much of that is the router, and judges a change to it in seconds rather than minutes (alternate
runs of two trees: the machine's pace drifts). --profile also counts the Python calls an update
makes: a count does not drift with the machine, so it shows a change that time hides in noise.

    .venv/bin/python bench/bench_router.py [--clients 40] [--runs 3] [--steps] [--statements]
        [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_runtimes import CHECKIN, SANDBOX_BOT_USERNAME, START, checkin_event, seed_clients
from sqlalchemy import event as sa_event

from bot.demo import seed_demo_centre
from bot.proactive import bot_info
from bot.settings import load_settings
from flows.engine.core import Reply
from flows.router import Router
from storage.db import make_engine, migrate, session_factory
from storage.repo import store_factory


async def check_in(
    router: Router, user: int, first_update: int, steps: list[float] | None = None
) -> None:
    """One client's check-in, each update as the intake takes it (handlers/intake.py); each
    step's CPU seconds added to `steps` (exact only when nothing else runs meanwhile)."""
    last: list[Reply] = []
    for step, (how, text, _) in enumerate(CHECKIN):
        started = time.process_time()
        update_id = first_update + step
        await router.receive([checkin_event(update_id, user, how, text, last)])
        async with router.turn(user):
            due = await router.next_due(user, update_id)
            assert due is not None, "the update just stored is due"
            taken, replies = due
            handled = await router.handle(taken) if replies is None else replies
            assert handled is not None, "nothing older of the chat waits"
            last = handled
            await router.answered(update_id)
        if steps is not None:
            steps[step] += time.process_time() - started


async def run(
    clients: int,
    statements: Counter[str] | None,
    profile: cProfile.Profile | None,
    steps: list[float] | None = None,
) -> float:
    """CPU milliseconds an update, over one counted crowd of `clients`; `statements` counts
    them (a listener on every statement: it costs CPU of its own, so only when asked);
    `steps` gets each step's CPU seconds, the counted clients then checking in one after
    another (at once, a step's time would include the others')."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        setup = make_engine(url)
        await migrate(setup)
        await seed_demo_centre(session_factory(setup), "Europe/London", START)
        users = list(range(5_000_000, 5_000_000 + 2 * clients))
        await seed_clients(session_factory(setup), users, START)
        await setup.dispose()
        engine = make_engine(url, inline=True)
        info = bot_info(load_settings(_env_file=None), SANDBOX_BOT_USERNAME)
        stores = store_factory(session_factory(engine))
        router = Router(stores, info, lambda: START, one_writer=True)
        first, counted = users[:clients], users[clients:]
        await asyncio.gather(*(check_in(router, u, 1_000 + n * 100) for n, u in enumerate(first)))

        if statements is not None:

            def count(*args: Any) -> None:
                statements[args[2].split("\n")[0][:100]] += 1

            sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
        started = time.process_time()
        if profile:
            profile.enable()
        if steps is None:
            await asyncio.gather(
                *(check_in(router, u, 100_000 + n * 100) for n, u in enumerate(counted))
            )
        else:
            for n, u in enumerate(counted):
                await check_in(router, u, 100_000 + n * 100, steps)
        if profile:
            profile.disable()
        cpu = time.process_time() - started
        await engine.dispose()
    return 1000 * cpu / (clients * len(CHECKIN))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40, help="checking in at the same time")
    parser.add_argument("--runs", type=int, default=3, help="the median is printed")
    parser.add_argument("--statements", action="store_true", help="list them, an update's share")
    parser.add_argument(
        "--steps", action="store_true", help="each step's CPU, clients one after another"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile of the counted crowds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    profile = cProfile.Profile() if args.profile else None
    statements: Counter[str] | None = Counter() if args.statements else None
    steps = [0.0] * len(CHECKIN) if args.steps else None
    figures = [asyncio.run(run(args.clients, statements, profile, steps)) for _ in range(args.runs)]
    updates = args.runs * args.clients * len(CHECKIN)
    print(
        f"router, {args.clients} clients {'one after another' if args.steps else 'at once'}, "
        f"{len(CHECKIN)} updates each: "
        f"{statistics.median(figures):.2f} ms CPU an update (median of {args.runs}: "
        f"{', '.join(f'{f:.2f}' for f in figures)})"
    )
    if steps is not None:
        print("each step's CPU (one client at a time), and as a multiple of the middle steps':")
        middle = statistics.median(steps[1:-1])
        for (_, text, _), seconds in zip(CHECKIN, steps, strict=True):
            mean_ms = 1000 * seconds / (args.runs * args.clients)
            print(f"  {text:<14} {mean_ms:5.2f} ms  {seconds / middle:4.1f}x")
    if statements is not None:
        print(f"{sum(statements.values()) / updates:.1f} statements an update")
        for text, times in statements.most_common():
            print(f"{times / updates:6.2f}  {text}")
    if profile:
        stats = pstats.Stats(profile)
        print(
            f"{sum(e.callcount for e in profile.getstats()) / updates:.0f} Python calls an update"
            " (a count, not a time:"
            " on a shared machine the steady way to compare two trees)"
        )
        stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
