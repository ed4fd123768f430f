"""Communities, courtyards and chats."""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.rows import Chat, Courtyard

_CHAT_COLS = "chat_id, type, title, community_id, courtyard_id, scope, locale, active"


def _chat(row: sqlite3.Row) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        type=row["type"],
        title=row["title"],
        community_id=row["community_id"],
        courtyard_id=row["courtyard_id"],
        scope=row["scope"],
        locale=row["locale"],
        active=bool(row["active"]),
    )


class ChatsRepository:
    """Rows of communities, courtyards and chats; never commits."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def ensure_community(self, name: str, now: int) -> int:
        """Return the id of the community with this name, creating it if needed."""
        await self.conn.execute(
            "INSERT INTO communities(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, now)
        )
        async with self.conn.execute("SELECT id FROM communities WHERE name = ?", (name,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def courtyard_by_name(self, community_id: int, name: str) -> Courtyard | None:
        """Find a courtyard by its exact name."""
        async with self.conn.execute(
            "SELECT id, community_id, name FROM courtyards WHERE community_id = ? AND name = ?",
            (community_id, name),
        ) as cur:
            row = await cur.fetchone()
        return Courtyard(row["id"], row["community_id"], row["name"]) if row else None

    async def courtyard(self, courtyard_id: int) -> Courtyard | None:
        """Find a courtyard by id."""
        async with self.conn.execute(
            "SELECT id, community_id, name FROM courtyards WHERE id = ?", (courtyard_id,)
        ) as cur:
            row = await cur.fetchone()
        return Courtyard(row["id"], row["community_id"], row["name"]) if row else None

    async def create_courtyard(self, community_id: int, name: str, now: int) -> Courtyard:
        """Insert a courtyard (or return the existing one of that name)."""
        await self.conn.execute(
            "INSERT INTO courtyards(community_id, name, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(community_id, name) DO NOTHING",
            (community_id, name, now),
        )
        found = await self.courtyard_by_name(community_id, name)
        assert found is not None
        return found

    async def courtyards(self, community_id: int) -> list[Courtyard]:
        """All courtyards of a community, by name."""
        async with self.conn.execute(
            "SELECT id, community_id, name FROM courtyards WHERE community_id = ? ORDER BY name",
            (community_id,),
        ) as cur:
            return [Courtyard(r["id"], r["community_id"], r["name"]) for r in await cur.fetchall()]

    async def get(self, chat_id: int) -> Chat | None:
        """Return one chat."""
        async with self.conn.execute(f"SELECT {_CHAT_COLS} FROM chats WHERE chat_id = ?", (chat_id,)) as cur:
            row = await cur.fetchone()
        return _chat(row) if row else None

    async def upsert(self, chat_id: int, type_: str, title: str, now: int, *, active: bool | None = None) -> None:
        """Record a chat the bot has seen; keep its binding and settings."""
        await self.conn.execute(
            "INSERT INTO chats(chat_id, type, title, active, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(chat_id) DO UPDATE SET type = excluded.type, title = excluded.title, "
            "active = COALESCE(?, chats.active), updated_at = excluded.updated_at",
            (
                chat_id,
                type_,
                title,
                1 if active is None else int(active),
                now,
                now,
                None if active is None else int(active),
            ),
        )

    async def delete_private(self, user_id: int) -> None:
        """Delete a person's private chat; its reminders, queued messages and dialogs cascade."""
        await self.conn.execute("DELETE FROM chats WHERE chat_id = ? AND type = 'private'", (user_id,))

    async def set_active(self, chat_id: int, active: bool, now: int) -> None:
        """Mark a chat as reachable or not (bot removed, blocked)."""
        await self.conn.execute(
            "UPDATE chats SET active = ?, updated_at = ? WHERE chat_id = ?", (int(active), now, chat_id)
        )

    async def bind(self, chat_id: int, community_id: int, courtyard_id: int | None, now: int) -> None:
        """Bind a chat to a courtyard, or to the whole community when courtyard_id is None."""
        scope = "courtyard" if courtyard_id is not None else "community"
        await self.conn.execute(
            "UPDATE chats SET community_id = ?, courtyard_id = ?, scope = ?, updated_at = ? WHERE chat_id = ?",
            (community_id, courtyard_id, scope, now, chat_id),
        )

    async def unbind(self, chat_id: int, now: int) -> None:
        """Remove a chat's binding; its history stays."""
        await self.conn.execute(
            "UPDATE chats SET courtyard_id = NULL, scope = 'none', updated_at = ? WHERE chat_id = ?",
            (now, chat_id),
        )

    async def set_locale(self, chat_id: int, locale: str | None, now: int) -> None:
        """Set the language of group-visible messages."""
        await self.conn.execute("UPDATE chats SET locale = ?, updated_at = ? WHERE chat_id = ?", (locale, now, chat_id))

    async def bound_chats(self, community_id: int) -> list[Chat]:
        """All chats bound to a courtyard or the community."""
        async with self.conn.execute(
            f"SELECT {_CHAT_COLS} FROM chats WHERE community_id = ? AND scope != 'none' ORDER BY chat_id",
            (community_id,),
        ) as cur:
            return [_chat(r) for r in await cur.fetchall()]

    async def migrate(self, old_id: int, new_id: int, now: int) -> bool:
        """Move a chat and everything that references it to a new id; False if old is unknown."""
        old = await self.get(old_id)
        if old is None:
            return False
        new = await self.get(new_id)
        if new is not None:
            # The supergroup was seen before the migration message arrived; its stub
            # row holds nothing the old group does not, so the old row wins.
            await self.conn.execute("DELETE FROM chats WHERE chat_id = ?", (new_id,))
        # ON UPDATE CASCADE carries every referencing row along.
        await self.conn.execute(
            "UPDATE chats SET chat_id = ?, type = 'supergroup', updated_at = ? WHERE chat_id = ?",
            (new_id, now, old_id),
        )
        # The outbox has no foreign key (it also addresses people), so it moves explicitly.
        await self.conn.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
        return True
