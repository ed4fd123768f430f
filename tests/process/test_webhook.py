"""Webhook mode: the secret token header is required, and a redelivered update is handled once."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import Transcript
from tests.process.botproc import (
    SOCIAL_WORKERS,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
    BotProcess,
    database,
    post_update,
    start_webhook_bot,
    wait_until,
)

pytestmark = pytest.mark.process


def post(port: int, update: dict[str, Any], secret: str | None, path: str = "/hook") -> int:
    """POST an update as Telegram would; return the HTTP status."""
    return post_update(port, update, secret, path)


def test_webhook_checks_the_secret_and_handles_a_redelivered_update_once(
    tmp_path: Path, server: FakeTelegramServer, bots: Callable[..., BotProcess], db_path: Path
) -> None:
    bot, port = start_webhook_bot(bots, tmp_path, server)
    registered = [c for c in server.calls if c.method == "setWebhook"]
    assert registered[-1].params["url"] == WEBHOOK_URL
    assert registered[-1].params["secret_token"] == WEBHOOK_SECRET

    chat = b.group(-1001800000001, "碧水苑居民群")
    update = b.message(SOCIAL_WORKERS[0], chat, "/bind 碧水苑")
    assert post(port, update, None) == 403
    assert post(port, update, "wrong-secret") == 403
    assert post(port, update, WEBHOOK_SECRET, path="/") == 404  # only the public URL's path is served
    with database(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM chats WHERE chat_id = ?", (chat.id,)).fetchone()[0] == 0
    assert not server.calls_since(0, "sendMessage")

    assert post(port, update, WEBHOOK_SECRET) == 200
    wait_until(lambda: Transcript(server.calls).replies_to(update), 10, "the reply")
    # Telegram redelivers when it saw no answer in time: once more, then five at the same moment.
    assert post(port, update, WEBHOOK_SECRET) == 200
    with ThreadPoolExecutor(5) as pool:
        assert list(pool.map(lambda _: post(port, update, WEBHOOK_SECRET), range(5))) == [200] * 5
    other = b.message(SOCIAL_WORKERS[1], chat, "/courtyards")
    assert post(port, other, WEBHOOK_SECRET) == 200
    wait_until(lambda: Transcript(server.calls).replies_to(other), 10, "the reply to a later update")
    assert bot.terminate() == 0

    assert len(Transcript(server.calls).replies_to(update)) == 1
    assert not server.calls_since(0, "getUpdates")
    with database(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM courtyards").fetchone()[0] == 1
