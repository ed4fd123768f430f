"""The update journal in the running bot: stored, handled once, replayed after a crash, never twice."""

from __future__ import annotations

from pathlib import Path

from tests import builders as b
from tests.cast import AUNT, GROUP, SW
from tests.fakes import FakeBotAPI
from tests.harness import Harness, make_config


async def test_a_redelivered_remind_after_a_restart_makes_one_reminder(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    remind = b.message(SW, GROUP, "/remind 每周三晚上7点 打扫院子")
    async with Harness(config) as h:
        await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
        await h.send(remind)
        assert await h.scalar("SELECT COUNT(*) FROM reminders") == 1
    # Killed before the next getUpdates confirmed it: Telegram delivers the same update again.
    async with Harness(config, FakeBotAPI()) as h:
        await h.send(remind)
        assert await h.scalar("SELECT COUNT(*) FROM reminders") == 1
        assert not h.fake.sent(GROUP.id), "answered a second time"


async def test_an_update_stored_but_not_handled_is_handled_at_the_next_start(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    bind = b.message(SW, GROUP, "/bind 碧水苑")
    remind = b.message(SW, GROUP, "/remind 明天上午9点 开会")
    async with Harness(config) as h:
        await h.send(bind)
        # Fetched and stored (so confirmed to Telegram), then the process died before handling it.
        await h.app.bot_data.journal.record([remind])
    async with Harness(config, FakeBotAPI()) as h:
        await h.start()
        await h.app.update_queue.join()
        assert await h.scalar("SELECT COUNT(*) FROM reminders") == 1
        assert len(h.fake.sent(GROUP.id)) == 1
        await h.send(remind)  # and Telegram's own redelivery of it is dropped
        assert await h.scalar("SELECT COUNT(*) FROM reminders") == 1
        assert await h.scalar("SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL") == 0
    async with Harness(config, FakeBotAPI()) as h:  # done: not handled a third time
        await h.start()
        await h.app.update_queue.join()
        assert not h.fake.sent(GROUP.id)


async def test_done_rows_keep_no_body(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(AUNT, GROUP, "/help"))
    rows = await h.rows("SELECT body IS NULL, done_at IS NOT NULL FROM update_journal")
    assert rows and set(rows) == {(1, 1)}


async def test_a_failing_handler_finishes_its_update(h: Harness) -> None:
    from telegram.ext import CommandHandler

    async def broken(update: object, context: object) -> None:
        raise RuntimeError("boom")

    h.app.add_handler(CommandHandler("boom", broken), group=1)
    await h.send(b.message(AUNT, b.private(AUNT), "/boom"))
    assert await h.scalar("SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL") == 0


async def test_an_update_that_killed_three_starts_is_given_up(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Harness(config) as h:
        await h.app.bot_data.journal.record([b.message(SW, GROUP, "/help")])
    for _ in range(3):  # each start finds it unfinished and (as if it died again) never handles it
        async with Harness(config, FakeBotAPI()) as h:
            pass
    async with Harness(config, FakeBotAPI()) as h:
        assert h.app.update_queue.empty()
        assert await h.scalar("SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL") == 0
