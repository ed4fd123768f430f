"""People, their chat memberships, roles and pending dialogs."""

from __future__ import annotations

import asyncio

import aiosqlite

from storage.repository import Repository, RowMapper
from storage.rows import Dialog, Role, User

DAY_S = 86_400
_ROLES = "SELECT user_id, role, scope_id, position FROM roles"
_role = RowMapper(Role)
_user = RowMapper(User)
_dialog = RowMapper(Dialog)


def _day(now: int) -> int:
    # People's first and last sightings are kept to the day: a time to the second, written by the
    # same press as an anonymous ballot, would tell whose ballot it is.
    return now - now % DAY_S


async def truncate_wal(conn: aiosqlite.Connection, attempts: int = 20) -> bool:
    """Copy the write-ahead log into the database and empty it (after /forget); False if readers kept it busy."""
    for _ in range(attempts):
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and int(row[0]) == 0:
            return True
        await asyncio.sleep(0.05)
    return False


class UsersRepository(Repository):
    """Rows of users and chat_members; never commits."""

    async def touch(self, user_id: int, display_name: str, language_code: str | None, now: int) -> None:
        """Record that a person was seen; keep their chosen locale."""
        await self.conn.execute(
            "INSERT INTO users(user_id, display_name, language_code, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET display_name = excluded.display_name, "
            "language_code = excluded.language_code, last_seen = excluded.last_seen",
            (user_id, display_name, language_code, _day(now), _day(now)),
        )

    async def ensure(self, user_id: int, display_name: str, now: int) -> None:
        """Make sure a person has a row (someone named or acting before the bot saw them), leaving an existing one."""
        await self.conn.execute(
            "INSERT INTO users(user_id, display_name, first_seen, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO NOTHING",
            (user_id, display_name, _day(now), _day(now)),
        )

    async def touch_member(self, chat_id: int, user_id: int, now: int) -> None:
        """Record that a person took part in a chat."""
        await self.conn.execute(
            "INSERT INTO chat_members(chat_id, user_id, first_seen, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(chat_id, user_id) DO UPDATE SET last_seen = excluded.last_seen",
            (chat_id, user_id, _day(now), _day(now)),
        )

    async def get(self, user_id: int) -> User | None:
        """Return one person."""
        return await self._one(
            "SELECT user_id, display_name, locale, language_code, private_chat FROM users WHERE user_id = ?",
            (user_id,),
            _user,
        )

    async def set_locale(self, user_id: int, locale: str | None) -> None:
        """Set the language of the person's private messages."""
        await self.conn.execute("UPDATE users SET locale = ? WHERE user_id = ?", (locale, user_id))

    async def set_private_chat(self, user_id: int, reachable: bool) -> None:
        """Remember whether the bot can write to the person privately."""
        await self.conn.execute("UPDATE users SET private_chat = ? WHERE user_id = ?", (int(reachable), user_id))

    async def delete(self, user_id: int) -> int:
        """Delete the person; ON DELETE CASCADE removes their rows elsewhere."""
        cur = await self.conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        return cur.rowcount

    async def count_rows_for(self, user_id: int) -> int:
        """Count this person's rows in the foundation tables (for checks and tests)."""
        total = 0
        for table in ("users", "chat_members", "roles", "dialogs"):
            total += await self._int(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (user_id,))
        return total


class RolesRepository(Repository):
    """Rows of roles; never commits."""

    async def grant(
        self, user_id: int, role: str, scope_id: int, granted_by: int, now: int, position: str | None = None
    ) -> bool:
        """Grant a role; False if the person already had it."""
        cur = await self.conn.execute(
            "INSERT INTO roles(user_id, role, scope_id, position, granted_by, granted_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(user_id, role, scope_id) DO NOTHING",
            (user_id, role, scope_id, position, granted_by, now),
        )
        return cur.rowcount > 0

    async def revoke(self, user_id: int, role: str, scope_id: int) -> bool:
        """Revoke a role; False if the person did not have it."""
        cur = await self.conn.execute(
            "DELETE FROM roles WHERE user_id = ? AND role = ? AND scope_id = ?", (user_id, role, scope_id)
        )
        return cur.rowcount > 0

    async def every(self) -> list[Role]:
        """Every role of everyone (a small table: staff and backbone volunteers)."""
        return await self._all(_ROLES, (), _role)

    async def holders(self, role: str, scope_id: int) -> list[Role]:
        """Everyone holding a role in a scope, earliest granted first."""
        return await self._all(
            f"{_ROLES} WHERE role = ? AND scope_id = ? ORDER BY granted_at, user_id", (role, scope_id), _role
        )

    async def get(self, user_id: int, role: str, scope_id: int) -> Role | None:
        """One person's role in a scope, if they hold it."""
        return await self._one(
            f"{_ROLES} WHERE user_id = ? AND role = ? AND scope_id = ?", (user_id, role, scope_id), _role
        )


class DialogsRepository(Repository):
    """Rows of dialogs (a conversation waiting for the person's next message); never commits."""

    async def put(self, user_id: int, chat_id: int, kind: str, state: str, now: int) -> None:
        """Start or advance a dialog."""
        await self.conn.execute(
            "INSERT INTO dialogs(user_id, chat_id, kind, state, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(user_id, chat_id) DO UPDATE SET kind = excluded.kind, state = excluded.state, "
            "updated_at = excluded.updated_at",
            (user_id, chat_id, kind, state, now),
        )

    async def get(self, user_id: int, chat_id: int) -> Dialog | None:
        """Return the pending dialog of a person in a chat."""
        return await self._one(
            "SELECT user_id, chat_id, kind, state FROM dialogs WHERE user_id = ? AND chat_id = ?",
            (user_id, chat_id),
            _dialog,
        )

    async def clear(self, user_id: int, chat_id: int) -> None:
        """End a dialog."""
        await self.conn.execute("DELETE FROM dialogs WHERE user_id = ? AND chat_id = ?", (user_id, chat_id))

    async def take(self, user_id: int, chat_id: int, kind: str) -> bool:
        """End a dialog of this kind; False if there was none (already taken by a double tap or a redelivery)."""
        cur = await self.conn.execute(
            "DELETE FROM dialogs WHERE user_id = ? AND chat_id = ? AND kind = ?", (user_id, chat_id, kind)
        )
        return cur.rowcount > 0
