"""A second bot on the same database is turned away at once, and the first keeps working."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import builders as b
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import Transcript
from tests.process.botproc import SOCIAL_WORKERS, BotProcess, wait_until

pytestmark = pytest.mark.process

EXIT_LOCKED = 3


def test_second_bot_on_the_same_database_exits_with_a_clear_message(
    server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path
) -> None:
    first = bots(config).start()
    second = bots(config)
    began = time.monotonic()
    second.start(wait=False)
    assert second.proc is not None
    assert second.proc.wait(timeout=5) == EXIT_LOCKED
    assert time.monotonic() - began < 5
    assert "another courtyard-bot is already running" in second.log_text()

    assert first.running
    update = b.message(SOCIAL_WORKERS[0], b.group(-1001800000002, "启明花园群"), "/bind 启明花园")
    server.enqueue(update)
    wait_until(lambda: Transcript(server.calls).replies_to(update), 10, "the first bot's reply")
    assert first.terminate() == 0
