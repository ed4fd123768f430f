"""Meetings: drafts, scheduling with notices and reminders through the outbox, moving and cancelling."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.clock import Clock, to_ts
from bot.services.actor import Actor
from bot.services.base import CommunityService
from bot.services.dialogs import consume_dialog
from bot.services.errors import InvalidInput, PermissionDenied, WrongChat
from bot.services.meeting_model import (
    CHECKIN_EARLY_S,
    CHECKIN_LATE_S,
    KINDS,
    MAX_CAPACITY,
    MAX_PLACE,
    NOTE,
    NOTICE,
    REMINDER,
    Draft,
    MeetingView,
    ReminderDecision,
    clean_text,
    confirmed_and_waiting,
    existing_meeting,
    kind_of,
    require_manager,
    require_open,
    split_agenda,
)
from bot.timeparse import Refusal, TimeRefusal, read_time
from storage.chats import ChatsRepository
from storage.db import Database
from storage.meetings import MeetingRow, MeetingsRepository, NewMeeting
from storage.outbox import OutboxRepository
from storage.rows import Courtyard


class MeetingService(CommunityService):
    """Meetings: drafts, creating, reading, reminders, moving and cancelling; free of Telegram."""

    def __init__(self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo, offsets: Iterable[int]) -> None:
        super().__init__(db, clock, community_id, tz)
        self.default_offsets = tuple(sorted(set(offsets), reverse=True))

    # -- time ---------------------------------------------------------------------
    def parse_start(self, text: str) -> int:
        """A future meeting time typed in Chinese (or ISO); TimeRefusal says what was not usable."""
        return to_ts(read_time(text, now=self.clock.now().astimezone(self.tz)).when)

    def split_start(self, text: str) -> tuple[int, str]:
        """Find the meeting time at the start of a line of text; return it and the rest of the line."""
        found = read_time(text, now=self.clock.now().astimezone(self.tz), leading=True)
        return to_ts(found.when), found.rest

    def quick_draft(self, text: str) -> Draft:
        """Read `类型 时间 地点 主题`: the kind word first, then the time, then the place and the title."""
        words = text.split(maxsplit=1)
        if not words:
            raise InvalidInput("quick_usage")
        kind = kind_of(words[0])
        rest = words[1] if kind is not None and len(words) > 1 else ("" if kind is not None else text)
        if not rest.strip():
            raise InvalidInput("quick_usage")
        starts_at, remainder = self.split_start(rest)
        parts = remainder.split(maxsplit=1)
        if len(parts) < 2:
            raise InvalidInput("quick_usage")
        place = clean_text(parts[0], limit=MAX_PLACE, reason="place_too_long")
        title, agenda = split_agenda(parts[1])
        return Draft(
            kind=kind or "other",
            title=title,
            starts_at=starts_at,
            place=place,
            agenda=agenda,
            offsets=self.default_offsets,
        )

    def new_draft(self) -> Draft:
        """An empty draft with the community's reminder offsets."""
        return Draft(offsets=self.default_offsets, mode="yards")

    # -- permissions --------------------------------------------------------------
    @staticmethod
    def require_organiser(actor: Actor) -> None:
        """Social workers, and backbone (anywhere for the private wizard, here in a group)."""
        if actor.is_social_worker:
            return
        if actor.in_group:
            actor.require_backbone()
        elif not actor.backbone_courtyards:
            raise PermissionDenied("meeting_organiser")

    async def yard_choices(self, actor: Actor) -> list[Courtyard]:
        """Courtyards with a reachable chat that this person may invite."""
        repo = ChatsRepository(self.db.reader)
        with_chats = {c.courtyard_id for c in await repo.bound_chats(self.community_id) if c.active}
        return [
            y
            for y in await repo.courtyards(self.community_id)
            if y.id in with_chats and (actor.is_social_worker or y.id in actor.backbone_courtyards)
        ]

    async def _target_chats(self, conn: aiosqlite.Connection, actor: Actor, draft: Draft) -> list[int]:
        if draft.mode == "here":
            if not actor.in_group:
                raise WrongChat("group")
            actor.require_backbone()
            return [actor.chat_id]
        if draft.mode == "all":
            actor.require_social_worker()
            yards = None
        else:
            if not draft.yards:
                raise InvalidInput("no_targets")
            if not actor.is_social_worker and not set(draft.yards) <= actor.backbone_courtyards:
                raise PermissionDenied("backbone")
            yards = set(draft.yards)
        chats = await ChatsRepository(conn).bound_chats(self.community_id)
        return [c.chat_id for c in chats if c.active and (yards is None or c.courtyard_id in yards)]

    # -- creating -----------------------------------------------------------------
    def check_draft(self, draft: Draft) -> None:
        """Refuse a draft that cannot become a meeting."""
        if draft.kind not in KINDS:
            raise InvalidInput("bad_kind")
        if not draft.title:
            raise InvalidInput("empty_text")
        if draft.starts_at is None:
            raise TimeRefusal(Refusal.EMPTY)
        if draft.starts_at <= self._now():
            raise TimeRefusal(Refusal.PAST)
        if draft.capacity is not None and not 1 <= draft.capacity <= MAX_CAPACITY:
            raise InvalidInput("bad_capacity", limit=MAX_CAPACITY)

    async def create(self, actor: Actor, draft: Draft, *, dialog: str | None = None) -> MeetingRow:
        """Save the meeting and queue its notices and reminders, all in one transaction."""
        self.require_organiser(actor)
        self.check_draft(draft)
        assert draft.starts_at is not None
        now = self._now()
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            chats = await self._target_chats(conn, actor, draft)
            if not chats:
                raise InvalidInput("no_targets")
            repo = MeetingsRepository(conn)
            new = NewMeeting(
                community_id=self.community_id,
                kind=draft.kind,
                title=draft.title,
                place=draft.place,
                agenda=draft.agenda,
                starts_at=draft.starts_at,
                capacity=draft.capacity,
                target_all=draft.mode == "all",
                offsets=tuple(sorted(set(draft.offsets), reverse=True)),
                only_undecided=draft.only_undecided,
                checkin_code=await self._new_code(repo, draft.starts_at),
                organiser_id=actor.user_id,
                origin_chat=actor.chat_id,
            )
            meeting_id = await repo.add(new, now)
            await repo.add_chats(meeting_id, chats)
            outbox = OutboxRepository(conn)
            await outbox.add_for_chats(
                chats, kind=NOTICE, due_at=now, now=now, ref_id=meeting_id, key=f"meet:{meeting_id}:notice:{{chat}}"
            )
            await self._schedule_reminders(outbox, meeting_id, draft.starts_at, new.offsets, chats, now)
            created = await repo.get(meeting_id)
        assert created is not None
        return created

    async def _new_code(self, repo: MeetingsRepository, starts_at: int) -> str:
        # Codes only need to be unique among meetings whose check-in windows could overlap.
        span = CHECKIN_EARLY_S + CHECKIN_LATE_S + 86400
        for _ in range(200):
            code = str(1000 + secrets.randbelow(9000))
            if not await repo.code_taken(code, starts_at - span, starts_at + span):
                return code
        return str(10000 + secrets.randbelow(90000))

    @staticmethod
    async def _schedule_reminders(
        outbox: OutboxRepository, meeting_id: int, starts_at: int, offsets: Iterable[int], chats: list[int], now: int
    ) -> None:
        # The start time is part of the key: re-scheduling the same thing is a no-op, a moved meeting is new.
        for offset in offsets:
            due = starts_at - offset
            if due <= now:
                continue  # a "one day before" reminder for a meeting in two hours would be noise
            await outbox.add_for_chats(
                chats,
                kind=REMINDER,
                due_at=due,
                now=now,
                ref_id=meeting_id,
                payload={"offset": offset, "starts_at": starts_at},
                key=f"meet:{meeting_id}:{starts_at}:rem:{offset}:{{chat}}",
            )

    # -- reading ------------------------------------------------------------------
    async def meeting(self, meeting_id: int) -> MeetingRow:
        """One meeting of this community."""
        return await existing_meeting(MeetingsRepository(self.db.reader), meeting_id)

    async def view(self, meeting_id: int, conn: aiosqlite.Connection | None = None) -> MeetingView:
        """A meeting with its answers and check-ins."""
        repo = MeetingsRepository(conn or self.db.reader)
        meeting = await existing_meeting(repo, meeting_id)
        counts = await repo.counts(meeting_id)
        confirmed, waiting = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
        organiser = await repo.person(meeting.organiser_id) if meeting.organiser_id else None
        return MeetingView(
            meeting=meeting,
            yards=await repo.courtyard_names(meeting_id),
            confirmed=confirmed,
            waitlist=waiting,
            maybe=counts.get("maybe", 0),
            no=counts.get("no", 0),
            checked_in=await repo.checkin_count(meeting_id),
            organiser=organiser.name if organiser else None,
        )

    async def chats(self, meeting_id: int) -> list[int]:
        """The chats a meeting was announced in."""
        return await MeetingsRepository(self.db.reader).chats(meeting_id)

    async def upcoming(self, chat_id: int | None, limit: int = 15) -> list[MeetingRow]:
        """Scheduled meetings that have not started (in one chat, or all of them)."""
        repo = MeetingsRepository(self.db.reader)
        return await repo.upcoming(self.community_id, self._now(), limit, chat_id)

    async def recent_for(self, actor: Actor) -> list[MeetingRow]:
        """Meetings of the last month that have begun: the actor's own (any, for social workers)."""
        now = self._now()
        organiser = None if actor.is_social_worker else actor.user_id
        return await MeetingsRepository(self.db.reader).recent_started(
            self.community_id, now - 30 * 86400, now, organiser
        )

    # -- reminders ----------------------------------------------------------------
    async def due_reminder(self, meeting_id: int, chat_id: int, payload: Mapping[str, Any]) -> ReminderDecision:
        """Decide what a reminder that fell due does: send, skip, fan out, or tell the organiser it is late."""
        now = self._now()
        offset = int(payload.get("offset", 0))
        meeting = await MeetingsRepository(self.db.reader).get(meeting_id)
        if meeting is None or meeting.status != "scheduled" or payload.get("starts_at") != meeting.starts_at:
            return ReminderDecision(None)
        if now >= meeting.starts_at:
            return ReminderDecision(None, queued=await self._note_late(meeting, now))
        if any(o < offset and now >= meeting.starts_at - o for o in meeting.offsets):
            return ReminderDecision(None)  # a later reminder is also due (the bot was down): send only that one
        view = await self.view(meeting_id)
        if chat_id > 0:  # a private reminder to one person who had not answered
            answered = await MeetingsRepository(self.db.reader).answer_of(meeting_id, chat_id)
            return ReminderDecision(None if answered else view)
        if not meeting.only_undecided:
            return ReminderDecision(view)
        return await self._fan_out(view, chat_id, offset, now)

    async def _fan_out(self, view: MeetingView, chat_id: int, offset: int, now: int) -> ReminderDecision:
        meeting = view.meeting
        queued = 0
        async with self.db.transaction() as conn:
            waiting = await MeetingsRepository(conn).non_responders(meeting.id, chat_id)
            outbox = OutboxRepository(conn)
            for person in waiting:
                if person.private_chat:
                    added = await outbox.add(
                        kind=REMINDER,
                        chat_id=person.user_id,
                        due_at=now,
                        now=now,
                        ref_id=meeting.id,
                        payload={"offset": offset, "starts_at": meeting.starts_at},
                        dedupe_key=f"meet:{meeting.id}:{meeting.starts_at}:rem:{offset}:{person.user_id}",
                    )
                    queued += added is not None
        mention = tuple(p for p in waiting if not p.private_chat)
        return ReminderDecision(view if mention else None, mention, queued)

    async def _note_late(self, meeting: MeetingRow, now: int) -> int:
        # One note per meeting, however many reminders and chats were missed.
        async with self.db.transaction() as conn:
            chat_id = await self._organiser_chat(conn, meeting)
            if chat_id is None:
                return 0
            added = await OutboxRepository(conn).add(
                kind=NOTE,
                chat_id=chat_id,
                due_at=now,
                now=now,
                ref_id=meeting.id,
                payload={"what": "late"},
                dedupe_key=f"meet:{meeting.id}:{meeting.starts_at}:late",
            )
        return int(added is not None)

    @staticmethod
    async def _organiser_chat(conn: aiosqlite.Connection, meeting: MeetingRow) -> int | None:
        if meeting.organiser_id is not None:
            person = await MeetingsRepository(conn).person(meeting.organiser_id)
            if person is not None and person.private_chat:
                return person.user_id
        if meeting.origin_chat is not None and meeting.origin_chat < 0:
            return meeting.origin_chat
        return None

    # -- managing -----------------------------------------------------------------
    async def manage(self, actor: Actor, meeting_id: int) -> MeetingView:
        """The organiser's (or a social worker's) view of a meeting."""
        view = await self.view(meeting_id)
        require_manager(actor, view.meeting)
        return view

    async def cancel(self, actor: Actor, meeting_id: int) -> MeetingRow:
        """Cancel a meeting: stop its reminders and tell the chats that already got the notice."""
        now = self._now()
        async with self.db.transaction() as conn:
            repo = MeetingsRepository(conn)
            meeting = await existing_meeting(repo, meeting_id)
            require_manager(actor, meeting)
            if not await repo.cancel(meeting_id, now):
                raise InvalidInput("meeting_cancelled")
            outbox = OutboxRepository(conn)
            await outbox.cancel(REMINDER, meeting_id)
            await outbox.cancel(NOTICE, meeting_id)
            await outbox.add_for_chats(
                await repo.chats(meeting_id),
                kind=NOTE,
                due_at=now,
                now=now,
                ref_id=meeting_id,
                payload={"what": "cancelled"},
                key=f"meet:{meeting_id}:cancelled:{{chat}}",
            )
        return replace(meeting, status="cancelled")

    async def move(self, actor: Actor, meeting_id: int, starts_at: int, *, dialog: str | None = None) -> MeetingRow:
        """Move a meeting: its reminders are re-planned for the new time and the chats are told."""
        now = self._now()
        if starts_at <= now:
            raise TimeRefusal(Refusal.PAST)
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = MeetingsRepository(conn)
            meeting = await existing_meeting(repo, meeting_id)
            require_manager(actor, meeting)
            require_open(meeting, now)
            await repo.move(meeting_id, starts_at, now)
            outbox = OutboxRepository(conn)
            await outbox.cancel(REMINDER, meeting_id)
            chats = await repo.chats(meeting_id)
            await self._schedule_reminders(outbox, meeting_id, starts_at, meeting.offsets, chats, now)
            await outbox.add_for_chats(
                chats,
                kind=NOTE,
                due_at=now,
                now=now,
                ref_id=meeting_id,
                payload={"what": "moved", "old": meeting.starts_at},
                key=f"meet:{meeting_id}:moved:{starts_at}:{{chat}}",
            )
        return replace(meeting, starts_at=starts_at)
