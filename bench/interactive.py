"""Button presses through the real stack (team joins, votes) against the framework floor."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler

from bench.common import bench_config, emit, percentile
from bot import callback_data as cb
from bot.context import BotContext
from tests import builders as b
from tests.cast import GROUP, SW, bind
from tests.fakes import FakeBotAPI
from tests.harness import Harness


async def _answer_only(update: Update, context: BotContext) -> None:
    """The framework floor: answer the press and stop."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    raise ApplicationHandlerStop


@dataclass(frozen=True)
class Workload:
    """What a benchmark presses: a set-up on a fresh bot, then n presses made from the state it returns."""

    prepare: Callable[[Harness], Awaitable[Any]]
    make: Callable[[Any, int], list[dict[str, Any]]]


async def _press_all(h: Harness, presses: list[dict[str, Any]], rate: float | None = None) -> tuple[float, list[float]]:
    """Feed presses (all at once, or paced at rate per second); return elapsed seconds and latencies."""
    fake = h.fake
    await h.start()
    sent_at: dict[str, float] = {}
    for press in presses:
        sent_at[press["callback_query"]["id"]] = 0.0
    journal = h.app.bot_data.journal
    start = time.perf_counter()
    if rate is None and journal is not None:
        # A burst arrives as getUpdates batches of up to 100, each stored in one transaction
        # (bot/polling.py); paced presses come one at a time and are stored one by one on the queue.
        for first in range(0, len(presses), 100):
            await journal.record(presses[first : first + 100])
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
    work: Workload,
    n: int,
    variant: str,
    rate: float | None = None,
) -> tuple[float, list[float], Harness]:
    """One run of a variant: "real" (the feature), "app" (its handler only answers), "ptb" (bare PTB answers),
    or "nojournal" (the feature without the update journal)."""
    async with Harness(bench_config(folder, telegram={"concurrent_updates": 64}), FakeBotAPI()) as h:
        state = await work.prepare(h)
        if variant == "app":
            # The same Application (middleware included) with the feature's handler replaced by one that answers.
            h.app.handlers[0].insert(0, CallbackQueryHandler(_answer_only))
        elif variant == "ptb":
            # Bare python-telegram-bot: answered before any of our code runs.
            h.app.add_handler(CallbackQueryHandler(_answer_only), group=-5)
        elif variant == "nojournal":
            # The feature without the update journal: what storing and marking each update costs.
            h.app.bot_data.journal = h.app.update_queue.journal = None
        presses = work.make(h, n) if state is None else work.make(state, n)
        elapsed, latencies = await _press_all(h, presses, rate)
        return elapsed, latencies, h


async def _prepare_team(h: Harness) -> tuple[Harness, int]:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/newteam 启明花园护卫队 300"))
    team_id = int(await h.scalar("SELECT id FROM teams"))
    return h, team_id


def _joins(state: tuple[Harness, int], n: int) -> list[dict[str, Any]]:
    _, team_id = state
    return [b.callback(b.TgUser(400000 + i, f"居民{i}"), GROUP, cb.TEAM.build("join", team_id)) for i in range(n)]


async def _prepare_poll(h: Harness) -> tuple[Harness, int, int]:
    await bind(h)
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


@dataclass
class Rounds:
    """Seconds per run of each variant, one entry per round."""

    times: dict[str, list[float]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def per_s(self, variant: str, n: int) -> float:
        """Median presses per second of a variant."""
        return n / statistics.median(self.times[variant])

    def ratios(self, floor: str) -> list[float]:
        """floor time / real time, round by round (both ran back to back, so they saw the same machine)."""
        return [f / r for f, r in zip(self.times[floor], self.times["real"], strict=True)]


async def _rounds(
    folder: Path,
    work: Workload,
    n: int,
    rounds: int,
    variants: tuple[str, ...],
) -> Rounds:
    """Warm up once, then run every variant once per round, alternating the order between rounds.

    This shared 2-core machine changes speed by a factor of two from one second to the next
    (and a single fsync can stall for half a second), so one long run of each variant compares
    two different machines. Short runs back to back, in alternating order, and the median of
    the per-round ratios compare like with like.
    """
    for variant in variants:
        await _run(folder / f"warm-{variant}", work, n, variant=variant)
    result = Rounds({v: [] for v in variants})
    for index in range(rounds):
        order = variants if index % 2 == 0 else tuple(reversed(variants))
        for variant in order:
            seconds, latencies, _ = await _run(folder / f"{variant}-{index}", work, n, variant=variant)
            result.times[variant].append(seconds)
            if variant == "real":
                result.latencies.extend(latencies)
    return result


async def _paced(
    folder: Path,
    work: Workload,
    n: int,
    rate: float,
) -> tuple[list[float], list[float]]:
    """p50 and p99 latency (seconds) of each of three runs at a steady rate."""
    p50s, p99s = [], []
    for index in range(3):
        _, latencies, _ = await _run(folder / f"paced-{index}", work, n, variant="real", rate=rate)
        p50s.append(percentile(latencies, 50))
        p99s.append(percentile(latencies, 99))
    return p50s, p99s


async def bench_interactive(
    folder: Path,
    name: str,
    work: Workload,
    n: int,
    rounds: int,
    *,
    bare: bool,
) -> None:
    """Ratios against the floor(s), medians over rounds, then latency at a steady half of the throughput."""
    variants = ("ptb", "app", "real", "nojournal") if bare else ("app", "real")
    result = await _rounds(folder / name, work, n, rounds, variants)
    ratios = result.ratios("app")
    emit(f"{name}_presses", n, "presses per run")
    emit(f"{name}_rounds", rounds, "rounds")
    if bare:
        emit(f"{name}_ptb_per_s", result.per_s("ptb", n), "presses/s")
    emit(f"{name}_floor_per_s", result.per_s("app", n), "presses/s")
    emit(f"{name}_per_s", result.per_s("real", n), "presses/s")
    emit(f"{name}_ratio", statistics.median(ratios), "x (median of rounds)")
    emit(f"{name}_ratio_min", min(ratios), "x")
    emit(f"{name}_ratio_max", max(ratios), "x")
    if bare:
        emit(f"{name}_ratio_vs_bare_ptb", statistics.median(result.ratios("ptb")), "x")
        # Every variant above stores and marks each update; this one does not (the price of the journal).
        emit(f"{name}_without_journal_per_s", result.per_s("nojournal", n), "presses/s")
        emit(f"{name}_journal_ratio", statistics.median(result.ratios("nojournal")), "x (without / with journal)")
        cost = statistics.median(result.times["real"]) - statistics.median(result.times["nojournal"])
        emit(f"{name}_journal_cost_us", cost / n * 1e6, "µs per update (median times)")
    emit(f"{name}_burst_p99_ms", percentile(result.latencies, 99) * 1000, "ms")
    # Latency at a steady load of half the measured throughput (a burst only measures queueing),
    # then at three quarters of it, where the queue starts to show.
    paced = result.per_s("real", n) / 2
    p50s, p99s = await _paced(folder / f"{name}-paced", work, n, paced)
    emit(f"{name}_paced_rate", paced, "presses/s")
    emit(f"{name}_p50_ms", statistics.median(p50s) * 1000, "ms (median of 3 runs)")
    emit(f"{name}_p99_ms", statistics.median(p99s) * 1000, "ms (median of 3 runs)")
    emit(f"{name}_p99_worst_ms", max(p99s) * 1000, "ms")
    busy = result.per_s("real", n) * 3 / 4
    p50s, p99s = await _paced(folder / f"{name}-busy", work, n, busy)
    emit(f"{name}_busy_rate", busy, "presses/s")
    emit(f"{name}_busy_p50_ms", statistics.median(p50s) * 1000, "ms (median of 3 runs)")
    emit(f"{name}_busy_p99_ms", statistics.median(p99s) * 1000, "ms (median of 3 runs)")


def run(folder: Path, quick: bool) -> None:
    """Run the interactive benchmarks."""
    n, rounds = (500, 3) if quick else (1000, 9)
    asyncio.run(bench_interactive(folder, "join", Workload(_prepare_team, _joins), n, rounds, bare=True))
    asyncio.run(bench_interactive(folder, "vote", Workload(_prepare_poll, _votes), n, rounds, bare=False))
