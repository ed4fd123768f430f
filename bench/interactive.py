"""Button presses through the real stack (team joins, votes) against the framework floor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bench.common import bench_config, emit, percentile
from bot import callback_data as cb
from bot.context import BotContext
from tests import builders as b
from tests.fakes import FakeBotAPI
from tests.harness import SOCIAL_WORKER_ID, Harness

GROUP = b.group(-1001000000001, "碧水苑居民群")
SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")


async def _answer_only(update: Update, context: BotContext) -> None:
    """The framework floor: answer the press and stop."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    raise ApplicationHandlerStop


async def _press_all(h: Harness, presses: list[dict[str, Any]], rate: float | None = None) -> tuple[float, list[float]]:
    """Feed presses (all at once, or paced at rate per second); return elapsed seconds and latencies."""
    fake = h.fake
    await h.start()
    sent_at: dict[str, float] = {}
    for press in presses:
        sent_at[press["callback_query"]["id"]] = 0.0
    start = time.perf_counter()
    for index, press in enumerate(presses):
        if rate:
            delay = start + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        sent_at[press["callback_query"]["id"]] = time.perf_counter()
        await h.app.update_queue.put(h.update(press))
    await asyncio.wait_for(h.app.update_queue.join(), timeout=600)
    elapsed = time.perf_counter() - start
    answered = {c.params["callback_query_id"]: c.at for c in fake.answers()}
    # Call.at is time.monotonic(); perf_counter shares its clock on Linux, close enough for latency.
    offset = time.perf_counter() - time.monotonic()
    latencies = [answered[qid] + offset - t for qid, t in sent_at.items() if qid in answered]
    return elapsed, latencies


async def _run(
    folder: Path,
    prepare: Callable[[Harness], Any],
    make: Callable[[Harness, int], list[dict[str, Any]]],
    n: int,
    floor: str,
    rate: float | None = None,
) -> tuple[float, list[float], Harness]:
    async with Harness(bench_config(folder, telegram={"concurrent_updates": 64}), FakeBotAPI()) as h:
        state = await prepare(h)
        if floor == "app":
            # The same Application (middleware included) with the feature's handler replaced by one that answers.
            h.app.handlers[0].insert(0, CallbackQueryHandler(_answer_only))
        elif floor == "ptb":
            # Bare python-telegram-bot: answered before any of our code runs.
            h.app.add_handler(CallbackQueryHandler(_answer_only), group=-5)
        presses = make(h, n) if state is None else make(state, n)
        elapsed, latencies = await _press_all(h, presses, rate)
        return elapsed, latencies, h


async def _prepare_team(h: Harness) -> tuple[Harness, int]:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/newteam 启明花园护卫队 300"))
    team_id = int(await h.scalar("SELECT id FROM teams"))
    return h, team_id


def _joins(state: tuple[Harness, int], n: int) -> list[dict[str, Any]]:
    _, team_id = state
    return [b.callback(b.TgUser(400000 + i, f"居民{i}"), GROUP, cb.TEAM.build("join", team_id)) for i in range(n)]


async def bench_joins(folder: Path, n: int) -> None:
    """Team joins with capacity checks."""
    ptb_s, _, _ = await _run(folder / "join-ptb", _prepare_team, _joins, n, floor="ptb")
    floor_s, _, _ = await _run(folder / "join-floor", _prepare_team, _joins, n, floor="app")
    real_s, latencies, _ = await _run(folder / "join-real", _prepare_team, _joins, n, floor="")
    emit("join_presses", n, "presses")
    emit("join_ptb_per_s", n / ptb_s, "presses/s")
    emit("join_floor_per_s", n / floor_s, "presses/s")
    emit("join_per_s", n / real_s, "presses/s")
    emit("join_ratio", floor_s / real_s, "x")
    emit("join_ratio_vs_bare_ptb", ptb_s / real_s, "x")
    emit("join_burst_p99_ms", percentile(latencies, 99) * 1000, "ms")
    # Latency at a steady load of half the measured throughput (a burst only measures queueing).
    paced = n / real_s / 2
    _, latencies, _ = await _run(folder / "join-paced", _prepare_team, _joins, n, floor="", rate=paced)
    emit("join_paced_rate", paced, "presses/s")
    emit("join_p50_ms", percentile(latencies, 50) * 1000, "ms")
    emit("join_p99_ms", percentile(latencies, 99) * 1000, "ms")


async def _prepare_poll(h: Harness) -> tuple[Harness, int, int]:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/vote 选哪个主题 | 汉藏文化融合 | 碧水蓝天 | 环境美化 | 院落花园"))
    card = h.fake.sent(GROUP.id)[-1]
    await h.send(b.callback(SW, GROUP, cb.POLL_DRAFT.build("go", 0), message_id=card.message_id))
    poll_id = int(await h.scalar("SELECT id FROM polls"))
    message_id = int(await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'poll'"))
    return h, poll_id, message_id


def _votes(state: tuple[Harness, int, int], n: int) -> list[dict[str, Any]]:
    """Each voter presses twice (a change of mind), the second press after the first."""
    _, poll_id, message_id = state
    voters = [b.TgUser(400000 + i, f"居民{i}") for i in range(n // 2)]
    return [
        b.callback(u, GROUP, cb.VOTE.build("v", poll_id, 1 + (i + round_) % 4), message_id=message_id)
        for round_ in range(2)
        for i, u in enumerate(voters)
    ]


async def bench_votes(folder: Path, n: int) -> None:
    """Poll votes: ballot upsert, live tally marked dirty, answer."""
    floor_s, _, _ = await _run(folder / "vote-floor", _prepare_poll, _votes, n, floor="app")
    real_s, latencies, _ = await _run(folder / "vote-real", _prepare_poll, _votes, n, floor="")
    emit("vote_presses", n, "presses")
    emit("vote_floor_per_s", n / floor_s, "presses/s")
    emit("vote_per_s", n / real_s, "presses/s")
    emit("vote_ratio", floor_s / real_s, "x")
    emit("vote_burst_p99_ms", percentile(latencies, 99) * 1000, "ms")
    paced = n / real_s / 2
    _, latencies, _ = await _run(folder / "vote-paced", _prepare_poll, _votes, n, floor="", rate=paced)
    emit("vote_paced_rate", paced, "presses/s")
    emit("vote_p50_ms", percentile(latencies, 50) * 1000, "ms")
    emit("vote_p99_ms", percentile(latencies, 99) * 1000, "ms")


def run(folder: Path, quick: bool) -> None:
    """Run the interactive benchmarks."""
    asyncio.run(bench_joins(folder, 500 if quick else 3000))
    asyncio.run(bench_votes(folder, 500 if quick else 3000))
