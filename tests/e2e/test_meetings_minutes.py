"""Minutes after the meeting: attendance from check-ins, decisions, tasks with owners reminded when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, GROUP, PRIVATE, SW, UNCLE, bind
from tests.e2e.meeting_helpers import last_call, notice, press, quick_meeting
from tests.fakes import BOT_ID
from tests.harness import Harness

START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
FRIDAY_5PM = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 周五下午5点 in Shanghai


def reply_to_bot(h: Harness, chat: b.TgChat, user: b.TgUser, text: str) -> dict[str, Any]:
    """A reply to the bot's last message (how the organiser answers a question in a group)."""
    last = last_call(h, chat.id)
    return b.message(user, chat, text, reply_to=b.bot_message(chat, last.message_id, last.text))


async def meeting_held(h: Harness) -> int:
    """A meeting that has begun, with two people checked in."""
    await bind(h)
    meeting_id = await quick_meeting(h)
    code = await h.scalar("SELECT checkin_code FROM meetings")
    h.clock.current = START - timedelta(hours=1)
    await h.drain()  # the reminders went out on time
    h.clock.current = START + timedelta(minutes=10)
    for person in (AUNT, UNCLE):
        await h.send(b.message(person, GROUP, f"/checkin {code}"))
    h.clock.current = START + timedelta(hours=2)
    return meeting_id


async def test_minutes_only_after_the_start_and_only_by_the_organiser(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await h.send(b.message(SW, GROUP, f"/minutes {meeting_id}"))
    assert h.fake.last_text(GROUP.id) == "会议开始后才能写纪要。"
    h.clock.current = START + timedelta(hours=1)
    await h.send(b.message(AUNT, GROUP, f"/minutes {meeting_id}"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有会议组织者和社工可以进行这个操作。"
    await h.send(b.message(AUNT, GROUP, "/task 周五 买油漆"))
    assert h.fake.last_text(GROUP.id) == "请先用 /minutes（加会议编号）打开会议纪要。"


async def test_minutes_with_decisions_and_tasks_reminded_when_due(h: Harness) -> None:
    meeting_id = await meeting_held(h)
    await h.send(b.message(SW, GROUP, "/minutes"))  # the organiser's latest meeting
    opened = last_call(h, GROUP.id)
    assert "🙋 到会人数（签到）：2" in opened.text and "李阿姨和张大爷" in opened.text
    assert opened.params["reply_markup"]["force_reply"] is True
    await h.send(reply_to_bot(h, GROUP, SW, "墙绘分三组\n周六上午开工"))
    assert "会议决定已保存" in h.fake.last_text(GROUP.id)
    # The task goes to the person whose message the organiser replies to.
    said = b.user_message(UNCLE, GROUP, "我来买油漆")
    await h.send(b.message(SW, GROUP, "/task 周五下午5点 买油漆", reply_to=said))
    recorded = last_call(h, GROUP.id)
    assert recorded.text.startswith(f'📌 <b>任务 #1</b>，负责人 <a href="tg://user?id={UNCLE.id}">张大爷</a>：买油漆')
    assert "截止时间：2026年12月4日 星期五 17:00" in recorded.text
    await h.send(b.message(SW, GROUP, "/task 周五 刷墙"))  # nobody named
    assert h.fake.last_text(GROUP.id).startswith("请回复负责人的消息")
    await h.send(b.message(SW, GROUP, "/task 昨天 刷墙", reply_to=b.user_message(AUNT, GROUP)))
    assert "“昨天”已经过去了" in h.fake.last_text(GROUP.id)
    await press(h, SW, GROUP, cb.MEETING_ADMIN.build("mfin", meeting_id))
    minutes = last_call(h, GROUP.id)
    assert "• 墙绘分三组" in minutes.text and "• 买油漆 — 张大爷，12月4日 周五 17:00 前完成" in minutes.text
    await press(h, SW, GROUP, cb.MEETING_ADMIN.build("pub", meeting_id), minutes)
    await h.drain()
    assert h.fake.last_text(GROUP.id).startswith("📝 <b>会议纪要：坝坝会 · 讨论墙绘分工（#1）</b>")

    h.clock.current = FRIDAY_5PM
    h.fake.clear()
    await h.drain()
    due = last_call(h, GROUP.id)  # 张大爷 never opened a private chat: reminded in the group
    assert due.text.startswith("⏰ <b>任务到期了。</b>") and "买油漆" in due.text
    await press(h, AUNT, GROUP, due.buttons[0][1], due)
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有任务负责人、会议组织者或社工可以进行这个操作。"
    await press(h, UNCLE, GROUP, due.buttons[0][1], due)
    assert h.fake.answers()[-1].params["text"] == "已标记完成，辛苦了！"
    assert "✅ 已完成。" in h.fake.of("editMessageText", GROUP.id)[-1].text
    assert await h.scalar("SELECT done_at IS NOT NULL FROM meeting_tasks") == 1


async def test_a_task_for_someone_mentioned_in_private_and_done_before_it_is_due(h: Harness) -> None:
    meeting_id = await meeting_held(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))
    await h.send(b.message(SW, PRIVATE, f"/minutes {meeting_id}"))
    await h.send(b.message(SW, PRIVATE, "买油漆"))
    update = b.message(SW, PRIVATE, "/task 周五下午5点 李阿姨 借梯子")
    offset = update["message"]["text"].index("李阿姨")
    update["message"]["entities"].append({"type": "text_mention", "offset": offset, "length": 3, "user": AUNT.json()})
    await h.send(update)
    recorded = last_call(h, SW.id)
    assert recorded.text.startswith("📌 <b>任务 #1</b>，负责人 李阿姨：借梯子")
    due = await h.rows("SELECT chat_id, due_at FROM outbox WHERE kind = 'task_due'")
    assert due == [(AUNT.id, int(FRIDAY_5PM.timestamp()))]  # she opened a chat: reminded privately
    await press(h, SW, PRIVATE, recorded.buttons[0][1], recorded)
    h.clock.current = FRIDAY_5PM
    await h.drain()
    assert not [c for c in h.fake.sent(AUNT.id) if "任务到期" in c.text]
    assert await h.scalar("SELECT status FROM outbox WHERE kind = 'task_due'") == "cancelled"


async def test_forget_keeps_the_minutes_and_frees_places(h: Harness) -> None:
    meeting_id = await meeting_held(h)
    await h.send(b.message(SW, GROUP, f"/minutes {meeting_id}"))
    await h.send(reply_to_bot(h, GROUP, SW, "墙绘分三组"))
    await h.send(b.message(SW, GROUP, "/task 周五 买油漆", reply_to=b.user_message(UNCLE, GROUP, "我来")))
    await h.send(b.message(UNCLE, b.private(UNCLE), "/forget"))
    await press(h, UNCLE, b.private(UNCLE), cb.FORGET.build("yes"))
    assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins WHERE user_id = ?", UNCLE.id) == 0
    assert await h.rows("SELECT text, owner_id FROM meeting_tasks") == [("买油漆", None)]
    assert await h.scalar("SELECT decisions FROM meetings") == "墙绘分三组"
    h.clock.current = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 周五 means Friday 9:00
    await h.drain()
    due = h.fake.last_text(GROUP.id)  # the group is still reminded; nobody is named any more
    assert "买油漆" in due and "负责人 （无人）" in due and "张大爷" not in due


async def test_forget_promotes_the_next_on_the_waitlist(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/meeting 参访 明天下午3点 社区 参观示范院落"))
    await press(h, SW, GROUP, cb.MEETING_WIZARD.build("ok", 0))
    meeting_id = int(await h.scalar("SELECT id FROM meetings"))
    await h.db.writer.execute("UPDATE meetings SET capacity = 1 WHERE id = ?", (meeting_id,))
    await h.drain()
    for person in (AUNT, UNCLE):
        await press(h, person, GROUP, cb.RSVP.build("yes", meeting_id), notice(h))
    await h.send(b.message(AUNT, b.private(AUNT), "/forget"))
    await press(h, AUNT, b.private(AUNT), cb.FORGET.build("yes"))
    await h.drain()
    promoted = h.fake.last_text(GROUP.id)
    assert f'<a href="tg://user?id={UNCLE.id}">张大爷</a>，有名额空出来了' in promoted
    assert BOT_ID not in {r[0] for r in await h.rows("SELECT user_id FROM meeting_rsvps")}
