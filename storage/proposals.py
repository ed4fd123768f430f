"""Theme proposals, their supports and official answers."""

from __future__ import annotations

from dataclasses import dataclass

from storage.repository import Repository, RowMapper

_COLS = (
    "p.id, p.community_id, p.scope_id, p.number, p.chat_id, p.proposer_id, u.display_name AS proposer_name, "
    "p.title, p.norm_title, p.photo_file_id, p.status, p.answer_reason, p.answered_at, p.created_at, "
    "(SELECT COUNT(*) FROM proposal_supports s WHERE s.proposal_id = p.id) AS supports"
)
_FROM = "FROM proposals p JOIN users u ON u.user_id = p.proposer_id"


@dataclass(frozen=True)
class Proposal:
    id: int
    community_id: int
    scope_id: int
    number: int
    chat_id: int
    proposer_id: int
    proposer_name: str
    title: str
    norm_title: str
    photo_file_id: str | None
    status: str
    answer_reason: str | None
    answered_at: int | None
    created_at: int
    supports: int


_proposal = RowMapper(Proposal)


class ProposalsRepository(Repository):
    """Rows of proposals and proposal_supports; never commits."""

    async def next_number(self, community_id: int, scope_id: int) -> int:
        """Take the next proposal number of a courtyard (numbers are never reused)."""
        await self.conn.execute(
            "INSERT INTO proposal_counters(community_id, scope_id, last_number) VALUES (?, ?, 1) "
            "ON CONFLICT(community_id, scope_id) DO UPDATE SET last_number = last_number + 1",
            (community_id, scope_id),
        )
        return await self._int(
            "SELECT last_number FROM proposal_counters WHERE community_id = ? AND scope_id = ?",
            (community_id, scope_id),
        )

    async def add(
        self,
        *,
        community_id: int,
        scope_id: int,
        number: int,
        chat_id: int,
        proposer_id: int,
        title: str,
        norm_title: str,
        photo_file_id: str | None,
        now: int,
    ) -> int:
        """Insert a proposal."""
        return await self._insert(
            "INSERT INTO proposals(community_id, scope_id, number, chat_id, proposer_id, title, norm_title, "
            "photo_file_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (community_id, scope_id, number, chat_id, proposer_id, title, norm_title, photo_file_id, now),
        )

    async def get(self, proposal_id: int) -> Proposal | None:
        """One proposal with its support count."""
        return await self._one(f"SELECT {_COLS} {_FROM} WHERE p.id = ?", (proposal_id,), _proposal)

    async def by_number(self, community_id: int, scope_id: int, number: int) -> Proposal | None:
        """A proposal by its number in a courtyard."""
        return await self._one(
            f"SELECT {_COLS} {_FROM} WHERE p.community_id = ? AND p.scope_id = ? AND p.number = ?",
            (community_id, scope_id, number),
            _proposal,
        )

    async def in_scope(self, community_id: int, scope_id: int, statuses: tuple[str, ...]) -> list[Proposal]:
        """Proposals of a courtyard in the given statuses, by number."""
        marks = ",".join("?" * len(statuses))
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE p.community_id = ? AND p.scope_id = ? AND p.status IN ({marks}) "
            "ORDER BY p.number",
            (community_id, scope_id, *statuses),
            _proposal,
        )

    async def by_proposer(self, user_id: int) -> list[Proposal]:
        """A person's proposals, newest first."""
        return await self._all(
            f"SELECT {_COLS} {_FROM} WHERE p.proposer_id = ? ORDER BY p.id DESC", (user_id,), _proposal
        )

    async def set_photo(self, proposal_id: int, file_id: str) -> None:
        """Attach (or replace) the proposal's photo."""
        await self.conn.execute("UPDATE proposals SET photo_file_id = ? WHERE id = ?", (file_id, proposal_id))

    async def is_supporter(self, proposal_id: int, user_id: int) -> bool:
        """Whether the person supports the proposal."""
        return await self._exists(
            "SELECT 1 FROM proposal_supports WHERE proposal_id = ? AND user_id = ?", (proposal_id, user_id)
        )

    async def support(self, proposal_id: int, user_id: int, now: int) -> None:
        """Record a support (idempotent)."""
        await self.conn.execute(
            "INSERT INTO proposal_supports(proposal_id, user_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(proposal_id, user_id) DO NOTHING",
            (proposal_id, user_id, now),
        )

    async def withdraw(self, proposal_id: int, user_id: int) -> None:
        """Withdraw a support."""
        await self.conn.execute(
            "DELETE FROM proposal_supports WHERE proposal_id = ? AND user_id = ?", (proposal_id, user_id)
        )

    async def answer(self, proposal_id: int, status: str, reason: str, by: int, now: int) -> None:
        """Record an official answer."""
        await self.conn.execute(
            "UPDATE proposals SET status = ?, answer_reason = ?, answered_by = ?, answered_at = ? WHERE id = ?",
            (status, reason, by, now, proposal_id),
        )
