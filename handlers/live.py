"""Debounced in-place edits of messages that show live state (rosters, tallies, RSVP counts).

A group allows about 20 messages a minute, edits included, so a vote must not edit the tally
each time. A change marks the entity's messages dirty; a message is edited at once if it was
not edited in the last PER_MESSAGE_S seconds (and its chat not in the last PER_CHAT_S),
otherwise on a later flush. The flush runs every second from the job queue; the last flush
always draws the current state, so the final tally is exact.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot.clock import Clock
from bot.context import BotContext, HasBotData, registered
from bot.html_text import truncate_html
from bot.services.live import LiveMessagesService
from handlers.common import MAX_TEXT, chat_translator_for_id, retry_seconds

log = logging.getLogger(__name__)

PER_MESSAGE_S = 5.0
PER_CHAT_S = 3.0
KEYS_TTL_S = 30.0
Rendered = tuple[str, InlineKeyboardMarkup | None]
# (context, entity_id, chat_id) -> what the message should show now; None: stop updating it.
Renderer = Callable[[BotContext, int, int], Awaitable[Rendered | None]]
Key = tuple[int, int]
# (context, user_id) -> the entities of a kind whose messages show this person (for /forget's redraw).
Lister = Callable[[BotContext, int], Awaitable[list[int]]]


class LiveMessages:
    """Registry of renderers plus the debounce state for every live message."""

    def __init__(self, store: LiveMessagesService, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._renderers: dict[str, Renderer] = {}
        self._listers: dict[str, Lister] = {}
        self._dirty: dict[Key, tuple[str, int]] = {}
        self._last_edit: dict[Key, float] = {}
        self._chat_next: dict[int, float] = {}
        # Which messages show an entity, read once per KEYS_TTL_S instead of on every vote;
        # changes made here drop the entry, and the TTL bounds staleness after a migration.
        self._keys: dict[tuple[str, int], tuple[float, list[Key]]] = {}

    def register(self, kind: str, renderer: Renderer, *, lists: Lister | None = None) -> None:
        """Say how messages of a kind are drawn (and, with lists, which of them show a person)."""
        self._renderers[kind] = renderer
        if lists is not None:
            self._listers[kind] = lists

    async def showing(self, context: BotContext, user_id: int) -> list[tuple[str, int]]:
        """(kind, entity id) of every entity whose live messages show this person."""
        found: list[tuple[str, int]] = []
        for kind, lister in self._listers.items():
            found += [(kind, entity_id) for entity_id in await lister(context, user_id)]
        return found

    async def redraw(self, context: BotContext, entities: list[tuple[str, int]]) -> None:
        """Mark these entities' messages changed and edit what the limits allow now (the rest soon)."""
        for kind, entity_id in entities:
            self._keys.pop((kind, entity_id), None)
            for key in await self._keys_of(kind, entity_id):
                self._dirty[key] = (kind, entity_id)
        await self.flush(context)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def post(
        self,
        context: BotContext,
        chat_id: int,
        kind: str,
        entity_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        **kwargs: Any,
    ) -> Message:
        """Send a message that will be kept up to date, and remember it."""
        message = await context.bot.send_message(chat_id, truncate_html(text, MAX_TEXT), reply_markup=markup, **kwargs)
        await self.store.add(chat_id, message.message_id, kind, entity_id)
        now = self._now()
        self._last_edit[(chat_id, message.message_id)] = now
        self._keys.pop((kind, entity_id), None)
        return message

    async def adopt(self, chat_id: int, message_id: int, kind: str, entity_id: int) -> None:
        """Keep a message that was already sent (e.g. by the outbox) up to date from now on."""
        await self.store.add(chat_id, message_id, kind, entity_id)
        self._last_edit[(chat_id, message_id)] = self._now()
        self._keys.pop((kind, entity_id), None)

    async def retire(self, context: BotContext, chat_id: int, kind: str, entity_id: int, *, keep: int) -> None:
        """A newer copy of an entity's message was just posted in a chat: older copies there say so and stop.

        A copy that silently goes stale misleads (a roster without the latest sign-ups), so each one is
        edited once to point at the newest message, without its buttons, and is no longer kept up to date.
        """
        t = await chat_translator_for_id(context, chat_id)
        for key in await self.store.of_entity(kind, entity_id):
            if key[0] == chat_id and key[1] != keep:
                self._dirty.pop(key, None)
                await self._forget(*key)
                await self._supersede(context, key, t._("This list has been updated: please see the newest one ⬇️"))

    @staticmethod
    async def _supersede(context: BotContext, key: Key, text: str) -> None:
        try:
            await context.bot.edit_message_text(text, chat_id=key[0], message_id=key[1], reply_markup=None)
        except RetryAfter:
            log.info("superseded copy left as it was: the chat is flooded")
        except TelegramError as exc:
            # Deleted, too old to edit, or the bot was removed: the newest copy is below either way.
            log.info("superseded copy not edited: %s", type(exc).__name__)

    async def _keys_of(self, kind: str, entity_id: int) -> list[Key]:
        cached = self._keys.get((kind, entity_id))
        mono = time.monotonic()
        if cached is not None and mono - cached[0] < KEYS_TTL_S:
            return cached[1]
        keys = await self.store.of_entity(kind, entity_id)
        self._keys[(kind, entity_id)] = (mono, keys)
        return keys

    async def changed(self, context: BotContext, kind: str, entity_id: int) -> None:
        """An entity changed: edit its messages now if allowed, else soon."""
        for key in await self._keys_of(kind, entity_id):
            self._dirty[key] = (kind, entity_id)
        await self.flush(context)

    async def flush(self, context: BotContext, *, force: bool = False) -> None:
        """Edit every dirty message whose debounce interval has passed (all of them with force)."""
        now = self._now()
        for key, (kind, entity_id) in list(self._dirty.items()):
            chat_id, message_id = key
            if not force and (
                now - self._last_edit.get(key, -1e18) < PER_MESSAGE_S or now < self._chat_next.get(chat_id, 0.0)
            ):
                continue
            self._dirty.pop(key, None)
            renderer = self._renderers.get(kind)
            if renderer is None:
                continue
            # Claimed before the first await: concurrent flushes (one per vote) must not both edit.
            self._last_edit[key] = now
            self._chat_next[chat_id] = now + PER_CHAT_S
            rendered = await renderer(context, entity_id, chat_id)
            if rendered is None:
                await self._forget(chat_id, message_id)
                continue
            await self._edit(context, key, rendered, kind, entity_id)

    async def _edit(self, context: BotContext, key: Key, rendered: Rendered, kind: str, entity_id: int) -> None:
        chat_id, message_id = key
        text, markup = rendered
        try:
            await context.bot.edit_message_text(
                truncate_html(text, MAX_TEXT), chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except RetryAfter as exc:
            delay = retry_seconds(exc)
            self._chat_next[chat_id] = self._now() + float(delay)
            self._dirty[key] = (kind, entity_id)
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            if "not found" in exc.message.lower() or "can't be edited" in exc.message.lower():
                await self._forget(chat_id, message_id)
                return
            log.warning("live edit failed: %s", type(exc).__name__)
        except Forbidden:
            await self._forget(chat_id, message_id)
        except TelegramError as exc:
            # Network trouble: try again on a later flush.
            log.info("live edit postponed: %s", type(exc).__name__)
            self._dirty[key] = (kind, entity_id)

    async def _forget(self, chat_id: int, message_id: int) -> None:
        await self.store.remove(chat_id, message_id)
        self._last_edit.pop((chat_id, message_id), None)
        for entry, (_, keys) in list(self._keys.items()):
            if (chat_id, message_id) in keys:
                del self._keys[entry]


def live(owner: HasBotData) -> LiveMessages:
    """The application's LiveMessages, from a handler's context or (registering renderers) the application."""
    return registered(owner.bot_data.live, "handlers.live")


async def _flush_job(context: BotContext) -> None:
    await live(context).flush(context)


async def _start(app: Application) -> None:  # type: ignore[type-arg]
    if app.job_queue is not None:
        app.job_queue.run_repeating(_flush_job, interval=1.0, first=1.0, name="live-messages-flush")  # type: ignore[arg-type]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Create the LiveMessages (features then register renderers) and flush it every second."""
    data = app.bot_data
    assert data.db is not None and data.clock is not None
    data.live = LiveMessages(LiveMessagesService(data.db, data.clock), data.clock)
    data.ext.on_startup.append(_start)
