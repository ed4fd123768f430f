"""A 429 holds up only its own chat; the bot's other chats are answered as usual."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.reply_limiter import ChatRateLimiter
from tests import builders as b
from tests.cast import SW
from tests.harness import Harness, make_config


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def sender(calls: list[Any], flood: dict[Any, int]) -> Any:
    async def send(endpoint: str, data: dict[str, Any]) -> bool:
        calls.append(data.get("chat_id"))
        if flood.get(data.get("chat_id"), 0):
            flood[data["chat_id"]] -= 1
            raise RetryAfter(30)
        return True

    return send


async def call(limiter: ChatRateLimiter, send: Any, chat_id: int, endpoint: str = "sendMessage") -> Any:
    """One request through the limiter, as PTB's BaseRequest makes it."""
    data = {"chat_id": chat_id}
    return await limiter.process_request(send, (endpoint, data), {}, endpoint, data, None)


async def flooded(clock: Clock) -> tuple[ChatRateLimiter, list[Any], Any]:
    """A limiter on which chat -1 was just told to wait 30 s; the chats sent to, and the sender."""
    limiter = ChatRateLimiter(now=clock)
    calls: list[Any] = []
    send = sender(calls, {-1: 1})
    with pytest.raises(RetryAfter):
        await call(limiter, send, -1)
    return limiter, calls, send


async def test_a_long_block_fails_fast_for_that_chat_only() -> None:
    clock = Clock()
    limiter, calls, send = await flooded(clock)
    with pytest.raises(RetryAfter):  # still blocked: refused without asking Telegram
        await call(limiter, send, -1)
    assert await call(limiter, send, -2)
    assert calls == [-1, -2]
    clock.t += 31
    assert await call(limiter, send, -1)


async def test_a_short_block_is_waited_out_and_retried_once() -> None:
    limiter = ChatRateLimiter()
    calls: list[Any] = []

    async def send(endpoint: str, data: dict[str, Any]) -> bool:
        calls.append(endpoint)
        if len(calls) == 1:
            raise RetryAfter(0)
        return True

    assert await call(limiter, send, 5)
    assert calls == ["sendMessage", "sendMessage"]


async def test_a_flooded_group_does_not_hold_up_another_group(tmp_path: Path) -> None:
    config = make_config(tmp_path, telegram={"rate_limiter": True})
    async with Harness(config) as h:
        busy, quiet = b.group(-1001000000001, "碧水苑居民群"), b.group(-1001000000002, "红原居民群")
        await h.send(b.message(SW, busy, "/bind 碧水苑"))
        await h.send(b.message(SW, quiet, "/bind 红原农行小区"))
        h.fake.fail("429", chat_id=busy.id, retry_after=30)
        first = asyncio.create_task(h.send(b.message(SW, busy, "/help")))  # 429: blocked for 30 s
        await asyncio.sleep(0.3)
        # PTB's AIORateLimiter paused every request for those 30 s; here the other group is answered now.
        await asyncio.wait_for(h.send(b.message(SW, quiet, "/help")), 5)
        assert h.fake.sent(quiet.id)[-1].text
        await asyncio.wait_for(first, 5)  # the blocked reply gave up at once instead of holding a handler


async def test_reads_and_answers_pass_a_flooded_chat() -> None:
    limiter, calls, send = await flooded(Clock())
    # The admins of the flooded group are still read (a failed read would make them residents for minutes).
    assert await call(limiter, send, -1, "getChatAdministrators")
    assert calls == [-1, -1]
