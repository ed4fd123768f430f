"""Which messages show an entity's live state (rosters, tallies, notices), for handlers/live.py."""

from __future__ import annotations

from bot.clock import Clock, to_ts
from storage.db import Database
from storage.live import LiveMessagesRepository


class LiveMessagesService:
    """Remembers and forgets live messages; every change in its own durable transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, chat_id: int, message_id: int, kind: str, entity_id: int) -> None:
        """Keep this message up to date from now on."""
        async with self.db.transaction() as conn:
            await LiveMessagesRepository(conn).add(chat_id, message_id, kind, entity_id, to_ts(self.clock.now()))

    async def of_entity(self, kind: str, entity_id: int) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every live message of an entity."""
        return await LiveMessagesRepository(self.db.reader).for_entity(kind, entity_id)

    async def remove(self, chat_id: int, message_id: int) -> None:
        """Stop updating a message."""
        async with self.db.transaction() as conn:
            await LiveMessagesRepository(conn).remove(chat_id, message_id)
