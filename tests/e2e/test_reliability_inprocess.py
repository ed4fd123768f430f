"""Idempotency and recovery that the process-level tests found, pinned down in-process."""

from __future__ import annotations

from pathlib import Path

from bot import callback_data as cb
from tests import builders as b
from tests.cast import PRIVATE, SW
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import Harness, make_config


async def test_double_tapped_send_creates_one_broadcast(h: Harness) -> None:
    for i in range(3):
        await h.send(b.message(SW, b.group(-1001600000000 - i, f"院落群{i}"), f"/bind 院落{i}"))
    await h.send(b.message(SW, PRIVATE, "/broadcast 周六大扫除"))
    picker = h.fake.sent(SW.id)[-1]
    press = cb.BROADCAST.build("all", 0)
    taps = [b.callback(SW, PRIVATE, press, message_id=picker.message_id, text=picker.text) for _ in range(2)]
    await h.feed(taps)
    assert await h.scalar("SELECT COUNT(*) FROM broadcasts") == 1
    assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast'") == 3


async def test_report_follows_a_crash_between_the_last_send_and_the_report(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock()
    async with Harness(config, clock=clock) as h:
        for i in range(3):
            await h.send(b.message(SW, b.group(-1001600000000 - i, f"院落群{i}"), f"/bind 院落{i}"))
        await h.send(b.message(SW, PRIVATE, "/broadcast 周六大扫除"))
        picker = h.fake.sent(SW.id)[-1]
        await h.send(b.callback(SW, PRIVATE, cb.BROADCAST.build("all", 0), message_id=picker.message_id))
        # Every copy went out, then the process died before it queued the report.
        async with h.db.transaction() as conn:
            await conn.execute("UPDATE outbox SET status = 'sent', sent_at = 1 WHERE kind = 'broadcast'")
    async with Harness(config, FakeBotAPI(), clock=clock) as h:
        await h.drain()
        reports = h.fake.sent(SW.id)
        assert len(reports) == 1 and "3" in reports[0].text
        assert not [c for c in h.fake.sent() if c.chat_id != SW.id]


async def test_a_vote_redelivered_after_a_restart_counts_once(tmp_path: Path) -> None:
    from tests.e2e.test_polls import start_poll, tally_message

    config = make_config(tmp_path)
    group = b.group(-1001000000001, "碧水苑居民群")
    aunt = b.TgUser(100001, "李阿姨")
    async with Harness(config) as h:
        await h.send(b.message(SW, group, "/bind 碧水苑"))
        multiple = await start_poll(h, "周末活动 | 大扫除 | 种花 | 墙绘", settings=("kind",))
        single = await start_poll(h, "选哪个主题 | 汉藏文化融合 | 碧水蓝天")
        presses = [
            b.callback(aunt, group, cb.VOTE.build("v", poll, 1), message_id=await tally_message(h, poll, group))
            for poll in (multiple, single)
        ]
        for press in presses:
            await h.send(press)
    # Killed before Telegram saw the next getUpdates: both presses come again to a fresh process.
    async with Harness(config) as h:
        for press in presses:
            await h.send(press)
        ballots = await h.rows("SELECT poll_id, position FROM poll_choices ORDER BY poll_id")
        assert ballots == [(multiple, 1), (single, 1)]


async def test_a_support_redelivered_after_a_restart_counts_once(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    group = b.group(-1001000000001, "碧水苑居民群")
    aunt, uncle = b.TgUser(100001, "李阿姨"), b.TgUser(100002, "张大爷")
    async with Harness(config) as h:
        await h.send(b.message(SW, group, "/bind 碧水苑"))
        await h.send(b.message(aunt, group, "/propose 院里种些月季花"))
        proposal_id = await h.scalar("SELECT id FROM proposals")
        assert proposal_id is not None, h.fake.last_text(group.id)
        card = h.fake.sent()[-1].message_id
        support = b.callback(uncle, group, cb.PROPOSAL.build("sup", proposal_id), message_id=card)
        await h.send(support)
    async with Harness(config) as h:
        await h.send(support)
        assert await h.rows("SELECT user_id FROM proposal_supports") == [(uncle.id,)]
        await h.send(b.callback(uncle, group, cb.PROPOSAL.build("sup", proposal_id), message_id=1))
        assert await h.rows("SELECT user_id FROM proposal_supports") == []  # a new press still withdraws
