"""Instructional video links: which are acceptable, and the URL button a client taps.

A link reaches people as a URL button, and Telegram (and the sandbox) refuse a button whose URL
isn't a plain http(s) address, so every link is checked here before it is stored, whether typed
in chat, in a library entry or in an imported CSV row.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flows.engine.core import Button
from flows.engine.texts import t

LINK_MAX = 300
HOSTS = {  # a link on one of these is labelled with its site
    "youtube": ("youtube.com", "youtu.be", "youtube-nocookie.com"),
    "vimeo": ("vimeo.com",),
}


def web_link(text: str) -> str | None:
    """An http(s) address with a dotted host, no blanks or control characters, at most
    LINK_MAX characters; else None."""
    link = text.strip()
    if not link or len(link) > LINK_MAX or any(_unseen(c) for c in link):
        return None
    try:
        parts = urlsplit(link)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or "." not in host.strip("."):
        return None
    return link


def _unseen(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def site(link: str) -> str | None:
    """ "youtube" or "vimeo" for a link on their hosts (any subdomain), else None."""
    try:
        host = (urlsplit(link).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    for name, domains in HOSTS.items():
        if any(host == d or host.endswith("." + d) for d in domains):
            return name
    return None


def site_label(link: str, locale: str) -> str:
    """The site's name for a button: YouTube, Vimeo, or just "video"."""
    found = site(link)
    if found == "youtube":
        return t("lib_site_youtube", locale)
    if found == "vimeo":
        return t("lib_site_vimeo", locale)
    return t("lib_site_video", locale)


def named_video_button(link: str, locale: str, position: int, name: str) -> Button | None:
    """ "1. Quad sets (YouTube)": one of several videos under one message."""
    if web_link(link) is None:
        return None
    label = t("lib_watch_named", locale, n=position, name=name, site=site_label(link, locale))
    return Button(label, url=link)


def video_button(link: str, locale: str) -> Button | None:
    """ "Watch on YouTube", "Watch on Vimeo" or "Watch the video"; None for a link that isn't
    a web link any more (stored before it was checked): no button is better than a refused
    message."""
    if web_link(link) is None:
        return None
    found = site(link)
    if found == "youtube":
        label = t("lib_watch_youtube", locale)
    elif found == "vimeo":
        label = t("lib_watch_vimeo", locale)
    else:
        label = t("lib_watch_video", locale)
    return Button(label, url=link)
