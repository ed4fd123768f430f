"""A wizard's change and the end of its dialog commit together, so a crash between them cannot let ✅ act twice."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from bot import callback_data as cb
from tests import builders as b
from tests.fakes import FakeBotAPI
from tests.harness import SOCIAL_WORKER_ID, Harness, make_config

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
GROUP = b.group(-1001000000001, "碧水苑居民群")


async def test_a_poll_started_then_killed_cannot_be_started_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    async with Harness(config) as h:
        await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
        await h.send(b.message(SW, GROUP, "/vote 选哪个主题 | 汉藏文化融合 | 碧水蓝天"))
        card = h.fake.sent(GROUP.id)[-1].message_id

        async def died(*_: object) -> None:
            raise SystemExit("killed after the poll's commit")  # nothing after it ran

        # Whatever a handler does after its change commits is lost when the process dies there.
        monkeypatch.setattr(h.deps.services.people, "end_dialog", died)
        with contextlib.suppress(SystemExit):
            await h.send(b.callback(SW, GROUP, cb.POLL_DRAFT.build("go", 0), message_id=card))
        assert await h.scalar("SELECT COUNT(*) FROM polls") == 1
    async with Harness(config, FakeBotAPI()) as h:
        await h.send(b.callback(SW, GROUP, cb.POLL_DRAFT.build("go", 0), message_id=card))  # ✅ once more
        assert await h.scalar("SELECT COUNT(*) FROM polls") == 1
        assert h.fake.answers(), "the second tap was answered"
