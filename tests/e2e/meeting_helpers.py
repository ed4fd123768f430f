"""Shared set-up for the meetings tests: a bound courtyard group, people, and a created meeting."""

from __future__ import annotations

from bot import callback_data as cb
from tests import builders as b
from tests.cast import GROUP, PRIVATE, SW
from tests.fakes import Call
from tests.harness import Harness

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


async def wizard_to_confirm(
    h: Harness, *, capacity: str = "2人", toggles: tuple[int, ...] = (3600, 6 * 3600), undecided: bool = False
) -> None:
    """Walk /newmeeting in private up to the confirmation: 宣讲会 on 12月5日 19:30 for 碧水苑."""
    build = cb.MEETING_WIZARD.build
    await h.send(b.message(SW, PRIVATE, "/newmeeting"))
    assert "请选择会议类型" in h.fake.last_text(SW.id)
    await press(h, SW, PRIVATE, build("kind", 0))  # 宣讲会
    await h.send(b.message(SW, PRIVATE, "12月5日 19:30"))
    assert "2026年12月5日 星期六 19:30" in h.fake.last_text(SW.id)
    await press(h, SW, PRIVATE, build("tyes", 0))
    await h.send(b.message(SW, PRIVATE, "社区活动室"))
    await h.send(b.message(SW, PRIVATE, "垃圾分类宣讲\n1. 分类知识\n2. 有奖问答"))
    yard = await h.scalar("SELECT id FROM courtyards WHERE name = '碧水苑'")
    await press(h, SW, PRIVATE, build("ynext", 0))  # nothing chosen yet: refused
    assert h.fake.answers()[-1].params["show_alert"] is True
    await press(h, SW, PRIVATE, build("yard", yard))
    assert "✅ 碧水苑" in [label for label, _ in h.fake.of("editMessageText", SW.id)[-1].buttons]
    await press(h, SW, PRIVATE, build("ynext", 0))
    if capacity.isdigit():
        await press(h, SW, PRIVATE, build("cap", int(capacity)))
    else:
        await h.send(b.message(SW, PRIVATE, capacity))
    for seconds in toggles:
        await press(h, SW, PRIVATE, build("off", seconds))
    if undecided:
        await press(h, SW, PRIVATE, build("undec", 0))
    await press(h, SW, PRIVATE, build("onext", 0))


async def create_with_wizard(h: Harness, **options: object) -> int:
    """The whole guided flow, confirmed and sent; returns the meeting id."""
    await wizard_to_confirm(h, **options)  # type: ignore[arg-type]
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    return int(await h.scalar("SELECT MAX(id) FROM meetings"))
