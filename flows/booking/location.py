"""How or where a trainer's consults happen: an address or a video link, set in /availability.

Visitors see it in the confirmation, the reminders and the calendar file's LOCATION, so they
know whether to travel or open a link. A typed "www." link gets https:// (flows/engine/links.py).
"""

from __future__ import annotations

from flows.engine.links import with_scheme
from flows.engine.sanitize import clean_label
from flows.engine.texts import t
from storage import booking as bk
from storage.repo import Store

LOCATION_MAX = 300
CLEAR_WORDS = ("clear", "none", "-")


def parse_location(text: str) -> str | None:
    """An address or a link on one line, 3 to LOCATION_MAX characters; None if not usable."""
    place = clean_label(with_scheme(text), LOCATION_MAX)
    if place is None or len(place) < 3:
        return None
    return place


async def location_of(store: Store, trainer_id: int) -> str | None:
    return (await bk.consult_settings(store, trainer_id)).location


def where(locale: str, location: str | None, trainer: str) -> str:
    """The line visitors read: the place, or that the trainer will send it."""
    if location:
        return t("bk_where", locale, place=location)
    return t("bk_where_unset", locale, trainer=trainer)
