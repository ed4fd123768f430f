"""The durable outbox of scheduled and bulk messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from storage.repository import Repository, RowMapper

_COLS = "id, kind, ref_id, chat_id, due_at, status, attempts, payload"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    ref_id: int | None
    chat_id: int
    due_at: int
    status: str
    attempts: int
    payload: dict[str, Any]


_item = RowMapper(OutboxItem, payload=json.loads)


class OutboxRepository(Repository):
    """Rows of outbox; never commits."""

    async def add(
        self,
        *,
        kind: str,
        chat_id: int,
        due_at: int,
        now: int,
        ref_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a message; None when an item with the same dedupe_key exists."""
        cur = await self.conn.execute(
            "INSERT INTO outbox(kind, ref_id, chat_id, due_at, payload, dedupe_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING",
            (kind, ref_id, chat_id, due_at, json.dumps(dict(payload or {}), ensure_ascii=False), dedupe_key, now),
        )
        return cur.lastrowid if cur.rowcount > 0 else None

    async def add_for_chats(
        self,
        chat_ids: Iterable[int],
        *,
        kind: str,
        due_at: int,
        now: int,
        ref_id: int,
        key: str,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        """Queue one item per chat; key is a dedupe-key template with {chat} in it."""
        for chat_id in chat_ids:
            await self.add(
                kind=kind,
                chat_id=chat_id,
                due_at=due_at,
                now=now,
                ref_id=ref_id,
                payload=payload,
                dedupe_key=key.format(chat=chat_id),
            )

    async def count_due(self, now: int) -> int:
        """Items pending or being sent that are due by now."""
        return await self._int(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?", (now,)
        )

    async def due(self, now: int, limit: int) -> list[OutboxItem]:
        """Pending items due by now, oldest first."""
        return await self._all(
            f"SELECT {_COLS} FROM outbox WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (now, limit),
            _item,
        )

    async def next_due_at(self) -> int | None:
        """When the next pending item falls due."""
        async with self.conn.execute("SELECT MIN(due_at) FROM outbox WHERE status = 'pending'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def get(self, item_id: int) -> OutboxItem | None:
        """One item."""
        return await self._one(f"SELECT {_COLS} FROM outbox WHERE id = ?", (item_id,), _item)

    async def mark_sending(self, item_ids: Iterable[int]) -> None:
        """Claim items just before sending them."""
        await self.conn.executemany(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
            [(i,) for i in item_ids],
        )

    async def finish(
        self, item_id: int, status: str, now: int, *, message_id: int | None = None, error: str | None = None
    ) -> None:
        """Record the outcome of a send."""
        await self.conn.execute(
            "UPDATE outbox SET status = ?, message_id = ?, error = ?, sent_at = ? WHERE id = ?",
            (status, message_id, error, now, item_id),
        )

    async def retry(self, item_id: int, *, chat_id: int | None = None, due_at: int | None = None) -> None:
        """Put an item back in the queue (after 429, a migration or a timeout)."""
        await self.conn.execute(
            "UPDATE outbox SET status = 'pending', chat_id = COALESCE(?, chat_id), due_at = COALESCE(?, due_at) "
            "WHERE id = ?",
            (chat_id, due_at, item_id),
        )

    async def interrupted(self) -> list[OutboxItem]:
        """Items left in 'sending' by a crash."""
        return await self._all(f"SELECT {_COLS} FROM outbox WHERE status = 'sending'", (), _item)

    async def drop_chat(self, chat_id: int) -> None:
        """Forget every message queued for or sent to a chat (a person who erased their data)."""
        await self.conn.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))

    async def drop_person(self, user_id: int) -> None:
        """Forget every unsent note about a person that was queued for a group (they are mentioned in it)."""
        await self.conn.execute(
            "DELETE FROM outbox WHERE status IN ('pending', 'sending') AND json_extract(payload, '$.user') = ?",
            (user_id,),
        )

    async def cancel(self, kind: str, ref_id: int) -> int:
        """Cancel every pending item of an entity."""
        cur = await self.conn.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE kind = ? AND ref_id = ? AND status = 'pending'",
            (kind, ref_id),
        )
        return cur.rowcount

    async def last_outcome(self, kind: str, ref_id: int, *, other_than: int) -> str | None:
        """The status of an entity's latest sent, failed or unknown item besides one (None: there is none)."""
        return await self._one(
            "SELECT status FROM outbox WHERE kind = ? AND ref_id = ? AND id <> ? "
            "AND status IN ('sent', 'failed', 'unknown') ORDER BY due_at DESC, id DESC LIMIT 1",
            (kind, ref_id, other_than),
            lambda r: str(r[0]),
        )

    async def counts(self, kind: str, ref_id: int) -> dict[str, int]:
        """How many items of an entity are in each status."""
        async with self.conn.execute(
            "SELECT status, COUNT(*) FROM outbox WHERE kind = ? AND ref_id = ? GROUP BY status", (kind, ref_id)
        ) as cur:
            return {str(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def failures(self, kind: str, ref_id: int) -> list[tuple[int, str, str]]:
        """(chat_id, status, error) of every failed or unknown item of an entity."""
        return await self._all(
            "SELECT chat_id, status, COALESCE(error, '') FROM outbox WHERE kind = ? AND ref_id = ? "
            "AND status IN ('failed', 'unknown') ORDER BY chat_id",
            (kind, ref_id),
            lambda r: (int(r[0]), str(r[1]), str(r[2])),
        )
