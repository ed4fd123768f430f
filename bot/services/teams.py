"""Teams and sign-up (接龙): capacity, waitlist with promotion, captains, approvals, history."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite

from bot.numbers import CHINESE_NUMERALS, typed_count
from bot.services.actor import Actor
from bot.services.base import CommunityService
from bot.services.community import clean_name
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, WrongChat
from bot.services.teams_export import ExportRow, export_rows
from bot.services.teams_notes import Notice, queue_team_note, read_note
from storage.chats import ChatsRepository
from storage.teams import ACTIVE, Counts, JoinState, Membership, Team, TeamsRepository
from storage.users import UsersRepository

ROSTER = "roster"  # the live-message kind of roster messages
MAX_TEAM_NAME = 30
MAX_PURPOSE = 100
MAX_CAPACITY = 999

_TRAILING_NUMBER = re.compile(rf"^(?P<name>.*?)\s+(?P<n>\d{{1,6}}|[{CHINESE_NUMERALS}]{{1,6}})\s*(?:个人|人|名|个)?$")


def split_name_and_capacity(text: str) -> tuple[str, int | None]:
    """Split "碧水苑墙绘队 8" (or "巡逻队 八", "巡逻队 十二人") into the name and the optional capacity."""
    normal = unicodedata.normalize("NFKC", text).strip()
    match = _TRAILING_NUMBER.match(normal)
    if match and match.group("name").strip():
        return match.group("name"), parse_capacity(match.group("n"))
    return normal, None


def parse_capacity(text: str) -> int | None:
    """A typed capacity: a whole number from 1 to 999 (digits or 八, 十二, 二十); 0 or 不限 mean no limit."""
    normal = unicodedata.normalize("NFKC", text).strip().removesuffix("人").removesuffix("名").strip()
    normal = normal.removesuffix("个").strip()
    if normal in ("0", "零", "不限", "无限", "不限制"):
        return None
    number = typed_count(normal, high=MAX_CAPACITY)
    if number is None or number < 1:
        raise InvalidInput("bad_capacity", limit=MAX_CAPACITY)
    return number


@dataclass(frozen=True)
class TeamSummary:
    team: Team
    counts: Counts
    accepting: bool = True  # sign-up open and its deadline not passed


@dataclass(frozen=True)
class Roster:
    team: Team
    captain_name: str | None
    members: list[Membership]
    waitlist: list[Membership]
    pending: list[Membership]
    accepting: bool


@dataclass(frozen=True)
class JoinResult:
    team: Team
    status: str  # member | waitlist | pending; when stale also left | removed | declined | none
    position: int  # place among those of the same status
    already: bool  # the person was already in: nothing changed
    stale: bool = False  # a later press of the person was obeyed already: this one only tells the state


@dataclass(frozen=True)
class LeaveResult:
    team: Team
    previous: str  # the state left: member | waitlist | pending
    current: JoinResult | None = None  # set when the press was stale: the state it is answered with


@dataclass(frozen=True)
class Decision:
    team: Team
    user_id: int
    name: str
    status: str
    position: int


@dataclass(frozen=True)
class MyTeam:
    team: Team
    courtyard: str
    status: str  # member | waitlist | pending | captain (captain without a sign-up)
    position: int


class TeamsService(CommunityService):
    """Use cases of teams; every change is one transaction, and the notes it owes are queued in it."""

    # -- permissions ---------------------------------------------------------------------
    @staticmethod
    def can_manage(actor: Actor, team: Team) -> bool:
        """Captain, social workers, the courtyard's backbone, and the group's admins."""
        if actor.is_social_worker or team.captain_id == actor.user_id:
            return True
        if team.courtyard_id in actor.backbone_courtyards:
            return True
        return actor.in_group and actor.is_chat_admin and actor.courtyard_id == team.courtyard_id

    async def visible(self, repo: TeamsRepository, actor: Actor, team_id: int) -> Team:
        """The team, if the actor may see it from here; forged ids of other courtyards are NotFound."""
        team = await repo.get(team_id)
        if team is None:
            raise NotFound("team")
        if actor.in_group:
            if actor.courtyard_id != team.courtyard_id:
                raise NotFound("team")
        elif not self.can_manage(actor, team) and await repo.membership(team_id, actor.user_id) is None:
            raise NotFound("team")
        return team

    async def managed(self, repo: TeamsRepository, actor: Actor, team_id: int) -> Team:
        team = await self.visible(repo, actor, team_id)
        if not self.can_manage(actor, team):
            raise PermissionDenied("captain")
        return team

    @staticmethod
    def _here(actor: Actor) -> int:
        if not actor.in_group:
            raise WrongChat("group")
        if actor.courtyard_id is None:
            raise WrongChat("bound")
        return actor.courtyard_id

    def accepting(self, team: Team, now: int | None = None) -> bool:
        """True while sign-up is open and the deadline has not passed."""
        moment = self._now() if now is None else now
        return team.open and (team.deadline is None or moment <= team.deadline)

    # -- teams ---------------------------------------------------------------------------
    async def create(self, actor: Actor, text: str) -> Team:
        """Create a team in the actor's courtyard from "名称 [名额]"; the creator is its captain."""
        courtyard_id = self._here(actor)
        actor.require_backbone()
        raw_name, capacity = split_name_and_capacity(text)
        name = clean_name(raw_name, limit=MAX_TEAM_NAME)
        now = self._now()
        async with self.db.transaction() as conn:
            await UsersRepository(conn).ensure(actor.user_id, actor.display_name, now)
            team = await TeamsRepository(conn).create(courtyard_id, actor.chat_id, name, capacity, actor.user_id, now)
        if team is None:
            raise InvalidInput("team_exists")
        return team

    async def teams_here(self, actor: Actor) -> list[TeamSummary]:
        """Every team of the actor's courtyard with its counts."""
        courtyard_id = self._here(actor)
        repo = TeamsRepository(self.db.reader)
        teams = await repo.in_courtyard(courtyard_id)
        counts = await repo.counts([t.id for t in teams])
        return [TeamSummary(t, counts[t.id], self.accepting(t)) for t in teams]

    async def match(self, actor: Actor, text: str) -> list[Team]:
        """Teams of this courtyard named by text: the exact name, else every name containing it."""
        courtyard_id = self._here(actor)
        teams = await TeamsRepository(self.db.reader).in_courtyard(courtyard_id)
        return match_teams(teams, text)

    async def roster(self, team_id: int) -> Roster | None:
        """Members, waitlist and pending requests, in queue order (for messages already shown)."""
        repo = TeamsRepository(self.db.reader)
        team = await repo.get(team_id)
        if team is None:
            return None
        people = await repo.people(team_id)
        captain = await UsersRepository(self.db.reader).get(team.captain_id) if team.captain_id else None
        return Roster(
            team=team,
            captain_name=captain.display_name if captain else None,
            members=[p for p in people if p.status == "member"],
            waitlist=[p for p in people if p.status == "waitlist"],
            pending=[p for p in people if p.status == "pending"],
            accepting=self.accepting(team),
        )

    async def roster_for(self, actor: Actor, team_id: int) -> Roster:
        """The roster of a team the actor may see."""
        await self.visible(TeamsRepository(self.db.reader), actor, team_id)
        roster = await self.roster(team_id)
        if roster is None:
            raise NotFound("team")
        return roster

    # -- joining and leaving ---------------------------------------------------------------
    async def join(self, actor: Actor, team_id: int, seq: int) -> JoinResult:
        """Sign up: a member while there is room, else the waitlist; pending when the captain approves.

        seq is the update id of the press: one older than the person's last press obeyed changes nothing.
        """
        if not actor.in_group:
            raise WrongChat("group")
        now = self._now()
        # Count and insert in one serialised transaction: 50 simultaneous presses on a team of
        # ten give exactly ten members, and the queue number records the order of the presses.
        async with self.db.transaction() as conn:
            repo = TeamsRepository(conn)
            team = await self.visible(repo, actor, team_id)
            state = await repo.join_state(team.id, actor.user_id)
            if state.pressed is not None and state.pressed >= seq:
                return await self._as_now(repo, team, state)
            if state.status in ACTIVE and state.seq is not None:
                await repo.pressed(team.id, actor.user_id, seq)
                position = await repo.position(team.id, state.status, state.seq)
                return JoinResult(team, state.status, position, already=True)
            if not team.open:
                raise InvalidInput("signup_closed")
            if not self.accepting(team, now):
                raise InvalidInput("deadline_passed")
            if not state.known_person:
                # The middleware records everyone it sees; this covers a person it has not (yet).
                await UsersRepository(conn).ensure(actor.user_id, actor.display_name, now)
            if team.approval and not self.can_manage(actor, team):
                status, ahead = "pending", await repo.count(team.id, "pending")
            elif team.capacity is None or state.members < team.capacity:
                status, ahead = "member", state.members
            else:
                status, ahead = "waitlist", state.waitlist
            queued = await repo.request(team.id, actor.user_id, status, now)
            await repo.pressed(team.id, actor.user_id, seq)
            if status == "pending":
                await queue_team_note(conn, self.community_id, team, "requested", actor.user_id, queued, status, now)
            # The newest request is last in its state.
            position = ahead + 1
        return JoinResult(team, status, position, already=False)

    async def leave(self, actor: Actor, team_id: int, seq: int) -> LeaveResult:
        """Leave a team (or the waitlist, or withdraw a request); the first waitlisted moves up."""
        now = self._now()
        async with self.db.transaction() as conn:
            repo = TeamsRepository(conn)
            team = await self.visible(repo, actor, team_id)
            state = await repo.join_state(team.id, actor.user_id)
            if state.pressed is not None and state.pressed >= seq:
                return LeaveResult(team, state.status or "none", await self._as_now(repo, team, state))
            if not state.known_person:
                await UsersRepository(conn).ensure(actor.user_id, actor.display_name, now)
            # Remembered even when there is nothing to leave: a 报名 tapped before it and handled
            # after it must not sign the person up.
            await repo.pressed(team.id, actor.user_id, seq)
            if state.status in ACTIVE:
                await repo.set_status(team.id, actor.user_id, "left", now)
                if state.status == "member":
                    await self.promote(conn, team, now)
        previous = state.status
        if previous is None or previous not in ACTIVE:
            raise InvalidInput("not_in_team")  # after the commit, which keeps the press remembered
        return LeaveResult(team, previous)

    async def signed_up(self, actor: Actor, team_id: int) -> tuple[Team, bool]:
        """The team and whether the actor is on it now (member, waitlist or a pending request)."""
        repo = TeamsRepository(self.db.reader)
        team = await self.visible(repo, actor, team_id)
        state = await repo.join_state(team.id, actor.user_id)
        return team, state.status in ACTIVE

    @staticmethod
    async def _as_now(repo: TeamsRepository, team: Team, state: JoinState) -> JoinResult:
        """The person's state in a team, for answering a press that came too late to count."""
        if state.status in ACTIVE and state.seq is not None:
            position = await repo.position(team.id, state.status, state.seq)
            return JoinResult(team, state.status, position, already=True, stale=True)
        return JoinResult(team, state.status or "none", 0, already=True, stale=True)

    async def promote(self, conn: aiosqlite.Connection, team: Team, now: int) -> int:
        """Fill free places from the waitlist in queue order; each promoted person is owed a note."""
        repo = TeamsRepository(conn)
        members = await repo.count(team.id, "member")
        promoted = 0
        while team.capacity is None or members < team.capacity:
            first = await repo.first_waitlisted(team.id)
            if first is None:
                break
            await repo.set_status(team.id, first.user_id, "member", now)
            await queue_team_note(conn, self.community_id, team, "promoted", first.user_id, first.seq, "member", now)
            members += 1
            promoted += 1
        return promoted

    # -- captains ------------------------------------------------------------------------
    async def approve(self, actor: Actor, seq: int) -> Decision:
        """Accept a pending request: a member if there is room, else the waitlist."""
        return await self._decide(actor, seq, "approve")

    async def decline(self, actor: Actor, seq: int) -> Decision:
        """Turn a pending request down."""
        return await self._decide(actor, seq, "decline")

    async def remove(self, actor: Actor, seq: int) -> Decision:
        """Take a member (or a waitlisted person) off the team; the waitlist moves up."""
        return await self._decide(actor, seq, "remove")

    async def _decide(self, actor: Actor, seq: int, action: str) -> Decision:
        now = self._now()
        async with self.db.transaction() as conn:
            repo = TeamsRepository(conn)
            row = await repo.by_seq(seq)
            if row is None:
                raise NotFound("request")
            team = await self.managed(repo, actor, row.team_id)
            wanted = ("pending",) if action != "remove" else ("member", "waitlist")
            if row.status not in wanted:
                raise InvalidInput("already_decided")
            if action == "decline":
                status = "declined"
            elif action == "remove":
                status = "removed"
            elif team.capacity is None or await repo.count(team.id, "member") < team.capacity:
                status = "member"
            else:
                status = "waitlist"
            await repo.set_status(team.id, row.user_id, status, now)
            await queue_team_note(conn, self.community_id, team, _NOTICE_OF[action], row.user_id, row.seq, status, now)
            if action == "remove" and row.status == "member":
                await self.promote(conn, team, now)
            position = await repo.position(team.id, status, row.seq) if status in ACTIVE else 0
        return Decision(team, row.user_id, row.display_name, status, position)

    async def call(self, actor: Actor, team_id: int) -> Roster:
        """The members to mention when the captain calls the team together."""
        if not actor.in_group:
            raise WrongChat("group")
        await self.managed(TeamsRepository(self.db.reader), actor, team_id)
        roster = await self.roster(team_id)
        if roster is None:
            raise NotFound("team")
        return roster

    # -- a person's teams, which they may leave or call, export -----------------------------
    async def to_leave(self, actor: Actor) -> list[Team]:
        """The teams here the actor has signed up for (a captain without a sign-up has nothing to leave)."""
        mine = {m.team.id for m in await self.my_teams(actor.user_id) if m.status != "captain"}
        return [s.team for s in await self.teams_here(actor) if s.team.id in mine]

    async def to_call(self, actor: Actor) -> list[Team]:
        """The teams here the actor may call together; none is PermissionDenied."""
        teams = [s.team for s in await self.teams_here(actor) if self.can_manage(actor, s.team)]
        if not teams:
            raise PermissionDenied("captain")
        return teams

    async def my_teams(self, user_id: int) -> list[MyTeam]:
        """A person's teams across courtyards: sign-ups in progress and teams they captain."""
        repo = TeamsRepository(self.db.reader)
        names = dict(await self._courtyard_names())
        found: list[MyTeam] = []
        captained = {t.id: t for t in await repo.captained_by(user_id)}
        for row in await repo.of_user(user_id):
            team = await repo.get(row.team_id)
            if team is None:
                continue
            position = await repo.position(team.id, row.status, row.seq)
            found.append(MyTeam(team, names.get(team.courtyard_id, ""), row.status, position))
            captained.pop(team.id, None)
        found.extend(MyTeam(t, names.get(t.courtyard_id, ""), "captain", 0) for t in captained.values())
        return found

    async def _courtyard_names(self) -> list[tuple[int, str]]:
        yards = await ChatsRepository(self.db.reader).courtyards(self.community_id)
        return [(y.id, y.name) for y in yards]

    async def export(self, actor: Actor, name: str | None) -> list[ExportRow]:
        """Every sign-up (history included) of this courtyard's teams, or of all teams in private."""
        actor.require_social_worker()
        repo = TeamsRepository(self.db.reader)
        teams = await repo.in_community(self.community_id)
        if actor.in_group:
            if actor.courtyard_id is None:
                raise WrongChat("bound")
            teams = [(t, y) for t, y in teams if t.courtyard_id == actor.courtyard_id]
        if name:
            chosen = {t.id for t in match_teams([t for t, _ in teams], name)}
            teams = [(t, y) for t, y in teams if t.id in chosen]
            if not teams:
                raise NotFound("team")
        return await export_rows(repo, teams)

    async def note(self, payload: Mapping[str, object]) -> Notice | None:
        """What a queued team note says now; None once it no longer holds."""
        return await read_note(self.db.reader, payload)

    async def forget_hook(self, conn: aiosqlite.Connection, user_id: int) -> None:
        """/forget: leave every team (the rows then go with the person) and promote the waitlists."""
        repo = TeamsRepository(conn)
        now = self._now()
        for row in await repo.of_user(user_id):
            await repo.set_status(row.team_id, user_id, "left", now)
            team = await repo.get(row.team_id)
            if team is not None and row.status == "member":
                await self.promote(conn, team, now)


_NOTICE_OF = {"approve": "approved", "decline": "declined", "remove": "removed"}


def match_teams(teams: list[Team], text: str) -> list[Team]:
    """The team named exactly by text, else all whose names contain it (case-insensitive)."""
    wanted = " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    if not wanted:
        return []
    exact = [t for t in teams if unicodedata.normalize("NFKC", t.name).casefold() == wanted]
    if exact:
        return exact
    return [t for t in teams if wanted in unicodedata.normalize("NFKC", t.name).casefold()]


def split_team_prefix(teams: list[Team], text: str) -> tuple[Team | None, str]:
    """For "/callteam 护卫队 明早8点集合": the team whose name starts the text, and the rest."""
    normal = unicodedata.normalize("NFKC", text).strip()
    best: Team | None = None
    for team in teams:
        name = unicodedata.normalize("NFKC", team.name)
        if normal.casefold().startswith(name.casefold()) and (best is None or len(name) > len(best.name)):
            best = team
    if best is None:
        return None, normal
    return best, normal[len(unicodedata.normalize("NFKC", best.name)) :].strip()
