"""`courtyard-bot backup FILE` while the bot writes gives a copy that passes integrity_check and opens."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.db import available_migrations
from tests.fakeserver import FakeTelegramServer
from tests.process.actions import World, bind_actions, lang_actions
from tests.process.botproc import BotProcess, cli, database, integrity, wait_until, write_config

pytestmark = pytest.mark.process


def test_backup_during_writes_is_consistent_and_opens(
    tmp_path: Path, server: FakeTelegramServer, bots: Callable[..., BotProcess], config: Path, db_path: Path
) -> None:
    world = World.build(server, random.Random(3), db_path)
    updates = [a.updates[0] for a in bind_actions(world) + lang_actions(world, count=200)]
    bot = bots(config).start()
    done = threading.Event()

    def write() -> None:
        for update in updates:  # about 240 writes over 2.5 s
            server.enqueue(update)
            if done.wait(0.01):
                return

    writer = threading.Thread(target=write)
    writer.start()
    copies = []
    try:
        wait_until(lambda: sum(server.delivered.values()) >= 20, 30, "writes under way")
        for i in range(3):
            target = tmp_path / "backups" / f"copy{i}.sqlite3"
            result = cli(config, "backup", str(target))
            assert result.returncode == 0, result.stderr
            copies.append(target)
    finally:
        done.set()
        writer.join()
    wait_until(lambda: not server.pending(), 30, "the writes to finish")
    assert bot.terminate() == 0

    latest = available_migrations()[-1][0]
    with database(db_path) as conn:
        final_users = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    counts = []
    for copy in copies:
        conn = sqlite3.connect(copy)
        try:
            assert integrity(conn) == "ok"
            assert conn.execute("PRAGMA user_version").fetchone()[0] == latest
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            counts.append(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])
        finally:
            conn.close()
        # The bot itself opens the copy: `migrate` on a config that points at it finds nothing to do.
        restored = write_config(tmp_path / f"restore-{copy.stem}", server, database={"path": str(copy)})
        result = cli(restored, "migrate")
        assert result.returncode == 0 and "applied none" in result.stdout, result.stdout + result.stderr
    assert counts == sorted(counts) and counts[0] < final_users, (counts, final_users)
