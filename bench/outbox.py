"""Broadcast and reminder delivery against a fake Bot API that enforces Telegram's limits (10× faster)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import bench_config, emit
from bot.clock import to_ts
from bot.ratelimit import TELEGRAM_LIMITS, Limits
from bot.services.actor import Actor
from handlers.dispatcher import dispatcher
from tests.fakes import FakeBotAPI
from tests.harness import SOCIAL_WORKER_ID, Harness

SCALE = 10.0


def floor_seconds(messages: int, limits: Limits) -> float:
    """The least time Telegram's limits allow for messages to as many distinct chats."""
    return math.floor((messages - 1) / limits.global_per_window) * limits.global_window


async def _seed_chats(h: Harness, count: int) -> None:
    now = to_ts(h.clock.now())
    community_id = h.deps.services.community_id
    async with h.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO courtyards(id, community_id, name, created_at) VALUES (?, ?, ?, ?)",
            [(i + 1, community_id, f"院落{i}", now) for i in range(count)],
        )
        await conn.executemany(
            "INSERT INTO chats(chat_id, type, title, community_id, courtyard_id, scope, added_at, updated_at) "
            "VALUES (?, 'supergroup', ?, ?, ?, 'courtyard', ?, ?)",
            [(-1002000000000 - i, f"院落群{i}", community_id, i + 1, now, now) for i in range(count)],
        )


def _emit_delivery(name: str, elapsed: float, floor: float, fake: FakeBotAPI, per_chat: Counter[int]) -> None:
    """The figures of one bulk delivery: its time against Telegram's floor, 429s and the most sent to one chat."""
    emit(f"{name}_seconds", elapsed, "s")
    emit(f"{name}_floor_seconds", floor, "s")
    emit(f"{name}_ratio", elapsed / floor, "x")
    emit(f"{name}_429", fake.violations, "answers")
    emit(f"{name}_max_per_chat", max(per_chat.values()), "messages")


async def bench_broadcast(folder: Path, chats: int) -> None:
    """Time one notice to many chats; compare with the floor Telegram's limits allow."""
    fake = FakeBotAPI()
    telegram = TELEGRAM_LIMITS.scaled(SCALE)
    async with Harness(bench_config(folder), fake, limits=Limits().scaled(SCALE)) as h:
        await _seed_chats(h, chats)
        actor = Actor(SOCIAL_WORKER_ID, "社工", SOCIAL_WORKER_ID, "private", is_social_worker=True)
        await h.deps.services.people.touch(SOCIAL_WORKER_ID, "社工", "zh-hans", SOCIAL_WORKER_ID)
        fake.enforce = telegram
        start = time.perf_counter()
        await h.deps.services.broadcasts.create(actor, "本周六上午9点大扫除，请大家带上扫帚。", None)
        await dispatcher(h.app).drain(h.context, max_wait=600)
        elapsed = time.perf_counter() - start
        per_chat = Counter(c.chat_id for c in fake.sent() if c.chat_id != SOCIAL_WORKER_ID)
    emit("broadcast_chats", chats, "chats")
    _emit_delivery("broadcast", elapsed, floor_seconds(chats, telegram), fake, per_chat)
    emit("broadcast_chats_reached", len(per_chat), "chats")


async def bench_reminders(folder: Path, count: int) -> None:
    """Time many reminders due in the same minute, each to its own private chat; none twice."""
    fake = FakeBotAPI()
    telegram = TELEGRAM_LIMITS.scaled(SCALE)
    async with Harness(bench_config(folder), fake, limits=Limits().scaled(SCALE)) as h:
        now = to_ts(h.clock.now())
        async with h.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO users(user_id, display_name, private_chat, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)",
                [(500000 + i, f"居民{i}", now, now) for i in range(count)],
            )
            await conn.executemany(
                "INSERT INTO chats(chat_id, type, title, added_at, updated_at) VALUES (?, 'private', '', ?, ?)",
                [(500000 + i, now, now) for i in range(count)],
            )
            await conn.executemany(
                "INSERT INTO reminders(id, chat_id, creator_id, text, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(i + 1, 500000 + i, 500000 + i, "带上扫帚", now + (i % 60), now) for i in range(count)],
            )
            await conn.executemany(
                "INSERT INTO outbox(kind, ref_id, chat_id, due_at, dedupe_key, created_at) "
                "VALUES ('reminder', ?, ?, ?, ?, ?)",
                [(i + 1, 500000 + i, now + (i % 60), f"rm:{i + 1}:{now + (i % 60)}", now) for i in range(count)],
            )
        h.clock.advance(timedelta(seconds=60))
        fake.enforce = telegram
        start = time.perf_counter()
        await dispatcher(h.app).drain(h.context, max_wait=1200)
        elapsed = time.perf_counter() - start
        per_chat = Counter(c.chat_id for c in fake.sent())
    emit("reminder_count", count, "reminders")
    _emit_delivery("reminder", elapsed, floor_seconds(count, telegram), fake, per_chat)
    emit("reminder_delivered", len(per_chat), "chats")


def run(folder: Path, quick: bool) -> None:
    """Run the outbox benchmarks."""
    asyncio.run(bench_broadcast(folder / "broadcast", 300 if quick else 1000))
    asyncio.run(bench_reminders(folder / "reminders", 1500 if quick else 10_000))
