"""Notes a team change owes people (a promotion, a captain's decision, a request to the captain).

Queued with bot/services/notes.queue_person_note in the transaction of the change; read back when
the outbox sends them, so a note that no longer holds (the person left, the request was decided)
is skipped instead of sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite

from bot.services.notes import queue_person_note
from storage.chats import ChatsRepository
from storage.teams import ACTIVE, Team, TeamsRepository
from storage.users import UsersRepository

TEAM_NOTE = "team_note"  # outbox kind: a person told of a promotion or a captain's decision
TEAM_REQUEST = "team_request"  # outbox kind: the captain asked to accept or decline a sign-up


@dataclass(frozen=True)
class Notice:
    """What a note about one request says, read when it is sent."""

    kind: str  # promoted | approved | declined | removed | requested
    team: Team
    user_id: int
    name: str
    seq: int
    status: str
    position: int
    captain_name: str | None


async def queue_team_note(
    conn: aiosqlite.Connection,
    community_id: int,
    team: Team,
    what: str,
    user_id: int,
    seq: int,
    status: str,
    now: int,
) -> None:
    """Owe a note about one request: to the person, or for "requested" to the captain (the group if none)."""
    kind, person = (TEAM_REQUEST, team.captain_id) if what == "requested" else (TEAM_NOTE, user_id)
    await queue_person_note(
        conn,
        kind,
        user_id=person,
        group_chat_id=await notice_chat(conn, community_id, team),
        payload={"what": what, "team": team.id, "seq": seq, "status": status},
        now=now,
        ref_id=team.id,
        dedupe_key=f"team:{what}:{seq}",
    )


async def notice_chat(conn: aiosqlite.Connection, community_id: int, team: Team) -> int | None:
    """The team's own group if it still belongs to the courtyard, else another group of it."""
    chats = [
        c
        for c in await ChatsRepository(conn).bound_chats(community_id)
        if c.courtyard_id == team.courtyard_id and c.active
    ]
    for chat in chats:
        if chat.chat_id == team.home_chat_id:
            return chat.chat_id
    return chats[0].chat_id if chats else None


async def read_note(reader: aiosqlite.Connection, payload: Mapping[str, object]) -> Notice | None:
    """What a queued team note says now; None once it no longer holds (the request moved on or is gone)."""
    seq, status = payload.get("seq"), payload.get("status")
    if not isinstance(seq, int):
        return None
    repo = TeamsRepository(reader)
    row = await repo.by_seq(seq)
    if row is None or row.status != status:
        return None
    team = await repo.get(row.team_id)
    if team is None:
        return None
    captain = await UsersRepository(reader).get(team.captain_id) if team.captain_id else None
    position = await repo.position(team.id, row.status, row.seq) if row.status in ACTIVE else 0
    return Notice(
        kind=str(payload.get("what", "")),
        team=team,
        user_id=row.user_id,
        name=row.display_name,
        seq=row.seq,
        status=row.status,
        position=position,
        captain_name=captain.display_name if captain else None,
    )
