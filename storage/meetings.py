"""Meetings, their target chats, answers, check-ins and tasks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from storage.repository import Repository, RowMapper

_COLS = (
    "id, kind, title, place, agenda, starts_at, capacity, target_all, offsets, only_undecided, checkin_code, "
    "status, organiser_id, origin_chat, decisions, minutes_at, updated_at"
)
_TASK_COLS = "t.id, t.meeting_id, t.text, t.owner_id, u.display_name AS owner_name, t.due_at, t.done_at"


@dataclass(frozen=True, kw_only=True)
class MeetingPlan:
    """What a new meeting and a stored one have in common."""

    kind: str
    title: str
    place: str
    agenda: str
    starts_at: int
    capacity: int | None
    target_all: bool
    offsets: tuple[int, ...]
    only_undecided: bool
    checkin_code: str


@dataclass(frozen=True, kw_only=True)
class MeetingRow(MeetingPlan):
    id: int
    status: str
    organiser_id: int | None
    origin_chat: int | None
    decisions: str | None
    minutes_at: int | None
    updated_at: int


@dataclass(frozen=True, kw_only=True)
class NewMeeting(MeetingPlan):
    community_id: int
    organiser_id: int
    origin_chat: int


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    private_chat: bool


@dataclass(frozen=True)
class TaskRow:
    id: int
    meeting_id: int
    text: str
    owner_id: int | None
    owner_name: str | None
    due_at: int
    done_at: int | None


def _offsets(stored: str) -> tuple[int, ...]:
    return tuple(int(x) for x in json.loads(stored))


_meeting = RowMapper(MeetingRow, offsets=_offsets)
_task = RowMapper(TaskRow)


def _person(row: sqlite3.Row) -> Person:
    return Person(int(row[0]), str(row[1]), bool(row[2]))


class MeetingsRepository(Repository):
    """Rows of meetings and everything hanging off them; never commits."""

    # -- meetings -----------------------------------------------------------------
    async def add(self, new: NewMeeting, now: int) -> int:
        """Insert a meeting and return its id."""
        return await self._insert(
            "INSERT INTO meetings(community_id, kind, title, place, agenda, starts_at, capacity, target_all, offsets, "
            "only_undecided, checkin_code, organiser_id, origin_chat, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new.community_id,
                new.kind,
                new.title,
                new.place,
                new.agenda,
                new.starts_at,
                new.capacity,
                int(new.target_all),
                json.dumps(list(new.offsets)),
                int(new.only_undecided),
                new.checkin_code,
                new.organiser_id,
                new.origin_chat,
                now,
                now,
            ),
        )

    async def add_chats(self, meeting_id: int, chat_ids: Iterable[int]) -> None:
        """Record where the meeting is announced."""
        await self.conn.executemany(
            "INSERT OR IGNORE INTO meeting_chats(meeting_id, chat_id) VALUES (?, ?)",
            [(meeting_id, c) for c in chat_ids],
        )

    async def get(self, meeting_id: int) -> MeetingRow | None:
        """One meeting."""
        return await self._one(f"SELECT {_COLS} FROM meetings WHERE id = ?", (meeting_id,), _meeting)

    async def chats(self, meeting_id: int) -> list[int]:
        """The chats a meeting is announced in."""
        return await self._all(
            "SELECT chat_id FROM meeting_chats WHERE meeting_id = ? ORDER BY chat_id",
            (meeting_id,),
            lambda r: int(r[0]),
        )

    async def courtyard_names(self, meeting_id: int) -> list[str]:
        """Names of the courtyards whose chats get the meeting."""
        return await self._all(
            "SELECT DISTINCT y.name FROM meeting_chats mc JOIN chats c ON c.chat_id = mc.chat_id "
            "JOIN courtyards y ON y.id = c.courtyard_id WHERE mc.meeting_id = ? ORDER BY y.name",
            (meeting_id,),
            lambda r: str(r[0]),
        )

    async def upcoming(self, community_id: int, since: int, limit: int, chat_id: int | None = None) -> list[MeetingRow]:
        """Scheduled meetings starting after `since`, soonest first (only those announced in chat_id if given)."""
        sql = f"SELECT {_COLS} FROM meetings WHERE community_id = ? AND status = 'scheduled' AND starts_at >= ?"
        params: list[object] = [community_id, since]
        if chat_id is not None:
            sql += " AND id IN (SELECT meeting_id FROM meeting_chats WHERE chat_id = ?)"
            params.append(chat_id)
        return await self._all(sql + " ORDER BY starts_at, id LIMIT ?", [*params, limit], _meeting)

    async def recent_started(
        self, community_id: int, since: int, now: int, organiser_id: int | None
    ) -> list[MeetingRow]:
        """Meetings that began between since and now, latest first (only one organiser's if given)."""
        sql = (
            f"SELECT {_COLS} FROM meetings WHERE community_id = ? AND status = 'scheduled' "
            "AND starts_at BETWEEN ? AND ?"
        )
        params: list[object] = [community_id, since, now]
        if organiser_id is not None:
            sql += " AND organiser_id = ?"
            params.append(organiser_id)
        return await self._all(sql + " ORDER BY starts_at DESC, id DESC LIMIT 10", params, _meeting)

    async def answered_upcoming(self, user_id: int, since: int, limit: int) -> list[tuple[MeetingRow, str]]:
        """Scheduled meetings starting after `since` that the person said yes or maybe to."""
        cols = ", ".join(f"m.{c.strip()}" for c in _COLS.split(","))
        return await self._all(
            f"SELECT {cols}, r.answer AS answer FROM meetings m JOIN meeting_rsvps r ON r.meeting_id = m.id "
            "WHERE r.user_id = ? AND r.answer IN ('yes', 'maybe') AND m.status = 'scheduled' AND m.starts_at >= ? "
            "ORDER BY m.starts_at, m.id LIMIT ?",
            (user_id, since, limit),
            lambda r: (_meeting(r), str(r["answer"])),
        )

    async def code_taken(self, code: str, low: int, high: int) -> bool:
        """Whether a scheduled meeting starting between low and high already uses this code."""
        return await self._exists(
            "SELECT 1 FROM meetings WHERE checkin_code = ? AND status = 'scheduled' AND starts_at BETWEEN ? AND ?",
            (code, low, high),
        )

    async def by_code(self, community_id: int, code: str, low: int, high: int) -> MeetingRow | None:
        """The scheduled meeting with this code starting between low and high."""
        return await self._one(
            f"SELECT {_COLS} FROM meetings WHERE community_id = ? AND checkin_code = ? AND status = 'scheduled' "
            "AND starts_at BETWEEN ? AND ? ORDER BY starts_at DESC LIMIT 1",
            (community_id, code, low, high),
            _meeting,
        )

    async def cancel(self, meeting_id: int, now: int) -> bool:
        """Mark a meeting cancelled; False if it already was."""
        cur = await self.conn.execute(
            "UPDATE meetings SET status = 'cancelled', updated_at = ? WHERE id = ? AND status = 'scheduled'",
            (now, meeting_id),
        )
        return cur.rowcount > 0

    async def move(self, meeting_id: int, starts_at: int, now: int) -> None:
        """Set a new start time."""
        await self.conn.execute(
            "UPDATE meetings SET starts_at = ?, updated_at = ? WHERE id = ?", (starts_at, now, meeting_id)
        )

    async def set_decisions(self, meeting_id: int, decisions: str, now: int) -> None:
        """Store the decisions of the minutes."""
        await self.conn.execute(
            "UPDATE meetings SET decisions = ?, minutes_at = ?, updated_at = ? WHERE id = ?",
            (decisions, now, now, meeting_id),
        )

    # -- answers ------------------------------------------------------------------
    async def answer_of(self, meeting_id: int, user_id: int) -> str | None:
        """A person's answer, if any."""
        return await self._one(
            "SELECT answer FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
            lambda row: str(row[0]),
        )

    async def answer_and_press(self, meeting_id: int, user_id: int) -> tuple[str, int] | None:
        """A person's answer and the update id of the press it came from, if any."""
        return await self._one(
            "SELECT answer, pressed FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?",
            (meeting_id, user_id),
            lambda row: (str(row[0]), int(row[1])),
        )

    async def answer(self, meeting_id: int, user_id: int, answer: str, now: int, pressed: int) -> None:
        """Upsert an answer; a new "yes" goes to the back of the queue, a repeated one keeps its place."""
        await self.conn.execute(
            "INSERT INTO meeting_rsvps(meeting_id, user_id, answer, seq, updated_at, pressed) "
            "VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM meeting_rsvps WHERE meeting_id = ?1), ?4, ?5) "
            "ON CONFLICT(meeting_id, user_id) DO UPDATE SET "
            "seq = CASE WHEN meeting_rsvps.answer = 'yes' AND excluded.answer = 'yes' THEN meeting_rsvps.seq "
            "ELSE excluded.seq END, answer = excluded.answer, updated_at = excluded.updated_at, "
            "pressed = MAX(meeting_rsvps.pressed, excluded.pressed)",
            (meeting_id, user_id, answer, now, pressed),
        )

    async def remove_answer(self, meeting_id: int, user_id: int) -> None:
        """Delete a person's answer (before the cascade, so the waitlist can be recomputed)."""
        await self.conn.execute("DELETE FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?", (meeting_id, user_id))

    async def counts(self, meeting_id: int) -> dict[str, int]:
        """How many people gave each answer."""
        async with self.conn.execute(
            "SELECT answer, COUNT(*) FROM meeting_rsvps WHERE meeting_id = ? GROUP BY answer", (meeting_id,)
        ) as cur:
            return {str(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def yes_queue(self, meeting_id: int) -> list[Person]:
        """Everyone who said yes, in the order they said it."""
        return await self._all(
            "SELECT r.user_id, u.display_name, u.private_chat FROM meeting_rsvps r JOIN users u USING (user_id) "
            "WHERE r.meeting_id = ? AND r.answer = 'yes' ORDER BY r.seq",
            (meeting_id,),
            _person,
        )

    async def non_responders(self, meeting_id: int, chat_id: int) -> list[Person]:
        """Members of a chat known to the bot who have not answered."""
        return await self._all(
            "SELECT u.user_id, u.display_name, u.private_chat FROM chat_members m JOIN users u USING (user_id) "
            "WHERE m.chat_id = ? AND u.user_id NOT IN (SELECT user_id FROM meeting_rsvps WHERE meeting_id = ?) "
            "ORDER BY m.first_seen, u.user_id",
            (chat_id, meeting_id),
            _person,
        )

    async def yes_meetings(self, user_id: int) -> list[int]:
        """Meetings with a capacity where the person said yes (for /forget promotions)."""
        return await self._all(
            "SELECT r.meeting_id FROM meeting_rsvps r JOIN meetings m ON m.id = r.meeting_id "
            "WHERE r.user_id = ? AND r.answer = 'yes' AND m.capacity IS NOT NULL AND m.status = 'scheduled'",
            (user_id,),
            lambda r: int(r[0]),
        )

    # -- check-in -----------------------------------------------------------------
    async def check_in(self, meeting_id: int, user_id: int, via: str, now: int) -> bool:
        """Record attendance; False if the person had already checked in."""
        cur = await self.conn.execute(
            "INSERT INTO meeting_checkins(meeting_id, user_id, via, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(meeting_id, user_id) DO NOTHING",
            (meeting_id, user_id, via, now),
        )
        return cur.rowcount > 0

    async def wrong_codes(self, user_id: int, since: int) -> int:
        """How many wrong check-in codes a person tried since a moment."""
        return await self._int("SELECT COUNT(*) FROM checkin_attempts WHERE user_id = ? AND at >= ?", (user_id, since))

    async def wrong_code(self, user_id: int, now: int, since: int) -> None:
        """Count one wrong code, dropping the person's tries from before the window."""
        await self.conn.execute("DELETE FROM checkin_attempts WHERE user_id = ? AND at < ?", (user_id, since))
        await self.conn.execute("INSERT INTO checkin_attempts(user_id, at) VALUES (?, ?)", (user_id, now))

    async def checkin_count(self, meeting_id: int) -> int:
        """How many people checked in."""
        return await self._int("SELECT COUNT(*) FROM meeting_checkins WHERE meeting_id = ?", (meeting_id,))

    async def attendees(self, meeting_id: int) -> list[str]:
        """Names of those who checked in, in order."""
        return await self._all(
            "SELECT u.display_name FROM meeting_checkins c JOIN users u USING (user_id) "
            "WHERE c.meeting_id = ? ORDER BY c.at, u.user_id",
            (meeting_id,),
            lambda r: str(r[0]),
        )

    # -- people and tasks ---------------------------------------------------------
    async def person(self, user_id: int) -> Person | None:
        """A person's name and whether they opened a private chat with the bot."""
        return await self._one(
            "SELECT user_id, display_name, private_chat FROM users WHERE user_id = ?", (user_id,), _person
        )

    async def add_task(self, meeting_id: int, text: str, owner_id: int, due_at: int, created_by: int, now: int) -> int:
        """Insert a task from the minutes."""
        return await self._insert(
            "INSERT INTO meeting_tasks(meeting_id, text, owner_id, due_at, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (meeting_id, text, owner_id, due_at, created_by, now),
        )

    async def task(self, task_id: int) -> TaskRow | None:
        """One task with its owner's name."""
        return await self._one(
            f"SELECT {_TASK_COLS} FROM meeting_tasks t LEFT JOIN users u ON u.user_id = t.owner_id WHERE t.id = ?",
            (task_id,),
            _task,
        )

    async def tasks(self, meeting_id: int) -> list[TaskRow]:
        """A meeting's tasks in the order they were recorded."""
        return await self._all(
            f"SELECT {_TASK_COLS} FROM meeting_tasks t LEFT JOIN users u ON u.user_id = t.owner_id "
            "WHERE t.meeting_id = ? ORDER BY t.id",
            (meeting_id,),
            _task,
        )

    async def set_task_done(self, task_id: int, done_at: int | None) -> bool:
        """Mark a task done (or not); False if nothing changed."""
        cur = await self.conn.execute(
            "UPDATE meeting_tasks SET done_at = ? WHERE id = ? AND (done_at IS NULL) = (? IS NOT NULL)",
            (done_at, task_id, done_at),
        )
        return cur.rowcount > 0
