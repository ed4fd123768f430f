"""Scorers, conflicts, scores with their audit log, results, appeals, inspections and awards; never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.repository import Repository, RowMapper


@dataclass(frozen=True)
class Conflict:
    application_id: int
    scorer_id: int
    kind: str
    reason: str


@dataclass(frozen=True)
class Score:
    application_id: int
    criterion_id: int
    scorer_id: int
    score: int


@dataclass(frozen=True)
class AuditRow:
    number: int
    courtyard: str
    criterion: str
    member: str | None  # None: a former member (forgotten)
    score: int
    at: int


@dataclass(frozen=True)
class Result:
    application_id: int
    raw: float | None
    normalised: float | None
    raw_rank: int
    normalised_rank: int
    place: int
    tied: bool
    scorers: int
    recused: int
    averages: dict[int, float]


@dataclass(frozen=True)
class Appeal:
    application_id: int
    user_id: int | None
    reason: str
    filed_at: int
    answer: str | None
    answered_at: int | None


@dataclass(frozen=True)
class Inspection:
    application_id: int
    user_id: int | None
    name: str | None
    verdict: str | None
    note: str
    signed_at: int | None


def _averages(raw: str) -> dict[int, float]:
    return {int(k): float(v) for k, v in json.loads(raw).items()}


_conflict = RowMapper(Conflict)
_score = RowMapper(Score)
_audit = RowMapper(AuditRow)
_result = RowMapper(Result, averages=_averages)
_appeal = RowMapper(Appeal)
_inspection = RowMapper(Inspection)


class ContestScoresRepository(Repository):
    """Rows of contest_scorers, contest_conflicts, contest_scores, contest_score_log and what follows scoring."""

    async def scorer(self, contest_id: int, user_id: int) -> int:
        """The member's scorer id in a contest (created on first use)."""
        await self.conn.execute(
            "INSERT INTO contest_scorers(contest_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (contest_id, user_id),
        )
        return await self._int(
            "SELECT id FROM contest_scorers WHERE contest_id = ? AND user_id = ?", (contest_id, user_id)
        )

    async def conflicts(self, contest_id: int) -> list[Conflict]:
        """Every declaration of a contest."""
        return await self._all(
            "SELECT k.application_id, k.scorer_id, k.kind, k.reason FROM contest_conflicts k "
            "JOIN contest_scorers s ON s.id = k.scorer_id WHERE s.contest_id = ?",
            (contest_id,),
            _conflict,
        )

    async def declare(self, application_id: int, scorer_id: int, kind: str, reason: str, now: int) -> None:
        """Record (or change) a declaration; an automatic or chair's recusal is never overwritten by the member."""
        await self.conn.execute(
            "INSERT INTO contest_conflicts(application_id, scorer_id, kind, reason, at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(application_id, scorer_id) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, "
            "at = excluded.at WHERE contest_conflicts.kind NOT IN ('auto', 'chair') OR excluded.kind = 'chair'",
            (application_id, scorer_id, kind, reason, now),
        )

    async def drop_scores(self, application_id: int, scorer_id: int) -> None:
        """A recused member's scores of an entry no longer count (the audit log keeps them)."""
        await self.conn.execute(
            "DELETE FROM contest_scores WHERE application_id = ? AND scorer_id = ?", (application_id, scorer_id)
        )

    async def put_score(self, application_id: int, criterion_id: int, scorer_id: int, score: int, now: int) -> bool:
        """Give or change a score (one per member and criterion) and log it; True if it was a change."""
        async with self.conn.execute(
            "SELECT score FROM contest_scores WHERE application_id = ? AND criterion_id = ? AND scorer_id = ?",
            (application_id, criterion_id, scorer_id),
        ) as cur:
            before = await cur.fetchone()
        await self.conn.execute(
            "INSERT INTO contest_scores(application_id, criterion_id, scorer_id, score, first_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(application_id, criterion_id, scorer_id) "
            "DO UPDATE SET score = excluded.score, changed_at = excluded.changed_at",
            (application_id, criterion_id, scorer_id, score, now, now),
        )
        await self.conn.execute(
            "INSERT INTO contest_score_log(application_id, criterion_id, scorer_id, score, at) VALUES (?, ?, ?, ?, ?)",
            (application_id, criterion_id, scorer_id, score, now),
        )
        return before is not None

    async def scores(self, contest_id: int) -> list[Score]:
        """Every standing score of a contest."""
        return await self._all(
            "SELECT c.application_id, c.criterion_id, c.scorer_id, c.score FROM contest_scores c "
            "JOIN contest_scorers s ON s.id = c.scorer_id WHERE s.contest_id = ?",
            (contest_id,),
            _score,
        )

    async def scorer_ids(self, contest_id: int) -> dict[int, int | None]:
        """Scorer id -> user id (None: a former member)."""
        async with self.conn.execute(
            "SELECT id, user_id FROM contest_scorers WHERE contest_id = ?", (contest_id,)
        ) as cur:
            return {int(r[0]): (int(r[1]) if r[1] is not None else None) for r in await cur.fetchall()}

    async def audit(self, contest_id: int) -> list[AuditRow]:
        """Every score and change of a contest, in order."""
        return await self._all(
            "SELECT a.number, y.name AS courtyard, k.name AS criterion, u.display_name AS member, l.score, l.at "
            "FROM contest_score_log l JOIN contest_applications a ON a.id = l.application_id "
            "JOIN courtyards y ON y.id = a.courtyard_id JOIN contest_criteria k ON k.id = l.criterion_id "
            "JOIN contest_scorers s ON s.id = l.scorer_id LEFT JOIN users u ON u.user_id = s.user_id "
            "WHERE a.contest_id = ? ORDER BY l.at, l.id",
            (contest_id,),
            _audit,
        )

    async def save_result(self, r: Result) -> None:
        """Store one entry's result as computed at closing."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO contest_results(application_id, raw, normalised, raw_rank, normalised_rank, "
            "place, tied, scorers, recused, averages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.application_id, r.raw, r.normalised, r.raw_rank, r.normalised_rank, r.place, int(r.tied),
             r.scorers, r.recused, json.dumps({str(k): v for k, v in r.averages.items()})),
        )  # fmt: skip

    async def results(self, contest_id: int) -> list[Result]:
        """A contest's results, best first."""
        return await self._all(
            "SELECT r.* FROM contest_results r JOIN contest_applications a ON a.id = r.application_id "
            "WHERE a.contest_id = ? ORDER BY r.place, r.raw_rank, a.number",
            (contest_id,),
            _result,
        )

    async def file_appeal(self, application_id: int, user_id: int, reason: str, now: int) -> bool:
        """File the one appeal of an application; False if it has one."""
        cur = await self.conn.execute(
            "INSERT INTO contest_appeals(application_id, user_id, reason, filed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (application_id, user_id, reason, now),
        )
        return cur.rowcount > 0

    async def appeal(self, application_id: int) -> Appeal | None:
        """An application's appeal."""
        return await self._one(
            "SELECT application_id, user_id, reason, filed_at, answer, answered_at FROM contest_appeals "
            "WHERE application_id = ?",
            (application_id,),
            _appeal,
        )

    async def answer_appeal(self, application_id: int, answer: str, by: int, now: int) -> bool:
        """Answer an appeal once."""
        cur = await self.conn.execute(
            "UPDATE contest_appeals SET answer = ?, answered_by = ?, answered_at = ? "
            "WHERE application_id = ? AND answer IS NULL",
            (answer, by, now, application_id),
        )
        return cur.rowcount > 0

    async def name_inspector(self, application_id: int, user_id: int, now: int) -> None:
        """Name an inspector of an application's 验收."""
        await self.conn.execute(
            "INSERT INTO contest_inspections(application_id, user_id, named_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (application_id, user_id, now),
        )

    async def sign(self, application_id: int, user_id: int, verdict: str, note: str, now: int) -> bool:
        """An inspector signs 通过 / 不通过; False unless named (or signed already)."""
        cur = await self.conn.execute(
            "UPDATE contest_inspections SET verdict = ?, note = ?, signed_at = ? "
            "WHERE application_id = ? AND user_id = ? AND verdict IS NULL",
            (verdict, note, now, application_id, user_id),
        )
        return cur.rowcount > 0

    async def inspections(self, application_id: int) -> list[Inspection]:
        """An application's inspectors and their signatures."""
        return await self._all(
            "SELECT i.application_id, i.user_id, u.display_name AS name, i.verdict, i.note, i.signed_at "
            "FROM contest_inspections i LEFT JOIN users u ON u.user_id = i.user_id "
            "WHERE i.application_id = ? ORDER BY i.id",
            (application_id,),
            _inspection,
        )

    async def award(self, application_id: int, tier: str, position: int, now: int) -> None:
        """Record an award."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO contest_awards(application_id, tier, position, awarded_at) VALUES (?, ?, ?, ?)",
            (application_id, tier, position, now),
        )

    async def awards(self, contest_id: int | None = None) -> list[tuple[int, int, str, int]]:
        """(contest id, application id, tier, position) of awards, newest contest first."""
        where = "WHERE a.contest_id = ?" if contest_id is not None else ""
        async with self.conn.execute(
            "SELECT a.contest_id, w.application_id, w.tier, w.position FROM contest_awards w "
            f"JOIN contest_applications a ON a.id = w.application_id {where} "
            "ORDER BY a.contest_id DESC, w.position",
            (contest_id,) if contest_id is not None else (),
        ) as cur:
            return [(int(r[0]), int(r[1]), str(r[2]), int(r[3])) for r in await cur.fetchall()]
