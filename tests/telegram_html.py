"""A strict validator for Telegram's HTML parse mode, and checks of every outgoing call's limits.

Telegram accepts only these tags: b, strong, i, em, u, ins, s, strike, del, span class="tg-spoiler",
tg-spoiler, a href, code (class="language-…" inside pre), pre, blockquote (expandable), tg-emoji
emoji-id. Every <, > and & that is not part of a tag or of an entity (&lt; &gt; &amp; &quot; and
numeric ones) must be escaped; tags must be balanced and properly nested. Lengths are counted after
parsing, in characters: text ≤ 4096, caption ≤ 1024; a callback answer ≤ 200.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from tests.fakes import Call

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ANSWER_LIMIT = 200

SIMPLE_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "pre"})
ALL_TAGS = SIMPLE_TAGS | {"span", "a", "code", "blockquote", "tg-emoji"}
_TAG_RE = re.compile(r"<(/?)([a-z][a-z-]*)((?:\s+[a-z][a-z-]*(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))?)*)\s*>")
_ATTR_RE = re.compile(r"([a-z][a-z-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class TelegramHTMLError(AssertionError):
    """Text that Telegram would refuse (400 "can't parse entities" or "message is too long")."""


def _check_attributes(name: str, raw: str, parents: list[str]) -> None:
    attrs = {m.group(1): m.group(2) if m.group(2) is not None else (m.group(3) or "") for m in _ATTR_RE.finditer(raw)}
    if name in SIMPLE_TAGS or name == "tg-spoiler":
        allowed: dict[str, str | None] = {}
    elif name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise TelegramHTMLError('<span> needs class="tg-spoiler"')
        allowed = {"class": None}
    elif name == "a":
        if not attrs.get("href"):
            raise TelegramHTMLError("<a> needs href")
        allowed = {"href": None}
    elif name == "tg-emoji":
        if not attrs.get("emoji-id", "").isdigit():
            raise TelegramHTMLError("<tg-emoji> needs a numeric emoji-id")
        allowed = {"emoji-id": None}
    elif name == "code":
        cls = attrs.get("class")
        if cls is not None and not (parents and parents[-1] == "pre" and cls.startswith("language-")):
            raise TelegramHTMLError('<code class="language-…"> only directly inside <pre>')
        allowed = {"class": None}
    elif name == "blockquote":
        allowed = {"expandable": None}
    else:  # pragma: no cover - ALL_TAGS is checked first
        allowed = {}
    unknown = set(attrs) - set(allowed)
    if unknown:
        raise TelegramHTMLError(f"<{name}> may not have {sorted(unknown)}")


def visible_text(text: str) -> str:
    """Validate Telegram HTML and return the text a person sees (tags removed, entities decoded)."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG_RE.match(text, i)
            if match is None:
                raise TelegramHTMLError(f"unescaped '<' at {i}: {text[i : i + 20]!r}")
            closing, name, attrs = match.group(1), match.group(2), match.group(3)
            if name not in ALL_TAGS:
                raise TelegramHTMLError(f"tag <{name}> is not allowed")
            if closing:
                if attrs.strip():
                    raise TelegramHTMLError(f"</{name}> with attributes")
                if not stack or stack[-1] != name:
                    raise TelegramHTMLError(f"</{name}> closes {stack[-1] if stack else 'nothing'}")
                stack.pop()
            else:
                if stack and stack[-1] in ("code", "pre") and not (stack[-1] == "pre" and name == "code"):
                    raise TelegramHTMLError(f"<{name}> inside <{stack[-1]}>")
                _check_attributes(name, attrs, stack)
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY_RE.match(text, i)
            if match is None:
                raise TelegramHTMLError(f"unescaped '&' at {i}: {text[i : i + 12]!r}")
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif ch == ">":
            raise TelegramHTMLError(f"unescaped '>' at {i}")
        else:
            out.append(ch)
            i += 1
    if stack:
        raise TelegramHTMLError(f"unclosed tags {stack}")
    return "".join(out)


def check_html(text: str, *, limit: int = TEXT_LIMIT) -> None:
    """Raise TelegramHTMLError unless Telegram would accept this HTML text within limit characters."""
    shown = visible_text(text)
    if not shown.strip():
        raise TelegramHTMLError("empty text")
    if len(shown) > limit:
        raise TelegramHTMLError(f"{len(shown)} characters after parsing, more than {limit}")


def check_call(call: Call) -> None:
    """Check one Bot API call the bot made against Telegram's formatting and length rules."""
    params = call.params
    html_mode = params.get("parse_mode") == "HTML"
    if call.method in ("sendMessage", "editMessageText"):
        text = str(params.get("text", ""))
        check_html(text) if html_mode else _check_plain(text, TEXT_LIMIT)
    elif call.method in ("sendPhoto", "sendDocument", "editMessageCaption") and params.get("caption") is not None:
        caption = str(params["caption"])
        check_html(caption, limit=CAPTION_LIMIT) if html_mode else _check_plain(caption, CAPTION_LIMIT)
    elif call.method == "answerCallbackQuery" and len(str(params.get("text") or "")) > ANSWER_LIMIT:
        raise TelegramHTMLError(f"callback answer of {len(params['text'])} characters")
    for label, data in call.buttons:
        if len(data.encode()) > 64:
            raise TelegramHTMLError(f"button {label!r} has {len(data.encode())} bytes of data")


def _check_plain(text: str, limit: int) -> None:
    if not text.strip() or len(text) > limit:
        raise TelegramHTMLError(f"plain text of {len(text)} characters")


def check_calls(calls: Iterable[Call]) -> None:
    """Check every call; the error names the method and the start of the text."""
    for call in calls:
        try:
            check_call(call)
        except TelegramHTMLError as exc:
            raise TelegramHTMLError(f"{call.method}: {exc} in {call.text[:200]!r}") from exc
