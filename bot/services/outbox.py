"""The outbox's bookkeeping for the dispatcher: what is due, claimed, retried and finished."""

from __future__ import annotations

from collections.abc import Callable

from bot.clock import Clock, to_ts
from storage.db import Database
from storage.outbox import OutboxItem, OutboxRepository


class OutboxService:
    """Reads and settles outbox rows; every change in its own durable transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> int:
        return to_ts(self.clock.now())

    async def recover(self, resend: Callable[[str], bool]) -> list[OutboxItem]:
        """Settle items a crash left mid-send: resent where their kind says so, else 'unknown' (returned)."""
        unknown: list[OutboxItem] = []
        async with self.db.transaction() as conn:
            repo = OutboxRepository(conn)
            for item in await repo.interrupted():
                if resend(item.kind):
                    await repo.retry(item.id)
                else:
                    await repo.finish(item.id, "unknown", self._now(), error="interrupted")
                    unknown.append(item)
        return unknown

    async def due(self, limit: int) -> list[OutboxItem]:
        """Pending items due now, oldest first."""
        return await OutboxRepository(self.db.reader).due(self._now(), limit)

    async def count_due(self) -> int:
        """Items pending or being sent that are due now."""
        return await OutboxRepository(self.db.reader).count_due(self._now())

    async def next_due_at(self) -> int | None:
        """When the next pending item falls due."""
        return await OutboxRepository(self.db.reader).next_due_at()

    async def claim(self, item_id: int) -> None:
        """Mark an item as being sent (a crash from here on is the ambiguous case)."""
        async with self.db.transaction() as conn:
            await OutboxRepository(conn).mark_sending([item_id])

    async def retry(self, item_id: int, *, chat_id: int | None = None, backoff: int = 0) -> None:
        """Put an item back in the queue, to another chat or later if said."""
        due = self._now() + backoff if backoff else None
        async with self.db.transaction() as conn:
            await OutboxRepository(conn).retry(item_id, chat_id=chat_id, due_at=due)

    async def finish(
        self, item_id: int, status: str, *, message_id: int | None = None, error: str | None = None
    ) -> None:
        """Record an item's outcome."""
        async with self.db.transaction() as conn:
            await OutboxRepository(conn).finish(item_id, status, self._now(), message_id=message_id, error=error)

    async def note_failed(self, item: OutboxItem, status: str, error: str) -> bool:
        """Record a person note's failure; one refused privately goes to its group instead (True then)."""
        group = item.payload.get("group")
        again = status == "failed" and item.chat_id > 0 and isinstance(group, int)
        async with self.db.transaction() as conn:
            repo = OutboxRepository(conn)
            await repo.finish(item.id, status, self._now(), error=error)
            if again:
                assert isinstance(group, int)
                await repo.add(
                    kind=item.kind,
                    chat_id=group,
                    due_at=self._now(),
                    now=self._now(),
                    ref_id=item.ref_id,
                    payload=item.payload,
                    dedupe_key=f"note-fallback:{item.id}",
                )
        return again
