"""How to do an exercise, as a client sees it: its cues under the line, its video as a button.

The check-in question and the client's "my program" view show the same thing, so the words a
trainer or the library gives an exercise reach the client wherever the exercise appears.
"""

from __future__ import annotations

from flows.engine.core import Keyboard
from flows.engine.texts import t
from flows.library.video import video_button


def howto(locale: str, text: str, cues: str | None, link: str | None) -> tuple[str, Keyboard]:
    """`text` with the cues below it, and a row with the video's URL button (or no row)."""
    if cues:
        text += "\n" + t("lib_cues", locale, cues=cues)
    button = video_button(link, locale) if link else None
    return text, ((button,),) if button is not None else ()
