"""Meetings: scheduling, answers with a waitlist, reminders through the outbox, check-in, minutes, tasks."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.clock import Clock, from_ts, to_ts
from bot.numbers import typed_number
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, WrongChat
from bot.timeparse import Refusal, TimeRefusal, read_time
from storage.chats import ChatsRepository
from storage.db import Database
from storage.meetings import MeetingRow, MeetingsRepository, NewMeeting, Person, TaskRow
from storage.outbox import OutboxRepository
from storage.rows import Courtyard
from storage.users import UsersRepository

KINDS = ("briefing", "courtyard", "consultation", "team", "visit", "award", "other")
# The words people type for each kind (the first one is how the bot writes it in Chinese).
KIND_WORDS: dict[str, str] = {
    "宣讲会": "briefing",
    "宣讲": "briefing",
    "坝坝会": "courtyard",
    "院坝会": "courtyard",
    "协商会": "consultation",
    "议事会": "consultation",
    "协商": "consultation",
    "团创会": "team",
    "团建": "team",
    "参访": "visit",
    "参观": "visit",
    "颁奖": "award",
    "颁奖会": "award",
    "颁奖典礼": "award",
    "其他": "other",
    "其它": "other",
    "briefing": "briefing",
    "courtyard": "courtyard",
    "consultation": "consultation",
    "team": "team",
    "visit": "visit",
    "award": "award",
    "other": "other",
}
ANSWERS = ("yes", "maybe", "no")

# Outbox kinds of this feature.
NOTICE = "meeting_notice"
REMINDER = "meeting_reminder"
NOTE = "meeting_note"
TASK_DUE = "task_due"

MAX_TITLE = 60
MAX_PLACE = 80
MAX_AGENDA = 1500
MAX_DECISIONS = 3000
MAX_TASK = 200
MAX_CAPACITY = 10_000
MEETING_LENGTH = timedelta(hours=2)  # for calendar files; meetings have no stored end
OFFSET_CHOICES = (7 * 86400, 86400, 6 * 3600, 3600, 1800)
CHECKIN_EARLY_S = 2 * 3600  # the code works from two hours before the start
CHECKIN_LATE_S = 12 * 3600  # ... until twelve hours after it
WRONG_CODES = 5  # wrong codes a person may try per window, so four digits cannot be guessed
WRONG_CODE_WINDOW_S = 600
TASK_DEFAULT_HOUR = 9


@dataclass(frozen=True)
class Draft:
    """A meeting being written (the wizard's and the quick command's state)."""

    kind: str = "other"
    title: str = ""
    starts_at: int | None = None
    place: str = ""
    agenda: str = ""
    mode: str = "here"  # here: the group it was written in | all | yards
    yards: tuple[int, ...] = ()
    capacity: int | None = None
    offsets: tuple[int, ...] = ()
    only_undecided: bool = False

    def to_state(self) -> dict[str, Any]:
        """JSON-able form for the dialogs table."""
        return {
            "kind": self.kind,
            "title": self.title,
            "starts_at": self.starts_at,
            "place": self.place,
            "agenda": self.agenda,
            "mode": self.mode,
            "yards": list(self.yards),
            "capacity": self.capacity,
            "offsets": list(self.offsets),
            "only_undecided": self.only_undecided,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Draft:
        """Rebuild from the dialogs table."""
        return cls(
            kind=str(state.get("kind", "other")),
            title=str(state.get("title", "")),
            starts_at=state.get("starts_at"),
            place=str(state.get("place", "")),
            agenda=str(state.get("agenda", "")),
            mode=str(state.get("mode", "here")),
            yards=tuple(int(y) for y in state.get("yards", ())),
            capacity=state.get("capacity"),
            offsets=tuple(int(o) for o in state.get("offsets", ())),
            only_undecided=bool(state.get("only_undecided", False)),
        )


@dataclass(frozen=True)
class MeetingView:
    """A meeting with everything a notice shows."""

    meeting: MeetingRow
    yards: list[str]
    confirmed: list[Person]
    waitlist: list[Person]
    maybe: int
    no: int
    checked_in: int
    organiser: str | None

    @property
    def start(self) -> datetime:
        """The start as an aware datetime."""
        return from_ts(self.meeting.starts_at)


@dataclass(frozen=True)
class RsvpResult:
    answer: str
    changed: bool
    waitlist_position: int | None  # 1-based place on the waitlist, None when in (or not "yes")
    promoted: list[Person]
    stale: bool = False  # a later press of the person was obeyed already: answer is the one kept


@dataclass(frozen=True)
class CheckinResult:
    meeting: MeetingRow
    first_time: bool
    count: int


@dataclass(frozen=True)
class ReminderDecision:
    """What a due reminder should do: send (view set) or skip; queued new outbox items."""

    view: MeetingView | None
    mention: tuple[Person, ...] = ()
    queued: int = 0


@dataclass(frozen=True)
class MinutesView:
    meeting: MeetingRow
    attendees: list[str]
    tasks: list[TaskRow]


@dataclass(frozen=True)
class TaskView:
    task: TaskRow
    meeting: MeetingRow


def kind_of(word: str) -> str | None:
    """The meeting kind a typed word names, if any."""
    return KIND_WORDS.get(word.strip().lower())


def clean_text(raw: str, *, limit: int, reason: str = "too_long", required: bool = True) -> str:
    """Trim user text; refuse it empty (when required) or too long."""
    text = raw.strip()
    if required and not text:
        raise InvalidInput("empty_text")
    if len(text) > limit:
        raise InvalidInput(reason, limit=limit)
    return text


def clean_capacity(raw: str) -> int:
    """A typed capacity: a whole number of people."""
    text = raw.strip().removesuffix("人").strip()
    number = typed_number(text, high=MAX_CAPACITY)
    if number is None or number < 1:
        raise InvalidInput("bad_capacity", limit=MAX_CAPACITY)
    return number


def split_agenda(text: str) -> tuple[str, str]:
    """The first line is the title, the rest the agenda."""
    first, _, rest = text.strip().partition("\n")
    title = clean_text(first, limit=MAX_TITLE, reason="title_too_long")
    return title, clean_text(rest, limit=MAX_AGENDA, reason="agenda_too_long", required=False)


def confirmed_and_waiting(queue: list[Person], capacity: int | None) -> tuple[list[Person], list[Person]]:
    """Split the "yes" queue at the capacity."""
    if capacity is None:
        return queue, []
    return queue[:capacity], queue[capacity:]


async def _existing(repo: MeetingsRepository, meeting_id: int) -> MeetingRow:
    """The meeting, or NotFound."""
    meeting = await repo.get(meeting_id)
    if meeting is None:
        raise NotFound("meeting")
    return meeting


class MeetingService:
    """Meetings and what hangs off them; free of Telegram."""

    def __init__(self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo, offsets: Iterable[int]) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id
        self.tz = tz
        self.default_offsets = tuple(sorted(set(offsets), reverse=True))

    def _now(self) -> int:
        return to_ts(self.clock.now())

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

    def _require_manager(self, actor: Actor, meeting: MeetingRow) -> None:
        if not self.may_manage(actor, meeting):
            raise PermissionDenied("organiser")

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

    async def create(self, actor: Actor, draft: Draft) -> MeetingRow:
        """Save the meeting and queue its notices and reminders, all in one transaction."""
        self.require_organiser(actor)
        self.check_draft(draft)
        assert draft.starts_at is not None
        now = self._now()
        async with self.db.transaction() as conn:
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
        return await _existing(MeetingsRepository(self.db.reader), meeting_id)

    async def view(self, meeting_id: int, conn: aiosqlite.Connection | None = None) -> MeetingView:
        """A meeting with its answers and check-ins."""
        repo = MeetingsRepository(conn or self.db.reader)
        meeting = await _existing(repo, meeting_id)
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

    def may_manage(self, actor: Actor, meeting: MeetingRow) -> bool:
        """Whether the actor is the organiser or a social worker."""
        return actor.is_social_worker or actor.user_id == meeting.organiser_id

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
            meeting = await _existing(repo, meeting_id)
            self._require_open(meeting, now)
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
            chat_id = person.user_id if person.private_chat else group
            if chat_id is None:
                continue
            await OutboxRepository(conn).add(
                kind=NOTE,
                chat_id=chat_id,
                due_at=now,
                now=now,
                ref_id=meeting_id,
                payload={"what": "promoted", "user_id": person.user_id, "name": person.name},
                dedupe_key=f"meet:{meeting_id}:promoted:{person.user_id}:{now}",
            )
        return promoted

    @staticmethod
    def _require_open(meeting: MeetingRow, now: int) -> None:
        if meeting.status == "cancelled":
            raise InvalidInput("meeting_cancelled")
        if now >= meeting.starts_at:
            raise InvalidInput("meeting_started")

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

    # -- managing -----------------------------------------------------------------
    async def manage(self, actor: Actor, meeting_id: int) -> MeetingView:
        """The organiser's (or a social worker's) view of a meeting."""
        view = await self.view(meeting_id)
        self._require_manager(actor, view.meeting)
        return view

    async def cancel(self, actor: Actor, meeting_id: int) -> MeetingRow:
        """Cancel a meeting: stop its reminders and tell the chats that already got the notice."""
        now = self._now()
        async with self.db.transaction() as conn:
            repo = MeetingsRepository(conn)
            meeting = await _existing(repo, meeting_id)
            self._require_manager(actor, meeting)
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

    async def move(self, actor: Actor, meeting_id: int, starts_at: int) -> MeetingRow:
        """Move a meeting: its reminders are re-planned for the new time and the chats are told."""
        now = self._now()
        if starts_at <= now:
            raise TimeRefusal(Refusal.PAST)
        async with self.db.transaction() as conn:
            repo = MeetingsRepository(conn)
            meeting = await _existing(repo, meeting_id)
            self._require_manager(actor, meeting)
            self._require_open(meeting, now)
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

    # -- minutes and tasks --------------------------------------------------------
    async def minutes(self, meeting_id: int) -> MinutesView:
        """Attendance, decisions and tasks of a meeting."""
        repo = MeetingsRepository(self.db.reader)
        meeting = await _existing(repo, meeting_id)
        return MinutesView(meeting, await repo.attendees(meeting_id), await repo.tasks(meeting_id))

    async def start_minutes(self, actor: Actor, meeting_id: int) -> MinutesView:
        """Check that this person may write the minutes, which happen once the meeting has begun."""
        view = await self.minutes(meeting_id)
        self._require_manager(actor, view.meeting)
        if view.meeting.status == "cancelled":
            raise InvalidInput("meeting_cancelled")
        if self._now() < view.meeting.starts_at:
            raise InvalidInput("not_started")
        return view

    async def save_decisions(self, actor: Actor, meeting_id: int, text: str) -> MinutesView:
        """Store the decisions (one per line)."""
        await self.start_minutes(actor, meeting_id)
        decisions = clean_text(text, limit=MAX_DECISIONS, reason="decisions_too_long")
        async with self.db.transaction() as conn:
            await MeetingsRepository(conn).set_decisions(meeting_id, decisions, self._now())
        return await self.minutes(meeting_id)

    async def add_task(
        self, actor: Actor, meeting_id: int, owner: tuple[int, str], text: str, group_chat: int | None
    ) -> TaskView:
        """Record a task with an owner and a due time; its reminder is queued for the due time."""
        view = await self.start_minutes(actor, meeting_id)
        if not text.strip():
            raise InvalidInput("task_usage")
        due_at, rest = self._split_due(text)
        task_text = clean_text(rest, limit=MAX_TASK, reason="task_too_long")
        now = self._now()
        owner_id, owner_name = owner
        async with self.db.transaction() as conn:
            repo = MeetingsRepository(conn)
            await UsersRepository(conn).ensure(owner_id, owner_name, now)
            task_id = await repo.add_task(meeting_id, task_text, owner_id, due_at, actor.user_id, now)
            person = await repo.person(owner_id)
            chats = await repo.chats(meeting_id)
            chat_id = owner_id if person and person.private_chat else (group_chat or (chats[0] if chats else None))
            if chat_id is not None:
                await OutboxRepository(conn).add(
                    kind=TASK_DUE,
                    chat_id=chat_id,
                    due_at=due_at,
                    now=now,
                    ref_id=task_id,
                    dedupe_key=f"task:{task_id}:due",
                )
            task = await repo.task(task_id)
        assert task is not None
        return TaskView(task, view.meeting)

    def _split_due(self, text: str) -> tuple[int, str]:
        # The due time comes first, like /remind: "周五下午5点 买油漆"; a bare day means 9 in the morning.
        local = self.clock.now().astimezone(self.tz)
        found = read_time(text, now=local, leading=True, default_hour=TASK_DEFAULT_HOUR)
        return to_ts(found.when), found.rest

    async def task(self, task_id: int) -> TaskView:
        """One task and its meeting."""
        repo = MeetingsRepository(self.db.reader)
        task = await repo.task(task_id)
        meeting = await repo.get(task.meeting_id) if task else None
        if task is None or meeting is None:
            raise NotFound("task")
        return TaskView(task, meeting)

    async def finish_task(self, actor: Actor, task_id: int) -> TaskView:
        """Mark a task done (its owner, the organiser or a social worker); its reminder is dropped."""
        found = await self.task(task_id)
        allowed = actor.is_social_worker or actor.user_id in (found.task.owner_id, found.meeting.organiser_id)
        if not allowed:
            raise PermissionDenied("task_owner")
        async with self.db.transaction() as conn:
            await MeetingsRepository(conn).set_task_done(task_id, self._now())
            await OutboxRepository(conn).cancel(TASK_DUE, task_id)
        return await self.task(task_id)

    async def publish_minutes(self, actor: Actor, meeting_id: int) -> int:
        """Queue the minutes for every chat the meeting was announced in; return how many."""
        view = await self.start_minutes(actor, meeting_id)
        if view.meeting.minutes_at is None:
            raise InvalidInput("no_decisions")
        now = self._now()
        async with self.db.transaction() as conn:
            chats = await MeetingsRepository(conn).chats(meeting_id)
            await OutboxRepository(conn).add_for_chats(
                chats,
                kind=NOTE,
                due_at=now,
                now=now,
                ref_id=meeting_id,
                payload={"what": "minutes"},
                key=f"meet:{meeting_id}:minutes:{view.meeting.minutes_at}:{{chat}}",
            )
        return len(chats)

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
