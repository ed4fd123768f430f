"""Idempotency and recovery that the process-level tests found, pinned down in-process."""

from __future__ import annotations

from pathlib import Path

from bot import callback_data as cb
from tests import builders as b
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import SOCIAL_WORKER_ID, Harness, make_config

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
PRIVATE = b.private(SW)


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
