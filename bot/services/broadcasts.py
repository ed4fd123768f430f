"""Broadcasts: one notice to many courtyard chats, through the outbox, with a delivery report."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock, to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, required_text
from storage.broadcasts import BroadcastsRepository
from storage.chats import ChatsRepository
from storage.db import Database
from storage.outbox import OutboxRepository
from storage.users import DialogsRepository, UsersRepository

MAX_BROADCAST_CHARS = 3500  # leaves room for the header within Telegram's 4096
BROADCAST = "broadcast"
BROADCAST_REPORT = "broadcast_report"


@dataclass(frozen=True)
class Broadcast:
    id: int
    target_count: int


@dataclass(frozen=True)
class Notice:
    text: str
    sender_name: str


@dataclass(frozen=True)
class BroadcastReport:
    broadcast_id: int
    target_count: int
    delivered: int
    failed: list[tuple[str, str]]  # (chat title, reason)
    unknown: list[str]  # chat titles where a send was interrupted and may or may not have arrived


def clean_notice(raw: str) -> str:
    """Validate the text of a notice: not empty, not too long."""
    return required_text(raw.strip(), MAX_BROADCAST_CHARS, "empty_notice", "notice_too_long")


class BroadcastService:
    """Create broadcasts and account for their delivery."""

    def __init__(self, db: Database, clock: Clock, community_id: int) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id

    async def target_count(self, courtyard_ids: list[int] | None) -> int:
        """How many active chats a broadcast to these courtyards would reach."""
        return len(await BroadcastsRepository(self.db.reader).targets(self.community_id, courtyard_ids))

    async def create(
        self, actor: Actor, raw_text: str, courtyard_ids: list[int] | None, *, draft_kind: str | None = None
    ) -> Broadcast:
        """Queue a notice for every active chat of the chosen courtyards (None: all), in one transaction.

        With draft_kind, the sender's draft dialog is consumed in the same transaction, so a double tap
        or a press redelivered after a crash finds no draft (NotFound) instead of sending twice.
        """
        actor.require_social_worker()
        text = clean_notice(raw_text)
        if courtyard_ids is not None and not courtyard_ids:
            raise InvalidInput("no_targets")
        now = to_ts(self.clock.now())
        async with self.db.transaction() as conn:
            if draft_kind is not None and not await DialogsRepository(conn).take(
                actor.user_id, actor.chat_id, draft_kind
            ):
                raise NotFound("draft")
            repo = BroadcastsRepository(conn)
            targets = await repo.targets(self.community_id, courtyard_ids)
            if not targets:
                raise InvalidInput("no_targets")
            broadcast_id = await repo.add(actor.user_id, actor.chat_id, text, len(targets), now)
            await OutboxRepository(conn).add_for_chats(
                [chat.chat_id for chat in targets],
                kind=BROADCAST,
                due_at=now,
                now=now,
                ref_id=broadcast_id,
                key=f"bc:{broadcast_id}:{{chat}}",
            )
        return Broadcast(broadcast_id, len(targets))

    async def notice(self, broadcast_id: int) -> Notice:
        """The text to send and who sent it."""
        found = await BroadcastsRepository(self.db.reader).get(broadcast_id)
        if found is None:
            raise NotFound("broadcast")
        sender_id, _, text, _, _ = found
        name = ""
        if sender_id is not None:
            sender = await UsersRepository(self.db.reader).get(sender_id)
            name = sender.display_name if sender else ""
        return Notice(text, name)

    async def finish_if_complete(self, broadcast_id: int) -> int | None:
        """When every item is final, claim the report once and queue it; return the report chat."""
        now = to_ts(self.clock.now())
        async with self.db.transaction() as conn:
            counts = await OutboxRepository(conn).counts(BROADCAST, broadcast_id)
            if counts.get("pending", 0) or counts.get("sending", 0):
                return None
            repo = BroadcastsRepository(conn)
            found = await repo.get(broadcast_id)
            if found is None or not await repo.mark_reported(broadcast_id, now):
                return None
            report_chat = found[1]
            await OutboxRepository(conn).add(
                kind=BROADCAST_REPORT,
                chat_id=report_chat,
                due_at=now,
                now=now,
                ref_id=broadcast_id,
                dedupe_key=f"bcr:{broadcast_id}",
            )
        return report_chat

    async def report_finished(self) -> list[int]:
        """Queue the report of every finished broadcast that has none (a crash after its last send); return them."""
        queued = []
        for broadcast_id in await BroadcastsRepository(self.db.reader).unreported():
            if await self.finish_if_complete(broadcast_id) is not None:
                queued.append(broadcast_id)
        return queued

    async def report(self, broadcast_id: int) -> BroadcastReport:
        """Delivered, failed and unknown counts of a broadcast, with chat titles."""
        reader = self.db.reader
        found = await BroadcastsRepository(reader).get(broadcast_id)
        if found is None:
            raise NotFound("broadcast")
        outbox = OutboxRepository(reader)
        counts = await outbox.counts(BROADCAST, broadcast_id)
        chats = ChatsRepository(reader)
        failed: list[tuple[str, str]] = []
        unknown: list[str] = []
        for chat_id, status, reason in await outbox.failures(BROADCAST, broadcast_id):
            chat = await chats.get(chat_id)
            title = chat.title if chat and chat.title else str(chat_id)
            if status == "unknown":
                unknown.append(title)
            else:
                failed.append((title, reason))
        return BroadcastReport(broadcast_id, found[3], counts.get("sent", 0), failed, unknown)
