"""Injected faults: a busy Telegram, a broken proxy and a flaky network, on demand.

Reliability tests arm these and then count, in `calls`, what the bot did about them:
    counted   the next N calls of the send/edit family answer 429 (with retry_after), 500 or 502
              and do nothing (`inject_faults`)
    random    each call of chosen methods fails with a probability, of a kind drawn by a seeded
              random.Random (`inject_fault_rate`): "429", "500", "502" as above; "timeout"
              does nothing and holds the answer past the client's read timeout, then 504;
              "late" performs the call but holds its answer ("it may have arrived")
    poll      the next N getUpdates answer badly and confirm nothing (`inject_poll_faults`):
              "html502" a proxy's HTML page, "garbage" JSON cut off, "not_ok" a result that is
              not a list, "disconnect" no answer at all
Counted faults go before random ones. Holding never blocks other requests, and stop() ends
held answers at once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import web

from bot.sandbox.errors import ApiError
from bot.sandbox.signals import Signal

DEFAULT_HOLD_SECONDS = 5.0
# Calls that create or change messages: the ones faults hit unless told otherwise.
FAULTABLE = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)
FAULT_KINDS = frozenset({"429", "500", "502", "timeout", "late"})
DEFAULT_FAULT_KINDS = ("429", "500", "timeout")
POLL_FAULT_STATUS = {"html502": 502, "garbage": 200, "not_ok": 200, "disconnect": 0}
PROXY_502_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
GARBAGE_BODY = b'{"ok":true,"result":[{"update_id":'


@dataclass
class FaultRate:
    """Random faults: each call of `methods` fails with probability `rate`."""

    rate: float
    kinds: tuple[str, ...]
    methods: frozenset[str]
    rng: random.Random
    retry_after: int
    hold_seconds: float


def fault_error(status: int, retry_after: int) -> ApiError:
    """An injected 429, 500 or 502, worded as Telegram (or its front proxy) words them."""
    if status == 429:
        return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    return ApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")


def bad_poll_answer(kind: str, request: web.Request) -> web.Response:
    """One getUpdates answered badly, as a proxy or a broken network might."""
    if kind == "html502":
        return web.Response(status=502, text=PROXY_502_PAGE, content_type="text/html")
    if kind == "garbage":
        return web.Response(body=GARBAGE_BODY, content_type="application/json")
    if kind == "not_ok":
        return web.json_response({"ok": True, "result": "nope"})
    if request.transport is not None:  # "disconnect": no answer at all
        request.transport.close()
    return web.Response()


class Faults:
    """The armed faults, and what each Bot API call gets from them."""

    def __init__(self, methods: Iterable[str]) -> None:
        """`methods`: the Bot API methods there are, which random faults may be aimed at."""
        self._methods = {name.lower(): name for name in methods}
        self._counted: tuple[int, int, int] = (0, 0, 1)  # (status, remaining, retry_after)
        self._rate: FaultRate | None = None
        self._poll: tuple[str, int] = ("", 0)  # (kind, remaining)
        self._stop = Signal()
        self.closing = False

    def close(self) -> None:
        """Let every held answer go out now."""
        self.closing = True
        self._stop.fire()

    # ----------------------------------------------------------------- arming

    def inject_faults(self, status: int, count: int, retry_after: int = 1) -> None:
        """Make the next `count` message send/edit calls fail with 429, 500 or 502."""
        if status not in (429, 500, 502):
            raise ValueError("status must be 429, 500 or 502")
        if count < 0 or retry_after < 0:
            raise ValueError("count and retry_after must not be negative")
        self._counted = (status, count, retry_after)

    def inject_fault_rate(
        self,
        rate: float,
        kinds: Iterable[str] = DEFAULT_FAULT_KINDS,
        *,
        seed: int | None = None,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
    ) -> None:
        """Fail a random share of calls, as a flaky network and a busy Telegram do.

        Each call of `methods` (default: the send/edit family) fails with probability `rate`,
        of a kind drawn from `kinds` (see the module docstring); `seed` makes the draws
        reproducible. Rate 0 turns random faults off.
        """
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        chosen = (kinds,) if isinstance(kinds, str) else tuple(str(kind) for kind in kinds)
        if not chosen or not set(chosen) <= FAULT_KINDS:
            raise ValueError(f"kinds must be some of {', '.join(sorted(FAULT_KINDS))}")
        if retry_after < 0 or not hold_seconds >= 0:
            raise ValueError("retry_after and hold_seconds must not be negative")
        names = FAULTABLE if methods is None else self._method_names(methods)
        if rate == 0:
            self._rate = None
            return
        rng = random.Random(seed)
        self._rate = FaultRate(rate, chosen, names, rng, retry_after, hold_seconds)

    def _method_names(self, methods: Iterable[str]) -> frozenset[str]:
        """Canonical names of the given Bot API methods (any case); unknown ones are an error."""
        names = set()
        for method in (methods,) if isinstance(methods, str) else methods:
            name = self._methods.get(str(method).lower())
            if name is None:
                raise ValueError(f"unknown Bot API method {method!r}")
            names.add(name)
        return frozenset(names)

    def inject_poll_faults(self, kind: str, count: int = 1) -> None:
        """Make the next `count` getUpdates calls answer badly (see the module docstring)."""
        if kind not in POLL_FAULT_STATUS:
            raise ValueError(f"kind must be one of {', '.join(sorted(POLL_FAULT_STATUS))}")
        if count < 0:
            raise ValueError("count must not be negative")
        self._poll = (kind, count)

    # ----------------------------------------------------------------- firing

    def take_poll_fault(self) -> str | None:
        """The bad answer this getUpdates gets, if one is armed."""
        kind, remaining = self._poll
        if remaining <= 0:
            return None
        self._poll = (kind, remaining - 1)
        return kind

    def take_counted(self, name: str) -> ApiError | None:
        """The counted fault this call gets, if any."""
        status, remaining, retry_after = self._counted
        if name not in FAULTABLE or remaining <= 0:
            return None
        self._counted = (status, remaining - 1, retry_after)
        return fault_error(status, retry_after)

    def draw(self, name: str) -> tuple[str, FaultRate] | None:
        """The random fault kind for this call, if it gets one (counted faults go first)."""
        plan = self._rate
        if plan is None or name not in plan.methods:
            return None
        if name in FAULTABLE and self._counted[1] > 0:
            return None
        if plan.rng.random() >= plan.rate:
            return None
        return plan.rng.choice(plan.kinds), plan

    async def hold(self, seconds: float) -> None:
        """Sit on an answer without blocking other requests; stop() cuts the wait short."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.closing:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            await self._stop.wait(remaining)
