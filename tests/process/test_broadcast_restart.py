"""A broadcast killed half-way completes after restart, and no chat receives it twice.

The ambiguous case (ARCHITECTURE.md, "Interrupted sends"): a copy that was on the wire when the
process died may or may not have arrived; broadcasts are never resent then (a duplicate notice in
many groups is worse), the outbox marks them "unknown" and the delivery report names those chats.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import callback_data as cb
from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import World, bind_actions, notice_marker, run_to_ack
from tests.process.botproc import SOCIAL_WORKERS, BotProcess, database, integrity, wait_until
from tests.telegram_html import check_calls

pytestmark = pytest.mark.process

SENDER = SOCIAL_WORKERS[-1]


def notice_copies(server: FakeTelegramServer) -> Counter[int]:
    """How many copies of the notice each group received (requests the fake Telegram accepted)."""
    return Counter(
        c.chat_id
        for c in server.calls
        if c.method == "sendMessage" and c.chat_id and c.chat_id < 0 and notice_marker(0) in c.text
    )


def test_broadcast_killed_half_way_completes_after_restart_without_duplicates(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    world = World.build(server, random.Random(1), db_path)
    bot = bots(config).start()
    run_to_ack(server, bind_actions(world))
    # A slow Telegram keeps several sends on the wire when the process dies.
    server.delays["sendMessage"] = 0.05
    chat = b.private(SENDER)
    server.enqueue(b.message(SENDER, chat, f"/broadcast {notice_marker(0)}：明早停水，请提前储水。"))
    wait_until(lambda: server.calls_since(0, "sendMessage")[-1].chat_id == SENDER.id, 30, "the picker")
    server.enqueue(world.press(SENDER, chat, cb.BROADCAST.build("all", 0)))
    wait_until(lambda: sum(notice_copies(server).values()) >= 15, 60, "15 copies sent")
    bot.kill()

    before = notice_copies(server)
    with database(db_path) as conn:
        assert integrity(conn) == "ok"
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' GROUP BY status"))
    assert sum(statuses.values()) == len(world.groups)
    assert statuses.get("pending", 0) > 0, f"the kill came too late to test anything: {statuses}"

    bot.start()
    wait_until(lambda: any("📬" in c.text for c in server.calls_since(0, "sendMessage")), 120, "the delivery report")
    assert bot.terminate() == 0

    copies = notice_copies(server)
    assert max(copies.values()) == 1, f"a chat received the notice twice: {copies.most_common(3)}"
    assert sum(copies.values()) > sum(before.values()), "nothing was sent after the restart"
    with database(db_path) as conn:
        rows = conn.execute("SELECT chat_id, status FROM outbox WHERE kind = 'broadcast'").fetchall()
    final = Counter(status for _, status in rows)
    assert set(final) <= {"sent", "unknown"}, final
    for chat_id, status in rows:
        if status == "sent":
            assert copies[chat_id] == 1, chat_id
        else:  # interrupted mid-send: it may or may not have arrived, and it is never sent again
            assert copies[chat_id] <= 1, chat_id
    report = next(c.text for c in server.calls_since(0, "sendMessage") if "📬" in c.text)
    counts = {int(n) for n in re.findall(r"\d+", report.split("\n")[1])}
    assert counts == {len(world.groups), final["sent"]}, report  # "Delivered to {ok} of {total} chats."
    check_calls(server.calls)
    if final["unknown"]:
        assert "可能" in report, report  # the report names the chats where it may not have arrived
