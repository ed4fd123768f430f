"""Courtyards and the chats bound to them."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.clock import Clock, to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, WrongChat, required_text
from storage.chats import ChatsRepository
from storage.db import Database
from storage.rows import Chat, Courtyard

MAX_COURTYARD_NAME = 30


@dataclass(frozen=True)
class BindResult:
    courtyard: Courtyard | None  # None: bound as a community-wide chat
    created: bool
    previous: Courtyard | None


@dataclass(frozen=True)
class CourtyardListing:
    courtyard: Courtyard
    chats: list[Chat]


def clean_name(raw: str, *, limit: int) -> str:
    """Normalise a user-typed name; raise InvalidInput if empty or too long."""
    name = required_text(" ".join(raw.split()), limit, "empty_name", "name_too_long")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidInput("bad_characters")
    return name


async def group_scope(db: Database, community_id: int, actor: Actor) -> int:
    """The courtyard id of the actor's bound group in this community, 0 for a community-wide group."""
    if not actor.in_group:
        raise WrongChat("group")
    chat = await ChatsRepository(db.reader).get(actor.chat_id)
    if chat is None or chat.scope == "none" or chat.community_id != community_id:
        raise WrongChat("bound")
    return chat.courtyard_id or 0


_CHATS_CACHED = 20_000


class CommunityService:
    """Binding chats to courtyards and tracking the chats the bot is in."""

    def __init__(self, db: Database, clock: Clock, community_id: int) -> None:
        self.db = db
        self.clock = clock
        self.community_id = community_id
        # Every private chat is a chat too, so the cache is bounded (least recently used goes).
        self._chat_cache: OrderedDict[int, Chat | None] = OrderedDict()

    def _now(self) -> int:
        return to_ts(self.clock.now())

    async def chat(self, chat_id: int) -> Chat | None:
        """Return a chat's row, cached because every update needs it."""
        cache = self._chat_cache
        if chat_id in cache:
            cache.move_to_end(chat_id)
            return cache[chat_id]
        found = cache[chat_id] = await ChatsRepository(self.db.reader).get(chat_id)
        if len(cache) > _CHATS_CACHED:
            cache.popitem(last=False)
        return found

    def _forget_cached(self, *chat_ids: int) -> None:
        for chat_id in chat_ids:
            self._chat_cache.pop(chat_id, None)

    async def record_chat(self, chat_id: int, type_: str, title: str) -> None:
        """Make sure a chat the bot sees has a row."""
        cached = self._chat_cache.get(chat_id)
        if cached is not None and cached.title == title and cached.type == type_ and cached.active:
            return
        async with self.db.transaction() as conn:
            await ChatsRepository(conn).upsert(chat_id, type_, title, self._now(), active=True)
        self._forget_cached(chat_id)

    async def bot_membership_changed(self, chat_id: int, type_: str, title: str, present: bool) -> None:
        """Record the bot being added to or removed from a chat."""
        async with self.db.transaction() as conn:
            repo = ChatsRepository(conn)
            await repo.upsert(chat_id, type_, title, self._now(), active=present)
        self._forget_cached(chat_id)

    async def mark_unreachable(self, chat_id: int) -> None:
        """Mark a chat inactive after Telegram answered 403."""
        async with self.db.transaction() as conn:
            await ChatsRepository(conn).set_active(chat_id, False, self._now())
        self._forget_cached(chat_id)

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        """Merge a group's data into its new supergroup id (which may have rows of its own) in one transaction."""
        async with self.db.transaction() as conn:
            moved = await ChatsRepository(conn).migrate(old_id, new_id, self._now())
        self._forget_cached(old_id, new_id)
        return moved

    async def bind(self, actor: Actor, courtyard_name: str | None) -> BindResult:
        """Bind the actor's group to a courtyard (created if new) or, with None, to the whole community."""
        actor.require_social_worker()
        if not actor.in_group:
            raise WrongChat("group")
        name = clean_name(courtyard_name, limit=MAX_COURTYARD_NAME) if courtyard_name is not None else None
        now = self._now()
        async with self.db.transaction() as conn:
            repo = ChatsRepository(conn)
            chat = await repo.get(actor.chat_id)
            previous = await repo.courtyard(chat.courtyard_id) if chat and chat.courtyard_id else None
            courtyard: Courtyard | None = None
            created = False
            if name is not None:
                courtyard = await repo.courtyard_by_name(self.community_id, name)
                if courtyard is None:
                    courtyard = await repo.create_courtyard(self.community_id, name, now)
                    created = True
            await repo.bind(actor.chat_id, self.community_id, courtyard.id if courtyard else None, now)
        self._forget_cached(actor.chat_id)
        return BindResult(courtyard=courtyard, created=created, previous=previous)

    async def unbind(self, actor: Actor) -> Courtyard | None:
        """Unbind the actor's group; return the courtyard it was bound to."""
        actor.require_social_worker()
        if not actor.in_group:
            raise WrongChat("group")
        async with self.db.transaction() as conn:
            repo = ChatsRepository(conn)
            chat = await repo.get(actor.chat_id)
            if chat is None or chat.scope == "none":
                raise InvalidInput("not_bound")
            previous = await repo.courtyard(chat.courtyard_id) if chat.courtyard_id else None
            await repo.unbind(actor.chat_id, self._now())
        self._forget_cached(actor.chat_id)
        return previous

    async def listing(self) -> tuple[list[CourtyardListing], list[Chat]]:
        """Every courtyard with its chats, and the community-wide chats."""
        repo = ChatsRepository(self.db.reader)
        courtyards = await repo.courtyards(self.community_id)
        chats = await repo.bound_chats(self.community_id)
        by_courtyard: dict[int, list[Chat]] = {}
        community_wide: list[Chat] = []
        for chat in chats:
            if chat.courtyard_id is None:
                community_wide.append(chat)
            else:
                by_courtyard.setdefault(chat.courtyard_id, []).append(chat)
        return [CourtyardListing(c, by_courtyard.get(c.id, [])) for c in courtyards], community_wide

    async def courtyard(self, courtyard_id: int) -> Courtyard | None:
        """Return one courtyard."""
        return await ChatsRepository(self.db.reader).courtyard(courtyard_id)

    async def set_chat_locale(self, actor: Actor, locale: str) -> None:
        """Set a group's language (admins and social workers only)."""
        actor.require_chat_admin()
        async with self.db.transaction() as conn:
            await ChatsRepository(conn).set_locale(actor.chat_id, locale, self._now())
        self._forget_cached(actor.chat_id)
