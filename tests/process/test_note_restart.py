"""A note owed to a person survives a SIGKILL between the commit of its cause and its send.

The note is an outbox row written in the cause's transaction (bot/services/notes.py), so a
process that dies right after the commit sends it after the restart, once. Telegram is made
slow (every sendMessage answered after a delay), so the kill lands after the commit and before
the bot got to the note. The previous main sent the proposer's note after the commit and the
reply, in memory: the kill lost it, and the journal (the update was done) never handled it again.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import World
from tests.process.botproc import SOCIAL_WORKERS, BotProcess, database, integrity, wait_until
from tests.telegram_html import check_calls

pytestmark = pytest.mark.process

SW = SOCIAL_WORKERS[0]
AUNT = b.TgUser(310001, "李阿姨")
UNCLE = b.TgUser(310002, "张大爷")
GROUP = b.group(-1001710000001, "碧水苑居民群")
SLOW_S = 3.0


def texts_to(server: FakeTelegramServer, chat_id: int, words: str) -> list[str]:
    """Messages the fake Telegram accepted for a chat that contain words."""
    return [c.text for c in server.calls if c.method == "sendMessage" and c.chat_id == chat_id and words in c.text]


def kill_after_commit(
    server: FakeTelegramServer, bot: BotProcess, world: World, update: dict, committed: str, queued: str
) -> list[tuple[Any, ...]]:
    """Send update to a slow Telegram, SIGKILL the bot as soon as its change is in the database; the queued rows."""
    server.delays["sendMessage"] = SLOW_S
    server.enqueue(update)
    wait_until(lambda: bool(world.scalar(committed)), 20, "the commit")
    bot.kill()
    server.delays.pop("sendMessage")
    with database(world.db_path) as conn:
        assert integrity(conn) == "ok"
        return [tuple(r) for r in conn.execute(queued).fetchall()]


def restart_until_idle(bot: BotProcess, world: World) -> None:
    """Stop the bot, start it again and stop it once nothing is pending (the restart must send nothing again)."""
    bot.terminate()
    bot.start()
    wait_until(lambda: world.scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0, 10, "idle")
    assert bot.terminate() == 0


def bound_courtyard(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path, seed: int
) -> tuple[World, BotProcess]:
    """A started bot whose group is bound to 碧水苑, and the world that drives it."""
    world = World(server, random.Random(seed), db_path)
    bot = bots(config).start()
    world.send_and_wait(b.message(SW, GROUP, "/bind 碧水苑"))
    return world, bot


def test_the_proposers_note_arrives_once_after_a_kill_between_commit_and_send(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    world, bot = bound_courtyard(server, bots, config, db_path, 1)
    world.send_and_wait(b.message(AUNT, b.private(AUNT), "/start"))  # she can be told privately
    world.send_and_wait(b.message(AUNT, GROUP, "/propose 汉藏文化融合"))
    answer = b.message(SW, GROUP, "/answer 1 采纳 已列入本月计划")
    accepted = "SELECT 1 FROM proposals WHERE status = 'accepted'"
    queued = kill_after_commit(
        server, bot, world, answer, accepted, "SELECT status FROM outbox WHERE kind = 'proposal_note'"
    )

    bot.start()
    wait_until(lambda: bool(texts_to(server, AUNT.id, "有答复了")), 30, "the proposer's note")
    assert queued == [("pending",)], queued  # it was committed with the answer, not yet sent
    restart_until_idle(bot, world)
    told = texts_to(server, AUNT.id, "有答复了")
    assert len(told) == 1 and "采纳" in told[0], told
    with database(db_path) as conn:
        assert conn.execute("SELECT status FROM outbox WHERE kind = 'proposal_note'").fetchall() == [("sent",)]
    check_calls(server.calls)


def test_a_promotion_note_arrives_once_after_a_kill_between_commit_and_send(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    world, bot = bound_courtyard(server, bots, config, db_path, 2)
    world.send_and_wait(b.message(SW, GROUP, "/newteam 护卫队 1"))
    world.send_and_wait(b.message(UNCLE, b.private(UNCLE), "/start"))
    world.send_and_wait(b.message(AUNT, GROUP, "/join 护卫队"))
    world.send_and_wait(b.message(UNCLE, GROUP, "/join 护卫队"))  # the waitlist
    leave = b.message(AUNT, GROUP, "/leave 护卫队")
    promoted = f"SELECT 1 FROM team_members WHERE user_id = {UNCLE.id} AND status = 'member'"
    queued = kill_after_commit(
        server, bot, world, leave, promoted, "SELECT chat_id, status FROM outbox WHERE kind = 'team_note'"
    )

    bot.start()
    wait_until(lambda: bool(texts_to(server, UNCLE.id, "正式队员")), 30, "the promotion note")
    # Queued to his private chat with the leave; the dispatcher may already have claimed it.
    assert len(queued) == 1 and queued[0][0] == UNCLE.id and queued[0][1] in ("pending", "sending"), queued
    interrupted = queued[0][1] == "sending"
    restart_until_idle(bot, world)
    told = len(texts_to(server, UNCLE.id, "正式队员"))
    # A send cut off mid-request may have arrived: team notes are sent again then (ARCHITECTURE.md).
    assert told == 1 or (interrupted and told == 2), (queued, told)
    with database(db_path) as conn:
        assert conn.execute("SELECT status FROM outbox WHERE kind = 'team_note'").fetchall() == [("sent",)]
    check_calls(server.calls)
