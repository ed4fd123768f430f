"""The review committee's history and join requests (members themselves are roles rows); never commits."""

from __future__ import annotations

from dataclasses import dataclass

from storage.repository import Repository, RowMapper


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    position: str
    joined_at: int


@dataclass(frozen=True)
class HistoryEntry:
    user_id: int
    name: str
    event: str
    position: str | None
    at: int


@dataclass(frozen=True)
class JoinRequest:
    id: int
    user_id: int
    name: str
    chat_id: int | None
    status: str
    created_at: int


_member = RowMapper(Member)
_history = RowMapper(HistoryEntry)
_request = RowMapper(JoinRequest)


class CommitteeRepository(Repository):
    """Rows of committee_history and committee_requests, and the committee's roles rows."""

    async def members(self) -> list[Member]:
        """Everyone on the committee: chair, vice chair, then members, each by the date they joined."""
        return await self._all(
            "SELECT r.user_id, u.display_name AS name, COALESCE(r.position, 'member') AS position, "
            "r.granted_at AS joined_at FROM roles r JOIN users u ON u.user_id = r.user_id "
            "WHERE r.role = 'committee' AND r.scope_id = 0 "
            "ORDER BY CASE r.position WHEN 'chair' THEN 0 WHEN 'vice_chair' THEN 1 ELSE 2 END, r.granted_at, r.user_id",
            (),
            _member,
        )

    async def set_position(self, user_id: int, position: str, by: int, now: int) -> str | None:
        """Put a person on the committee in a position; return their previous position (None: new)."""
        async with self.conn.execute(
            "SELECT COALESCE(position, 'member') FROM roles WHERE user_id = ? AND role = 'committee' AND scope_id = 0",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            await self.conn.execute(
                "INSERT INTO roles(user_id, role, scope_id, position, granted_by, granted_at) "
                "VALUES (?, 'committee', 0, ?, ?, ?)",
                (user_id, position, by, now),
            )
            await self._log(user_id, "joined", position, by, now)
            return None
        if row[0] != position:
            await self.conn.execute(
                "UPDATE roles SET position = ? WHERE user_id = ? AND role = 'committee' AND scope_id = 0",
                (position, user_id),
            )
            await self._log(user_id, "position", position, by, now)
        return str(row[0])

    async def holder_of(self, position: str) -> int | None:
        """Who holds a position (chair, vice chair), if anyone."""
        async with self.conn.execute(
            "SELECT user_id FROM roles WHERE role = 'committee' AND scope_id = 0 AND position = ?", (position,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def remove(self, user_id: int, by: int, now: int) -> bool:
        """Take a person off the committee; False if they were not on it."""
        cur = await self.conn.execute(
            "DELETE FROM roles WHERE user_id = ? AND role = 'committee' AND scope_id = 0", (user_id,)
        )
        if cur.rowcount > 0:
            await self._log(user_id, "left", None, by, now)
            return True
        return False

    async def _log(self, user_id: int, event: str, position: str | None, by: int, now: int) -> None:
        await self.conn.execute(
            "INSERT INTO committee_history(user_id, event, position, by_user, at) VALUES (?, ?, ?, ?, ?)",
            (user_id, event, position, by, now),
        )

    async def history(self) -> list[HistoryEntry]:
        """Every join, change of position and leave, oldest first."""
        return await self._all(
            "SELECT h.user_id, u.display_name AS name, h.event, h.position, h.at FROM committee_history h "
            "JOIN users u ON u.user_id = h.user_id ORDER BY h.at, h.id",
            (),
            _history,
        )

    async def request(self, user_id: int, chat_id: int | None, now: int) -> int | None:
        """File a join request; None when one is already pending."""
        cur = await self.conn.execute(
            "INSERT INTO committee_requests(user_id, chat_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(user_id) WHERE status = 'pending' DO NOTHING",
            (user_id, chat_id, now),
        )
        return int(cur.lastrowid) if cur.rowcount > 0 and cur.lastrowid else None

    async def get_request(self, request_id: int) -> JoinRequest | None:
        """One join request."""
        return await self._one(
            "SELECT q.id, q.user_id, u.display_name AS name, q.chat_id, q.status, q.created_at "
            "FROM committee_requests q JOIN users u ON u.user_id = q.user_id WHERE q.id = ?",
            (request_id,),
            _request,
        )

    async def decide(self, request_id: int, status: str, by: int, now: int) -> bool:
        """Approve or decline a pending request; False if it was decided already."""
        cur = await self.conn.execute(
            "UPDATE committee_requests SET status = ?, decided_by = ?, decided_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (status, by, now, request_id),
        )
        return cur.rowcount > 0

    async def home_courtyards(self, user_id: int) -> set[int]:
        """The courtyards whose bound groups the person was seen in (where they are "from")."""
        async with self.conn.execute(
            "SELECT DISTINCT c.courtyard_id FROM chat_members m JOIN chats c ON c.chat_id = m.chat_id "
            "WHERE m.user_id = ? AND c.courtyard_id IS NOT NULL",
            (user_id,),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}
