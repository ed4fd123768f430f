"""Participation statistics: aggregated read-only queries over every feature's tables; never commits."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

# Every participation act of a named person in one community, with its rung on the depth ladder:
# 1 参与 (public vote, RSVP yes/maybe, team sign-up, check-in), 2 议事 (proposal, support),
# 3 决策 (committee role, vote in a committee-only poll), 4 主导 (captain, organiser, poll creator).
# Anonymous ballots have no user_id, so they never appear here: they are counted only in totals.
# `kind` names the act for the per-person counts of the export.
_ACTS = """
acts(user_id, rung, at, kind) AS (
    SELECT b.user_id, CASE p.electorate WHEN 'committee' THEN 3 ELSE 1 END, b.cast_at,
           CASE p.electorate WHEN 'committee' THEN 'cvote' ELSE 'vote' END
      FROM polls p JOIN poll_ballots b ON b.poll_id = p.id
     WHERE p.community_id = :c AND b.user_id IS NOT NULL
    UNION ALL
    SELECT r.user_id, 1, r.updated_at, 'rsvp'
      FROM meetings m JOIN meeting_rsvps r ON r.meeting_id = m.id
     WHERE m.community_id = :c AND r.answer IN ('yes', 'maybe')
    UNION ALL
    SELECT k.user_id, 1, k.at, 'checkin'
      FROM meetings m JOIN meeting_checkins k ON k.meeting_id = m.id
     WHERE m.community_id = :c
    UNION ALL
    SELECT e.user_id, 1, e.at, 'signup'
      FROM courtyards y JOIN teams t ON t.courtyard_id = y.id JOIN team_events e ON e.team_id = t.id
     WHERE y.community_id = :c AND e.status IN ('member', 'waitlist', 'pending')
    UNION ALL
    SELECT proposer_id, 2, created_at, 'propose' FROM proposals WHERE community_id = :c
    UNION ALL
    SELECT s.user_id, 2, s.created_at, 'support'
      FROM proposals p JOIN proposal_supports s ON s.proposal_id = p.id
     WHERE p.community_id = :c
    UNION ALL
    SELECT user_id, 3, granted_at, 'committee' FROM roles WHERE role = 'committee'
    UNION ALL
    SELECT t.captain_id, 4, t.created_at, 'lead'
      FROM courtyards y JOIN teams t ON t.courtyard_id = y.id
     WHERE y.community_id = :c AND t.captain_id IS NOT NULL
    UNION ALL
    SELECT organiser_id, 4, created_at, 'lead' FROM meetings WHERE community_id = :c AND organiser_id IS NOT NULL
    UNION ALL
    SELECT creator_id, 4, created_at, 'lead' FROM polls WHERE community_id = :c AND creator_id IS NOT NULL
)"""

# Social workers are staff, not residents: config.toml's (a JSON list in :staff) and the roles table's.
_STAFF = """
staff(user_id) AS (
    SELECT value FROM json_each(:staff) UNION SELECT user_id FROM roles WHERE role = 'social_worker'
)"""

# Known members: residents the bot has seen in a chat bound to one of the community's courtyards.
_MEMBERS = """
members(yard, user_id, first_seen) AS (
    SELECT c.courtyard_id, m.user_id, MIN(m.first_seen)
      FROM chats c JOIN chat_members m ON m.chat_id = c.chat_id
     WHERE c.community_id = :c AND c.courtyard_id IS NOT NULL AND (:yard IS NULL OR c.courtyard_id = :yard)
       AND m.user_id NOT IN (SELECT user_id FROM staff)
     GROUP BY c.courtyard_id, m.user_id
)"""


@dataclass(frozen=True)
class YardCounts:
    """Breadth and depth of one courtyard (yard_id 0: the whole community) for a period."""

    yard_id: int
    name: str
    members: int
    active: int
    prev_members: int
    prev_active: int
    rungs: tuple[int, int, int, int]  # residents whose highest rung is 1..4 at the end of the period
    moved_up: int
    months: tuple[tuple[int, int], ...]  # (members, active) per month of the breadth line


@dataclass(frozen=True)
class Totals:
    """Counts of acts in a period, anonymous ballots included (they are counted, never attributed)."""

    ballots: int
    anonymous_ballots: int
    rsvps: int
    checkins: int
    signups: int
    proposals: int
    supports: int


@dataclass(frozen=True)
class ResidentRow:
    """One person in the export: their courtyards, highest rung and counts of each act."""

    user_id: int
    name: str
    yards: str
    rung: int
    votes: int
    rsvps: int
    checkins: int
    signups: int
    proposals: int
    supports: int
    committee_votes: int
    leads: int
    first_at: int | None
    last_at: int | None


def _yard_counts(row: sqlite3.Row, months: int) -> YardCounts:
    return YardCounts(
        yard_id=int(row["yard"]),
        name=str(row["name"]),
        members=int(row["members"] or 0),
        active=int(row["active"] or 0),
        prev_members=int(row["prev_members"] or 0),
        prev_active=int(row["prev_active"] or 0),
        rungs=(int(row["r1"] or 0), int(row["r2"] or 0), int(row["r3"] or 0), int(row["r4"] or 0)),
        moved_up=int(row["moved"] or 0),
        months=tuple((int(row[f"m{k}"] or 0), int(row[f"a{k}"] or 0)) for k in range(months)),
    )


def _resident(r: sqlite3.Row) -> ResidentRow:
    def n(key: str) -> int:
        return int(r[key] or 0)

    return ResidentRow(
        user_id=int(r["user_id"]),
        name=str(r["display_name"]),
        yards=str(r["names"]),
        rung=n("top"),
        votes=n("votes"),
        rsvps=n("rsvps"),
        checkins=n("checkins"),
        signups=n("signups"),
        proposals=n("proposals"),
        supports=n("supports"),
        committee_votes=n("cvotes"),
        leads=n("leads"),
        first_at=r["first_at"],
        last_at=r["last_at"],
    )


class StatsRepository:
    """Aggregated statistics queries; meant for the threaded bulk connection."""

    def __init__(self, conn: aiosqlite.Connection, staff: Sequence[int] = ()) -> None:
        self.conn = conn
        self.staff = json.dumps([int(s) for s in staff])

    async def _all(self, sql: str, params: dict[str, object]) -> list[sqlite3.Row]:
        async with self.conn.execute(sql, {**params, "staff": self.staff}) as cur:
            return list(await cur.fetchall())

    async def breadth_depth(
        self, community_id: int, yard_id: int | None, prev_start: int, start: int, end: int, months: Sequence[int]
    ) -> list[YardCounts]:
        """Per courtyard (and a total row, yard 0): members, active now and before, rungs, moved up, months.

        months are the first moments of the months of the breadth line (oldest first); the last one runs to end.
        """
        # One pass over the acts grouped by person, then one join with the members grouped by yard; the
        # total row counts each person once even if they are in several courtyards' groups. A flag per month
        # (MAX of an indicator) gives the monthly breadth line in the same pass.
        starts = [int(m) for m in months]
        ends = [*starts[1:], end]
        flags = "".join(
            f", MAX(at >= {a} AND at < {e}) AS b{k}" for k, (a, e) in enumerate(zip(starts, ends, strict=True))
        )
        cols = "".join(f", p.b{k}" for k in range(len(ends)))
        maxes = "".join(f", MAX(b{k}) AS b{k}" for k in range(len(ends)))
        monthly = ", ".join(
            f"SUM(x.first_seen < {e}) AS m{k}, SUM(x.first_seen < {e} AND x.b{k} = 1) AS a{k}"
            for k, e in enumerate(ends)
        )
        sql = f"""
        WITH {_STAFF}, {_ACTS}, {_MEMBERS},
        per AS MATERIALIZED (
            SELECT user_id, MAX(rung) AS top, MAX(CASE WHEN at < :start THEN rung ELSE 0 END) AS before,
                   MAX(at >= :start) AS now_active, MAX(at >= :prev AND at < :start) AS prev_active{flags}
              FROM acts WHERE at < :end AND user_id IS NOT NULL GROUP BY user_id
        ),
        joined AS MATERIALIZED (
            SELECT mb.yard, mb.user_id, mb.first_seen, p.top, p.before, p.now_active, p.prev_active{cols}
              FROM members mb LEFT JOIN per p ON p.user_id = mb.user_id
        ),
        people AS (
            SELECT 0 AS yard, user_id, MIN(first_seen) AS first_seen, MAX(top) AS top, MAX(before) AS before,
                   MAX(now_active) AS now_active, MAX(prev_active) AS prev_active{maxes}
              FROM joined GROUP BY user_id
            UNION ALL SELECT * FROM joined
        )
        SELECT x.yard, COALESCE(y.name, '') AS name,
               SUM(x.first_seen < :end) AS members, SUM(x.first_seen < :end AND x.now_active = 1) AS active,
               SUM(x.first_seen < :start) AS prev_members,
               SUM(x.first_seen < :start AND x.prev_active = 1) AS prev_active,
               SUM(x.top = 1) AS r1, SUM(x.top = 2) AS r2, SUM(x.top = 3) AS r3, SUM(x.top = 4) AS r4,
               SUM(x.top > x.before) AS moved, {monthly}
          FROM people x LEFT JOIN courtyards y ON y.id = x.yard
         GROUP BY x.yard ORDER BY x.yard = 0 DESC, active * 1.0 / MAX(members, 1) DESC, y.name
        """
        params: dict[str, object] = {"c": community_id, "yard": yard_id, "prev": prev_start, "start": start}
        params["end"] = end
        return [_yard_counts(r, len(ends)) for r in await self._all(sql, params)]

    async def totals(self, community_id: int, yard_id: int | None, start: int, end: int) -> Totals:
        """Acts in [start, end) in the scope's polls, meetings, teams and proposals (anonymous ballots too)."""
        # scope_id 0 and meetings without a courtyard belong to the whole community: counted only there.
        sql = """
        SELECT
          (SELECT COUNT(*) FROM polls p JOIN poll_ballots b ON b.poll_id = p.id WHERE p.community_id = :c
             AND (:yard IS NULL OR p.scope_id = :yard) AND b.cast_at >= :start AND b.cast_at < :end) AS ballots,
          (SELECT COUNT(*) FROM polls p JOIN poll_ballots b ON b.poll_id = p.id WHERE p.community_id = :c
             AND (:yard IS NULL OR p.scope_id = :yard) AND b.cast_at >= :start AND b.cast_at < :end
             AND p.anonymous = 1) AS anonymous_ballots,
          (SELECT COUNT(*) FROM meetings m JOIN meeting_rsvps r ON r.meeting_id = m.id WHERE m.community_id = :c
             AND (:yard IS NULL OR EXISTS (SELECT 1 FROM meeting_chats mc JOIN chats ch ON ch.chat_id = mc.chat_id
                   WHERE mc.meeting_id = m.id AND ch.courtyard_id = :yard))
             AND r.answer IN ('yes', 'maybe') AND r.updated_at >= :start AND r.updated_at < :end) AS rsvps,
          (SELECT COUNT(*) FROM meetings m JOIN meeting_checkins k ON k.meeting_id = m.id WHERE m.community_id = :c
             AND (:yard IS NULL OR EXISTS (SELECT 1 FROM meeting_chats mc JOIN chats ch ON ch.chat_id = mc.chat_id
                   WHERE mc.meeting_id = m.id AND ch.courtyard_id = :yard))
             AND k.at >= :start AND k.at < :end) AS checkins,
          (SELECT COUNT(*) FROM courtyards y JOIN teams t ON t.courtyard_id = y.id JOIN team_events e
             ON e.team_id = t.id WHERE y.community_id = :c AND (:yard IS NULL OR y.id = :yard)
             AND e.status IN ('member', 'waitlist', 'pending') AND e.at >= :start AND e.at < :end) AS signups,
          (SELECT COUNT(*) FROM proposals WHERE community_id = :c AND (:yard IS NULL OR scope_id = :yard)
             AND created_at >= :start AND created_at < :end) AS proposals,
          (SELECT COUNT(*) FROM proposals p JOIN proposal_supports s ON s.proposal_id = p.id
             WHERE p.community_id = :c AND (:yard IS NULL OR p.scope_id = :yard)
             AND s.created_at >= :start AND s.created_at < :end) AS supports
        """
        row = (await self._all(sql, {"c": community_id, "yard": yard_id, "start": start, "end": end}))[0]
        return Totals(*(int(row[i] or 0) for i in range(7)))

    async def residents(self, community_id: int) -> list[ResidentRow]:
        """Every known member or participant of the community with counts of each act (no anonymous ballot)."""
        sql = f"""
        WITH {_STAFF}, {_ACTS}, {_MEMBERS},
        yards AS (
            SELECT mb.user_id, GROUP_CONCAT(y.name, '、') AS names
              FROM (SELECT DISTINCT user_id, yard FROM members ORDER BY yard) mb JOIN courtyards y ON y.id = mb.yard
             GROUP BY mb.user_id
        ),
        per AS (
            SELECT user_id, MAX(rung) AS top, SUM(kind = 'vote') AS votes, SUM(kind = 'rsvp') AS rsvps,
                   SUM(kind = 'checkin') AS checkins, SUM(kind = 'signup') AS signups,
                   SUM(kind = 'propose') AS proposals, SUM(kind = 'support') AS supports,
                   SUM(kind = 'cvote') AS cvotes, SUM(kind = 'lead') AS leads, MIN(at) AS first_at, MAX(at) AS last_at
              FROM acts WHERE user_id IS NOT NULL GROUP BY user_id
        ),
        everyone AS (SELECT user_id FROM yards UNION SELECT user_id FROM per EXCEPT SELECT user_id FROM staff)
        SELECT e.user_id, u.display_name, COALESCE(yd.names, '') AS names, COALESCE(p.top, 0) AS top,
               p.votes, p.rsvps, p.checkins, p.signups, p.proposals, p.supports, p.cvotes, p.leads,
               p.first_at, p.last_at
          FROM everyone e JOIN users u ON u.user_id = e.user_id
          LEFT JOIN yards yd ON yd.user_id = e.user_id LEFT JOIN per p ON p.user_id = e.user_id
         ORDER BY names, top DESC, u.display_name
        """
        rows = await self._all(sql, {"c": community_id, "yard": None})
        return [_resident(r) for r in rows]

    async def teams(self, community_id: int) -> list[sqlite3.Row]:
        """Teams with courtyard, captain and counts of members and waitlist."""
        sql = """
        SELECT y.name AS yard, t.name, t.purpose, t.capacity, u.display_name AS captain, t.created_at,
               SUM(m.status = 'member') AS members, SUM(m.status = 'waitlist') AS waitlist
          FROM courtyards y JOIN teams t ON t.courtyard_id = y.id
          LEFT JOIN users u ON u.user_id = t.captain_id LEFT JOIN team_members m ON m.team_id = t.id
         WHERE y.community_id = :c GROUP BY t.id ORDER BY y.name, t.name
        """
        return await self._all(sql, {"c": community_id})

    async def meetings(self, community_id: int) -> list[sqlite3.Row]:
        """Meetings with RSVP counts and check-ins."""
        sql = """
        SELECT m.kind, m.title, m.starts_at, m.place, m.status,
               (SELECT COUNT(*) FROM meeting_rsvps r WHERE r.meeting_id = m.id AND r.answer = 'yes') AS yes,
               (SELECT COUNT(*) FROM meeting_rsvps r WHERE r.meeting_id = m.id AND r.answer = 'maybe') AS maybe,
               (SELECT COUNT(*) FROM meeting_rsvps r WHERE r.meeting_id = m.id AND r.answer = 'no') AS no,
               (SELECT COUNT(*) FROM meeting_checkins k WHERE k.meeting_id = m.id) AS checkins
          FROM meetings m WHERE m.community_id = :c ORDER BY m.starts_at
        """
        return await self._all(sql, {"c": community_id})

    async def polls(self, community_id: int) -> list[sqlite3.Row]:
        """Polls with ballot counts and the size of their chat (for turnout)."""
        sql = """
        SELECT p.question, p.anonymous, p.electorate, p.status, p.created_at, p.closes_at, COALESCE(y.name, '') AS yard,
               (SELECT COUNT(*) FROM poll_ballots b WHERE b.poll_id = p.id) AS ballots,
               (SELECT COUNT(*) FROM chat_members cm WHERE cm.chat_id = p.chat_id) AS electorate_size
          FROM polls p LEFT JOIN courtyards y ON y.id = p.scope_id
         WHERE p.community_id = :c ORDER BY p.created_at
        """
        return await self._all(sql, {"c": community_id})

    async def proposals(self, community_id: int) -> list[sqlite3.Row]:
        """Proposals with proposer, supports and status."""
        sql = """
        SELECT p.number, p.title, COALESCE(y.name, '') AS yard, u.display_name AS proposer, p.status,
               p.answer_reason, p.created_at,
               (SELECT COUNT(*) FROM proposal_supports s WHERE s.proposal_id = p.id) AS supports
          FROM proposals p LEFT JOIN courtyards y ON y.id = p.scope_id LEFT JOIN users u ON u.user_id = p.proposer_id
         WHERE p.community_id = :c ORDER BY p.created_at
        """
        return await self._all(sql, {"c": community_id})
