"""A recurring reminder survives transient send failures; only a chat that is gone ends it; the creator is told once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import builders as b
from tests.cast import SW
from tests.fakes import FakeBotAPI
from tests.harness import Harness

GROUP = b.group(-1001000000001, "碧水苑居民群 <A&B>")
# Sunday 29 November 2026, 10:00 in Shanghai; the reminder is every Wednesday 19:00 (11:00 UTC).
START = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
FIRST = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
NO_RIGHTS = "Bad Request: not enough rights to send text messages to the chat"


def reminders_sent(fake: FakeBotAPI) -> list[str]:
    return [c.text for c in fake.sent(GROUP.id) if c.text.startswith("⏰") and c.result is not None]


def notes(fake: FakeBotAPI) -> list[str]:
    """What the creator was told privately."""
    return [c.text for c in fake.sent(SW.id) if c.result is not None and "您设的提醒" in c.text]


async def weekly(h: Harness) -> int:
    h.clock.current = START
    await h.send(b.message(SW, b.private(SW), "/start"))  # the creator can be told privately
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/remind 每周三晚上7点 打扫院子"))
    return int(await h.scalar("SELECT id FROM reminders"))


async def week(h: Harness, n: int) -> None:
    """Run the outbox at the n-th Wednesday (0 = the first), also the retries of a minute."""
    h.clock.current = FIRST + timedelta(weeks=n)
    for _ in range(6):
        await h.drain()
        h.clock.advance(timedelta(minutes=1))


async def test_one_rights_error_skips_one_week_and_the_creator_is_told_once(h: Harness) -> None:
    reminder_id = await weekly(h)
    h.fake.fail("400", method="sendMessage", chat_id=GROUP.id, description=NO_RIGHTS)
    await week(h, 0)
    assert reminders_sent(h.fake) == []
    await week(h, 1)
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"]
    assert await h.scalar("SELECT active FROM reminders WHERE id = ?", reminder_id) == 1
    told = notes(h.fake)
    assert len(told) == 1, told
    assert "打扫院子" in told[0] and "“碧水苑居民群 &lt;A&amp;B&gt;”" in told[0] and "权限" in told[0]
    assert "12月9日" in told[0]  # when it will be tried again


async def test_repeated_transient_failures_tell_the_creator_once_per_streak(h: Harness) -> None:
    await weekly(h)
    h.fake.fail("400", method="sendMessage", chat_id=GROUP.id, times=3, description=NO_RIGHTS)
    for n in range(3):
        await week(h, n)
    assert reminders_sent(h.fake) == []
    assert len(notes(h.fake)) == 1
    await week(h, 3)
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"]
    h.fake.fail("400", method="sendMessage", chat_id=GROUP.id, description=NO_RIGHTS)
    await week(h, 4)
    await week(h, 5)
    # A new streak after a success is worth a new note.
    assert len(notes(h.fake)) == 2
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"] * 2


async def test_a_bot_kicked_from_the_group_ends_the_reminder_and_the_creator_is_told_once(h: Harness) -> None:
    reminder_id = await weekly(h)
    h.fake.forbidden.add(GROUP.id)
    for n in range(3):
        await week(h, n)
    assert reminders_sent(h.fake) == []
    assert await h.scalar("SELECT active FROM reminders WHERE id = ?", reminder_id) == 0
    assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'reminder' AND status = 'pending'") == 0
    told = notes(h.fake)
    assert len(told) == 1, told
    assert "打扫院子" in told[0] and "停" in told[0]


async def test_a_chat_that_no_longer_exists_ends_the_reminder(h: Harness) -> None:
    reminder_id = await weekly(h)
    h.fake.fail("400", method="sendMessage", chat_id=GROUP.id, times=9, description="Bad Request: chat not found")
    for n in range(2):
        await week(h, n)
    assert await h.scalar("SELECT active FROM reminders WHERE id = ?", reminder_id) == 0
    assert len(notes(h.fake)) == 1


async def test_server_errors_and_timeouts_keep_the_reminder(h: Harness) -> None:
    reminder_id = await weekly(h)
    h.fake.fail("timeout", method="sendMessage", chat_id=GROUP.id)
    await week(h, 0)  # retried a little later and sent
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"]
    assert notes(h.fake) == []
    h.fake.fail("500", method="sendMessage", chat_id=GROUP.id, times=20)
    await week(h, 1)  # every attempt of this week fails
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"]
    assert await h.scalar("SELECT active FROM reminders WHERE id = ?", reminder_id) == 1
    h.fake.failures.clear()
    await week(h, 2)
    assert reminders_sent(h.fake) == ["⏰ <b>提醒</b>\n打扫院子"] * 2
    assert len(notes(h.fake)) == 1


async def test_a_creator_without_a_private_chat_is_told_in_the_group(h: Harness) -> None:
    h.clock.current = START
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/remind 每周三晚上7点 打扫院子"))
    h.fake.fail("500", method="sendMessage", chat_id=GROUP.id, times=5)
    await week(h, 0)
    told = [c.text for c in h.fake.sent(GROUP.id) if c.result is not None and "您设的提醒" in c.text]
    assert len(told) == 1 and f"tg://user?id={SW.id}" in told[0], told
