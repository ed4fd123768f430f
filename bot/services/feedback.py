"""The feedback inbox (集中反馈): report with a "same problem?" check, follow, triage, notes, merges.

Every change writes a status note and, in the same transaction, a person note (FEEDBACK_NOTE) to the
reporter and each follower: privately if they opened a chat with the bot, else to the item's group.
Residents may report and follow; only social workers change items (backbone of the courtyard read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from bot.clock import Clock
from bot.config import FeedbackConfig
from bot.services.actor import Actor
from bot.services.base import CommunityService
from bot.services.community import group_scope
from bot.services.dialogs import consume_dialog
from bot.services.errors import InvalidInput, NotFound, PermissionDenied, WrongChat, required_text
from bot.services.notes import queue_person_note
from bot.services.proposals import normalise_title, similar
from storage.db import Database
from storage.feedback import OPEN, Feedback, FeedbackNote, FeedbackRepository

FEEDBACK_NOTE = "feedback_note"  # outbox kind: a reporter or follower told of a change
MAX_BODY = 1000
MAX_NOTE = 1000
MAX_NAME = 40
SIMILAR_SHOWN = 3
DAY = 86400
# What a social worker may do to an item, and the status it leaves.
CHANGES = {"acknowledged": "acknowledged", "in_progress": "in_progress", "resolved": "resolved", "declined": "declined"}
CHECK_ANSWERS = ("yes", "no", "unsure")


def alike(body: str, other: Feedback) -> bool:
    """Whether a new text probably describes an open item (same words, or one inside the other)."""
    return similar(normalise_title(body), other.norm_body)


@dataclass(frozen=True)
class InboxView:
    counts: Mapping[str, int]
    overdue: int
    items: list[Feedback]
    followers: Mapping[int, int]


class FeedbackService(CommunityService):
    """Feedback items of one community."""

    def __init__(self, db: Database, clock: Clock, community_id: int, tz: ZoneInfo, settings: FeedbackConfig) -> None:
        super().__init__(db, clock, community_id, tz)
        self.settings = settings

    # ---- residents -------------------------------------------------------------------------------

    async def group_courtyard(self, actor: Actor) -> int:
        """The courtyard of the actor's bound group (a community-wide group has none)."""
        scope = await group_scope(self.db, self.community_id, actor)
        if scope == 0:
            raise WrongChat("bound")
        return scope

    def clean_body(self, raw: str) -> str:
        """The item's text: trimmed, not empty, not too long."""
        return required_text(raw.strip(), MAX_BODY, "empty_feedback", "feedback_too_long")

    def check_category(self, index: int) -> str:
        """The category at a button's index."""
        if not 0 <= index < len(self.settings.categories):
            raise InvalidInput("unknown_category")
        return self.settings.categories[index]

    async def similar_open(self, courtyard_id: int, body: str) -> list[Feedback]:
        """Open items of the courtyard that look like this text, newest first."""
        items = await FeedbackRepository(self.db.reader).open_in_courtyard(courtyard_id)
        return [f for f in items if alike(body, f)][:SIMILAR_SHOWN]

    async def report(
        self,
        actor: Actor,
        *,
        courtyard_id: int,
        group_chat_id: int | None,
        body: str,
        category: str,
        photo_file_id: str | None,
        anonymous: bool,
        dialog: str | None = None,
        on_behalf: str | None = None,
    ) -> Feedback:
        """Save an item; 代登记 (on_behalf: a typed name) only by a social worker, marked as recorded by them."""
        text = self.clean_body(body)
        if category not in self.settings.categories:
            raise InvalidInput("unknown_category")
        name = None
        if on_behalf is not None:
            actor.require_social_worker()
            name = required_text(" ".join(on_behalf.split()), MAX_NAME, "empty_name", "name_too_long")
        now = self._now()
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = FeedbackRepository(conn)
            number = await repo.next_number(self.community_id)
            item_id = await repo.add(
                community_id=self.community_id,
                courtyard_id=courtyard_id,
                number=number,
                group_chat_id=group_chat_id,
                reporter_id=None if name is not None else actor.user_id,
                recorded_by=actor.user_id if name is not None else None,
                recorded_name=name,
                category=category,
                body=text,
                norm_body=normalise_title(text),
                photo_file_id=photo_file_id,
                anonymous=anonymous,
                due_at=now + self.settings.target_days(category) * DAY,
                now=now,
            )
            await repo.add_note(item_id, actor.user_id, "new", "new", "", now)
            saved = await repo.get(item_id)
        assert saved is not None
        return saved

    async def follow(self, actor: Actor, item_id: int, *, dialog: str | None = None) -> Feedback:
        """我也关注: follow an open item of one's courtyard (told of every change)."""
        item = await self._visible(actor, item_id)
        now = self._now()
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = FeedbackRepository(conn)
            if item.reporter_id != actor.user_id:
                await repo.follow(item.id, actor.user_id, now)
        return item

    async def mine(self, user_id: int) -> list[tuple[Feedback, FeedbackNote | None]]:
        """/myfeedback: the person's items and the ones they follow, each with its latest note."""
        repo = FeedbackRepository(self.db.reader)
        return [(f, await repo.latest_note(f.id)) for f in await repo.of_person(user_id)]

    async def courtyard_of_resident(self, actor: Actor) -> int | None:
        """A courtyard to preselect in private: the one the person was last seen in (or None)."""
        return await FeedbackRepository(self.db.reader).home_courtyard(actor.user_id, self.community_id)

    async def group_of(self, courtyard_id: int) -> int | None:
        """The courtyard's active group (notes to people without a private chat go there)."""
        return await FeedbackRepository(self.db.reader).courtyard_group(courtyard_id)

    # ---- who sees what ---------------------------------------------------------------------------

    def _can_read(self, actor: Actor, item: Feedback) -> bool:
        return actor.is_social_worker or item.courtyard_id in actor.backbone_courtyards

    async def _visible(self, actor: Actor, item_id: int) -> Feedback:
        """An item of this community the actor may see: their courtyard's, or any for social workers."""
        item = await FeedbackRepository(self.db.reader).get(item_id)
        if item is None or item.community_id != self.community_id:
            raise NotFound("feedback")
        if actor.is_social_worker or item.courtyard_id in actor.backbone_courtyards:
            return item
        if actor.in_group and actor.courtyard_id == item.courtyard_id:
            return item
        if item.reporter_id == actor.user_id:
            return item
        raise NotFound("feedback")

    async def card(self, actor: Actor, item_id: int) -> tuple[Feedback, list[int], FeedbackNote | None]:
        """One item for the inbox card: the item, its followers, its latest note."""
        item = await FeedbackRepository(self.db.reader).get(item_id)
        if item is None or item.community_id != self.community_id or not self._can_read(actor, item):
            raise NotFound("feedback")
        repo = FeedbackRepository(self.db.reader)
        return item, await repo.followers(item.id), await repo.latest_note(item.id)

    async def by_number(self, actor: Actor, number: int) -> Feedback:
        """An item the actor may read, by its number."""
        item = await FeedbackRepository(self.db.reader).by_number(self.community_id, number)
        if item is None or not self._can_read(actor, item):
            raise NotFound("feedback")
        return item

    # ---- social workers --------------------------------------------------------------------------

    def _inbox_scope(self, actor: Actor) -> tuple[int, ...] | None:
        if actor.is_social_worker:
            return None
        if actor.backbone_courtyards:
            return tuple(sorted(actor.backbone_courtyards))
        raise PermissionDenied("social_worker")

    async def inbox(
        self,
        actor: Actor,
        *,
        courtyard_id: int | None = None,
        statuses: tuple[str, ...] = OPEN,
        category: str | None = None,
        assignee_id: int | None = None,
        page: int = 0,
        per_page: int = 8,
    ) -> InboxView:
        """/inbox: counts by status, overdue, and a page of items (earliest target first)."""
        if actor.in_group:
            raise WrongChat("private")
        scope = self._inbox_scope(actor)
        if courtyard_id is not None:
            if scope is not None and courtyard_id not in scope:
                raise NotFound("feedback")
            scope = (courtyard_id,)
        repo = FeedbackRepository(self.db.reader)
        items = await repo.page(
            self.community_id,
            scope,
            statuses,
            category=category,
            assignee_id=assignee_id,
            limit=per_page,
            offset=page * per_page,
        )
        return InboxView(
            counts=await repo.counts(self.community_id, scope),
            overdue=await repo.overdue_count(self.community_id, scope, self._now()),
            items=items,
            followers={f.id: await repo.follower_count(f.id) for f in items},
        )

    async def _changeable(self, actor: Actor, item_id: int) -> Feedback:
        item = await FeedbackRepository(self.db.reader).get(item_id)
        if item is None or item.community_id != self.community_id:
            raise NotFound("feedback")
        if not actor.is_social_worker:
            # Backbone read their courtyard's items; a resident does not see that the item exists.
            raise PermissionDenied("social_worker" if item.courtyard_id in actor.backbone_courtyards else "feedback")
        return item

    async def change(
        self,
        actor: Actor,
        item_id: int,
        what: str,
        *,
        body: str = "",
        assignee_id: int | None = None,
        dialog: str | None = None,
    ) -> Feedback:
        """受理, 处理中 (with whom), 已解决, 不予处理 (reason), 回复, 设为不公开: each noted, all concerned told."""
        item = await self._changeable(actor, item_id)
        if item.status == "merged":
            raise InvalidInput("feedback_merged")
        text = body.strip()
        if what == "declined" or what == "reply":
            text = required_text(
                text, MAX_NOTE, "empty_reason" if what == "declined" else "empty_reply", "note_too_long"
            )
        if what not in (*CHANGES, "reply", "anonymous"):
            raise InvalidInput("unknown_change")
        now = self._now()
        async with self.db.transaction() as conn:
            await consume_dialog(conn, actor, dialog)
            repo = FeedbackRepository(conn)
            status = CHANGES.get(what, item.status)
            if what in CHANGES:
                if item.status == status and what != "in_progress":
                    raise InvalidInput("feedback_unchanged")
                await repo.set_status(item.id, status, now)
            if what == "in_progress":
                await repo.set_assignee(item.id, assignee_id if assignee_id is not None else actor.user_id)
            elif what == "acknowledged" and item.assignee_id is None:
                await repo.set_assignee(item.id, actor.user_id)
            if what == "anonymous":
                await repo.set_anonymous(item.id)
            note_id = await repo.add_note(item.id, actor.user_id, what, status, text, now)
            if what != "anonymous":
                await self._tell(conn, item, note_id, now)
            updated = await repo.get(item.id)
        assert updated is not None
        return updated

    async def merge(self, actor: Actor, item_id: int, target_number: int) -> tuple[Feedback, Feedback]:
        """合并到…: the item points to the target; its reporter and followers follow the target and are told."""
        item = await self._changeable(actor, item_id)
        target = await FeedbackRepository(self.db.reader).by_number(self.community_id, target_number)
        if target is None or target.id == item.id or target.status == "merged":
            raise InvalidInput("bad_merge_target")
        if target.courtyard_id != item.courtyard_id:
            raise InvalidInput("merge_other_courtyard")
        now = self._now()
        async with self.db.transaction() as conn:
            repo = FeedbackRepository(conn)
            await repo.set_merged(item.id, target.id)
            people = [item.reporter_id] if item.reporter_id is not None else []
            await repo.move_followers(item.id, target.id, [p for p in people if p != target.reporter_id], now)
            note_id = await repo.add_note(item.id, actor.user_id, "merged", "merged", str(target.number), now)
            await repo.add_note(target.id, actor.user_id, "merged_in", target.status, str(item.number), now)
            await self._tell(conn, item, note_id, now)
            merged, into = await repo.get(item.id), await repo.get(target.id)
        assert merged is not None and into is not None
        return merged, into

    async def answer_check(self, actor: Actor, item_id: int, answer: str) -> Feedback:
        """解决了吗？ answered by the reporter: 没解决 reopens the item with a note; every answer is counted."""
        if answer not in CHECK_ANSWERS:
            raise InvalidInput("unknown_answer")
        item = await FeedbackRepository(self.db.reader).get(item_id)
        if item is None or item.community_id != self.community_id or item.reporter_id != actor.user_id:
            raise NotFound("feedback")
        now = self._now()
        async with self.db.transaction() as conn:
            repo = FeedbackRepository(conn)
            latest = await repo.latest_note(item.id)
            if item.status != "resolved" or (latest is not None and latest.what.startswith("check_")):
                raise InvalidInput("check_answered")
            if answer == "no":
                await repo.set_status(item.id, "acknowledged", now, reopen=True)
                note_id = await repo.add_note(item.id, actor.user_id, "reopened", "acknowledged", "", now)
                await self._tell(conn, item, note_id, now, skip=actor.user_id)
                if item.assignee_id is not None:
                    await self._queue(conn, item, item.assignee_id, note_id, now, privately=True)
            await repo.add_note(
                item.id, actor.user_id, f"check_{answer}", item.status if answer != "no" else "acknowledged", "", now
            )
            updated = await repo.get(item.id)
        assert updated is not None
        return updated

    async def note_for(self, item_id: int, note_id: int) -> tuple[Feedback, FeedbackNote] | None:
        """What a queued note is about; None once the item or note is gone."""
        repo = FeedbackRepository(self.db.reader)
        item, note = await repo.get(item_id), await repo.note(note_id)
        return (item, note) if item is not None and note is not None and note.feedback_id == item.id else None

    async def forget_hook(self, conn: aiosqlite.Connection, user_id: int) -> None:
        """/forget: the person's own reports go unless others follow them (then they lose the reporter)."""
        await FeedbackRepository(conn).forget_reporter(user_id)

    # ---- notes -----------------------------------------------------------------------------------

    async def _tell(
        self, conn: aiosqlite.Connection, item: Feedback, note_id: int, now: int, *, skip: int | None = None
    ) -> None:
        """The reporter and every follower are told of a change (one note each, once)."""
        people = [item.reporter_id] if item.reporter_id is not None else []
        people += await FeedbackRepository(conn).followers(item.id)
        for user_id in dict.fromkeys(people):
            if user_id != skip:
                await self._queue(conn, item, user_id, note_id, now)

    async def _queue(
        self,
        conn: aiosqlite.Connection,
        item: Feedback,
        user_id: int,
        note_id: int,
        now: int,
        *,
        privately: bool = False,
    ) -> None:
        await queue_person_note(
            conn,
            FEEDBACK_NOTE,
            user_id=user_id,
            group_chat_id=None if privately else item.group_chat_id,
            payload={"item": item.id, "note": note_id},
            now=now,
            ref_id=item.id,
            dedupe_key=f"{FEEDBACK_NOTE}:{note_id}:{user_id}",
        )

    async def sweep(self) -> int:
        """Overdue items nudge their assignee once per target; 解决了吗？ asked N days after 已解决; safe to rerun."""
        now = self._now()
        queued = 0
        async with self.db.transaction() as conn:
            repo = FeedbackRepository(conn)
            for item in await repo.overdue(now, since=now - 30 * DAY):
                if item.assignee_id is not None:
                    key = f"feedback_overdue:{item.id}:{item.due_at}"
                    queued += await self._remind(conn, item, item.assignee_id, "overdue", key, now)
            ask_before = now - int(timedelta(days=self.settings.ask_after_days).total_seconds())
            for item in await repo.resolved_before(ask_before, since=ask_before - 7 * DAY):
                if item.reporter_id is not None and item.resolved_at is not None:
                    key = f"feedback_check:{item.id}:{item.resolved_at}"
                    queued += await self._remind(conn, item, item.reporter_id, "check", key, now)
        return queued

    async def _remind(
        self, conn: aiosqlite.Connection, item: Feedback, user_id: int, what: str, key: str, now: int
    ) -> int:
        """Queue one sweep note (overdue to the assignee, 解决了吗？ to the reporter); 1 if new, 0 if queued before."""
        added = await queue_person_note(
            conn,
            FEEDBACK_NOTE,
            user_id=user_id,
            group_chat_id=None,
            payload={"item": item.id, "note": 0, "what": what},
            now=now,
            ref_id=item.id,
            dedupe_key=key,
        )
        return int(added is not None)
