"""A reminder that falls due while the bot is dead is sent once after restart, and never again."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import Transcript
from tests.process.botproc import SOCIAL_WORKERS, BotProcess, database, integrity, wait_until

pytestmark = pytest.mark.process

# A command that schedules a one-off reminder in a group for later (not due during the test), and a
# piece of its text that the reminder message repeats (None skips the test, e.g. on a branch without /remind).
REMIND_COMMAND: str | None = "/remind 明天上午9点 带上扫帚"
REMIND_TEXT = "带上扫帚"
GROUP = b.group(-1001800000003, "碧水苑居民群")


def make_reminders_due(conn: sqlite3.Connection, now: int) -> int:
    """Pretend the process slept through the due time: move what /remind scheduled into the past."""
    conn.execute("UPDATE reminders SET next_at = ? WHERE active = 1 AND next_at IS NOT NULL", (now - 60,))
    moved = conn.execute(
        "UPDATE outbox SET due_at = ? WHERE kind = 'reminder' AND status = 'pending'", (now - 60,)
    ).rowcount
    conn.commit()
    return moved


def reminders_sent(server: FakeTelegramServer, command: dict) -> int:
    """Messages in the group that carry the reminder text and are not the reply confirming /remind."""
    quoted = command["message"]["message_id"]
    return sum(
        1
        for c in server.calls_since(0, "sendMessage")
        if c.chat_id == GROUP.id
        and REMIND_TEXT in c.text
        and (c.params.get("reply_parameters") or {}).get("message_id") != quoted
    )


@pytest.mark.skipif(REMIND_COMMAND is None, reason="/remind is not on this branch yet: set REMIND_COMMAND")
def test_reminder_due_while_the_bot_is_dead_is_sent_once_after_restart(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    assert REMIND_COMMAND is not None
    bot = bots(config).start()
    bind = b.message(SOCIAL_WORKERS[0], GROUP, "/bind 碧水苑")
    server.enqueue(bind)
    wait_until(lambda: Transcript(server.calls).replies_to(bind), 10, "the bind")
    command = b.message(SOCIAL_WORKERS[0], GROUP, REMIND_COMMAND)
    server.enqueue(command)
    wait_until(lambda: Transcript(server.calls).replies_to(command), 10, "the reminder confirmed")
    bot.kill()

    with database(db_path) as conn:
        assert integrity(conn) == "ok"
        assert make_reminders_due(conn, int(time.time())) >= 1, "the reminder is not in the outbox"
    assert reminders_sent(server, command) == 0
    bot.start()
    wait_until(lambda: reminders_sent(server, command) >= 1, 30, "the overdue reminder")
    time.sleep(2)  # room for a duplicate to show up
    assert bot.terminate() == 0
    bot.start()  # and a further restart sends nothing again
    time.sleep(2)
    assert bot.terminate() == 0
    assert reminders_sent(server, command) == 1
