"""Rows of update_journal: updates stored before they are confirmed, marked done when handled."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

KEEP_S = 86_400  # a done row is kept a day: redelivery comes within minutes of a crash
PRUNE_EVERY = 1_000

# Written by Database.transaction() in the same commit as the first change an update makes.
MARK_DONE_SQL = "UPDATE update_journal SET done_at = ?, body = NULL WHERE update_id = ? AND done_at IS NULL"


class JournalRepository:
    """The update journal; never commits."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def record(self, rows: Iterable[tuple[int, bytes]], now: int) -> None:
        """Store updates not seen before (a redelivered id keeps its first row)."""
        rows = list(rows)
        await self.conn.executemany(
            "INSERT INTO update_journal(update_id, body, received_at) VALUES (?, ?, ?) "
            "ON CONFLICT(update_id) DO NOTHING",
            [(update_id, body, now) for update_id, body in rows],
        )
        if any(update_id % PRUNE_EVERY == 0 for update_id, _ in rows):
            await self.prune(now - KEEP_S)

    async def prune(self, before: int) -> None:
        """Delete done rows received before this time."""
        await self.conn.execute("DELETE FROM update_journal WHERE done_at IS NOT NULL AND received_at < ?", (before,))

    async def is_done(self, update_id: int) -> bool:
        """True when this update was handled (by this process or an earlier one)."""
        async with self.conn.execute("SELECT done_at FROM update_journal WHERE update_id = ?", (update_id,)) as cur:
            row = await cur.fetchone()
        return row is not None and row[0] is not None

    async def unfinished(self) -> list[tuple[int, bytes | None, int]]:
        """Updates received but never finished, oldest first: (id, body, attempts)."""
        async with self.conn.execute(
            "SELECT update_id, body, attempts FROM update_journal WHERE done_at IS NULL ORDER BY update_id"
        ) as cur:
            return [(int(r[0]), r[1], int(r[2])) for r in await cur.fetchall()]

    async def count_attempt(self, update_ids: list[int]) -> None:
        """Count one more start-up that found these unfinished (a poison update stops being replayed)."""
        await self.conn.executemany(
            "UPDATE update_journal SET attempts = attempts + 1 WHERE update_id = ?", [(i,) for i in update_ids]
        )

    async def mark_done(self, update_ids: list[int], now: int) -> None:
        """Mark updates done without handling them (given up on)."""
        await self.conn.executemany(MARK_DONE_SQL, [(now, i) for i in update_ids])
