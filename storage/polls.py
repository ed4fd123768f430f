"""Polls, their options and ballots; tallies are GROUP BY queries, never counters."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.repository import Repository

Row = dict[str, Any]  # a row by column name: the services build their values from it


def _rows(cur: aiosqlite.Cursor, rows: Iterable[Sequence[Any]]) -> list[Row]:
    """Rows as dicts keyed by column name (the names read once per statement, not per row or field)."""
    # A dict lookup hashes; a name lookup in sqlite3.Row scans the column names, which a vote
    # paid twenty times per press. Columns are selected with *, so a new setting needs no edit here.
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in rows]


@dataclass(frozen=True)
class Option:
    position: int
    label: str
    proposal_id: int | None


class PollsRepository(Repository):
    """Rows of polls, poll_options, poll_ballots and poll_choices; never commits."""

    async def add(self, columns: Mapping[str, object], options: Sequence[tuple[str, int | None]]) -> int:
        """Insert a poll with these column values and its options (numbered from 1)."""
        names = list(columns)
        assert all(name.isidentifier() for name in names)  # names come from code, never from input
        cur = await self.conn.execute(
            f"INSERT INTO polls({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [columns[name] for name in names],
        )
        poll_id = cur.lastrowid
        assert poll_id is not None
        await self.conn.executemany(
            "INSERT INTO poll_options(poll_id, position, label, proposal_id) VALUES (?, ?, ?, ?)",
            [(poll_id, i, label, proposal_id) for i, (label, proposal_id) in enumerate(options, start=1)],
        )
        return poll_id

    async def get(self, poll_id: int) -> Row | None:
        """One poll."""
        async with self.conn.execute("SELECT * FROM polls WHERE id = ?", (poll_id,)) as cur:
            row = await cur.fetchone()
            return _rows(cur, [row])[0] if row else None

    async def for_vote(self, poll_id: int, voter_key: str) -> Row | None:
        """The poll and the voter's ballot (ballot_seq; ballot_choices: positions, comma-joined): one statement."""
        async with self.conn.execute(
            "SELECT p.*, b.seq AS ballot_seq, (SELECT group_concat(c.position) FROM poll_choices c "
            "WHERE c.poll_id = p.id AND c.voter_key = ?2) AS ballot_choices "
            "FROM polls p LEFT JOIN poll_ballots b ON b.poll_id = p.id AND b.voter_key = ?2 WHERE p.id = ?1",
            (poll_id, voter_key),
        ) as cur:
            row = await cur.fetchone()
            return _rows(cur, [row])[0] if row else None

    async def options(self, poll_id: int) -> list[Option]:
        """A poll's options in order."""
        return await self._all(
            "SELECT position, label, proposal_id FROM poll_options WHERE poll_id = ? ORDER BY position",
            (poll_id,),
            lambda r: Option(r[0], r[1], r[2]),
        )

    async def open_in_chat(self, chat_id: int) -> list[Row]:
        """Open polls of a chat, newest first."""
        async with self.conn.execute(
            "SELECT * FROM polls WHERE chat_id = ? AND status = 'open' ORDER BY id DESC", (chat_id,)
        ) as cur:
            return _rows(cur, await cur.fetchall())

    async def due_to_close(self, now: int) -> list[int]:
        """Open polls whose deadline has passed."""
        return await self._all(
            "SELECT id FROM polls WHERE status = 'open' AND closes_at IS NOT NULL AND closes_at <= ? ORDER BY id",
            (now,),
            lambda r: int(r[0]),
        )

    async def due_to_remind(self, now: int) -> list[int]:
        """Open polls whose automatic reminder is due and was never queued."""
        return await self._all(
            "SELECT id FROM polls WHERE status = 'open' AND remind_at IS NOT NULL AND remind_at <= ? "
            "AND reminded_at IS NULL ORDER BY id",
            (now,),
            lambda r: int(r[0]),
        )

    async def close(self, poll_id: int, by: int | None, now: int) -> bool:
        """Close an open poll; False if it was already closed."""
        cur = await self.conn.execute(
            "UPDATE polls SET status = 'closed', closed_at = ?, closed_by = ? WHERE id = ? AND status = 'open'",
            (now, by, poll_id),
        )
        return cur.rowcount > 0

    async def mark_reminded(self, poll_id: int, now: int) -> bool:
        """Claim the automatic reminder (once)."""
        cur = await self.conn.execute(
            "UPDATE polls SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL", (now, poll_id)
        )
        return cur.rowcount > 0

    async def mark_nudged(self, poll_id: int, now: int) -> None:
        """Remember a manual reminder."""
        await self.conn.execute("UPDATE polls SET nudged_at = ? WHERE id = ?", (now, poll_id))

    async def set_outcome(self, poll_id: int, text: str, by: int, now: int) -> None:
        """Attach the outcome statement."""
        await self.conn.execute(
            "UPDATE polls SET outcome = ?, outcome_by = ?, outcome_at = ? WHERE id = ?", (text, by, now, poll_id)
        )

    # -- ballots -----------------------------------------------------------------------------------

    async def put_ballot(
        self,
        poll_id: int,
        voter_key: str,
        user_id: int | None,
        seq: int,
        positions: Iterable[int],
        now: int,
        *,
        first: bool = False,
    ) -> None:
        """Create or replace a ballot with exactly these choices (first: the voter has no ballot yet)."""
        await self.conn.execute(
            "INSERT INTO poll_ballots(poll_id, voter_key, user_id, seq, cast_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(poll_id, voter_key) DO UPDATE SET seq = excluded.seq, cast_at = excluded.cast_at",
            (poll_id, voter_key, user_id, seq, now),
        )
        if not first:
            await self.conn.execute(
                "DELETE FROM poll_choices WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key)
            )
        await self.conn.executemany(
            "INSERT INTO poll_choices(poll_id, voter_key, position) VALUES (?, ?, ?)",
            [(poll_id, voter_key, p) for p in positions],
        )

    async def delete_ballot(self, poll_id: int, voter_key: str) -> None:
        """Remove a ballot and its choices."""
        await self.conn.execute("DELETE FROM poll_ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key))

    async def tally(self, poll_id: int) -> dict[int, int]:
        """Votes per option position."""
        async with self.conn.execute(
            "SELECT position, COUNT(*) FROM poll_choices WHERE poll_id = ? GROUP BY position", (poll_id,)
        ) as cur:
            return {int(r[0]): int(r[1]) for r in await cur.fetchall()}

    async def voter_count(self, poll_id: int) -> int:
        """How many people voted."""
        return await self._int("SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", (poll_id,))

    async def voter_keys(self, poll_id: int) -> set[str]:
        """The keys of everyone who voted (to find who has not)."""
        async with self.conn.execute("SELECT voter_key FROM poll_ballots WHERE poll_id = ?", (poll_id,)) as cur:
            return {str(r[0]) for r in await cur.fetchall()}

    async def has_ballot(self, poll_id: int, voter_key: str) -> bool:
        """Whether this key has a ballot in the poll."""
        return await self._exists(
            "SELECT 1 FROM poll_ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key)
        )

    async def named_ballot_polls(self, user_id: int) -> list[int]:
        """Polls in which the person has a named (public) ballot."""
        return await self._all("SELECT poll_id FROM poll_ballots WHERE user_id = ?", (user_id,), lambda r: int(r[0]))

    async def public_names(self, poll_id: int) -> list[tuple[int, str]]:
        """(position, display name) of every named choice in a public poll, earliest voters first."""
        return await self._numbered_names(
            "SELECT c.position, u.display_name FROM poll_choices c "
            "JOIN poll_ballots b ON b.poll_id = c.poll_id AND b.voter_key = c.voter_key "
            "JOIN users u ON u.user_id = b.user_id "
            "JOIN polls p ON p.id = c.poll_id AND p.anonymous = 0 "
            "WHERE c.poll_id = ? ORDER BY b.cast_at, b.seq",
            (poll_id,),
        )

    # -- electorate (the service says who: these people, or everyone seen in a chat) ------------------

    async def names(self, user_ids: Iterable[int]) -> list[tuple[int, str]]:
        """(user id, name) of these people, in the order given (people without a row are left out)."""
        return await self._all(
            "SELECT j.value, u.display_name FROM json_each(?) j JOIN users u ON u.user_id = j.value ORDER BY j.key",
            (json.dumps(list(user_ids)),),
            lambda r: (int(r[0]), str(r[1])),
        )

    async def privately_reachable(self, user_ids: Iterable[int]) -> set[int]:
        """Which of these people have a private chat with the bot."""
        async with self.conn.execute(
            "SELECT user_id FROM users WHERE private_chat = 1 AND user_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(user_ids))),),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    async def chat_members(self, chat_id: int) -> list[tuple[int, str]]:
        """(user id, name) of the people seen in a chat."""
        return await self._numbered_names(
            "SELECT m.user_id, u.display_name FROM chat_members m JOIN users u ON u.user_id = m.user_id "
            "WHERE m.chat_id = ? ORDER BY m.first_seen, m.user_id",
            (chat_id,),
        )

    async def chat_member_count(self, chat_id: int) -> int:
        """How many people were seen in a chat."""
        return await self._int("SELECT COUNT(*) FROM chat_members WHERE chat_id = ?", (chat_id,))

    async def _numbered_names(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[int, str]]:
        """Rows of (number, display name): a choice's position or a person's id."""
        return await self._all(sql, params, lambda r: (int(r[0]), str(r[1])))

    # -- /forget -----------------------------------------------------------------------------------

    async def anonymous_polls(self) -> list[tuple[int, bool]]:
        """(poll id, is open) of every anonymous poll."""
        return await self._all(
            "SELECT id, status = 'open' FROM polls WHERE anonymous = 1", (), lambda r: (int(r[0]), bool(r[1]))
        )

    async def detach_closed_ballots(self, user_id: int, new_keys: dict[int, str]) -> None:
        """Unlink a person's public ballots in closed polls (new random key, no user id)."""
        for poll_id, key in new_keys.items():
            await self.conn.execute(
                "UPDATE poll_ballots SET user_id = NULL, voter_key = ? WHERE poll_id = ? AND user_id = ?",
                (key, poll_id, user_id),
            )

    async def closed_polls_voted_by(self, user_id: int) -> list[int]:
        """Closed polls in which the person has a named ballot."""
        return await self._all(
            "SELECT b.poll_id FROM poll_ballots b JOIN polls p ON p.id = b.poll_id "
            "WHERE b.user_id = ? AND p.status = 'closed'",
            (user_id,),
            lambda r: int(r[0]),
        )

    async def rekey(self, poll_id: int, old_key: str, new_key: str) -> None:
        """Give a ballot a new key (choices follow by ON UPDATE CASCADE)."""
        await self.conn.execute(
            "UPDATE poll_ballots SET voter_key = ? WHERE poll_id = ? AND voter_key = ?", (new_key, poll_id, old_key)
        )
