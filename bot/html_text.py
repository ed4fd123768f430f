"""Shorten Telegram HTML without breaking it (a cut inside `&lt;` or `<b>` makes Telegram refuse the message)."""

from __future__ import annotations

import html
import re

ELLIPSIS = "…"
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z-]*)[^<>]*>")
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);")


def truncate_html(text: str, limit: int) -> str:
    """Return text if it fits in limit characters, else a prefix cut between tags and entities.

    The result is at most limit characters long, ends with an ellipsis and closes every tag it
    keeps open, so it stays valid HTML for Telegram (whose limits count characters after parsing,
    which a raw length within the limit always satisfies).
    """
    if len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    stack: list[str] = []
    closing = 0  # characters needed to close what is open
    i = 0
    while i < len(text):
        tag = _TAG_RE.match(text, i) if text[i] == "<" else None
        entity = _ENTITY_RE.match(text, i) if text[i] == "&" else None
        unit = tag.group(0) if tag else entity.group(0) if entity else text[i]
        extra = 0
        if tag and not tag.group(1):
            extra = len(tag.group(2)) + 3
        elif tag and stack and stack[-1] == tag.group(2).lower():
            extra = -(len(tag.group(2)) + 3)
        if used + len(unit) + closing + extra + len(ELLIPSIS) > limit:
            break
        out.append(unit)
        used += len(unit)
        closing += extra
        if tag and not tag.group(1):
            stack.append(tag.group(2).lower())
        elif tag and stack and stack[-1] == tag.group(2).lower():
            stack.pop()
        i += len(unit)
    out.append(ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(stack))
    return "".join(out)


def to_plain(text: str) -> str:
    """The text a reader sees of Telegram HTML: tags dropped, entities decoded (for popups and pictures)."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(_TAG_RE.sub("", text))
