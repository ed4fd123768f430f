"""Update ids already applied by toggles, so a redelivered update does not flip them back."""

from __future__ import annotations

from storage.repository import Repository

KEEP_S = 86_400  # redelivery happens within minutes of a crash; a day is ample
PRUNE_EVERY = 512


class AppliedUpdatesRepository(Repository):
    """Rows of applied_updates; never commits."""

    async def claim(self, update_id: int, now: int) -> bool:
        """Record that this update's change is being applied; False if it already was."""
        cur = await self.conn.execute(
            "INSERT INTO applied_updates(update_id, applied_at) VALUES (?, ?) ON CONFLICT(update_id) DO NOTHING",
            (update_id, now),
        )
        if update_id % PRUNE_EVERY == 0:
            await self.conn.execute("DELETE FROM applied_updates WHERE applied_at < ?", (now - KEEP_S,))
        return cur.rowcount > 0
