"""Migration 0014 and the contest repositories: one score per member and criterion, the audit log,
recusals that a member cannot undo, a forgotten member's scores kept, and the ranking over stored rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.services.contest_ranking import Criterion, rank
from storage.committee import CommitteeRepository
from storage.contest_scores import ContestScoresRepository
from storage.contests import ContestsRepository
from storage.db import Database

NOW = 1_780_000_000


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "c.sqlite3")
    await database.open()
    await database.migrate()
    async with database.transaction() as conn:
        await conn.execute("INSERT INTO communities(id, name, created_at) VALUES (1, '铁门社区', ?)", (NOW,))
        for yard, name in ((1, "碧水苑"), (2, "红原农行小区"), (3, "启明花园")):
            await conn.execute(
                "INSERT INTO courtyards(id, community_id, name, created_at) VALUES (?, 1, ?, ?)", (yard, name, NOW)
            )
            await conn.execute(
                "INSERT INTO chats(chat_id, type, title, community_id, courtyard_id, scope, added_at, updated_at) "
                "VALUES (?, 'supergroup', ?, 1, ?, 'courtyard', ?, ?)",
                (-100 - yard, name, yard, NOW, NOW),
            )
        for uid in (1, 2, 3, 9):
            await conn.execute(
                "INSERT INTO users(user_id, display_name, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                (uid, f"评审员{uid}", NOW, NOW),
            )
        await conn.execute(
            "INSERT INTO chat_members(chat_id, user_id, first_seen, last_seen) VALUES (-101, 1, ?, ?)", (NOW, NOW)
        )
    yield database
    await database.close()


async def _contest(db: Database) -> tuple[int, list[int], list[int]]:
    async with db.transaction() as conn:
        contests = ContestsRepository(conn)
        cid = await contests.add(1, "院落美化评比", 9, NOW, "name")
        await contests.set_criteria(cid, [("居民参与度", 30), ("方案可行性", 25), ("美观", 25), ("可持续", 20)])
        apps = [
            await contests.add_application(
                cid, yard, -100 - yard, 9, {"team": "队", "plan": "方案", "budget": 3000}, NOW
            )
            for yard in (1, 2, 3)
        ]
        crit = [c.id for c in await contests.criteria(cid)]
    return cid, apps, crit


async def test_committee_positions_and_history(db: Database) -> None:
    async with db.transaction() as conn:
        repo = CommitteeRepository(conn)
        assert await repo.set_position(1, "chair", 9, NOW) is None
        assert await repo.set_position(2, "member", 9, NOW + 1) is None
        assert await repo.set_position(2, "vice_chair", 9, NOW + 2) == "member"
        assert await repo.remove(2, 2, NOW + 3)
        assert not await repo.remove(2, 2, NOW + 4)
        assert await repo.request(3, -102, NOW) is not None
        assert await repo.request(3, -102, NOW) is None  # one pending request per person
        assert await repo.home_courtyards(1) == {1}
    repo = CommitteeRepository(db.reader)
    assert [(m.user_id, m.position) for m in await repo.members()] == [(1, "chair")]
    assert [(e.user_id, e.event) for e in await repo.history()] == [
        (1, "joined"), (2, "joined"), (2, "position"), (2, "left")
    ]  # fmt: skip


async def test_one_score_per_criterion_changes_and_is_audited(db: Database) -> None:
    cid, apps, crit = await _contest(db)
    async with db.transaction() as conn:
        scores = ContestScoresRepository(conn)
        s1 = await scores.scorer(cid, 1)
        assert await scores.scorer(cid, 1) == s1
        assert not await scores.put_score(apps[1], crit[0], s1, 7, NOW)
        assert await scores.put_score(apps[1], crit[0], s1, 9, NOW + 60)  # a change, not a second score
    rows = await db.fetchall("SELECT score FROM contest_scores", ())
    assert [tuple(r) for r in rows] == [(9,)]
    log = await ContestScoresRepository(db.reader).audit(cid)
    assert [(r.score, r.at, r.member) for r in log] == [(7, NOW, "评审员1"), (9, NOW + 60, "评审员1")]


async def test_a_member_cannot_undo_an_automatic_recusal(db: Database) -> None:
    cid, apps, _ = await _contest(db)
    async with db.transaction() as conn:
        scores = ContestScoresRepository(conn)
        s1 = await scores.scorer(cid, 1)
        await scores.declare(apps[0], s1, "auto", "", NOW)
        await scores.declare(apps[0], s1, "none", "", NOW + 1)
        await scores.declare(apps[1], s1, "none", "", NOW)
        await scores.declare(apps[1], s1, "chair", "与申请队长是亲属", NOW + 2)
    kinds = {k.application_id: k.kind for k in await ContestScoresRepository(db.reader).conflicts(cid)}
    assert kinds == {apps[0]: "auto", apps[1]: "chair"}


async def test_forgotten_members_scores_stay_and_the_ranking_does_not_change(db: Database) -> None:
    cid, apps, crit = await _contest(db)
    given = {1: [8, 7, 9, 6], 2: [6, 6, 7, 8]}
    async with db.transaction() as conn:
        scores = ContestScoresRepository(conn)
        for uid, values in given.items():
            scorer = await scores.scorer(cid, uid)
            for app in apps[1:]:
                for criterion, value in zip(crit, values, strict=True):
                    await scores.put_score(app, criterion, scorer, value + (app == apps[2]), NOW)
    criteria = [Criterion(c, w) for c, w in zip(crit, (30, 25, 25, 20), strict=True)]

    async def ranking() -> list[tuple[int, float | None]]:
        stored = await ContestScoresRepository(db.reader).scores(cid)
        table: dict[tuple[int, int], dict[int, int]] = {}
        for s in stored:
            table.setdefault((s.scorer_id, s.application_id), {})[s.criterion_id] = s.score
        return [(r.entry, r.raw) for r in rank(apps, criteria, table, (1, 10))]

    before = await ranking()
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM users WHERE user_id = 1")
    assert await ranking() == before
    assert before[0][0] == apps[2]
    members = {r.member for r in await ContestScoresRepository(db.reader).audit(cid)}
    assert members == {None, "评审员2"}  # None: shown as a former member
