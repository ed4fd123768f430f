"""Free reminders (/remind) for any chat, one-off or recurring, delivered through the outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import aiosqlite

from bot.clock import Clock, from_ts, to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, required_text
from bot.services.notes import queue_person_note
from bot.timeparse import Recurrence, read_time
from storage.broadcasts import RemindersRepository
from storage.db import Database
from storage.outbox import OutboxItem, OutboxRepository

REMINDER = "reminder"
REMINDER_NOTE = "reminder_note"  # to the creator, privately: an occurrence was not sent, or the reminder ended
MAX_REMINDER_CHARS = 1000
MAX_ACTIVE_PER_CHAT = 50


@dataclass(frozen=True)
class Reminder:
    id: int
    chat_id: int
    text: str
    next_at: datetime | None
    recurrence: Recurrence | None


def _recurrence_json(rec: Recurrence | None) -> str | None:
    if rec is None:
        return None
    return json.dumps(
        {"kind": rec.kind, "weekday": rec.weekday, "day": rec.day, "hour": rec.hour, "minute": rec.minute}
    )


def _recurrence(raw: str | None) -> Recurrence | None:
    if not raw:
        return None
    data = json.loads(raw)
    return Recurrence(data["kind"], data["weekday"], data["day"], data["hour"], data["minute"])


class ReminderService:
    """Create, list, cancel and advance reminders."""

    def __init__(self, db: Database, clock: Clock, tz: ZoneInfo) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz

    def local_now(self) -> datetime:
        """Now in the community's time zone (what Chinese time words are relative to)."""
        return self.clock.now().astimezone(self.tz)

    async def create(self, actor: Actor, raw: str) -> Reminder:
        """Parse "<time> <text>" and schedule it; residents may set reminders only in private."""
        if actor.in_group:
            actor.require_backbone()
        elif actor.chat_id != actor.user_id:
            raise PermissionDenied("backbone")
        # A TimeRefusal propagates: the handler says what was not usable.
        parsed = read_time(raw, now=self.local_now(), leading=True, recurring=True)
        text = required_text(parsed.rest.strip(" ，,：:"), MAX_REMINDER_CHARS, "empty_reminder", "reminder_too_long")
        now = to_ts(self.clock.now())
        due = to_ts(parsed.when)
        async with self.db.transaction() as conn:
            repo = RemindersRepository(conn)
            if len(await repo.active_in(actor.chat_id)) >= MAX_ACTIVE_PER_CHAT:
                raise InvalidInput("too_many_reminders", limit=MAX_ACTIVE_PER_CHAT)
            reminder_id = await repo.add(
                actor.chat_id, actor.user_id, text, due, _recurrence_json(parsed.recurrence), now
            )
            await OutboxRepository(conn).add(
                kind=REMINDER,
                chat_id=actor.chat_id,
                due_at=due,
                now=now,
                ref_id=reminder_id,
                dedupe_key=f"rm:{reminder_id}:{due}",
            )
        return Reminder(reminder_id, actor.chat_id, text, parsed.when, parsed.recurrence)

    async def get(self, reminder_id: int) -> Reminder | None:
        """One reminder (None once cancelled)."""
        found = await RemindersRepository(self.db.reader).get(reminder_id)
        if found is None or not found[5]:
            return None
        chat_id, _, text, next_at, recurrence, _ = found
        return Reminder(reminder_id, chat_id, text, from_ts(next_at) if next_at else None, _recurrence(recurrence))

    async def active(self, chat_id: int) -> list[Reminder]:
        """A chat's active reminders, soonest first."""
        rows = await RemindersRepository(self.db.reader).active_in(chat_id)
        return [
            Reminder(rid, chat_id, text, from_ts(nxt) if nxt else None, _recurrence(rec))
            for rid, text, nxt, rec in rows
        ]

    async def cancel(self, actor: Actor, reminder_id: int) -> Reminder:
        """Cancel a reminder of this chat (its creator, backbone here, or a social worker)."""
        async with self.db.transaction() as conn:
            repo = RemindersRepository(conn)
            found = await repo.get(reminder_id)
            if found is None or found[0] != actor.chat_id or not found[5]:
                raise NotFound("reminder")
            chat_id, creator_id, text, next_at, recurrence, _ = found
            if creator_id != actor.user_id and not actor.is_backbone_here and chat_id != actor.user_id:
                raise PermissionDenied("backbone")
            await repo.deactivate(reminder_id)
            await OutboxRepository(conn).cancel(REMINDER, reminder_id)
        return Reminder(reminder_id, chat_id, text, from_ts(next_at) if next_at else None, _recurrence(recurrence))

    async def advance(self, reminder_id: int, sent_due_at: int) -> int | None:
        """After an occurrence: queue the next one of a recurring reminder (once); return its time."""
        async with self.db.transaction() as conn:
            found = await RemindersRepository(conn).get(reminder_id)
            if found is None or not found[5]:
                return None
            return await self._queue_next(conn, reminder_id, found[0], found[4], sent_due_at)

    async def _queue_next(
        self, conn: aiosqlite.Connection, reminder_id: int, chat_id: int, raw: str | None, due_at: int
    ) -> int | None:
        rec = _recurrence(raw)
        repo = RemindersRepository(conn)
        if rec is None:
            await repo.set_next(reminder_id, None)
            return None
        after = max(from_ts(due_at), self.clock.now()).astimezone(self.tz)
        nxt = to_ts(rec.next_after(after))
        await repo.set_next(reminder_id, nxt)
        await OutboxRepository(conn).add(
            kind=REMINDER,
            chat_id=chat_id,
            due_at=nxt,
            now=to_ts(self.clock.now()),
            ref_id=reminder_id,
            dedupe_key=f"rm:{reminder_id}:{nxt}",
        )
        return nxt

    async def occurrence_failed(self, item: OutboxItem, status: str, error: str, *, gone: bool, why: str) -> None:
        """Record an occurrence that did not arrive: a gone chat ends the reminder, anything else skips it.

        Either way the creator is owed a private note, queued in the same transaction: once when it
        ends, and once per run of failures (the first after a success), not every week.
        """
        assert item.ref_id is not None
        reminder_id = item.ref_id
        now = to_ts(self.clock.now())
        async with self.db.transaction() as conn:
            outbox = OutboxRepository(conn)
            repo = RemindersRepository(conn)
            await outbox.finish(item.id, status, now, error=error)
            found = await repo.get(reminder_id)
            if found is None or not found[5]:
                return  # cancelled meanwhile: nothing follows
            chat_id, creator_id, _, _, raw, _ = found
            nxt: int | None = None
            if gone:
                await repo.deactivate(reminder_id)
                await outbox.cancel(REMINDER, reminder_id)
                what, key = "ended", f"rmn:{reminder_id}:ended"
            else:
                nxt = await self._queue_next(conn, reminder_id, chat_id, raw, item.due_at)
                if await outbox.last_outcome(REMINDER, reminder_id, other_than=item.id) not in (None, "sent"):
                    return  # the creator was told at the start of this run of failures
                what, key = "skipped", f"rmn:{reminder_id}:{item.id}"
            if creator_id is None or (gone and creator_id == chat_id):
                return  # forgotten, or the creator's own private chat is the one that is gone
            # Privately if the creator opened a chat with the bot, else in the reminder's group (still there).
            await queue_person_note(
                conn,
                REMINDER_NOTE,
                user_id=creator_id,
                group_chat_id=chat_id if chat_id < 0 and not gone else None,
                payload={"what": what, "why": why, "next": nxt},
                now=now,
                ref_id=reminder_id,
                dedupe_key=key,
            )

    async def about(self, reminder_id: int) -> tuple[int, str] | None:
        """(chat_id, text) of a reminder, also once it ended (for the note to its creator)."""
        found = await RemindersRepository(self.db.reader).get(reminder_id)
        return (found[0], found[2]) if found is not None else None

    async def repair(self) -> int:
        """Re-queue recurring reminders whose next occurrence a crash left unscheduled; return how many."""
        repaired = 0
        for reminder_id, _, next_at, _ in await RemindersRepository(self.db.reader).recurring_without_pending():
            if await self.advance(reminder_id, next_at or to_ts(self.clock.now())) is not None:
                repaired += 1
        return repaired
