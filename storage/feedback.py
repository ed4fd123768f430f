"""Feedback items (集中反馈), their followers and status notes; never commits, no rules."""

from __future__ import annotations

from dataclasses import dataclass

from storage.repository import Repository, RowMapper

OPEN = ("new", "acknowledged", "in_progress")
_COLS = (
    "f.id, f.community_id, f.courtyard_id, y.name AS courtyard_name, f.number, f.group_chat_id, f.reporter_id, "
    "COALESCE(f.recorded_name, u.display_name, '') AS reporter_name, f.recorded_by, f.category, f.body, "
    "f.norm_body, f.photo_file_id, f.anonymous, f.status, f.assignee_id, a.display_name AS assignee_name, "
    "f.merged_into, f.due_at, f.created_at, f.acknowledged_at, f.resolved_at, f.reopened"
)
_FROM = (
    "FROM feedback f JOIN courtyards y ON y.id = f.courtyard_id "
    "LEFT JOIN users u ON u.user_id = f.reporter_id LEFT JOIN users a ON a.user_id = f.assignee_id"
)


@dataclass(frozen=True)
class Feedback:
    id: int
    community_id: int
    courtyard_id: int
    courtyard_name: str
    number: int
    group_chat_id: int | None
    reporter_id: int | None
    reporter_name: str
    recorded_by: int | None
    category: str
    body: str
    norm_body: str
    photo_file_id: str | None
    anonymous: bool
    status: str
    assignee_id: int | None
    assignee_name: str | None
    merged_into: int | None
    due_at: int
    created_at: int
    acknowledged_at: int | None
    resolved_at: int | None
    reopened: int


@dataclass(frozen=True)
class FeedbackNote:
    id: int
    feedback_id: int
    actor_id: int | None
    what: str
    status: str
    body: str
    created_at: int


_item = RowMapper(Feedback, anonymous=bool)
_note = RowMapper(FeedbackNote)


class FeedbackRepository(Repository):
    """Rows of feedback, feedback_followers and feedback_notes."""

    async def next_number(self, community_id: int) -> int:
        """Take the next feedback number of the community (never reused)."""
        await self.conn.execute(
            "INSERT INTO feedback_counters(community_id, last_number) VALUES (?, 1) "
            "ON CONFLICT(community_id) DO UPDATE SET last_number = last_number + 1",
            (community_id,),
        )
        return await self._int("SELECT last_number FROM feedback_counters WHERE community_id = ?", (community_id,))

    async def add(
        self,
        *,
        community_id: int,
        courtyard_id: int,
        number: int,
        group_chat_id: int | None,
        reporter_id: int | None,
        recorded_by: int | None,
        recorded_name: str | None,
        category: str,
        body: str,
        norm_body: str,
        photo_file_id: str | None,
        anonymous: bool,
        due_at: int,
        now: int,
    ) -> int:
        """Insert an item."""
        return await self._insert(
            "INSERT INTO feedback(community_id, courtyard_id, number, group_chat_id, reporter_id, recorded_by, "
            "recorded_name, category, body, norm_body, photo_file_id, anonymous, due_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                community_id,
                courtyard_id,
                number,
                group_chat_id,
                reporter_id,
                recorded_by,
                recorded_name,
                category,
                body,
                norm_body,
                photo_file_id,
                int(anonymous),
                due_at,
                now,
            ),
        )

    async def get(self, item_id: int) -> Feedback | None:
        """One item."""
        return await self._one(f"SELECT {_COLS} {_FROM} WHERE f.id = ?", (item_id,), _item)

    async def by_number(self, community_id: int, number: int) -> Feedback | None:
        """An item by its number."""
        return await self._one(
            f"SELECT {_COLS} {_FROM} WHERE f.community_id = ? AND f.number = ?", (community_id, number), _item
        )

    async def open_in_courtyard(self, courtyard_id: int, limit: int = 200) -> list[Feedback]:
        """Open items of a courtyard, newest first (for the "already reported?" check)."""
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE f.courtyard_id = ? AND f.status IN ('new', 'acknowledged', 'in_progress') "
            "ORDER BY f.id DESC LIMIT ?",
            (courtyard_id, limit),
            _item,
        )

    async def counts(self, community_id: int, courtyards: tuple[int, ...] | None) -> dict[str, int]:
        """Items per status (of some courtyards, or of the whole community)."""
        where, params = _scope(community_id, courtyards)
        async with self.conn.execute(
            f"SELECT f.status, COUNT(*) FROM feedback f WHERE {where} GROUP BY f.status", params
        ) as cur:
            return {str(s): int(n) for s, n in await cur.fetchall()}

    async def overdue_count(self, community_id: int, courtyards: tuple[int, ...] | None, now: int) -> int:
        """Open items past their target time."""
        where, params = _scope(community_id, courtyards)
        return await self._int(
            f"SELECT COUNT(*) FROM feedback f WHERE {where} AND f.status IN ('new', 'acknowledged', 'in_progress') "
            "AND f.due_at < ?",
            (*params, now),
        )

    async def page(
        self,
        community_id: int,
        courtyards: tuple[int, ...] | None,
        statuses: tuple[str, ...],
        *,
        category: str | None = None,
        assignee_id: int | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Feedback]:
        """A page of items in the statuses, earliest target first (overdue items come first)."""
        where, params = _scope(community_id, courtyards)
        marks = ",".join("?" * len(statuses))
        extra, more = "", list[str | int]()
        if category is not None:
            extra += " AND f.category = ?"
            more.append(category)
        if assignee_id is not None:
            extra += " AND f.assignee_id = ?"
            more.append(assignee_id)
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE {where} AND f.status IN ({marks}){extra} ORDER BY f.due_at, f.id "
            "LIMIT ? OFFSET ?",
            (*params, *statuses, *more, limit, offset),
            _item,
        )

    async def of_person(self, user_id: int, limit: int = 20) -> list[Feedback]:
        """Items a person reported or follows, newest first."""
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE f.reporter_id = ? OR f.id IN "
            "(SELECT feedback_id FROM feedback_followers WHERE user_id = ?) ORDER BY f.id DESC LIMIT ?",
            (user_id, user_id, limit),
            _item,
        )

    async def follow(self, item_id: int, user_id: int, now: int) -> bool:
        """Follow an item; False if already following."""
        cur = await self.conn.execute(
            "INSERT INTO feedback_followers(feedback_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (item_id, user_id, now),
        )
        return cur.rowcount > 0

    async def followers(self, item_id: int) -> list[int]:
        """Who follows an item."""
        async with self.conn.execute(
            "SELECT user_id FROM feedback_followers WHERE feedback_id = ? ORDER BY created_at, user_id", (item_id,)
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def follower_count(self, item_id: int) -> int:
        """How many follow an item."""
        return await self._int("SELECT COUNT(*) FROM feedback_followers WHERE feedback_id = ?", (item_id,))

    async def move_followers(self, source_id: int, target_id: int, extra: list[int], now: int) -> None:
        """The followers of a merged item (and its reporter) follow the target."""
        await self.conn.execute(
            "INSERT INTO feedback_followers(feedback_id, user_id, created_at) "
            "SELECT ?, user_id, ? FROM feedback_followers WHERE feedback_id = ? ON CONFLICT DO NOTHING",
            (target_id, now, source_id),
        )
        for user_id in extra:
            await self.follow(target_id, user_id, now)

    async def set_status(self, item_id: int, status: str, now: int, *, reopen: bool = False) -> None:
        """Change the status; the first acknowledgement and the resolution keep their time."""
        await self.conn.execute(
            "UPDATE feedback SET status = ?, "
            "acknowledged_at = CASE WHEN ? != 'new' THEN COALESCE(acknowledged_at, ?) ELSE acknowledged_at END, "
            "resolved_at = CASE WHEN ? = 'resolved' THEN ? WHEN ? THEN NULL ELSE resolved_at END, "
            "reopened = reopened + ? WHERE id = ?",
            (status, status, now, status, now, int(reopen), int(reopen), item_id),
        )

    async def set_assignee(self, item_id: int, assignee_id: int | None) -> None:
        """Name who is responsible."""
        await self.conn.execute("UPDATE feedback SET assignee_id = ? WHERE id = ?", (assignee_id, item_id))

    async def set_merged(self, item_id: int, target_id: int) -> None:
        """Mark an item as merged into another."""
        await self.conn.execute(
            "UPDATE feedback SET status = 'merged', merged_into = ? WHERE id = ?", (target_id, item_id)
        )

    async def set_anonymous(self, item_id: int) -> None:
        """Hide the reporter's name from groups and residents."""
        await self.conn.execute("UPDATE feedback SET anonymous = 1 WHERE id = ?", (item_id,))

    async def set_photo(self, item_id: int, file_id: str) -> None:
        """Attach a photo."""
        await self.conn.execute("UPDATE feedback SET photo_file_id = ? WHERE id = ?", (file_id, item_id))

    async def add_note(self, item_id: int, actor_id: int | None, what: str, status: str, body: str, now: int) -> int:
        """Write a status note."""
        return await self._insert(
            "INSERT INTO feedback_notes(feedback_id, actor_id, what, status, body, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, actor_id, what, status, body, now),
        )

    async def note(self, note_id: int) -> FeedbackNote | None:
        """One status note."""
        return await self._one(
            "SELECT id, feedback_id, actor_id, what, status, body, created_at FROM feedback_notes WHERE id = ?",
            (note_id,),
            _note,
        )

    async def latest_note(self, item_id: int) -> FeedbackNote | None:
        """The newest status note of an item."""
        return await self._one(
            "SELECT id, feedback_id, actor_id, what, status, body, created_at FROM feedback_notes "
            "WHERE feedback_id = ? ORDER BY id DESC LIMIT 1",
            (item_id,),
            _note,
        )

    async def overdue(self, now: int, *, since: int, limit: int = 500) -> list[Feedback]:
        """Open items whose target time passed between since and now (for the nudge sweep)."""
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE f.status IN ('new', 'acknowledged', 'in_progress') "
            "AND f.due_at < ? AND f.due_at >= ? ORDER BY f.due_at LIMIT ?",
            (now, since, limit),
            _item,
        )

    async def resolved_before(self, before: int, *, since: int, limit: int = 500) -> list[Feedback]:
        """Items resolved between since and before (their 解决了吗？ is due)."""
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE f.status = 'resolved' AND f.resolved_at <= ? AND f.resolved_at >= ? "
            "ORDER BY f.resolved_at LIMIT ?",
            (before, since, limit),
            _item,
        )

    async def home_courtyard(self, user_id: int, community_id: int) -> int | None:
        """The courtyard whose group the person was last seen in."""
        async with self.conn.execute(
            "SELECT c.courtyard_id FROM chat_members m JOIN chats c ON c.chat_id = m.chat_id "
            "WHERE m.user_id = ? AND c.community_id = ? AND c.courtyard_id IS NOT NULL "
            "ORDER BY m.last_seen DESC LIMIT 1",
            (user_id, community_id),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None else None

    async def courtyard_group(self, courtyard_id: int) -> int | None:
        """A courtyard's active group chat."""
        async with self.conn.execute(
            "SELECT chat_id FROM chats WHERE courtyard_id = ? AND active = 1 AND type != 'private' "
            "ORDER BY chat_id LIMIT 1",
            (courtyard_id,),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None else None

    async def forget_reporter(self, user_id: int) -> None:
        """/forget: delete the person's reports nobody follows; the others lose their reporter."""
        await self.conn.execute(
            "UPDATE feedback SET merged_into = NULL WHERE merged_into IN (SELECT id FROM feedback f WHERE "
            "f.reporter_id = ? AND NOT EXISTS (SELECT 1 FROM feedback_followers w WHERE w.feedback_id = f.id))",
            (user_id,),
        )
        await self.conn.execute(
            "DELETE FROM feedback WHERE reporter_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM feedback_followers w WHERE w.feedback_id = feedback.id AND w.user_id != ?)",
            (user_id, user_id),
        )


def _scope(community_id: int, courtyards: tuple[int, ...] | None) -> tuple[str, tuple[int, ...]]:
    if courtyards is None:
        return "f.community_id = ?", (community_id,)
    marks = ",".join("?" * len(courtyards)) or "NULL"
    return f"f.community_id = ? AND f.courtyard_id IN ({marks})", (community_id, *courtyards)
