"""Participation statistics (参与广度与深度): breadth per courtyard, the depth ladder, and the export data."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_ts, to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, PermissionDenied
from storage.chats import ChatsRepository
from storage.db import Database
from storage.stats import ResidentRow, StatsRepository, Totals, YardCounts

PERIODS = (7, 30, 90, 0)  # days; 0: everything so far
DEFAULT_DAYS = 30
MONTHS = 6


@dataclass(frozen=True)
class StatsView:
    """Everything /stats shows for one period and one scope (a courtyard, or the whole community)."""

    days: int
    start: datetime | None  # None: from the beginning
    end: datetime
    yard_id: int | None  # None: the whole community
    total: YardCounts
    yards: list[YardCounts]  # one per courtyard (community scope only)
    totals: Totals
    months: list[datetime]  # first day of each of the last months, oldest first
    monthly: list[tuple[int, int]]  # (members, active) per month


@dataclass(frozen=True)
class ExportData:
    """The rows of every sheet of the statistics workbook."""

    residents: list[ResidentRow]
    teams: list[sqlite3.Row]
    meetings: list[sqlite3.Row]
    polls: list[sqlite3.Row]
    proposals: list[sqlite3.Row]


def month_starts(now: datetime, tz: ZoneInfo, count: int) -> list[datetime]:
    """The first moment of each of the last `count` months in tz, oldest first (the current month last)."""
    local = now.astimezone(tz)
    year, month = local.year, local.month
    starts: list[datetime] = []
    for _ in range(count):
        starts.append(datetime(year, month, 1, tzinfo=tz))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


class StatsService:
    """Reads participation statistics on the threaded bulk connection (long queries off the event loop)."""

    def __init__(
        self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo, social_workers: Iterable[int] = ()
    ) -> None:
        self.db = db
        self.staff = tuple(social_workers)  # not residents: left out of every count
        self.clock = clock
        self.community_id = community_id
        self.tz = tz

    @staticmethod
    def scope(actor: Actor) -> int | None:
        """The courtyard the actor may see (in its group), or None for the whole community; refuse others."""
        if actor.is_social_worker:
            return actor.courtyard_id if actor.in_group else None
        if actor.in_group and actor.courtyard_id is not None and actor.is_backbone_here:
            return actor.courtyard_id
        raise PermissionDenied("social_worker" if not actor.in_group else "backbone")

    async def overview(self, actor: Actor, days: int = DEFAULT_DAYS) -> StatsView:
        """Breadth, depth ladder, totals and the monthly breadth line for the actor's scope."""
        if days not in PERIODS:
            raise InvalidInput("period")
        yard = self.scope(actor)
        now = self.clock.now()
        end = to_ts(now) + 1
        start = end - days * 86400 if days else 0
        prev = start - days * 86400 if days else 0
        months = month_starts(now, self.tz, MONTHS)
        repo = StatsRepository(self.db.bulk, self.staff)
        rows = await repo.breadth_depth(self.community_id, yard, prev, start, end, [to_ts(m) for m in months])
        empty = YardCounts(0, "", 0, 0, 0, 0, (0, 0, 0, 0), 0, tuple((0, 0) for _ in months))
        total = next((r for r in rows if r.yard_id == 0), empty)
        yards = [r for r in rows if r.yard_id != 0]
        if yard is not None:
            # A courtyard with no known member yet still shows its name (and zeros).
            yard_row = await ChatsRepository(self.db.reader).courtyard(yard)
            total = next((r for r in yards if r.yard_id == yard), replace(empty, yard_id=yard))
            total = replace(total, name=yard_row.name if yard_row else total.name)
            yards = []
        totals = await repo.totals(self.community_id, yard, start, end)
        return StatsView(
            days=days,
            start=from_ts(start) if days else None,
            end=now,
            yard_id=yard,
            total=total,
            yards=yards,
            totals=totals,
            months=months,
            monthly=list(total.months),
        )

    async def export(self, actor: Actor) -> ExportData:
        """Every sheet's rows for the community; social workers only."""
        actor.require_social_worker()
        repo = StatsRepository(self.db.bulk, self.staff)
        return ExportData(
            residents=await repo.residents(self.community_id),
            teams=await repo.teams(self.community_id),
            meetings=await repo.meetings(self.community_id),
            polls=await repo.polls(self.community_id),
            proposals=await repo.proposals(self.community_id),
        )
