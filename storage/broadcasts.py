"""Broadcasts and free reminders."""

from __future__ import annotations

from storage.chats import CHAT_COLS, chat_row
from storage.repository import Repository
from storage.rows import Chat


class BroadcastsRepository(Repository):
    """Rows of broadcasts; never commits."""

    async def add(self, sender_id: int, report_chat: int, text: str, target_count: int, now: int) -> int:
        """Record a broadcast."""
        return await self._insert(
            "INSERT INTO broadcasts(sender_id, report_chat, text, target_count, created_at) VALUES (?, ?, ?, ?, ?)",
            (sender_id, report_chat, text, target_count, now),
        )

    async def get(self, broadcast_id: int) -> tuple[int | None, int, str, int, int | None] | None:
        """(sender_id, report_chat, text, target_count, reported_at) of a broadcast."""
        return await self._one(
            "SELECT sender_id, report_chat, text, target_count, reported_at FROM broadcasts WHERE id = ?",
            (broadcast_id,),
            lambda r: (r[0], r[1], r[2], r[3], r[4]),
        )

    async def mark_reported(self, broadcast_id: int, now: int) -> bool:
        """Claim the right to send the report (once)."""
        cur = await self.conn.execute(
            "UPDATE broadcasts SET reported_at = ? WHERE id = ? AND reported_at IS NULL", (now, broadcast_id)
        )
        return cur.rowcount > 0

    async def unreported(self) -> list[int]:
        """Ids of broadcasts whose delivery report has not been queued yet."""
        return await self._all(
            "SELECT id FROM broadcasts WHERE reported_at IS NULL ORDER BY id", (), lambda r: int(r[0])
        )

    async def targets(self, community_id: int, courtyard_ids: list[int] | None) -> list[Chat]:
        """Active chats bound to the chosen courtyards (None: every courtyard and community-wide chat)."""
        sql = f"SELECT {CHAT_COLS} FROM chats WHERE community_id = ? AND scope != 'none' AND active = 1"
        params: list[object] = [community_id]
        if courtyard_ids is not None:
            sql += f" AND courtyard_id IN ({','.join('?' * len(courtyard_ids))})"
            params.extend(courtyard_ids)
        return await self._all(sql + " ORDER BY chat_id", params, chat_row)


class RemindersRepository(Repository):
    """Rows of reminders; never commits."""

    async def add(
        self, chat_id: int, creator_id: int, text: str, next_at: int, recurrence: str | None, now: int
    ) -> int:
        """Record a reminder."""
        return await self._insert(
            "INSERT INTO reminders(chat_id, creator_id, text, next_at, recurrence, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (chat_id, creator_id, text, next_at, recurrence, now),
        )

    async def get(self, reminder_id: int) -> tuple[int, int | None, str, int | None, str | None, bool] | None:
        """(chat_id, creator_id, text, next_at, recurrence, active) of a reminder."""
        return await self._one(
            "SELECT chat_id, creator_id, text, next_at, recurrence, active FROM reminders WHERE id = ?",
            (reminder_id,),
            lambda r: (r[0], r[1], r[2], r[3], r[4], bool(r[5])),
        )

    async def active_in(self, chat_id: int) -> list[tuple[int, str, int | None, str | None]]:
        """(id, text, next_at, recurrence) of a chat's active reminders, soonest first."""
        return await self._all(
            "SELECT id, text, next_at, recurrence FROM reminders WHERE chat_id = ? AND active = 1 ORDER BY next_at",
            (chat_id,),
            lambda r: (r[0], r[1], r[2], r[3]),
        )

    async def set_next(self, reminder_id: int, next_at: int | None) -> None:
        """Move a reminder on (None: a one-off that is done)."""
        await self.conn.execute(
            "UPDATE reminders SET next_at = ?, active = CASE WHEN ? IS NULL THEN 0 ELSE active END WHERE id = ?",
            (next_at, next_at, reminder_id),
        )

    async def deactivate(self, reminder_id: int) -> None:
        """Cancel a reminder."""
        await self.conn.execute("UPDATE reminders SET active = 0, next_at = NULL WHERE id = ?", (reminder_id,))

    async def recurring_without_pending(self) -> list[tuple[int, int, int | None, str]]:
        """Active recurring reminders with no queued occurrence: (id, chat_id, next_at, recurrence)."""
        return await self._all(
            "SELECT r.id, r.chat_id, r.next_at, r.recurrence FROM reminders r WHERE r.active = 1 "
            "AND r.recurrence IS NOT NULL AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'reminder' "
            "AND o.ref_id = r.id AND o.status IN ('pending', 'sending'))",
            (),
            lambda r: (r[0], r[1], r[2], r[3]),
        )
