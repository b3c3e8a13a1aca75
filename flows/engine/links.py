"""Links people type: "www.example.com/x" is a web address too, so it gets the https:// a
browser would add, instead of being refused for want of a scheme."""

from __future__ import annotations


def with_scheme(text: str) -> str:
    """ "www.example.com/v" -> "https://www.example.com/v"; anything else unchanged (trimmed)."""
    link = text.strip()
    if link[:4].lower() == "www.":
        return f"https://{link}"
    return link
