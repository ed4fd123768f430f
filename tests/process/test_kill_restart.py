"""SIGKILL the real bot at random moments during a stream of state-changing actions, five times.

After every kill (with the process dead) and at the end: every action the bot acknowledged is in the
database, no invariant is broken (nothing applied twice), and PRAGMA integrity_check is ok. Updates
the killed process fetched but had not confirmed are delivered again by the fake server, as
Telegram does, so handlers must be idempotent. Set KILL_SEED to replay one run's kill moments.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakeserver import FakeTelegramServer
from tests.process.actions import (
    ACTION_FAMILIES,
    INVARIANTS,
    SETUPS,
    Action,
    Transcript,
    Update,
    World,
    notice_marker,
    schedule,
)
from tests.process.botproc import SOCIAL_WORKERS, BotProcess, database, integrity, wait_until
from tests.telegram_html import check_calls

pytestmark = pytest.mark.process

KILLS = 5
STREAM_S = 8.0
SEED = int(os.environ.get("KILL_SEED", "0")) or random.SystemRandom().randrange(1, 1_000_000)


def kill_moments(rng: random.Random) -> list[float]:
    """One random moment in each fifth of the stream (after a short warm-up)."""
    start = 0.1 * STREAM_S
    width = (STREAM_S - start) / KILLS
    return [start + width * (k + rng.uniform(0.15, 0.85)) for k in range(KILLS)]


def stream_until(
    server: FakeTelegramServer, timeline: list[tuple[float, Update]], index: int, clock: float, stop: float | None
) -> tuple[int, float]:
    """Enqueue the timeline in real time from stream time `clock` until `stop` (None: to the end)."""
    began = time.monotonic()
    while True:
        now = clock + time.monotonic() - began
        while index < len(timeline) and timeline[index][0] <= now:
            server.enqueue(timeline[index][1])
            index += 1
        if (stop is not None and now >= stop) or (stop is None and index == len(timeline)):
            return index, now
        time.sleep(0.003)


def check(db_path: Path, server: FakeTelegramServer, actions: list[Action], updates: list[Update], when: str) -> int:
    """Acknowledged ⇒ stored, invariants, integrity; return how many actions were acknowledged."""
    tr = Transcript(server.calls)
    with database(db_path) as conn:
        assert integrity(conn) == "ok", when
        acked = [a for a in actions if a.acked(tr)]
        lost = [a.label for a in acked if not a.stored(conn)]
        assert not lost, f"{when}: acknowledged but not stored: {lost}"
        problems = [problem for invariant in INVARIANTS for problem in invariant(conn, tr)]
        assert not problems, f"{when}: {problems}"
    # An update Telegram delivered once is answered at most once (no handler runs twice by itself).
    for update in updates:
        if server.delivered[int(update["update_id"])] == 1:
            said = tr.replies_to(update) if "message" in update else tr.answers_to(update)
            assert len(said) <= 1, f"{when}: update {update['update_id']} answered {len(said)} times"
    return len(acked)


def handled(update: Update, conn: sqlite3.Connection) -> bool:
    """The journal holds this update and it is done.

    Done is marked in the same commit as the first change its handler made (or when a handler
    that changed nothing returned), so a process killed after acting and before answering does
    not act (nor answer) again; one killed before acting handles it at the next start.
    """
    done = conn.execute("SELECT done_at FROM update_journal WHERE update_id = ?", (update["update_id"],)).fetchone()
    return done is not None and done[0] is not None


def settled(server: FakeTelegramServer, db_path: Path) -> Callable[[], bool]:
    """True once every update is confirmed and everything due in the outbox (reports included) is sent."""

    def done() -> bool:
        if server.pending():
            return False
        with database(db_path) as conn:
            busy = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?",
                (int(time.time()),),
            ).fetchone()[0]
            unreported = conn.execute("SELECT COUNT(*) FROM broadcasts WHERE reported_at IS NULL").fetchone()[0]
            unfinished = conn.execute("SELECT COUNT(*) FROM update_journal WHERE done_at IS NULL").fetchone()[0]
        return busy == 0 and unreported == 0 and unfinished == 0

    return done


def test_sigkill_at_random_moments_loses_nothing_acknowledged(
    server: FakeTelegramServer,
    bots: Callable[..., BotProcess],
    config: Path,
    db_path: Path,
) -> None:
    rng = random.Random(SEED)
    world = World.build(server, rng, db_path)
    bot = bots(config).start()
    for setup in SETUPS:
        setup(world)
    actions = [action for make in ACTION_FAMILIES for action in make(world)]
    timeline = schedule(actions, rng, STREAM_S)
    updates = [update for _, update in timeline]

    index, clock = 0, 0.0
    for k, moment in enumerate([*kill_moments(rng), None]):
        index, clock = stream_until(server, timeline, index, clock, moment)
        if moment is None:
            break
        bot.kill()
        check(db_path, server, actions, updates, f"after kill {k + 1} at {moment:.2f} s (KILL_SEED={SEED})")
        bot.start()

    wait_until(settled(server, db_path), 120, f"the last process to finish everything (KILL_SEED={SEED})")
    assert bot.terminate() == 0
    acked = check(db_path, server, actions, updates, f"at the end (KILL_SEED={SEED})")
    redelivered = sum(1 for n in server.delivered.values() if n > 1)
    print(f"KILL_SEED={SEED}: {acked}/{len(actions)} actions acknowledged, {redelivered} updates redelivered")
    # Updates are stored before they are confirmed to Telegram (bot/polling.py), so the kills lost none.
    tr = Transcript(server.calls)
    with database(db_path) as conn:
        unhandled = [u["update_id"] for u in updates if not handled(u, conn)]
    assert not unhandled, f"updates lost by the kills: {unhandled} (KILL_SEED={SEED})"
    assert acked >= 0.9 * len(actions), f"only {acked} of {len(actions)} acknowledged (KILL_SEED={SEED})"

    with database(db_path) as conn:
        for k, sender in enumerate(
            SOCIAL_WORKERS[-1 : -1 - len([a for a in actions if a.label.startswith("broadcast")]) : -1]
        ):
            created = conn.execute("SELECT id FROM broadcasts WHERE text LIKE ?", (f"{notice_marker(k)}%",)).fetchone()
            if created is None:
                continue
            reports = [c for c in tr.sends[sender.id] if "📬" in c.text]
            # The report is resent after an interrupted send (a duplicate report beats none).
            assert 1 <= len(reports) <= 2, f"broadcast {k}: {len(reports)} reports"
    check_calls(server.calls)  # every message and answer was valid Telegram HTML within the limits
    log = bot.log_text()
    assert "error handling update" not in log and "Traceback" not in log, log[-4000:]
