"""The people and groups most tests meet, and the first thing most of them do: bind a group."""

from __future__ import annotations

import json
from typing import Any

from tests import builders as b
from tests.harness import SOCIAL_WORKER_ID, Harness

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
AUNT = b.TgUser(100001, "李阿姨")
UNCLE = b.TgUser(100002, "张大爷")
ADMIN = b.TgUser(100003, "群主老陈")
NEIGHBOUR = b.TgUser(100004, "刘奶奶")
GROUP = b.group(-1001000000001, "碧水苑居民群")
OTHER = b.group(-1001000000002, "启明花园居民群")
PRIVATE = b.private(SW)


async def bind(h: Harness, chat: b.TgChat = GROUP, name: str = "碧水苑") -> None:
    """The social worker binds a group to a courtyard."""
    await h.send(b.message(SW, chat, f"/bind {name}"))


def answer_prompt(h: Harness, user: b.TgUser, chat: b.TgChat, text: str) -> dict[str, Any]:
    """A person's typed answer to the bot's last question in this chat.

    In a group, Telegram's privacy mode delivers it only as a reply to the bot's message, so the question must
    have been sent with ForceReply (the person's app then quotes it by itself): asserted here. In private any
    message arrives, and the answer is a plain message.
    """
    if chat.type == "private":
        return b.message(user, chat, text)
    asked = [c for c in h.fake.of("sendMessage", chat.id) if "force_reply" in _markup(c.params.get("reply_markup"))]
    assert asked, "the bot asked nothing with ForceReply in this group: a typed answer would never reach it"
    prompt = asked[-1]
    return b.message(user, chat, text, reply_to=b.bot_message(chat, prompt.message_id, prompt.text))


def _markup(markup: Any) -> dict[str, Any]:
    if isinstance(markup, str):
        return dict(json.loads(markup))
    if isinstance(markup, dict):
        return markup
    return markup.to_dict() if markup is not None else {}
