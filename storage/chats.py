"""Communities, courtyards and chats."""

from __future__ import annotations

from storage.repository import Repository, RowMapper
from storage.rows import Chat, Courtyard

CHAT_COLS = "chat_id, type, title, community_id, courtyard_id, scope, locale, active"
# The tables whose unique key includes a chat id: a migration that merges two chats resolves their
# clashes (ChatsRepository._merge_keyed_rows); tests/unit/test_chat_merge.py keeps this list complete.
MERGED_KEYS = frozenset({"chat_members", "dialogs", "live_messages", "meeting_chats"})


chat_row = RowMapper(Chat)
_courtyard = RowMapper(Courtyard)
_COURTYARD = "SELECT id, community_id, name FROM courtyards"


class ChatsRepository(Repository):
    """Rows of communities, courtyards and chats; never commits."""

    async def ensure_community(self, name: str, now: int) -> int:
        """Return the id of the community with this name, creating it if needed."""
        await self.conn.execute(
            "INSERT INTO communities(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, now)
        )
        return await self._int("SELECT id FROM communities WHERE name = ?", (name,))

    async def courtyard_by_name(self, community_id: int, name: str) -> Courtyard | None:
        """Find a courtyard by its exact name."""
        return await self._one(f"{_COURTYARD} WHERE community_id = ? AND name = ?", (community_id, name), _courtyard)

    async def courtyard(self, courtyard_id: int) -> Courtyard | None:
        """Find a courtyard by id."""
        return await self._one(f"{_COURTYARD} WHERE id = ?", (courtyard_id,), _courtyard)

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
        return await self._all(f"{_COURTYARD} WHERE community_id = ? ORDER BY name", (community_id,), _courtyard)

    async def get(self, chat_id: int) -> Chat | None:
        """Return one chat."""
        return await self._one(f"SELECT {CHAT_COLS} FROM chats WHERE chat_id = ?", (chat_id,), chat_row)

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
        return await self._all(
            f"SELECT {CHAT_COLS} FROM chats WHERE community_id = ? AND scope != 'none' ORDER BY chat_id",
            (community_id,),
            chat_row,
        )

    async def migrate(self, old_id: int, new_id: int, now: int) -> bool:
        """Merge a group into its new supergroup id, deleting nothing but duplicates; False if old is unknown."""
        if old_id == new_id or await self.get(old_id) is None:
            return False
        if await self.get(new_id) is None:
            # Nothing under the new id yet: ON UPDATE CASCADE carries every referencing row along.
            await self.conn.execute(
                "UPDATE chats SET chat_id = ?, type = 'supergroup', updated_at = ? WHERE chat_id = ?",
                (new_id, now, old_id),
            )
        else:
            # The supergroup was seen first (its own migration message, or people using it). Deleting
            # either chats row would cascade that chat's data away, so every row moves across first.
            await self._merge_keyed_rows(old_id, new_id)
            for table, column in await self._chat_references():
                # Tables not in MERGED_KEYS have no unique key with a chat id; should one get one
                # unnoticed, this raises and the whole merge rolls back rather than losing rows.
                await self.conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new_id, old_id))
            await self._merge_settings(old_id, new_id, now)
            await self.conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_id,))
        # These address chats and people alike, so they have no foreign key and move explicitly.
        await self.conn.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
        await self.conn.execute("UPDATE broadcasts SET report_chat = ? WHERE report_chat = ?", (new_id, old_id))
        return True

    async def _chat_references(self) -> list[tuple[str, str]]:
        """(table, column) of every column that references chats(chat_id), read from the schema."""
        return await self._all(
            'SELECT m.name, f."from" FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f '
            "WHERE m.type = 'table' AND f.\"table\" = 'chats' ORDER BY m.name, f.\"from\"",
            (),
            lambda r: (str(r[0]), str(r[1])),
        )

    async def _merge_keyed_rows(self, old_id: int, new_id: int) -> None:
        """Where both ids have a row for the same key, fold the old one into the new and drop it."""
        # The same person seen in both: one row, seen from the earlier first time to the later last time.
        await self.conn.execute(
            "UPDATE chat_members AS n SET first_seen = MIN(n.first_seen, o.first_seen), "
            "last_seen = MAX(n.last_seen, o.last_seen) "
            "FROM chat_members AS o WHERE n.chat_id = ? AND o.chat_id = ? AND o.user_id = n.user_id",
            (new_id, old_id),
        )
        await self.conn.execute(
            "DELETE FROM chat_members WHERE chat_id = ? "
            "AND user_id IN (SELECT user_id FROM chat_members WHERE chat_id = ?)",
            (old_id, new_id),
        )
        # A person's pending conversation in both: the one they touched last is the one they are in.
        await self.conn.execute(
            "DELETE FROM dialogs WHERE chat_id = ? AND user_id IN "
            "(SELECT n.user_id FROM dialogs AS n WHERE n.chat_id = ? AND n.updated_at >= dialogs.updated_at)",
            (old_id, new_id),
        )
        await self.conn.execute(
            "DELETE FROM dialogs WHERE chat_id = ? AND user_id IN (SELECT user_id FROM dialogs WHERE chat_id = ?)",
            (new_id, old_id),
        )
        # A message id is only unique within a chat: under the new id it names the supergroup's own
        # message, so on a clash that row is the one that can still be edited.
        await self.conn.execute(
            "DELETE FROM live_messages WHERE chat_id = ? "
            "AND message_id IN (SELECT message_id FROM live_messages WHERE chat_id = ?)",
            (old_id, new_id),
        )
        # A meeting announced in both is announced in the supergroup once.
        await self.conn.execute(
            "DELETE FROM meeting_chats WHERE chat_id = ? "
            "AND meeting_id IN (SELECT meeting_id FROM meeting_chats WHERE chat_id = ?)",
            (old_id, new_id),
        )

    async def _merge_settings(self, old_id: int, new_id: int, now: int) -> None:
        """The supergroup keeps a binding or language of its own; otherwise it takes the old group's."""
        await self.conn.execute(
            "UPDATE chats AS n SET type = 'supergroup', "
            "community_id = CASE WHEN n.scope != 'none' THEN n.community_id ELSE o.community_id END, "
            "courtyard_id = CASE WHEN n.scope != 'none' THEN n.courtyard_id ELSE o.courtyard_id END, "
            "scope = CASE WHEN n.scope != 'none' THEN n.scope ELSE o.scope END, "
            "locale = COALESCE(n.locale, o.locale), "
            "title = CASE WHEN n.title != '' THEN n.title ELSE o.title END, "
            "member_count = COALESCE(n.member_count, o.member_count), "
            "added_at = MIN(n.added_at, o.added_at), updated_at = ? "
            "FROM chats AS o WHERE n.chat_id = ? AND o.chat_id = ?",
            (now, new_id, old_id),
        )
