"""A wizard's dialog consumed in the same transaction as the change it leads to."""

from __future__ import annotations

import aiosqlite

from bot.services.actor import Actor
from bot.services.errors import NotFound
from storage.users import DialogsRepository


async def consume_dialog(conn: aiosqlite.Connection, actor: Actor, kind: str | None) -> None:
    """End the actor's dialog of this kind in this transaction; NotFound if it is gone (a double tap).

    Ending it in the change's own commit means a crash cannot leave the change made and the wizard
    still open (a second ✅ would then make it twice).
    """
    if kind is not None and not await DialogsRepository(conn).take(actor.user_id, actor.chat_id, kind):
        raise NotFound("draft")
