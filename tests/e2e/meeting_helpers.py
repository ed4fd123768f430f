"""Shared set-up for the meetings tests: a bound courtyard group, people, and a created meeting."""

from __future__ import annotations

from bot import callback_data as cb
from tests import builders as b
from tests.fakes import Call
from tests.harness import SOCIAL_WORKER_ID, Harness

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
AUNT = b.TgUser(100001, "李阿姨")
UNCLE = b.TgUser(100002, "张大爷")
GROUP = b.group(-1001000000001, "碧水苑居民群")
OTHER = b.group(-1001000000002, "启明花园居民群")
QUICK = "/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"


def last_call(h: Harness, chat_id: int) -> Call:
    """The last message the bot sent (or photo/document) to a chat."""
    calls = [c for c in h.fake.calls if c.method in ("sendMessage", "sendPhoto") and c.chat_id == chat_id]
    assert calls, f"nothing was sent to {chat_id}"
    return calls[-1]


async def press(h: Harness, user: b.TgUser, chat: b.TgChat, data: str, call: Call | None = None) -> None:
    """Press a button on a message the bot sent (the last one in the chat by default)."""
    target = call or last_call(h, chat.id)
    await h.send(b.callback(user, chat, data, message_id=target.message_id, text=target.text))


async def bind(h: Harness, chat: b.TgChat = GROUP, name: str = "碧水苑") -> None:
    """A social worker binds a group to a courtyard."""
    await h.send(b.message(SW, chat, f"/bind {name}"))


async def quick_meeting(h: Harness, text: str = QUICK, chat: b.TgChat = GROUP) -> int:
    """Create a meeting with the one-line command in a group, confirm it, and send the notice."""
    await h.send(b.message(SW, chat, text))
    await press(h, SW, chat, cb.MEETING_WIZARD.build("ok", 0))
    meeting_id = await h.scalar("SELECT MAX(id) FROM meetings")
    assert meeting_id is not None, h.fake.calls[-3:]
    await h.drain()
    return int(meeting_id)


def notice(h: Harness, chat_id: int = GROUP.id) -> Call:
    """The meeting notice the outbox sent to a chat."""
    calls = [c for c in h.fake.sent(chat_id) if "📅" in c.text]
    assert calls, "no notice was sent"
    return calls[-1]
