"""Polls (投票): create, vote, tally, close at the deadline, remind non-voters, record the outcome."""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import aiosqlite

from bot.clock import Clock, from_ts, to_ts
from bot.services.actor import Actor
from bot.services.community import group_scope
from bot.services.dialogs import consume_dialog
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, required_text
from bot.services.poll_spec import Draft, Poll, PollSpec, Toggle, clean_spec, spec_columns
from storage.applied import AppliedUpdatesRepository
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.polls import PollsRepository
from storage.users import RolesRepository

MAX_OUTCOME = 2000
NUDGE_INTERVAL_S = 600
_LABELS_CACHED = 1000  # polls whose options are held in memory (first in, first out)
# The community committee: who votes in a committee-only poll; its chair may launch polls.
COMMITTEE_ROLE = "committee"
COMMITTEE_SCOPE = 0
# Outbox kinds: queued in the same transaction as the change that causes them (restart-safe).
POLL_RESULTS = "poll_results"
POLL_REMINDER = "poll_reminder"
POLL_NUDGE = "poll_nudge"  # anonymous polls: a private reminder to one person who has not voted
_SEAL_BITS = 62


async def _get(repo: PollsRepository, poll_id: int) -> Poll | None:
    row = await repo.get(poll_id)
    return Poll.from_row(row) if row else None


async def _committee(conn: aiosqlite.Connection) -> list[int]:
    """The committee's members, earliest first (the electorate of a committee-only poll)."""
    return [r.user_id for r in await RolesRepository(conn).holders(COMMITTEE_ROLE, COMMITTEE_SCOPE)]


@dataclass(frozen=True)
class OptionResult:
    position: int
    label: str
    votes: int
    names: list[str] = field(default_factory=list)  # public polls only, earliest voters first


@dataclass(frozen=True)
class PollView:
    """A poll with its current tally; what every tally, result and chart is drawn from."""

    poll: Poll
    options: list[OptionResult]
    voters: int
    electorate_size: int
    forgotten: int  # named votes in a public poll whose voter has since erased their data

    @property
    def quorum_met(self) -> bool | None:
        """None without a quorum."""
        return None if self.poll.quorum is None else self.voters >= self.poll.quorum

    @property
    def leaders(self) -> list[OptionResult]:
        """The option(s) with the most votes, if anyone voted."""
        top = max((o.votes for o in self.options), default=0)
        return [o for o in self.options if top and o.votes == top]


@dataclass(frozen=True)
class VoteResult:
    poll: Poll
    chosen: list[str]  # labels of the person's choices after this press
    stale: bool  # an earlier press that arrived after a later one: nothing changed


@dataclass(frozen=True)
class NudgeResult:
    poll: Poll
    missing: list[tuple[int, str]]  # (user id, name) of those who have not voted
    privately: int  # anonymous polls: how many of them were queued a private reminder


@dataclass(frozen=True)
class SweepResult:
    closed: list[int]
    reminded: list[int]


class PollService:
    """Polls of courtyard chats."""

    def __init__(self, db: Database, clock: Clock, community_id: int, ballot_secret: bytes) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id
        self._secret = ballot_secret
        # Options never change once a poll exists, so votes read them from memory. The key holds
        # created_at as well: a poll id could come back after its chat was deleted.
        self._labels: OrderedDict[tuple[int, int], dict[int, str]] = OrderedDict()

    def _now(self) -> int:
        return to_ts(self.clock.now())

    async def _option_labels(self, repo: PollsRepository, poll: Poll) -> dict[int, str]:
        key = (poll.id, poll.created_at)
        labels = self._labels.get(key)
        if labels is None:
            labels = self._labels[key] = {o.position: o.label for o in await repo.options(poll.id)}
            if len(self._labels) > _LABELS_CACHED:
                self._labels.popitem(last=False)
        return labels

    def voter_key(self, poll_id: int, user_id: int) -> str:
        """The key of a person's ballot in a poll: stable for the bot, meaningless without its secret."""
        message = f"{poll_id}:{user_id}".encode()
        return hmac.digest(self._secret, message, "sha256").hex()[:32]

    @staticmethod
    def _unlinked_key() -> str:
        # Not hex of the HMAC's length, so it can never collide with a real voter's key.
        return "x" + secrets.token_hex(16)

    def _pad(self, poll_id: int, voter_key: str) -> int:
        digest = hmac.digest(self._secret, f"seq:{poll_id}:{voter_key}".encode(), "sha256")
        return int.from_bytes(digest[:8], "big") >> (64 - _SEAL_BITS)

    def _seal(self, poll: Poll, voter_key: str, seq: int) -> int:
        """What a ballot stores for its latest update id: an anonymous poll's is masked (and negative)."""
        # Update ids count every update the bot receives, so a raw one is a clock and a key into any
        # other row that keeps update ids; masked under the ballot secret it is neither, yet the bot
        # can still tell a voter's later press from an earlier one.
        if not poll.anonymous:
            return seq
        return -1 - ((seq & ((1 << _SEAL_BITS) - 1)) ^ self._pad(poll.id, voter_key))

    def _unseal(self, poll: Poll, voter_key: str, stored: int) -> int:
        if stored >= 0:
            return stored  # a public poll's, or an anonymous one from an older version (0, migration 0011)
        return (-1 - stored) ^ self._pad(poll.id, voter_key)

    async def require_launcher(self, actor: Actor) -> int:
        """Backbone here, social workers and the committee chair launch polls; return the courtyard scope."""
        scope = await group_scope(self.db, self.community_id, actor)
        if actor.is_backbone_here:
            return scope
        role = await RolesRepository(self.db.reader).get(actor.user_id, COMMITTEE_ROLE, COMMITTEE_SCOPE)
        if role is not None and role.position == "chair":
            return scope
        raise PermissionDenied("backbone")

    async def create(
        self, actor: Actor, spec: PollSpec, options: Sequence[tuple[str, int | None]], *, dialog: str | None = None
    ) -> Poll:
        """Create a poll in the actor's courtyard chat."""
        scope = await self.require_launcher(actor)
        now = self._now()
        clean, labels = clean_spec(spec, options, from_ts(now))
        if clean.electorate == "committee":
            await self.require_committee()
        remind_at = None
        if clean.closes_at is not None and clean.remind_before is not None:
            remind_at = clean.closes_at - clean.remind_before
        if remind_at is None or remind_at <= now:
            # A reminder "1 day before" a deadline in 3 hours would go out at once.
            clean, remind_at = replace(clean, remind_before=None), None
        columns = {
            **spec_columns(clean),
            "community_id": self.community_id,
            "scope_id": scope,
            "chat_id": actor.chat_id,
            "creator_id": actor.user_id,
            "remind_at": remind_at,
            "created_at": now,
        }
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = PollsRepository(conn)
            poll = await _get(repo, await repo.add(columns, labels))
        assert poll is not None
        return poll

    async def require_committee(self) -> None:
        """A committee-only poll needs a committee: refuse while nobody is on it."""
        if not await _committee(self.db.reader):
            raise InvalidInput("empty_committee")

    async def toggle(self, draft: Draft, toggle: Toggle) -> Draft:
        """A settings button on the /vote card; committee-only is refused while nobody is on the committee."""
        changed = draft.toggled(toggle)
        if changed.spec.electorate == "committee" and draft.spec.electorate != "committee":
            await self.require_committee()
        return changed

    async def get(self, poll_id: int) -> Poll:
        """One poll, wherever it is (for renderers)."""
        poll = await _get(PollsRepository(self.db.reader), poll_id)
        if poll is None:
            raise NotFound("poll")
        return poll

    async def in_chat(self, actor: Actor, poll_id: int) -> Poll:
        """A poll of the actor's chat; another chat's poll is treated as unknown."""
        poll = await _get(PollsRepository(self.db.reader), poll_id)
        if poll is None or poll.chat_id != actor.chat_id or poll.community_id != self.community_id:
            raise NotFound("poll")
        return poll

    async def vote(self, actor: Actor, poll_id: int, position: int, seq: int) -> VoteResult:
        """Record a button press: single choice replaces, multiple choice toggles (up to the maximum)."""
        now = self._now()
        key = self.voter_key(poll_id, actor.user_id)
        async with self.db.transaction() as conn:
            repo = PollsRepository(conn)
            row = await repo.for_vote(poll_id, key)
            if row is None:
                raise NotFound("poll")
            poll = Poll.from_row(row)
            if poll.chat_id != actor.chat_id or poll.community_id != self.community_id:
                raise NotFound("poll")
            existing = None
            if row["ballot_seq"] is not None:
                chosen_before = row["ballot_choices"]
                positions = sorted(int(p) for p in chosen_before.split(",")) if chosen_before else []
                existing = (self._unseal(poll, key, int(row["ballot_seq"])), positions)
            if not poll.is_open or (poll.closes_at is not None and poll.closes_at <= now):
                raise InvalidInput("poll_closed")
            labels = await self._option_labels(repo, poll)
            if position not in labels:
                raise InvalidInput("no_such_option")
            if (
                poll.electorate == "committee"
                and await RolesRepository(conn).get(actor.user_id, COMMITTEE_ROLE, COMMITTEE_SCOPE) is None
            ):
                raise PermissionDenied("committee")
            if poll.max_choices == 1:
                # Presses of one person may be handled out of order; the later update wins.
                if existing is not None and existing[0] > seq:
                    return VoteResult(poll, [labels[p] for p in existing[1]], stale=True)
                chosen = [position]
            else:
                # Toggles commute, so their order does not matter; only the maximum is checked.
                current = set(existing[1]) if existing else set()
                if not await AppliedUpdatesRepository(conn).claim(seq, now):
                    # Telegram delivered this press again (after a crash): it was applied already.
                    return VoteResult(poll, [labels[p] for p in sorted(current)], stale=True)
                if position in current:
                    current.discard(position)
                elif len(current) >= poll.max_choices:
                    raise InvalidInput("too_many_choices", limit=poll.max_choices)
                else:
                    current.add(position)
                chosen = sorted(current)
            if chosen:
                last = max(seq, existing[0]) if existing else seq
                # An anonymous ballot keeps no time of its own: the poll's start is all it says.
                cast_at = poll.created_at if poll.anonymous else now
                await repo.put_ballot(
                    poll_id,
                    key,
                    None if poll.anonymous else actor.user_id,
                    self._seal(poll, key, last),
                    chosen,
                    cast_at,
                    first=existing is None,
                )
            else:
                await repo.delete_ballot(poll_id, key)
        return VoteResult(poll, [labels[p] for p in chosen], stale=False)

    async def view(self, poll_id: int) -> PollView:
        """The poll with its tally, voter count, electorate and (public polls) names."""
        # A big poll's names and counts take milliseconds to read: off the event loop, so the
        # votes arriving meanwhile are not held up by the tally they are changing.
        repo = PollsRepository(self.db.bulk)
        poll = await _get(repo, poll_id)
        if poll is None:
            raise NotFound("poll")
        tally = await repo.tally(poll_id)
        names: dict[int, list[str]] = {}
        named = 0
        if not poll.anonymous:
            for position, name in await repo.public_names(poll_id):
                names.setdefault(position, []).append(name)
                named += 1
        options = [
            OptionResult(o.position, o.label, tally.get(o.position, 0), names.get(o.position, []))
            for o in await repo.options(poll_id)
        ]
        voters = await repo.voter_count(poll_id)
        if poll.electorate == "committee":
            electorate = len(await _committee(self.db.bulk))
        else:
            electorate = await repo.chat_member_count(poll.chat_id)
        forgotten = 0 if poll.anonymous else sum(tally.values()) - named
        return PollView(poll, options, voters, max(electorate, voters), forgotten)

    @staticmethod
    async def _electorate(repo: PollsRepository, poll: Poll) -> list[tuple[int, str]]:
        """(user id, name) of who may vote: the committee, or everyone seen in the poll's chat."""
        if poll.electorate == "committee":
            return await repo.names(await _committee(repo.conn))
        return await repo.chat_members(poll.chat_id)

    async def open_polls(self, actor: Actor) -> list[PollView]:
        """The open polls of the actor's chat, newest first."""
        await group_scope(self.db, self.community_id, actor)
        return [await self.view(p["id"]) for p in await PollsRepository(self.db.reader).open_in_chat(actor.chat_id)]

    async def close(self, actor: Actor, poll_id: int) -> Poll:
        """Close early: the creator or a social worker; results are queued for the chat."""
        poll = await self.in_chat(actor, poll_id)
        if not (actor.is_social_worker or poll.creator_id == actor.user_id):
            raise PermissionDenied("poll_creator")
        now = self._now()
        async with self.db.transaction() as conn:
            if not await self._close(conn, poll, actor.user_id, now):
                raise InvalidInput("poll_closed")
            closed = await _get(PollsRepository(conn), poll_id)
        assert closed is not None
        return closed

    @staticmethod
    async def _close(conn: aiosqlite.Connection, poll: Poll, by: int | None, now: int) -> bool:
        """Close and queue the results announcement in the caller's transaction (exactly once)."""
        if not await PollsRepository(conn).close(poll.id, by, now):
            return False
        await OutboxRepository(conn).add(
            kind=POLL_RESULTS,
            chat_id=poll.chat_id,
            due_at=now,
            now=now,
            ref_id=poll.id,
            payload={"part": 0},
            dedupe_key=f"{POLL_RESULTS}:{poll.id}:0",
        )
        return True

    async def sweep(self) -> SweepResult:
        """Close polls past their deadline and queue due reminders; safe to run any number of times."""
        now = self._now()
        closed: list[int] = []
        reminded: list[int] = []
        async with self.db.transaction() as conn:
            repo = PollsRepository(conn)
            for poll_id in await repo.due_to_close(now):
                poll = await _get(repo, poll_id)
                if poll is not None and await self._close(conn, poll, None, now):
                    closed.append(poll_id)
            for poll_id in await repo.due_to_remind(now):
                poll = await _get(repo, poll_id)
                if poll is None or not await repo.mark_reminded(poll_id, now):
                    continue
                await OutboxRepository(conn).add(
                    kind=POLL_REMINDER,
                    chat_id=poll.chat_id,
                    due_at=now,
                    now=now,
                    ref_id=poll_id,
                    dedupe_key=f"{POLL_REMINDER}:{poll_id}",
                )
                if poll.anonymous:
                    await self._queue_private_nudges(conn, poll, await self._missing(repo, poll), now, "auto")
                reminded.append(poll_id)
        return SweepResult(closed, reminded)

    async def queue_results_part(self, poll_id: int, chat_id: int, part: int) -> bool:
        """Queue the next part of a long results announcement (each part once)."""
        now = self._now()
        async with self.db.transaction() as conn:
            added = await OutboxRepository(conn).add(
                kind=POLL_RESULTS,
                chat_id=chat_id,
                due_at=now,
                now=now,
                ref_id=poll_id,
                payload={"part": part},
                dedupe_key=f"{POLL_RESULTS}:{poll_id}:{part}",
            )
        return added is not None

    async def non_voters(self, poll_id: int) -> list[tuple[int, str]]:
        """(user id, name) of the electorate who have not voted (found by key, also in anonymous polls)."""
        repo = PollsRepository(self.db.reader)
        poll = await _get(repo, poll_id)
        if poll is None:
            raise NotFound("poll")
        return await self._missing(repo, poll)

    async def _missing(self, repo: PollsRepository, poll: Poll) -> list[tuple[int, str]]:
        keys = await repo.voter_keys(poll.id)
        return [m for m in await self._electorate(repo, poll) if self.voter_key(poll.id, m[0]) not in keys]

    async def has_voted(self, poll_id: int, user_id: int) -> bool:
        """Whether this person has a ballot in the poll."""
        return await PollsRepository(self.db.reader).has_ballot(poll_id, self.voter_key(poll_id, user_id))

    async def voted_in(self, user_id: int) -> list[int]:
        """Polls whose tally /forget changes: named ballots anywhere, anonymous ones in open polls."""
        repo = PollsRepository(self.db.reader)
        found = set(await repo.named_ballot_polls(user_id))
        for poll_id, is_open in await repo.anonymous_polls():
            if is_open and await repo.has_ballot(poll_id, self.voter_key(poll_id, user_id)):
                found.add(poll_id)
        return sorted(found)

    async def _queue_private_nudges(
        self, conn: aiosqlite.Connection, poll: Poll, missing: list[tuple[int, str]], now: int, tag: str
    ) -> int:
        """One private reminder per non-voter the bot can write to, in the caller's transaction."""
        reachable = await PollsRepository(conn).privately_reachable(uid for uid, _ in missing)
        outbox = OutboxRepository(conn)
        for user_id in sorted(reachable):
            await outbox.add(
                kind=POLL_NUDGE,
                chat_id=user_id,
                due_at=now,
                now=now,
                ref_id=poll.id,
                dedupe_key=f"{POLL_NUDGE}:{poll.id}:{user_id}:{tag}",
            )
        return len(reachable)

    async def nudge(self, actor: Actor, poll_id: int) -> NudgeResult:
        """ "Remind those who have not voted": the creator, backbone or a social worker, every few minutes."""
        poll = await self.in_chat(actor, poll_id)
        if not (actor.is_backbone_here or poll.creator_id == actor.user_id):
            raise PermissionDenied("backbone")
        if not poll.is_open:
            raise InvalidInput("poll_closed")
        now = self._now()
        if poll.nudged_at is not None and now - poll.nudged_at < NUDGE_INTERVAL_S:
            raise InvalidInput("nudged_recently", minutes=NUDGE_INTERVAL_S // 60)
        missing = await self.non_voters(poll_id)
        privately = 0
        if missing:
            async with self.db.transaction() as conn:
                await PollsRepository(conn).mark_nudged(poll_id, now)
                # Naming non-voters in the group, next to a live tally, would tell who voted how
                # (the last to vote, the only one left): anonymous polls remind each person privately.
                if poll.anonymous:
                    privately = await self._queue_private_nudges(conn, poll, missing, now, str(now))
        return NudgeResult(poll, missing, privately)

    async def set_outcome(self, actor: Actor, poll_id: int, raw_text: str, *, dialog: str | None = None) -> Poll:
        """Attach the outcome statement to a closed poll (creator, backbone, social workers)."""
        poll = await self.in_chat(actor, poll_id)
        self.require_outcome_writer(actor, poll)
        text = required_text(raw_text.strip(), MAX_OUTCOME, "empty_outcome", "outcome_too_long")
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = PollsRepository(conn)
            await repo.set_outcome(poll_id, text, actor.user_id, self._now())
            updated = await _get(repo, poll_id)
        assert updated is not None
        return updated

    @staticmethod
    def require_outcome_writer(actor: Actor, poll: Poll) -> None:
        """Only after close, and only the creator, backbone or a social worker."""
        if poll.is_open:
            raise InvalidInput("poll_open")
        if not (actor.is_backbone_here or poll.creator_id == actor.user_id):
            raise PermissionDenied("backbone")

    async def forget(self, conn: aiosqlite.Connection, user_id: int) -> None:
        """/forget hook: open polls lose the person's vote, closed polls keep it as an anonymous count."""
        repo = PollsRepository(conn)
        closed = await repo.closed_polls_voted_by(user_id)
        await repo.detach_closed_ballots(user_id, {poll_id: self._unlinked_key() for poll_id in closed})
        # Named ballots of open polls go with the users row (ON DELETE CASCADE); anonymous ones have
        # no user id, so they are found by key.
        for poll_id, is_open in await repo.anonymous_polls():
            key = self.voter_key(poll_id, user_id)
            if is_open:
                await repo.delete_ballot(poll_id, key)
            else:
                await repo.rekey(poll_id, key, self._unlinked_key())
