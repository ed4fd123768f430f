"""Telling one person something: privately if they opened a chat with the bot, else in a group."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram.error import Forbidden, TelegramError

from bot.context import BotContext
from bot.i18n import Html, Translator, esc
from handlers.common import chat_translator_for_id, user_translator

log = logging.getLogger(__name__)


def mention(user_id: int, name: str) -> Html:
    """A clickable mention that works without a username."""
    return Html(f'<a href="tg://user?id={int(user_id)}">{esc(name)}</a>')


async def notify_person(
    context: BotContext,
    user_id: int,
    name: str,
    text: Callable[[Translator, Html], str],
    *,
    fallback_chat_id: int | None = None,
) -> str:
    """Send text(t, who) privately, or mention the person in fallback_chat_id; return where it went."""
    people = context.deps.services.people
    person = await people.user(user_id)
    if person is not None and person.private_chat:
        t = await user_translator(context, user_id)
        try:
            await context.bot.send_message(user_id, text(t, esc(name)))
            return "private"
        except Forbidden:
            await people.set_private_reachable(user_id, False)
        except TelegramError as exc:
            log.info("private notice failed: %s", type(exc).__name__)
    if fallback_chat_id is None:
        return "none"
    t = await chat_translator_for_id(context, fallback_chat_id)
    try:
        await context.bot.send_message(fallback_chat_id, text(t, mention(user_id, name)))
        return "group"
    except TelegramError as exc:
        log.info("group notice failed: %s", type(exc).__name__)
        return "none"
