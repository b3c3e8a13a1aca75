"""The update queue that getUpdates and the webhook both draw from, numbered like Telegram's.

Every update ever made is kept by id, so a test can replay one as Telegram may after a crash;
`pending` is what the bot has not confirmed yet, `redeliver` what is to be sent once more.
allowed_updates filters at creation, as Telegram does: a filtered update is never pending.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.sandbox.errors import SandboxError, bad_request
from bot.sandbox.signals import Signal

UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
        "chat_member",
        "message_reaction",
        "message_reaction_count",
    }
)
DEFAULT_ALLOWED_UPDATES = UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
# Raw updates of these types skip the allowed_updates filter (see `inject`).
RAW_ALWAYS_DELIVERED = frozenset({"message", "callback_query"})


class UpdateQueue:
    """Updates by id, the unconfirmed ones in order, and a signal fired when one is added."""

    def __init__(self, last_update_id: int) -> None:
        """`last_update_id`: where numbering continues (see SandboxServer)."""
        self.last_update_id = last_update_id
        self.by_id: dict[int, dict[str, Any]] = {}
        self.pending: list[dict[str, Any]] = []
        self.redeliver: list[dict[str, Any]] = []
        self.allowed = set(DEFAULT_ALLOWED_UPDATES)
        self.signal = Signal()
        self.closing = False

    def close(self) -> None:
        """Wake every wait for updates; they end now."""
        self.closing = True
        self.signal.fire()

    def add(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Give an update the next id and queue it, unless the bot filtered its type out."""
        self.last_update_id += 1
        update = {"update_id": self.last_update_id, kind: copy.deepcopy(payload)}
        self._queue(update, deliver=kind in self.allowed)
        return update

    def inject(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Queue `fields` verbatim as an update (plus the next update_id); returns a copy.

        For tests that a bot survives updates it cannot decode, such as a message whose text is
        a number or which has no chat. Delivered by getUpdates and the webhook like any other.
        """
        if not isinstance(fields, dict):
            raise TypeError("fields must be a dict")
        if "update_id" in fields:
            raise ValueError("leave update_id out: the sandbox numbers updates itself")
        json.dumps(fields)  # TypeError/ValueError now rather than on every later getUpdates
        self.last_update_id += 1
        update = {"update_id": self.last_update_id, **copy.deepcopy(fields)}
        self._queue(update, deliver=self._raw_deliverable(set(fields)))
        return copy.deepcopy(update)

    def _raw_deliverable(self, keys: set[str]) -> bool:
        """allowed_updates filters a raw update only when all its keys are modelled types the
        bot left out; message and callback_query, the shapes a bot must survive, always pass."""
        if keys & RAW_ALWAYS_DELIVERED or not keys <= UPDATE_TYPES:
            return True
        return not keys or bool(keys & self.allowed)

    def _queue(self, update: dict[str, Any], *, deliver: bool) -> None:
        self.by_id[update["update_id"]] = update
        if deliver:
            self.pending.append(update)
            self.signal.fire()

    def replay(self, update_id: int) -> dict[str, Any]:
        """Deliver an already-delivered update again, as Telegram may after a crash."""
        update = self.by_id.get(update_id)
        if update is None:
            raise SandboxError(404, f"No update with id {update_id}.")
        self.redeliver.append(update)
        self.signal.fire()
        return update

    def set_allowed(self, allowed: Any) -> None:
        """The allowed_updates of getUpdates or setWebhook; None keeps the last, [] the default."""
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        self.allowed = (
            set(DEFAULT_ALLOWED_UPDATES) if not allowed else set(map(str, allowed)) & UPDATE_TYPES
        )

    def confirm(self, offset: int) -> None:
        """Telegram forgets every update below the offset (a negative one keeps the last -N)."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` updates for getUpdates: replays first (and only once), then pending."""
        replays, self.redeliver = self.redeliver[:limit], self.redeliver[limit:]
        batch = replays + self.pending[: limit - len(replays)]
        return sorted(batch, key=lambda u: u["update_id"])

    def unsent_count(self) -> int:
        return len(self.pending) + len(self.redeliver)
