"""Minutes: decisions, tasks with owners and due reminders, and publishing them to the meeting's chats."""

from __future__ import annotations

from bot.clock import to_ts
from bot.services.actor import Actor
from bot.services.base import CommunityService
from bot.services.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.meeting_model import (
    MAX_DECISIONS,
    MAX_TASK,
    NOTE,
    TASK_DEFAULT_HOUR,
    TASK_DUE,
    MinutesView,
    TaskView,
    clean_text,
    existing_meeting,
    require_manager,
)
from bot.timeparse import read_time
from storage.meetings import MeetingsRepository
from storage.outbox import OutboxRepository
from storage.users import UsersRepository


class MinutesService(CommunityService):
    """What a meeting decided and who does what by when; free of Telegram."""

    # -- minutes and tasks --------------------------------------------------------
    async def minutes(self, meeting_id: int) -> MinutesView:
        """Attendance, decisions and tasks of a meeting."""
        repo = MeetingsRepository(self.db.reader)
        meeting = await existing_meeting(repo, meeting_id)
        return MinutesView(meeting, await repo.attendees(meeting_id), await repo.tasks(meeting_id))

    async def start_minutes(self, actor: Actor, meeting_id: int) -> MinutesView:
        """Check that this person may write the minutes, which happen once the meeting has begun."""
        view = await self.minutes(meeting_id)
        require_manager(actor, view.meeting)
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
