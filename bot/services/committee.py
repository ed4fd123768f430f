"""The review committee (评审会): positions appointed by social workers, join requests, leaving, the roster.

Members hold the `committee` role (scope 0) that committee-only polls use as their electorate; the
position is chair, vice_chair or member. A new chair moves the old one to member (both logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.services.actor import Actor
from bot.services.base import CommunityService
from bot.services.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.notes import queue_person_note
from storage.committee import CommitteeRepository, HistoryEntry, JoinRequest, Member
from storage.db import Database
from storage.users import RolesRepository, UsersRepository

POSITIONS = ("chair", "vice_chair", "member")
COMMITTEE_REQUEST = "committee_request"  # note to each approver: a resident asks to join (with buttons)
COMMITTEE_DECIDED = "committee_decided"  # note to the resident: approved or declined


@dataclass(frozen=True)
class Roster:
    members: list[Member]
    history: list[HistoryEntry]


class CommitteeService(CommunityService):
    """Who is on the committee, in which position, and since when."""

    def __init__(
        self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo, config_social_workers: frozenset[int]
    ) -> None:
        super().__init__(db, clock, community_id, tz)
        self.config_social_workers = config_social_workers

    async def position_of(self, user_id: int) -> str | None:
        """The person's position, None if not on the committee."""
        for member in await CommitteeRepository(self.db.reader).members():
            if member.user_id == user_id:
                return member.position
        return None

    async def require_chair(self, actor: Actor) -> None:
        """The chair, or the vice chair while there is no chair."""
        repo = CommitteeRepository(self.db.reader)
        chair = await repo.holder_of("chair")
        if actor.user_id == chair:
            return
        if chair is None and actor.user_id == await repo.holder_of("vice_chair"):
            return
        raise PermissionDenied("chair")

    async def require_chair_or_social_worker(self, actor: Actor) -> None:
        """The committee's chair or a social worker (joins, committee polls, contests)."""
        if not actor.is_social_worker:
            await self.require_chair(actor)

    async def appoint(self, actor: Actor, target_id: int, position: str) -> str | None:
        """A social worker appoints a person (replied to or picked from a list); the previous position or None."""
        actor.require_social_worker()
        if position not in POSITIONS:
            raise InvalidInput("unknown_position")
        async with self.db.transaction() as conn:
            if await UsersRepository(conn).get(target_id) is None:
                raise InvalidInput("unknown_person")
            repo = CommitteeRepository(conn)
            now = self._now()
            if position in ("chair", "vice_chair"):
                holder = await repo.holder_of(position)
                if holder is not None and holder != target_id:
                    await repo.set_position(holder, "member", actor.user_id, now)
            return await repo.set_position(target_id, position, actor.user_id, now)

    async def remove(self, actor: Actor, target_id: int) -> None:
        """A social worker takes a person off the committee (kept in the history)."""
        actor.require_social_worker()
        async with self.db.transaction() as conn:
            if not await CommitteeRepository(conn).remove(target_id, actor.user_id, self._now()):
                raise NotFound("member")

    async def leave(self, actor: Actor) -> None:
        """A member leaves with the button (kept in the history)."""
        async with self.db.transaction() as conn:
            if not await CommitteeRepository(conn).remove(actor.user_id, actor.user_id, self._now()):
                raise NotFound("member")

    async def _approvers(self, repo: CommitteeRepository, roles: RolesRepository) -> list[int]:
        chair = await repo.holder_of("chair")
        workers = {r.user_id for r in await roles.holders("social_worker", 0)} | set(self.config_social_workers)
        return sorted(workers | ({chair} if chair is not None else set()))

    async def request_join(self, actor: Actor) -> int:
        """A resident asks to join; the chair and the social workers are told (privately) with buttons."""
        async with self.db.transaction() as conn:
            repo = CommitteeRepository(conn)
            if any(m.user_id == actor.user_id for m in await repo.members()):
                raise InvalidInput("already_member")
            now = self._now()
            request_id = await repo.request(actor.user_id, actor.chat_id if actor.in_group else None, now)
            if request_id is None:
                raise InvalidInput("request_pending")
            for approver in await self._approvers(repo, RolesRepository(conn)):
                await queue_person_note(
                    conn,
                    COMMITTEE_REQUEST,
                    user_id=approver,
                    group_chat_id=None,
                    payload={"request": request_id},
                    now=now,
                    ref_id=request_id,
                    dedupe_key=f"{COMMITTEE_REQUEST}:{request_id}:{approver}",
                )
        return request_id

    async def decide(self, actor: Actor, request_id: int, approve: bool) -> JoinRequest:
        """The chair or a social worker approves or declines; the resident is told."""
        await self.require_chair_or_social_worker(actor)
        async with self.db.transaction() as conn:
            repo = CommitteeRepository(conn)
            request = await repo.get_request(request_id)
            if request is None:
                raise NotFound("request")
            now = self._now()
            if not await repo.decide(request_id, "approved" if approve else "declined", actor.user_id, now):
                raise InvalidInput("request_decided")
            if approve:
                await repo.set_position(request.user_id, "member", actor.user_id, now)
            await queue_person_note(
                conn,
                COMMITTEE_DECIDED,
                user_id=request.user_id,
                group_chat_id=request.chat_id,
                payload={"request": request_id, "approved": approve},
                now=now,
                ref_id=request_id,
                dedupe_key=f"{COMMITTEE_DECIDED}:{request_id}",
            )
            decided = await repo.get_request(request_id)
        assert decided is not None
        return decided

    async def pending_request(self, request_id: int) -> JoinRequest | None:
        """A request for its note; None once decided or gone."""
        found = await CommitteeRepository(self.db.reader).get_request(request_id)
        return found if found is not None and found.status == "pending" else None

    async def request(self, request_id: int) -> JoinRequest | None:
        """A request, whatever its status."""
        return await CommitteeRepository(self.db.reader).get_request(request_id)

    async def roster(self) -> Roster:
        """The members by position with the date each joined, and every join, change and leave."""
        repo = CommitteeRepository(self.db.reader)
        return Roster(await repo.members(), await repo.history())
