"""Free reminders: restart-safe, never twice, recurring, refused politely."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, GROUP, SW
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import Harness, make_config

# Sunday 29 November 2026, 10:00 in Shanghai.
START = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def reminders_sent(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [c.text for c in fake.sent(chat_id) if c.text.startswith("⏰")]


async def test_reminder_due_while_stopped_is_sent_once_after_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock(START)
    async with Harness(config, clock=clock) as h:
        await h.send(b.message(AUNT, b.private(AUNT), "/remind 今天下午3点 去社区拿扫帚"))
        assert "2026年11月29日 星期日 15:00" in h.fake.last_text(AUNT.id)
        await h.drain()
        assert reminders_sent(h.fake, AUNT.id) == []  # not due yet
    clock.advance(timedelta(hours=6))  # the bot was down at 15:00
    fake = FakeBotAPI()
    async with Harness(config, fake, clock=clock) as h:
        await h.drain()
        assert reminders_sent(fake, AUNT.id) == ["⏰ <b>提醒</b>\n去社区拿扫帚"]
    for _ in range(3):
        again = FakeBotAPI()
        async with Harness(config, again, clock=clock) as h:
            await h.drain()
            assert reminders_sent(again, AUNT.id) == []


async def test_event_loop_stall_at_due_time_does_not_lose_it(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with Harness(make_config(tmp_path), clock=clock, autostart_dispatcher=True) as h:
        await h.send(b.message(AUNT, b.private(AUNT), "/remind 10分钟后 关煤气"))
        clock.advance(timedelta(minutes=10))
        time.sleep(3)  # noqa: ASYNC251 - the loop is blocked on purpose, right when the reminder falls due
        for _ in range(200):
            await asyncio.sleep(0.02)
            if reminders_sent(h.fake, AUNT.id):
                break
        await asyncio.sleep(0.2)
        assert reminders_sent(h.fake, AUNT.id) == ["⏰ <b>提醒</b>\n关煤气"]


async def test_recurring_reminder_repeats_weekly(h: Harness) -> None:
    h.clock.current = START
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/remind 每周三晚上7点 打扫院子"))
    assert "每周三" in h.fake.last_text(GROUP.id) and "2026年12月2日 星期三 19:00" in h.fake.last_text(GROUP.id)
    for week in range(3):
        h.clock.current = datetime(2026, 12, 2, 11, 0, tzinfo=UTC) + timedelta(weeks=week)
        await h.drain()
    assert reminders_sent(h.fake, GROUP.id) == ["⏰ <b>提醒</b>\n打扫院子"] * 3
    pending = await h.rows("SELECT due_at FROM outbox WHERE kind = 'reminder' AND status = 'pending'")
    assert [datetime.fromtimestamp(r[0], UTC) for r in pending] == [datetime(2026, 12, 23, 11, 0, tzinfo=UTC)]


async def test_residents_cannot_set_group_reminders_but_can_in_private(h: Harness) -> None:
    h.clock.current = START
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(AUNT, GROUP, "/remind 明天上午9点 开会"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    assert await h.scalar("SELECT COUNT(*) FROM reminders") == 0
    await h.send(b.message(AUNT, b.private(AUNT), "/remind 明天上午9点 开会"))
    assert await h.scalar("SELECT COUNT(*) FROM reminders") == 1


async def test_refused_times_say_what_was_not_understood(h: Harness) -> None:
    h.clock.current = START
    chat = b.private(AUNT)
    await h.send(b.message(AUNT, chat, "/remind 昨天下午3点 开会"))
    assert "已经过去" in h.fake.last_text(AUNT.id)
    await h.send(b.message(AUNT, chat, "/remind 随便什么时候 开会"))
    assert "随便什么时候" in h.fake.last_text(AUNT.id) or "没看懂" in h.fake.last_text(AUNT.id)
    await h.send(b.message(AUNT, chat, "/remind 明天下午3点"))
    assert "提醒什么" in h.fake.last_text(AUNT.id)
    await h.send(b.message(AUNT, chat, "/remind"))
    assert "/remind" in h.fake.last_text(AUNT.id)
    assert await h.scalar("SELECT COUNT(*) FROM reminders") == 0


async def test_list_and_cancel(h: Harness) -> None:
    h.clock.current = START
    chat = b.private(AUNT)
    await h.send(b.message(AUNT, chat, "/remind 明天上午9点 买菜 <b>别忘了</b>"))
    await h.send(b.message(AUNT, chat, "/reminders"))
    listing = h.fake.sent(AUNT.id)[-1]
    assert "买菜 &lt;b&gt;别忘了&lt;/b&gt;" in listing.text
    reminder_id = await h.scalar("SELECT id FROM reminders")
    assert listing.buttons[0][1] == cb.REMINDER.build("cancel", reminder_id)
    other = b.TgUser(100002, "张大爷")
    await h.send(b.callback(other, b.private(other), cb.REMINDER.build("cancel", reminder_id)))
    assert await h.scalar("SELECT active FROM reminders") == 1  # not his chat
    await h.send(b.callback(AUNT, chat, cb.REMINDER.build("cancel", reminder_id), message_id=listing.message_id))
    assert await h.scalar("SELECT active FROM reminders") == 0
    h.clock.advance(timedelta(days=2))
    await h.drain()
    assert reminders_sent(h.fake, AUNT.id) == []


async def test_a_scheduled_message_longer_than_telegram_allows_is_cut_not_lost(h: Harness) -> None:
    """The outbox cuts what it sends under 4096 characters (a long text stored by an older version, say)."""
    h.clock.current = START
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/remind 每周三晚上7点 打扫院子"))
    async with h.db.transaction() as conn:
        await conn.execute("UPDATE reminders SET text = ?", ("带上扫帚&簸箕<b>" * 400,))
    h.clock.current = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
    await h.drain()
    sent = [c.text for c in h.fake.sent(GROUP.id) if c.text.startswith("⏰")]
    assert len(sent) == 1 and len(sent[0]) <= 4096 and sent[0].endswith("…")
    assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND status = 'sent'") == 1
