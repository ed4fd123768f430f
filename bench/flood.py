"""One flooded chat and the others: reply latency in a quiet group while another is blocked by a 429.

PTB's AIORateLimiter pauses every request of the bot on one RetryAfter; bot/reply_limiter.py blocks
only that chat. Both run here side by side: a 429 with retry_after RETRY_S for one group, then /help
in another group, and the time until its reply.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from telegram.ext import AIORateLimiter

from bench.common import bench_config, emit
from tests import builders as b
from tests.cast import SW
from tests.fakes import FakeBotAPI
from tests.harness import Harness

RETRY_S = 5
BUSY, QUIET = b.group(-1001000000001, "碧水苑居民群"), b.group(-1001000000002, "红原居民群")


async def _quiet_reply_s(folder: Path, ptb_limiter: bool) -> float:
    async with Harness(bench_config(folder, telegram={"rate_limiter": True}), FakeBotAPI()) as h:
        if ptb_limiter:
            h.app.bot._rate_limiter = AIORateLimiter(max_retries=2)
            await h.app.bot._rate_limiter.initialize()
        await h.send(b.message(SW, BUSY, "/bind 碧水苑"))
        await h.send(b.message(SW, QUIET, "/bind 红原农行小区"))
        h.fake.fail("429", chat_id=BUSY.id, retry_after=RETRY_S)
        busy = asyncio.create_task(h.send(b.message(SW, BUSY, "/help")))
        await asyncio.sleep(0.2)  # the 429 has been answered
        began = time.perf_counter()
        await h.send(b.message(SW, QUIET, "/help"))
        took = time.perf_counter() - began
        await busy
        return took


async def _bench(folder: Path, runs: int) -> None:
    ours = [await _quiet_reply_s(folder / f"ours-{i}", False) for i in range(runs)]
    ptb = [await _quiet_reply_s(folder / f"ptb-{i}", True) for i in range(runs)]
    emit("flood_retry_after_s", RETRY_S, "s (one group answered 429)")
    emit("flood_other_chat_reply_ms", statistics.median(ours) * 1000, "ms (ChatRateLimiter, median)")
    emit("flood_other_chat_reply_ptb_ms", statistics.median(ptb) * 1000, "ms (PTB AIORateLimiter, median)")


def run(folder: Path, quick: bool) -> None:
    """Run the flood benchmark."""
    asyncio.run(_bench(folder, 1 if quick else 3))
