"""A team's settings: places, approval, open or closed, purpose, deadline, captain."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.clock import to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, PermissionDenied
from bot.services.teams import MAX_CAPACITY, MAX_PURPOSE, TeamsService
from bot.timeparse import read_time
from storage.teams import Team, TeamsRepository
from storage.users import UsersRepository


class TeamSettingsService:
    """Changes to a team's settings, by whoever may manage it; each one transaction."""

    def __init__(self, teams: TeamsService) -> None:
        self.teams = teams
        self.db = teams.db

    def _now(self) -> int:
        return to_ts(self.teams.clock.now())

    async def set_capacity(self, actor: Actor, team_id: int, capacity: int | None) -> Team:
        """Change the number of places (None: no limit); a larger number promotes from the waitlist."""
        if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
            raise InvalidInput("bad_capacity", limit=MAX_CAPACITY)
        return await self._set(actor, team_id, "capacity", capacity, promote=True)

    async def set_approval(self, actor: Actor, team_id: int, on: bool) -> Team:
        """Turn captain approval of new sign-ups on or off."""
        return await self._set(actor, team_id, "approval", int(on))

    async def set_open(self, actor: Actor, team_id: int, on: bool) -> Team:
        """Close or reopen sign-up."""
        return await self._set(actor, team_id, "open", int(on))

    async def set_purpose(self, actor: Actor, team_id: int, text: str) -> Team:
        """Say what the team does."""
        purpose = " ".join(text.split())
        if len(purpose) > MAX_PURPOSE:
            raise InvalidInput("purpose_too_long", limit=MAX_PURPOSE)
        return await self._set(actor, team_id, "purpose", purpose)

    async def set_deadline(self, actor: Actor, team_id: int, text: str | None) -> Team:
        """Close sign-up at the end of a typed day (None removes the deadline)."""
        deadline = None
        if text is not None:
            tz = self.teams.tz
            # A TimeRefusal propagates: the handler says what was not usable.
            day = read_time(text, now=self.teams.clock.now().astimezone(tz), date_only=True).day
            end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz) - timedelta(seconds=1)
            deadline = to_ts(end)
        return await self._set(actor, team_id, "deadline", deadline)

    async def set_captain(self, actor: Actor, team_id: int, target_id: int) -> Team:
        """Make a person the captain (backbone, social workers or the team's creator)."""
        async with self.db.transaction() as conn:
            repo = TeamsRepository(conn)
            team = await self.teams.visible(repo, actor, team_id)
            if not (actor.is_backbone_here or team.created_by == actor.user_id):
                raise PermissionDenied("backbone")
            if await UsersRepository(conn).get(target_id) is None:
                raise InvalidInput("unknown_person")
            await repo.update(team.id, "captain_id", target_id, self._now())
            updated = await repo.get(team.id)
        assert updated is not None
        return updated

    async def _set(self, actor: Actor, team_id: int, column: str, value: object, *, promote: bool = False) -> Team:
        now = self._now()
        async with self.db.transaction() as conn:
            repo = TeamsRepository(conn)
            team = await self.teams.managed(repo, actor, team_id)
            await repo.update(team.id, column, value, now)
            updated = await repo.get(team.id)
            assert updated is not None
            if promote:
                await self.teams.promote(conn, updated, now)
        return updated

    async def team(self, actor: Actor, team_id: int) -> Team:
        """The team, if the actor may change its settings."""
        return await self.teams.managed(TeamsRepository(self.db.reader), actor, team_id)
