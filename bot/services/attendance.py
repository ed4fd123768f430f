"""Attendance: answers with a waitlist (who moves up is told through the outbox) and check-in by code."""

from __future__ import annotations

import aiosqlite

from bot.services.base import CommunityService
from bot.services.errors import InvalidInput
from bot.services.meeting_model import (
    ANSWERS,
    CHECKIN_EARLY_S,
    CHECKIN_LATE_S,
    PROMOTED,
    WRONG_CODE_WINDOW_S,
    WRONG_CODES,
    CheckinResult,
    RsvpResult,
    confirmed_and_waiting,
    existing_meeting,
    require_open,
)
from bot.services.notes import queue_person_note
from storage.meetings import MeetingRow, MeetingsRepository, Person


class AttendanceService(CommunityService):
    """Who comes: answers, the waitlist, check-in; free of Telegram."""

    # -- answers ------------------------------------------------------------------
    async def rsvp(self, user_id: int, meeting_id: int, answer: str, chat_id: int, seq: int) -> RsvpResult:
        """Record an answer; with a capacity, "yes" beyond it waits and a freed place promotes the next.

        seq is the update id of the press: one older than the person's answer on record changes nothing.
        """
        if answer not in ANSWERS:
            raise InvalidInput("bad_answer")
        now = self._now()
        async with self.db.transaction() as conn:
            repo = MeetingsRepository(conn)
            meeting = await existing_meeting(repo, meeting_id)
            require_open(meeting, now)
            mine = await repo.answer_and_press(meeting_id, user_id)
            if mine is not None and mine[1] >= seq:
                # Tapped before the answer on record but handled after it: the later tap stands.
                _, waiting = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
                position = next((i for i, p in enumerate(waiting, start=1) if p.user_id == user_id), None)
                return RsvpResult(mine[0], False, position, [], stale=True)
            previous = mine[0] if mine else None
            before, _ = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
            await repo.answer(meeting_id, user_id, answer, now, seq)
            confirmed, waiting = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
            fallback = chat_id if chat_id < 0 else None
            promoted = await self._queue_promotions(conn, meeting_id, before, confirmed, user_id, now, fallback)
        position = next((i for i, p in enumerate(waiting, start=1) if p.user_id == user_id), None)
        return RsvpResult(answer, previous != answer, position, promoted)

    async def _queue_promotions(
        self,
        conn: aiosqlite.Connection,
        meeting_id: int,
        before: list[Person],
        after: list[Person],
        mover: int,
        now: int,
        fallback_chat: int | None = None,
    ) -> list[Person]:
        """Owe everyone who moved up from the waitlist a note, in the same transaction (survives a crash)."""
        was_in = {p.user_id for p in before}
        promoted = [p for p in after if p.user_id not in was_in and p.user_id != mover]
        if not promoted:
            return []
        chats = await MeetingsRepository(conn).chats(meeting_id)
        # Someone who never opened a private chat is mentioned in a group that got the notice.
        group = fallback_chat if fallback_chat is not None else (chats[0] if chats else None)
        for person in promoted:
            await queue_person_note(
                conn,
                PROMOTED,
                user_id=person.user_id,
                group_chat_id=group,
                payload={},
                now=now,
                ref_id=meeting_id,
                dedupe_key=f"meet:{meeting_id}:promoted:{person.user_id}:{now}",
            )
        return promoted

    # -- check-in -----------------------------------------------------------------
    async def check_in(self, user_id: int, code: str, via: str) -> CheckinResult:
        """Record attendance by the code said at the meeting (or its QR link); refuse unknown codes."""
        now = self._now()
        # Wrong tries are counted in the database, in the transaction that checks the code: concurrent
        # guesses queue behind each other and each sees the ones before it, and a restart forgets nothing.
        async with self.db.transaction() as conn:
            outcome = await self._check_code(MeetingsRepository(conn), user_id, code.strip(), via, now)
        if isinstance(outcome, str):
            raise InvalidInput(outcome)
        return outcome

    async def _check_code(
        self, repo: MeetingsRepository, user_id: int, code: str, via: str, now: int
    ) -> CheckinResult | str:
        """Check in, or the reason for refusing (returned, not raised, so the wrong try counted is kept)."""
        since = now - WRONG_CODE_WINDOW_S
        if await repo.wrong_codes(user_id, since) >= WRONG_CODES:
            return "too_many_tries"
        meeting = None
        if code.isdigit() and len(code) <= 8:
            meeting = await repo.by_code(self.community_id, code, now - CHECKIN_LATE_S, now + CHECKIN_EARLY_S)
        if meeting is None:
            await repo.wrong_code(user_id, now, since)
            return "unknown_code"
        first = await repo.check_in(meeting.id, user_id, via, now)
        return CheckinResult(meeting, first, await repo.checkin_count(meeting.id))

    async def mine(self, user_id: int, limit: int = 5) -> list[tuple[MeetingRow, str]]:
        """The person's upcoming meetings with their place: "yes", "waitlist" or "maybe"."""
        repo = MeetingsRepository(self.db.reader)
        found: list[tuple[MeetingRow, str]] = []
        for meeting, answer in await repo.answered_upcoming(user_id, self._now(), limit):
            if answer == "yes" and meeting.capacity is not None:
                _, waiting = confirmed_and_waiting(await repo.yes_queue(meeting.id), meeting.capacity)
                answer = "waitlist" if any(p.user_id == user_id for p in waiting) else answer
            found.append((meeting, answer))
        return found

    # -- privacy ------------------------------------------------------------------
    async def forget_hook(self, conn: aiosqlite.Connection, user_id: int) -> None:
        """Before a person is erased: free their places and tell whoever moves up from the waitlist."""
        repo = MeetingsRepository(conn)
        now = self._now()
        for meeting_id in await repo.yes_meetings(user_id):
            meeting = await repo.get(meeting_id)
            if meeting is None:
                continue
            before, _ = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
            await repo.remove_answer(meeting_id, user_id)
            after, _ = confirmed_and_waiting(await repo.yes_queue(meeting_id), meeting.capacity)
            await self._queue_promotions(conn, meeting_id, before, after, user_id, now)
