"""Start-up time with many pending reminders, and the resident memory of an idle bot (fresh processes)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from bench.common import bench_config, emit, in_child, rss_mb
from bot.clock import to_ts
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import Harness


async def _seed(folder: Path, reminders: int) -> None:
    async with Harness(bench_config(folder), FakeBotAPI()) as h:
        now = to_ts(h.clock.now())
        async with h.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO chats(chat_id, type, title, added_at, updated_at) VALUES (?, 'supergroup', ?, ?, ?)",
                [(-1003000000000 - i, f"群{i}", now, now) for i in range(1000)],
            )
            await conn.executemany(
                "INSERT INTO reminders(id, chat_id, text, next_at, recurrence, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        i + 1,
                        -1003000000000 - i % 1000,
                        "打扫院子",
                        now + 86400 + i,
                        '{"kind": "weekly", "weekday": 2, "day": null, "hour": 19, "minute": 0}' if i % 2 else None,
                        now,
                    )
                    for i in range(reminders)
                ],
            )
            await conn.executemany(
                "INSERT INTO outbox(kind, ref_id, chat_id, due_at, dedupe_key, created_at) "
                "VALUES ('reminder', ?, ?, ?, ?, ?)",
                [(i + 1, -1003000000000 - i % 1000, now + 86400 + i, f"rm:{i + 1}", now) for i in range(reminders)],
            )


async def _start_once(folder: Path) -> tuple[float, float]:
    """Build, initialise and run post_init (migrate, services, recovery, repair, menus); stop."""
    before = rss_mb()
    start = time.perf_counter()
    harness = Harness(bench_config(folder), FakeBotAPI(), FakeClock())
    await harness.__aenter__()
    elapsed = time.perf_counter() - start
    after = rss_mb()
    await harness.__aexit__(None, None, None)
    return elapsed, after - before


def _child(folder: str) -> None:
    """Run in a fresh process: start the bot on the database and report time and memory."""
    elapsed, _ = asyncio.run(_start_once(Path(folder)))
    print(json.dumps({"seconds": elapsed, "rss_mb": rss_mb()}))


def run(folder: Path, quick: bool) -> None:
    """Seed pending reminders, then measure start-up and memory in fresh processes."""
    idle_folder = folder / "idle"
    idle_folder.mkdir(parents=True)
    idle = in_child("bench.startup", idle_folder, timeout=300)
    emit("idle_rss", idle["rss_mb"], "MB")
    count = 20_000 if quick else 100_000
    busy = folder / "busy"
    busy.mkdir(parents=True)
    asyncio.run(_seed(busy, count))
    result = in_child("bench.startup", busy, timeout=300)
    emit("startup_pending_reminders", count, "reminders")
    emit("startup_seconds", result["seconds"], "s")
    emit("startup_rss", result["rss_mb"], "MB")
