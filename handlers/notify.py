"""Notes to one person through the outbox: privately if they opened a chat with the bot, else in a group.

A service queues the note (bot/services/notes.queue_person_note) in the transaction of its cause;
a kind registered here draws it at send time. A private chat that refuses it (403, chat not found)
hands it on to the group named in the payload, where the person is mentioned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram.ext import Application

from bot.context import BotContext
from bot.i18n import Html, Translator, esc
from handlers.common import chat_translator_for_id
from handlers.dispatcher import Kind, Outgoing, SendFailure, dispatcher
from storage.outbox import OutboxItem

# (context, item, translator of the chat it goes to, the person as named there) -> the message, or
# None to skip it (what it says no longer holds). The person is a plain name in their private
# chat, a mention in a group, and None for a note with nobody to name.
NoteRenderer = Callable[[BotContext, OutboxItem, Translator, Html | None], Awaitable[Outgoing | None]]


def mention(user_id: int, name: str) -> Html:
    """A clickable mention that works without a username."""
    return Html(f'<a href="tg://user?id={int(user_id)}">{esc(name)}</a>')


def note_person(item: OutboxItem) -> int | None:
    """The person a note is about (its payload's "user")."""
    user = item.payload.get("user")
    return user if isinstance(user, int) else None


def person_note(render: NoteRenderer) -> Kind:
    """An outbox kind for notes to a person; an interrupted send is sent again (at-least-once)."""

    async def draw(context: BotContext, item: OutboxItem) -> Outgoing | None:
        user_id = note_person(item)
        who: Html | None = None
        if user_id is not None:
            person = await context.deps.services.people.user(user_id)
            if person is None:
                return None  # the person was forgotten: nothing is owed to them any more
            who = esc(person.display_name) if item.chat_id > 0 else mention(user_id, person.display_name)
        t = await chat_translator_for_id(context, item.chat_id)
        return await render(context, item, t, who)

    async def failed(context: BotContext, item: OutboxItem, failure: SendFailure) -> None:
        # The dispatcher has already marked a refusing private chat unreachable.
        if await dispatcher(context).outbox.note_failed(item, failure.status, failure.error):
            dispatcher(context).wake()

    return Kind(render=draw, resend_ambiguous=True, on_failed=failed)


def register_note(app: Application, kind: str, render: NoteRenderer) -> None:  # type: ignore[type-arg]
    """Declare a kind of person note."""
    dispatcher(app).register(kind, person_note(render))
