"""Meeting reminders through the outbox: restarts, a stalled event loop, late starts, only the undecided."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import callback_data as cb
from handlers.live import live
from tests import builders as b
from tests.cast import AUNT, GROUP, PRIVATE, SW, UNCLE, bind
from tests.e2e.meeting_helpers import create_with_wizard, last_call, notice, press, quick_meeting
from tests.fakes import FakeClock
from tests.harness import Harness, make_config

# The quick meeting is 明天下午3点: 2026-11-30 15:00 in Shanghai, 07:00 UTC; the clock starts at 02:00 UTC
# the day before, so the one-day reminder falls due at 07:00 UTC today and the one-hour one at 06:00 tomorrow.
START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def reminders(h: Harness, chat_id: int = GROUP.id) -> list[str]:
    return [c.text for c in h.fake.sent(chat_id) if "提醒" in c.text and "⏰" in c.text]


async def test_a_reminder_due_while_the_bot_was_stopped_is_sent_once_after_restart(tmp_path: Path) -> None:
    config, clock = make_config(tmp_path), FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await quick_meeting(h)
        assert reminders(h) == []
    clock.current = START - timedelta(hours=20)  # the one-day reminder fell due four hours ago
    async with Harness(config, clock=clock) as h:
        await h.drain()
        sent = reminders(h)
        assert len(sent) == 1 and "坝坝会 · 讨论墙绘分工" in sent[0] and "20小时后" in sent[0]
        assert "2026年11月30日 星期一 15:00" in sent[0]
    for _ in range(3):
        async with Harness(config, clock=clock) as h:
            await h.drain()
            assert reminders(h) == []
    async with Harness(config, clock=clock) as h:
        rows = await h.rows("SELECT status, COUNT(*) FROM outbox WHERE kind = 'meeting_reminder' GROUP BY status")
        assert dict(rows) == {"sent": 1, "pending": 1}


async def test_a_send_cut_off_by_a_crash_is_sent_again(tmp_path: Path) -> None:
    config, clock = make_config(tmp_path), FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await quick_meeting(h)
    clock.current = START - timedelta(hours=2)
    async with Harness(config, clock=clock) as h:
        # What a crash between "sending" and Telegram's answer leaves behind.
        await h.db.writer.execute("UPDATE outbox SET status = 'sending' WHERE kind = 'meeting_reminder'")
    async with Harness(config, clock=clock) as h:
        await h.drain()
        assert len(reminders(h)) == 1  # at-least-once: a duplicate is better than a missed meeting


async def test_a_three_second_stall_at_the_due_time_loses_nothing(tmp_path: Path) -> None:
    config, clock = make_config(tmp_path), FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await quick_meeting(h)
    due = START - timedelta(days=1)
    clock.current = due - timedelta(seconds=1)
    async with Harness(config, clock=clock, autostart_dispatcher=True) as h:
        await asyncio.sleep(0.2)  # the dispatcher sleeps until the reminder's due time
        assert reminders(h) == []
        time.sleep(3)  # noqa: ASYNC251 - the point: the event loop is blocked right across the due time
        clock.advance(timedelta(seconds=3))
        for _ in range(200):
            if reminders(h):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert len(reminders(h)) == 1


async def test_a_meeting_that_began_while_the_bot_was_down_skips_its_reminders_and_tells_the_organiser(
    tmp_path: Path,
) -> None:
    config, clock = make_config(tmp_path), FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await h.send(b.message(SW, PRIVATE, "/start"))
        await quick_meeting(h)
    clock.current = START + timedelta(minutes=30)
    async with Harness(config, clock=clock) as h:
        await h.drain()
        assert reminders(h) == []
        told = [c.text for c in h.fake.sent(SW.id)]
        assert told == [
            "⚠️ 坝坝会 · 讨论墙绘分工（#1） 的提醒没有发出：我掉线了，"
            "恢复时会议已经开始（2026年11月30日 星期一 15:00）。"
        ]
        statuses = await h.rows("SELECT status FROM outbox WHERE kind = 'meeting_reminder'")
        assert [s for (s,) in statuses] == ["skipped", "skipped"]


async def test_after_a_long_outage_only_the_latest_due_reminder_goes_out(tmp_path: Path) -> None:
    config, clock = make_config(tmp_path), FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await quick_meeting(h)
    clock.current = START - timedelta(minutes=30)  # both the one-day and the one-hour reminder are due
    async with Harness(config, clock=clock) as h:
        await h.drain()
        sent = reminders(h)
        assert len(sent) == 1 and "30分钟后" in sent[0]


async def test_reminders_only_to_those_who_have_not_answered(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))
    for person in (AUNT, UNCLE, b.TgUser(100009, "赵阿婆")):
        await h.send(b.message(person, GROUP, "/meetings"))  # the bot knows them as members of the group
    meeting_id = await create_with_wizard(h, capacity="0", toggles=(), undecided=True)
    await press(h, b.TgUser(100009, "赵阿婆"), GROUP, cb.RSVP.build("yes", meeting_id), notice(h))
    start = datetime.fromtimestamp(await h.scalar("SELECT starts_at FROM meetings"), UTC)
    h.clock.current = start - timedelta(hours=1)
    h.fake.clear()
    await h.drain()
    private = last_call(h, AUNT.id)  # 李阿姨 opened a chat with the bot: told privately
    assert "提醒" in private.text and "垃圾分类宣讲" in private.text
    assert private.buttons[0][0].startswith("✅ 参加")
    group = reminders(h)  # 张大爷 did not: one group message mentions him
    assert len(group) == 1 and f'<a href="tg://user?id={UNCLE.id}">张大爷</a>' in group[0]
    assert "赵阿婆" not in group[0] and "李阿姨" not in group[0]
    assert reminders(h, SW.id)  # the organiser had not answered either
    await h.drain()
    assert len(h.fake.sent(AUNT.id)) == 1


async def test_cancelling_stops_reminders_and_tells_the_chats(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, PRIVATE, "/start"))
    meeting_id = await quick_meeting(h)
    await press(h, AUNT, GROUP, cb.RSVP.build("yes", meeting_id), notice(h))
    await h.send(b.message(AUNT, GROUP, "/meetings"))
    await press(h, AUNT, GROUP, cb.MEETING_ADMIN.build("cancel", meeting_id), notice(h))
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有会议组织者和社工可以进行这个操作。"
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, last_call(h, SW.id).buttons[0][1])  # open the meeting
    assert "⚙️ 管理" in [label for label, _ in last_call(h, SW.id).buttons]
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("adm", meeting_id))
    assert "签到码" in last_call(h, SW.id).text
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("cancel", meeting_id))
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("cok", meeting_id))
    assert "会议已取消" in h.fake.of("editMessageText", SW.id)[-1].text
    await h.drain()
    assert h.fake.last_text(GROUP.id).startswith("❌ <b>会议取消：</b>原定 2026年11月30日 星期一 15:00")
    await live(h.app).flush(h.context, force=True)
    edited = h.fake.of("editMessageText", GROUP.id)[-1]
    assert "已取消" in edited.text and edited.buttons == []
    statuses = await h.rows("SELECT status FROM outbox WHERE kind = 'meeting_reminder'")
    assert {s for (s,) in statuses} == {"cancelled"}
    h.clock.current = START - timedelta(hours=1)
    h.fake.clear()
    await h.drain()
    assert h.fake.sent() == []


async def test_a_new_time_replans_the_reminders(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("move", meeting_id))
    await h.send(b.message(SW, PRIVATE, "后天下午4点"))
    assert h.fake.last_text(SW.id) == "我理解的时间是：<b>2026年12月1日 星期二 16:00</b>，对吗？"
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("mvok", meeting_id))
    await h.drain()
    assert "改为 2026年12月1日 星期二 16:00 开始（原定 2026年11月30日 星期一 15:00）" in h.fake.last_text(GROUP.id)
    pending = await h.rows(
        "SELECT due_at FROM outbox WHERE kind = 'meeting_reminder' AND status = 'pending' ORDER BY due_at"
    )
    new_start = int(datetime(2026, 12, 1, 8, 0, tzinfo=UTC).timestamp())
    assert [d for (d,) in pending] == [new_start - 86400, new_start - 3600]
    h.clock.current = START - timedelta(minutes=50)  # the old one-hour reminder time
    await h.drain()
    assert reminders(h) == []


async def test_a_group_that_becomes_a_supergroup_keeps_its_meeting_and_reminders(h: Harness) -> None:
    basic = b.group(-200300, "碧水苑老群")
    await bind(h, basic)
    meeting_id = await quick_meeting(h, chat=basic)
    new_id = -1009000000300
    await h.send(b.migrate(basic, new_id, SW))
    assert await h.rows("SELECT chat_id FROM meeting_chats WHERE meeting_id = ?", meeting_id) == [(new_id,)]
    h.clock.current = START - timedelta(hours=1)
    await h.drain()
    assert len(reminders(h, new_id)) == 1 and reminders(h, basic.id) == []
    await h.send(b.message(AUNT, b.group(new_id, "碧水苑老群"), "/meetings"))
    assert "讨论墙绘分工" in h.fake.last_text(new_id)
