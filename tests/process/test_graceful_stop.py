"""SIGTERM while updates are being processed loses none of them, and none is handled twice."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakeserver import FakeTelegramServer
from tests.process.actions import Transcript, World, bind_actions, lang_actions
from tests.process.botproc import BotProcess, database, integrity, wait_until

pytestmark = pytest.mark.process


def test_sigterm_loses_no_fetched_update(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    world = World.build(server, random.Random(2), db_path)
    actions = bind_actions(world) + lang_actions(world) + lang_actions(world, first_id=410000)
    updates = [a.updates[0] for a in actions]
    bot = bots(config).start()
    # A slow Telegram, so a full batch is still being handled when the signal arrives.
    for method in ("sendMessage", "answerCallbackQuery", "editMessageText"):
        server.delays[method] = 0.1
    server.enqueue(*updates)
    wait_until(lambda: sum(server.delivered.values()) >= 100, 30, "a full batch fetched")
    now = Transcript(server.calls)
    in_hand = [u for u in updates if server.delivered[u["update_id"]] and not _said(now, u)]
    assert bot.terminate() == 0
    assert len(in_hand) > 30, "the signal should arrive while a batch is being handled"

    # Confirmed (fetched, and acknowledged to Telegram by a later getUpdates offset) means handled.
    tr = Transcript(server.calls)
    pending = {u["update_id"] for u in server.pending()}
    confirmed = [u for u in updates if server.delivered[u["update_id"]] and u["update_id"] not in pending]
    dropped = [u["update_id"] for u in confirmed if not _said(tr, u)]
    assert not dropped, f"{len(dropped)} confirmed updates were dropped by the graceful stop"
    assert all(_said(tr, u) for u in in_hand if u["update_id"] not in pending)
    with database(db_path) as conn:
        assert integrity(conn) == "ok"

    bot.start()
    wait_until(lambda: all(_said(Transcript(server.calls), u) for u in updates), 60, "every update answered")
    assert bot.terminate() == 0
    tr = Transcript(server.calls)
    twice = [u["update_id"] for u in updates if len(_said(tr, u)) != 1]
    assert not twice, f"updates answered more than once: {twice}"
    with database(db_path) as conn:
        assert all(a.stored(conn) for a in actions)


def _said(tr: Transcript, update: dict) -> list[str]:
    return tr.replies_to(update) if "message" in update else tr.answers_to(update)
