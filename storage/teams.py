"""Teams and their sign-ups (team_members), with an event log for statistics."""

from __future__ import annotations

from dataclasses import dataclass

from storage.repository import Repository, RowMapper

ACTIVE = ("member", "waitlist", "pending")
STATUSES = frozenset({"member", "waitlist", "pending", "left", "removed", "declined"})
# Columns a setting may change; anything else is a programming error.
_SETTINGS = frozenset({"purpose", "capacity", "deadline", "approval", "open", "captain_id"})

_TEAM_COLS = (
    "t.id, t.courtyard_id, t.home_chat_id, t.name, t.purpose, t.capacity, t.deadline, t.approval, t.open, "
    "t.captain_id, t.created_by, t.created_at"
)
_MEMBER_COLS = (
    "m.team_id, m.user_id, COALESCE(u.display_name, '') AS display_name, m.status, m.seq, m.requested_at, "
    "m.joined_at, m.changed_at"
)
_FROM_MEMBERS = "FROM team_members m LEFT JOIN users u ON u.user_id = m.user_id"


@dataclass(frozen=True)
class Team:
    id: int
    courtyard_id: int
    home_chat_id: int | None
    name: str
    purpose: str
    capacity: int | None
    deadline: int | None
    approval: bool
    open: bool
    captain_id: int | None
    created_by: int | None
    created_at: int


@dataclass(frozen=True)
class Membership:
    team_id: int
    user_id: int
    display_name: str
    status: str
    seq: int
    requested_at: int
    joined_at: int | None
    changed_at: int


@dataclass(frozen=True)
class JoinState:
    """What a sign-up needs to know, read in one statement."""

    status: str | None  # the person's current state in the team, if they ever signed up
    seq: int | None
    known_person: bool  # a users row exists
    members: int
    waitlist: int
    pressed: int | None  # update id of the person's last press obeyed for this team


@dataclass(frozen=True)
class Counts:
    members: int = 0
    waitlist: int = 0
    pending: int = 0


_team = RowMapper(Team)
_member = RowMapper(Membership)


class TeamsRepository(Repository):
    """Rows of teams, team_members and team_events; never commits."""

    # -- teams -----------------------------------------------------------------------
    async def create(
        self, courtyard_id: int, home_chat_id: int, name: str, capacity: int | None, creator: int, now: int
    ) -> Team | None:
        """Insert a team; None if the courtyard already has one of that name."""
        cur = await self.conn.execute(
            "INSERT INTO teams(courtyard_id, home_chat_id, name, capacity, captain_id, created_by, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(courtyard_id, name) DO NOTHING",
            (courtyard_id, home_chat_id, name, capacity, creator, creator, now, now),
        )
        if cur.rowcount == 0 or cur.lastrowid is None:
            return None
        return await self.get(cur.lastrowid)

    async def get(self, team_id: int) -> Team | None:
        """Return one team."""
        return await self._one(f"SELECT {_TEAM_COLS} FROM teams t WHERE t.id = ?", (team_id,), _team)

    async def in_courtyard(self, courtyard_id: int) -> list[Team]:
        """Every team of a courtyard, oldest first."""
        return await self._all(
            f"SELECT {_TEAM_COLS} FROM teams t WHERE t.courtyard_id = ? ORDER BY t.id", (courtyard_id,), _team
        )

    async def in_community(self, community_id: int) -> list[tuple[Team, str]]:
        """Every team of a community with its courtyard's name."""
        return await self._all(
            f"SELECT {_TEAM_COLS}, c.name AS courtyard_name FROM teams t JOIN courtyards c ON c.id = t.courtyard_id "
            "WHERE c.community_id = ? ORDER BY c.name, t.id",
            (community_id,),
            lambda r: (_team(r), str(r["courtyard_name"])),
        )

    async def update(self, team_id: int, column: str, value: object, now: int) -> None:
        """Change one setting of a team."""
        if column not in _SETTINGS:
            raise ValueError(column)
        await self.conn.execute(f"UPDATE teams SET {column} = ?, updated_at = ? WHERE id = ?", (value, now, team_id))

    # -- memberships -----------------------------------------------------------------
    async def _members(self, where: str, params: tuple[object, ...]) -> list[Membership]:
        """Sign-ups with their names that meet a condition (which may end in ORDER BY)."""
        return await self._all(f"SELECT {_MEMBER_COLS} {_FROM_MEMBERS} WHERE {where}", params, _member)

    async def _one_member(self, where: str, params: tuple[object, ...]) -> Membership | None:
        """The first sign-up, with its name, that meets a condition."""
        return await self._one(f"SELECT {_MEMBER_COLS} {_FROM_MEMBERS} WHERE {where}", params, _member)

    async def membership(self, team_id: int, user_id: int) -> Membership | None:
        """A person's row in a team."""
        return await self._one_member("m.team_id = ? AND m.user_id = ?", (team_id, user_id))

    async def join_state(self, team_id: int, user_id: int) -> JoinState:
        """The person's state, whether they are known, and the team's counts: one statement per press."""
        async with self.conn.execute(
            "SELECT m.status, m.seq, EXISTS(SELECT 1 FROM users WHERE user_id = ?2), "
            "(SELECT n FROM team_counts WHERE team_id = ?1 AND status = 'member'), "
            "(SELECT n FROM team_counts WHERE team_id = ?1 AND status = 'waitlist'), "
            "(SELECT update_id FROM team_presses WHERE team_id = ?1 AND user_id = ?2) "
            "FROM (SELECT 1) LEFT JOIN team_members m ON m.team_id = ?1 AND m.user_id = ?2",
            (team_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None  # one row always: the LEFT JOIN keeps it
        return JoinState(row[0], row[1], bool(row[2]), row[3] or 0, row[4] or 0, row[5])

    async def pressed(self, team_id: int, user_id: int, update_id: int) -> None:
        """Remember the update id of the person's latest press obeyed for this team."""
        await self.conn.execute(
            "INSERT INTO team_presses(team_id, user_id, update_id) VALUES (?, ?, ?) "
            "ON CONFLICT(team_id, user_id) DO UPDATE SET update_id = MAX(update_id, excluded.update_id)",
            (team_id, user_id, update_id),
        )

    async def by_seq(self, seq: int) -> Membership | None:
        """The row whose latest request has this number."""
        return await self._one_member("m.seq = ?", (seq,))

    async def request(self, team_id: int, user_id: int, status: str, now: int) -> int:
        """Record a new request (join) in a state; return its queue number."""
        seq = await self._event(team_id, user_id, status, now)
        await self.conn.execute(
            "INSERT INTO team_members(team_id, user_id, status, seq, requested_at, joined_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(team_id, user_id) DO UPDATE SET status = excluded.status, "
            "seq = excluded.seq, requested_at = excluded.requested_at, "
            "joined_at = COALESCE(excluded.joined_at, team_members.joined_at), "
            "changed_at = excluded.changed_at",
            (team_id, user_id, status, seq, now, now if status == "member" else None, now),
        )
        return seq

    async def set_status(self, team_id: int, user_id: int, status: str, now: int) -> None:
        """Move a person to another state, keeping their place in the queue."""
        if status not in STATUSES:
            raise ValueError(status)
        await self._event(team_id, user_id, status, now)
        await self.conn.execute(
            "UPDATE team_members SET status = ?, changed_at = ?, "
            "joined_at = CASE WHEN ? = 'member' THEN ? ELSE joined_at END WHERE team_id = ? AND user_id = ?",
            (status, now, status, now, team_id, user_id),
        )

    async def _event(self, team_id: int, user_id: int, status: str, now: int) -> int:
        return await self._insert(
            "INSERT INTO team_events(team_id, user_id, status, at) VALUES (?, ?, ?, ?)", (team_id, user_id, status, now)
        )

    async def count(self, team_id: int, status: str) -> int:
        """How many people of a team are in a state (kept by triggers, see 0008_team_counts)."""
        return await self._int("SELECT n FROM team_counts WHERE team_id = ? AND status = ?", (team_id, status))

    async def counts(self, team_ids: list[int]) -> dict[int, Counts]:
        """Members, waitlist and pending per team."""
        if not team_ids:
            return {}
        marks = ",".join("?" * len(team_ids))
        async with self.conn.execute(
            f"SELECT team_id, status, n FROM team_counts WHERE team_id IN ({marks}) "
            "AND status IN ('member', 'waitlist', 'pending')",
            tuple(team_ids),
        ) as cur:
            raw: dict[int, dict[str, int]] = {}
            for team_id, status, n in await cur.fetchall():
                raw.setdefault(int(team_id), {})[str(status)] = int(n)
        return {
            tid: Counts(
                raw.get(tid, {}).get("member", 0),
                raw.get(tid, {}).get("waitlist", 0),
                raw.get(tid, {}).get("pending", 0),
            )
            for tid in team_ids
        }

    async def first_waitlisted(self, team_id: int) -> Membership | None:
        """The person who has waited longest."""
        return await self._one_member("m.team_id = ? AND m.status = 'waitlist' ORDER BY m.seq LIMIT 1", (team_id,))

    async def position(self, team_id: int, status: str, seq: int) -> int:
        """1-based place of a request among those of the same state."""
        return await self._int(
            "SELECT COUNT(*) FROM team_members WHERE team_id = ? AND status = ? AND seq <= ?", (team_id, status, seq)
        )

    async def people(self, team_id: int, statuses: tuple[str, ...] = ACTIVE) -> list[Membership]:
        """Rows of a team in the given states, in queue order."""
        marks = ",".join("?" * len(statuses))
        return await self._members(f"m.team_id = ? AND m.status IN ({marks}) ORDER BY m.seq", (team_id, *statuses))

    async def of_user(self, user_id: int, statuses: tuple[str, ...] = ACTIVE) -> list[Membership]:
        """A person's rows in every team, in the given states."""
        marks = ",".join("?" * len(statuses))
        return await self._members(f"m.user_id = ? AND m.status IN ({marks}) ORDER BY m.team_id", (user_id, *statuses))

    async def captained_by(self, user_id: int) -> list[Team]:
        """Teams whose captain is this person."""
        return await self._all(
            f"SELECT {_TEAM_COLS} FROM teams t WHERE t.captain_id = ? ORDER BY t.id", (user_id,), _team
        )
