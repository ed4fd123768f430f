"""Notes owed to one person after a change: outbox rows written in the transaction of their cause.

The one way to tell someone something later (a promotion, a captain's decision, an answer to their
proposal). The row targets the person's private chat if they opened one, else a group where they
are mentioned; it holds the note's kind and a small JSON payload, and the kind's renderer in
handlers draws the text at send time in the language of the chat it goes to (handlers/notify.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiosqlite

from storage.outbox import OutboxRepository
from storage.users import UsersRepository


async def queue_person_note(
    conn: aiosqlite.Connection,
    kind: str,
    *,
    user_id: int | None,
    group_chat_id: int | None,
    payload: Mapping[str, Any],
    now: int,
    ref_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue a note to user_id privately, else to group_chat_id; None when neither can receive it.

    Without a person (a team without a captain) the note goes to the group plainly. The payload
    keeps the person ("user") and the group ("group"): the renderer mentions the one, and a private
    chat that refuses the note hands it on to the other (OutboxService.note_failed).
    """
    person = await UsersRepository(conn).get(user_id) if user_id is not None else None
    chat_id = user_id if person is not None and person.private_chat else group_chat_id
    if chat_id is None:
        return None
    body = {**payload, "user": user_id, "group": group_chat_id}
    return await OutboxRepository(conn).add(
        kind=kind, chat_id=chat_id, due_at=now, now=now, ref_id=ref_id, payload=body, dedupe_key=dedupe_key
    )
