"""Erasing a person's data (/forget) across every feature, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiosqlite

from storage.chats import ChatsRepository
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.users import UsersRepository, truncate_wal

log = logging.getLogger(__name__)

# A hook runs inside the forget transaction before the users row is deleted, for the
# work ON DELETE CASCADE cannot do (promote a waitlist, keep closed polls' counts).
ForgetHook = Callable[[aiosqlite.Connection, int], Awaitable[None]]


class PrivacyService:
    """Erase a person; features plug in with hooks."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._hooks: list[ForgetHook] = []

    def add_hook(self, hook: ForgetHook) -> None:
        """Register work to do when a person is forgotten."""
        self._hooks.append(hook)

    async def forget(self, user_id: int) -> bool:
        """Delete every row about the person; False if nothing was stored."""
        async with self.db.transaction() as conn:
            for hook in self._hooks:
                await hook(conn, user_id)
            # The private chat is theirs too: its reminders and queued messages must not outlive them.
            await ChatsRepository(conn).delete_private(user_id)
            await OutboxRepository(conn).drop_chat(user_id)
            await OutboxRepository(conn).drop_person(user_id)  # notes mentioning them in groups
            deleted = await UsersRepository(conn).delete(user_id)
        # secure_delete zeroes the deleted rows in the database file, but older copies of their pages
        # (with the name) stay in the write-ahead log until a checkpoint: copy it in and empty it now.
        # The checkpoint runs on the bulk connection's thread, so waiting for readers never stalls the loop.
        if not await truncate_wal(self.db.bulk):
            log.warning("write-ahead log not emptied after /forget: readers kept it busy")
        return deleted > 0
