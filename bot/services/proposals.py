"""Theme proposals (主题提案): propose with a duplicate check, support (附议), official answers."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from bot.clock import Clock, to_ts
from bot.services.actor import Actor
from bot.services.community import group_scope
from bot.services.dialogs import consume_dialog
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, required_text
from bot.services.notes import queue_person_note
from storage.applied import AppliedUpdatesRepository
from storage.db import Database
from storage.proposals import Proposal, ProposalsRepository

MAX_TITLE = 60
MIN_TITLE = 2
MAX_REASON = 1000
SIMILARITY = 0.8
OPEN_STATUSES = ("open", "studying")
ANSWERS = ("accepted", "rejected", "studying")
PROPOSAL_NOTE = "proposal_note"  # outbox kind: the proposer told of the answer, privately


def normalise_title(title: str) -> str:
    """Letters and digits only, case-folded and width-folded: 碧水 蓝天！ and 碧水蓝天 compare equal."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


def similar(a: str, b: str) -> bool:
    """Whether two normalised titles are probably the same theme."""
    if not a or not b:
        return False
    if a == b:
        return True
    if min(len(a), len(b)) >= MIN_TITLE and (a in b or b in a):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= SIMILARITY


def clean_title(raw: str) -> str:
    """Validate a proposal title: one line, not empty, not too long."""
    title = required_text(" ".join(raw.split()), MAX_TITLE, "empty_title", "title_too_long")
    if len(normalise_title(title)) < MIN_TITLE:
        raise InvalidInput("title_too_short")
    return title


@dataclass(frozen=True)
class ProposeResult:
    proposal: Proposal | None  # None: not saved because similar proposals exist
    similar: list[Proposal]


@dataclass(frozen=True)
class SupportResult:
    proposal: Proposal
    supported: bool  # True: now supports; False: support withdrawn


class ProposalService:
    """Proposals of a courtyard (or of the whole community, scope 0)."""

    def __init__(self, db: Database, clock: Clock, community_id: int) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id

    async def scope_of(self, actor: Actor) -> int:
        """The courtyard id of the actor's chat, 0 for a community-wide chat."""
        return await group_scope(self.db, self.community_id, actor)

    async def propose(
        self, actor: Actor, raw_title: str, photo_file_id: str | None, *, confirmed: bool = False
    ) -> ProposeResult:
        """Save a proposal, unless similar ones exist and the proposer has not confirmed."""
        title = clean_title(raw_title)
        scope = await self.scope_of(actor)
        norm = normalise_title(title)
        async with self.db.transaction() as conn:
            repo = ProposalsRepository(conn)
            existing = await repo.in_scope(self.community_id, scope, ("open", "studying", "accepted", "rejected"))
            alike = [p for p in existing if similar(norm, p.norm_title)]
            if alike and not confirmed:
                return ProposeResult(None, alike)
            number = await repo.next_number(self.community_id, scope)
            proposal_id = await repo.add(
                community_id=self.community_id,
                scope_id=scope,
                number=number,
                chat_id=actor.chat_id,
                proposer_id=actor.user_id,
                title=title,
                norm_title=norm,
                photo_file_id=photo_file_id,
                now=to_ts(self.clock.now()),
            )
            saved = await repo.get(proposal_id)
        assert saved is not None
        return ProposeResult(saved, alike)

    async def _in_scope(self, actor: Actor, proposal_id: int) -> Proposal:
        scope = await self.scope_of(actor)
        found = await ProposalsRepository(self.db.reader).get(proposal_id)
        # A proposal of another courtyard is treated as unknown: buttons never reach across chats.
        if found is None or found.community_id != self.community_id or found.scope_id != scope:
            raise NotFound("proposal")
        return found

    async def get(self, actor: Actor, proposal_id: int) -> Proposal:
        """One proposal of the actor's courtyard."""
        return await self._in_scope(actor, proposal_id)

    async def by_number(self, actor: Actor, number: int) -> Proposal:
        """A proposal of the actor's courtyard by its #number."""
        scope = await self.scope_of(actor)
        found = await ProposalsRepository(self.db.reader).by_number(self.community_id, scope, number)
        if found is None:
            raise NotFound("proposal")
        return found

    async def attach_photo(self, actor: Actor, proposal_id: int, file_id: str) -> Proposal:
        """Add a photo to one's own proposal."""
        proposal = await self._in_scope(actor, proposal_id)
        if proposal.proposer_id != actor.user_id:
            raise PermissionDenied("proposer")
        async with self.db.transaction() as conn:
            repo = ProposalsRepository(conn)
            await repo.set_photo(proposal.id, file_id)
            updated = await repo.get(proposal.id)
        assert updated is not None
        return updated

    async def toggle_support(self, actor: Actor, proposal_id: int, update_id: int) -> SupportResult:
        """Support (附议) a proposal, or withdraw one's support; the same update applied twice counts once."""
        proposal = await self._in_scope(actor, proposal_id)
        if proposal.proposer_id == actor.user_id:
            raise InvalidInput("own_proposal")
        if proposal.status not in OPEN_STATUSES:
            raise InvalidInput("proposal_answered")
        async with self.db.transaction() as conn:
            repo = ProposalsRepository(conn)
            supporter = await repo.is_supporter(proposal.id, actor.user_id)
            if not await AppliedUpdatesRepository(conn).claim(update_id, to_ts(self.clock.now())):
                # Telegram delivered this press again (after a crash): it was applied already.
                current = await repo.get(proposal.id)
                assert current is not None
                return SupportResult(current, supporter)
            supported = not supporter
            if supported:
                await repo.support(proposal.id, actor.user_id, to_ts(self.clock.now()))
            else:
                await repo.withdraw(proposal.id, actor.user_id)
            updated = await repo.get(proposal.id)
        assert updated is not None
        return SupportResult(updated, supported)

    async def listing(self, actor: Actor) -> list[Proposal]:
        """Open and under-study proposals of the actor's courtyard."""
        return await self.listing_for_scope(await self.scope_of(actor))

    async def listing_for_scope(self, scope_id: int) -> list[Proposal]:
        """Open and under-study proposals of a courtyard (for live list messages)."""
        return await ProposalsRepository(self.db.reader).in_scope(self.community_id, scope_id, OPEN_STATUSES)

    async def answered(self, proposal_id: int, status: object) -> Proposal | None:
        """A proposal for the note of its answer; None if gone or answered otherwise since."""
        proposal = await ProposalsRepository(self.db.reader).get(proposal_id)
        return proposal if proposal is not None and proposal.status == status else None

    async def mine(self, user_id: int) -> list[Proposal]:
        """The person's own proposals (for /me)."""
        return await ProposalsRepository(self.db.reader).by_proposer(user_id)

    async def answer(
        self, actor: Actor, proposal_id: int, status: str, raw_reason: str, *, dialog: str | None = None
    ) -> Proposal:
        """Backbone or a social worker answers a proposal: accepted, rejected or under study, with a reason."""
        if status not in ANSWERS:
            raise InvalidInput("unknown_answer")
        actor.require_backbone()
        proposal = await self._in_scope(actor, proposal_id)
        reason = required_text(raw_reason.strip(), MAX_REASON, "empty_reason", "reason_too_long")
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = ProposalsRepository(conn)
            now = to_ts(self.clock.now())
            await repo.answer(proposal.id, status, reason, actor.user_id, now)
            updated = await repo.get(proposal.id)
            # The group reply mentions the proposer; a private note tells them too if they opened the bot.
            await queue_person_note(
                conn,
                PROPOSAL_NOTE,
                user_id=proposal.proposer_id,
                group_chat_id=None,
                payload={"proposal": proposal.id, "status": status},
                now=now,
                ref_id=proposal.id,
            )
        assert updated is not None
        return updated
