"""Messages kept up to date in place."""

from __future__ import annotations

from storage.repository import Repository


class LiveMessagesRepository(Repository):
    """Rows of live_messages; never commits."""

    async def add(self, chat_id: int, message_id: int, kind: str, entity_id: int, now: int) -> None:
        """Remember a message that shows an entity's live state."""
        await self.conn.execute(
            "INSERT OR IGNORE INTO live_messages(chat_id, message_id, kind, entity_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (chat_id, message_id, kind, entity_id, now),
        )

    async def for_entity(self, kind: str, entity_id: int) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every live message of an entity."""
        return await self._all(
            "SELECT chat_id, message_id FROM live_messages WHERE kind = ? AND entity_id = ? ORDER BY created_at",
            (kind, entity_id),
            lambda r: (int(r[0]), int(r[1])),
        )

    async def remove(self, chat_id: int, message_id: int) -> None:
        """Stop updating a message (deleted, or replaced by a newer one)."""
        await self.conn.execute("DELETE FROM live_messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id))
