"""Contests, their criteria, applications and photos; never commits, no rules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.repository import Repository, RowMapper


@dataclass(frozen=True)
class Contest:
    id: int
    community_id: int
    name: str
    rules: str
    opens_at: int | None
    closes_at: int | None
    scale_min: int
    scale_max: int
    tie_break: list[int]  # criterion positions
    conflict_rule: str
    appeal_days: int
    tiers: list[tuple[str, int]]
    status: str
    step: str | None
    created_by: int | None
    created_at: int
    published_at: int | None
    window_closed_at: int | None
    scoring_closed_at: int | None
    awarded_at: int | None


@dataclass(frozen=True)
class CriterionRow:
    id: int
    contest_id: int
    position: int
    name: str
    weight: int


@dataclass(frozen=True)
class Application:
    id: int
    contest_id: int
    number: int
    courtyard_id: int
    courtyard: str
    chat_id: int
    captain_id: int | None
    captain_name: str | None
    team: str
    plan: str
    budget: int
    status: str
    approved_at: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Photo:
    id: int
    application_id: int
    stage: str
    file_id: str
    area: str


def _tiers(raw: str) -> list[tuple[str, int]]:
    return [(str(name), int(count)) for name, count in json.loads(raw)]


_contest = RowMapper(Contest, tie_break=json.loads, tiers=_tiers)
_criterion = RowMapper(CriterionRow)
_application = RowMapper(Application)
_photo = RowMapper(Photo)

_APP = (
    "SELECT a.id, a.contest_id, a.number, a.courtyard_id, y.name AS courtyard, a.chat_id, a.captain_id, "
    "u.display_name AS captain_name, a.team, a.plan, a.budget, a.status, a.approved_at, a.created_at, a.updated_at "
    "FROM contest_applications a JOIN courtyards y ON y.id = a.courtyard_id "
    "LEFT JOIN users u ON u.user_id = a.captain_id"
)


class ContestsRepository(Repository):
    """Rows of contests, contest_criteria, contest_applications and contest_photos."""

    async def add(self, community_id: int, name: str, by: int, now: int, step: str) -> int:
        """Start a draft contest."""
        return await self._insert(
            "INSERT INTO contests(community_id, name, created_by, created_at, step) VALUES (?, ?, ?, ?, ?)",
            (community_id, name, by, now, step),
        )

    async def get(self, contest_id: int) -> Contest | None:
        """One contest."""
        return await self._one("SELECT * FROM contests WHERE id = ?", (contest_id,), _contest)

    async def latest(self, community_id: int, statuses: tuple[str, ...]) -> Contest | None:
        """The newest contest in one of the statuses."""
        marks = ",".join("?" * len(statuses))
        return await self._one(
            f"SELECT * FROM contests WHERE community_id = ? AND status IN ({marks}) ORDER BY id DESC LIMIT 1",
            (community_id, *statuses),
            _contest,
        )

    async def every(self, community_id: int) -> list[Contest]:
        """Every contest, newest first."""
        return await self._all(
            "SELECT * FROM contests WHERE community_id = ? ORDER BY id DESC", (community_id,), _contest
        )

    async def update(self, contest_id: int, **columns: Any) -> None:
        """Set columns of a contest (names come from the service, never from a person)."""
        for name, value in columns.items():
            if isinstance(value, list):
                columns[name] = json.dumps(value, ensure_ascii=False)
        sets = ", ".join(f"{name} = ?" for name in columns)
        await self.conn.execute(f"UPDATE contests SET {sets} WHERE id = ?", (*columns.values(), contest_id))

    async def set_status(self, contest_id: int, old: str, new: str, **columns: Any) -> bool:
        """Move a contest from one status to the next; False if it had moved already (a second sweep)."""
        sets = "".join(f", {name} = ?" for name in columns)
        cur = await self.conn.execute(
            f"UPDATE contests SET status = ?{sets} WHERE id = ? AND status = ?",
            (new, *columns.values(), contest_id, old),
        )
        return cur.rowcount > 0

    async def due(self, status: str, column: str, now: int) -> list[int]:
        """Contests in a status whose time (opens_at or closes_at) has come."""
        assert column in ("opens_at", "closes_at")
        async with self.conn.execute(
            f"SELECT id FROM contests WHERE status = ? AND {column} <= ? ORDER BY id", (status, now)
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def set_criteria(self, contest_id: int, criteria: list[tuple[str, int]]) -> None:
        """Replace a draft's criteria (name, weight) in order."""
        await self.conn.execute("DELETE FROM contest_criteria WHERE contest_id = ?", (contest_id,))
        await self.conn.executemany(
            "INSERT INTO contest_criteria(contest_id, position, name, weight) VALUES (?, ?, ?, ?)",
            [(contest_id, i + 1, name, weight) for i, (name, weight) in enumerate(criteria)],
        )

    async def criteria(self, contest_id: int) -> list[CriterionRow]:
        """A contest's criteria in order."""
        return await self._all(
            "SELECT id, contest_id, position, name, weight FROM contest_criteria WHERE contest_id = ? "
            "ORDER BY position",
            (contest_id,),
            _criterion,
        )

    async def application(self, application_id: int) -> Application | None:
        """One application."""
        return await self._one(f"{_APP} WHERE a.id = ?", (application_id,), _application)

    async def application_of(self, contest_id: int, courtyard_id: int) -> Application | None:
        """A courtyard's application to a contest."""
        return await self._one(
            f"{_APP} WHERE a.contest_id = ? AND a.courtyard_id = ?", (contest_id, courtyard_id), _application
        )

    async def applications(self, contest_id: int, *, active_only: bool = True) -> list[Application]:
        """A contest's applications by number."""
        extra = " AND a.status = 'active'" if active_only else ""
        return await self._all(f"{_APP} WHERE a.contest_id = ?{extra} ORDER BY a.number", (contest_id,), _application)

    async def add_application(
        self, contest_id: int, courtyard_id: int, chat_id: int, captain_id: int, fields: dict[str, Any], now: int
    ) -> int:
        """Insert an application with the next number of the contest."""
        number = 1 + await self._int("SELECT MAX(number) FROM contest_applications WHERE contest_id = ?", (contest_id,))
        return await self._insert(
            "INSERT INTO contest_applications(contest_id, number, courtyard_id, chat_id, captain_id, team, plan, "
            "budget, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (contest_id, number, courtyard_id, chat_id, captain_id, fields["team"], fields["plan"],
             fields["budget"], now, now),
        )  # fmt: skip

    async def update_application(self, application_id: int, now: int, **columns: Any) -> None:
        """Set columns of an application (names come from the service)."""
        sets = "".join(f", {name} = ?" for name in columns)
        await self.conn.execute(
            f"UPDATE contest_applications SET updated_at = ?{sets} WHERE id = ?",
            (now, *columns.values(), application_id),
        )

    async def add_photo(self, application_id: int, stage: str, file_id: str, area: str, now: int) -> None:
        """Attach a photo (before or after) to an application."""
        await self.conn.execute(
            "INSERT INTO contest_photos(application_id, stage, file_id, area, added_at) VALUES (?, ?, ?, ?, ?)",
            (application_id, stage, file_id, area, now),
        )

    async def photos(self, application_id: int, stage: str | None = None) -> list[Photo]:
        """An application's photos in the order they came."""
        extra = " AND stage = ?" if stage else ""
        return await self._all(
            f"SELECT id, application_id, stage, file_id, area FROM contest_photos WHERE application_id = ?{extra} "
            "ORDER BY id",
            (application_id, stage) if stage else (application_id,),
            _photo,
        )
