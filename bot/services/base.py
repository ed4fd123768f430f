"""What the community's feature services hold: the database, the clock, the community and its time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.clock import Clock, to_ts
from storage.db import Database


class CommunityService:
    """A service of one community: transactions on db, times from clock, dates in the community's zone."""

    def __init__(self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id
        self.tz = tz

    def _now(self) -> int:
        return to_ts(self.clock.now())
