"""Nothing Telegram counts as received is lost, and nothing acts twice, when the bot is killed mid-stream.

Telegram never sends an update again once a later getUpdates asked past it, or once its webhook POST was
answered 200. Each test streams 300 votes (and, where said, /remind commands, which must never be made
twice) at the real `courtyard-bot run`, waits until Telegram counts every one as received while most are
still unhandled (Telegram answers slowly, or one chat is flooded), SIGKILLs the process and starts it
again: every vote is stored, every reminder exists once, and the journal holds nothing unfinished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot import callback_data as cb
from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import Transcript
from tests.process.botproc import (
    SOCIAL_WORKERS,
    WEBHOOK_SECRET,
    BotProcess,
    database,
    post_update,
    start_webhook_bot,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.process

VOTES = 300
REMINDS = 20
GROUP = b.group(-1001900000001, "碧水苑居民群")
Send = Callable[[dict[str, Any]], None]


def scalar(db_path: Path, sql: str, *params: Any) -> Any:
    with database(db_path) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def answered(server: FakeTelegramServer, update: dict[str, Any], mark: int) -> bool:
    tr = Transcript(server.calls)
    if "callback_query" in update:
        return bool(tr.answers_to(update))
    return bool(tr.replies_to(update)) or any(c.chat_id == GROUP.id for c in server.calls_since(mark, "sendMessage"))


def make_poll(server: FakeTelegramServer, send: Send, db_path: Path) -> tuple[int, int]:
    """Bind the group and open a single-choice poll; return its id and its live tally's message id."""
    sw = SOCIAL_WORKERS[0]
    for update in (
        b.message(sw, GROUP, "/bind 碧水苑"),
        b.message(sw, GROUP, "/vote 选哪个主题 | 汉藏文化 | 碧水蓝天"),
    ):
        mark = len(server.calls)
        send(update)
        wait_until(lambda u=update, m=mark: answered(server, u, m), 20, "the set-up answer")  # type: ignore[misc]
    card = [c for c in server.calls if c.method == "sendMessage" and c.chat_id == GROUP.id][-1].message_id
    go = b.callback(sw, GROUP, cb.POLL_DRAFT.build("go", 0), message_id=card)
    send(go)
    tally_sql = "SELECT message_id FROM live_messages WHERE kind = 'poll'"
    wait_until(lambda: scalar(db_path, tally_sql) is not None, 20, "the live tally")
    return int(scalar(db_path, "SELECT MAX(id) FROM polls")), int(scalar(db_path, tally_sql))


def stream(poll_id: int, tally: int, *, reminds: int = REMINDS) -> list[dict[str, Any]]:
    """VOTES residents vote once each; social workers set `reminds` weekly reminders in between."""
    updates: list[dict[str, Any]] = []
    every = VOTES // reminds if reminds else 0
    for i in range(VOTES):
        voter = b.TgUser(330000 + i, f"投票人{i:03d}号")
        updates.append(b.callback(voter, GROUP, cb.VOTE.build("v", poll_id, 1 + i % 2), message_id=tally))
        if every and i % every == 0:
            sw = SOCIAL_WORKERS[1 + i // every]
            updates.append(b.message(sw, GROUP, f"/remind 每周三晚上7点 打扫院子第{i}次"))
    return updates


def check_once_each(db_path: Path, poll_id: int, updates: list[dict[str, Any]]) -> None:
    """Every vote stored, every reminder made once, the journal finished."""
    ballots = scalar(db_path, "SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", poll_id)
    assert ballots == VOTES, f"{VOTES - ballots} of {VOTES} votes lost"
    with database(db_path) as conn:
        texts = [str(r[0]) for r in conn.execute("SELECT text FROM reminders")]
        unfinished = conn.execute("SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL").fetchone()[0]
    asked = [u["message"]["text"].split(maxsplit=2)[2] for u in updates if "message" in u]
    assert sorted(texts) == sorted(asked), "a reminder was lost or made twice"
    assert unfinished == 0


def kill_when_confirmed_and_unhandled(
    bot: BotProcess, server: FakeTelegramServer, db_path: Path, poll_id: int, confirmed: Callable[[], bool]
) -> int:
    """SIGKILL once Telegram counts every update as received; return how many votes were stored then."""
    wait_until(confirmed, 30, "Telegram to count every update as received")
    stored = int(scalar(db_path, "SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", poll_id))
    bot.kill()
    return stored


def polling_run(
    server: FakeTelegramServer,
    bots: Callable[..., BotProcess],
    tmp_path: Path,
    db_path: Path,
    *,
    flood: bool = False,
    **overrides: Any,
) -> None:
    config = write_config(tmp_path, server, **overrides)
    bot = bots(config).start()
    poll_id, tally = make_poll(server, server.enqueue, db_path)
    if flood:  # one 429 with retry_after 30 for the group, right as the stream begins
        server.api.fail("429", chat_id=GROUP.id, retry_after=30, times=1)
    updates = stream(poll_id, tally)
    server.enqueue(*updates)
    stored = kill_when_confirmed_and_unhandled(bot, server, db_path, poll_id, lambda: not server.pending())
    assert stored < VOTES, "the kill came after everything was handled: the test proves nothing"
    server.delays.clear()
    server.api.failures.clear()
    bot.start()
    wait_until(
        lambda: scalar(db_path, "SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL") == 0,
        90,
        "the restarted bot to finish what the killed one received",
    )
    check_once_each(db_path, poll_id, updates)
    bot.kill()
    bot.start()  # and a further restart acts on nothing again
    time.sleep(1.0)
    check_once_each(db_path, poll_id, updates)


def test_slow_telegram_and_a_kill_lose_no_vote_and_make_no_reminder_twice(
    tmp_path: Path, server: FakeTelegramServer, bots: Callable[..., BotProcess], db_path: Path
) -> None:
    server.delays["answerCallbackQuery"] = 3.0  # Telegram answering every press after 3 s
    polling_run(server, bots, tmp_path, db_path)


def test_a_flooded_chat_under_the_default_rate_limiter_and_a_kill_lose_no_vote(
    tmp_path: Path, server: FakeTelegramServer, bots: Callable[..., BotProcess], db_path: Path
) -> None:
    server.delays["answerCallbackQuery"] = 0.5
    polling_run(server, bots, tmp_path, db_path, flood=True, telegram={"rate_limiter": True})


def post(port: int, update: dict[str, Any]) -> int:
    return post_update(port, update, WEBHOOK_SECRET)


def test_webhook_killed_after_200_answered_posts_loses_none(
    tmp_path: Path, server: FakeTelegramServer, bots: Callable[..., BotProcess], db_path: Path
) -> None:
    bot, port = start_webhook_bot(bots, tmp_path, server)
    ids = iter(range(5_000_000, 6_000_000))

    def send(update: dict[str, Any]) -> None:
        update["update_id"] = next(ids)
        assert post(port, update) == 200

    poll_id, tally = make_poll(server, send, db_path)
    server.delays["answerCallbackQuery"] = 3.0
    updates = stream(poll_id, tally, reminds=0)[:200]  # 200 POSTs of votes
    for update in updates:
        update["update_id"] = next(ids)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda u: post(port, u), updates))
    assert statuses == [200] * len(updates)  # Telegram now counts every one as received
    stored = int(scalar(db_path, "SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", poll_id))
    bot.kill()
    assert stored < len(updates), "the kill came after everything was handled: the test proves nothing"
    server.delays.clear()
    bot.start()
    wait_until(
        lambda: scalar(db_path, "SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL") == 0,
        90,
        "the restarted bot to finish what the killed one received",
    )
    assert scalar(db_path, "SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", poll_id) == len(updates)
