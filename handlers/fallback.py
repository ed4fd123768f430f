"""Last-resort routes: pending dialogs, unknown buttons, and the error handler."""

from __future__ import annotations

import logging
import re

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.callback_data import FAMILIES
from bot.context import BotContext
from handlers.common import answer, reply, tr

log = logging.getLogger(__name__)

FALLBACK_GROUP = 50


async def continue_dialog(update: Update, context: BotContext) -> None:
    """Hand a plain message to the feature whose question it answers."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    pending = await context.deps.services.people.dialog(user.id, chat.id)
    if pending is None:
        return
    kind, state = pending
    handler = context.bot_data.ext.dialogs.get(kind)
    if handler is None:
        # A dialog of a kind this version does not know (e.g. after a downgrade): drop it.
        await context.deps.services.people.end_dialog(user.id, chat.id)
        return
    await handler(update, context, state)


async def stale_button(update: Update, context: BotContext) -> None:
    """Any button no family claimed: forged, or from an older version."""
    query = update.callback_query
    if query is None:
        return
    t = await tr(update, context)
    await answer(query, t._("This button is no longer valid."))


async def on_error(update: object, context: BotContext) -> None:
    """Log the update id and exception class (never message text) and apologise if possible."""
    exc = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error handling update %s: %s", update_id, type(exc).__name__, exc_info=exc)
    if not isinstance(update, Update) or isinstance(exc, Forbidden):
        return
    try:
        t = await tr(update, context)
        if update.callback_query is not None:
            await answer(update.callback_query, t._("Sorry, something went wrong. Please try again."))
        elif update.effective_message is not None:
            await reply(update, t._("Sorry, something went wrong. Please try again."))
    except (TelegramError, RuntimeError) as inner:
        log.warning("could not tell the user about an error: %s", type(inner).__name__)


def _unclaimed(app: Application, data: object) -> bool:  # type: ignore[type-arg]
    """True for button data that no feature's CallbackQueryHandler routes.

    Asks the registered handlers rather than the declared families: a family declared before its
    handler exists (or after it was removed) must still get an answer, or the client spins forever.
    """
    if not isinstance(data, str):
        return True
    heads, others = _claimed(app)
    return not data.startswith(heads) and not any(_routes(pattern, data) for pattern in others)


def _claimed(app: Application) -> tuple[tuple[str, ...], tuple[object, ...]]:  # type: ignore[type-arg]
    """Family prefixes with a handler, and any other patterns; cached until handlers change."""
    count = sum(len(handlers) for handlers in app.handlers.values())
    cached = app.bot_data.extra.get("claimed_buttons")
    if cached is not None and cached[0] == count:
        return cached[1], cached[2]
    family_of = {fam.pattern: fam.head for fam in FAMILIES.values()}
    heads: list[str] = []
    others: list[object] = []
    for group, handlers in app.handlers.items():
        for handler in handlers:
            if group == FALLBACK_GROUP or not isinstance(handler, CallbackQueryHandler):
                continue
            pattern = handler.pattern
            if isinstance(pattern, re.Pattern) and pattern.pattern in family_of:
                heads.append(family_of[pattern.pattern])
            else:
                others.append(pattern)
    app.bot_data.extra["claimed_buttons"] = (count, tuple(heads), tuple(others))
    return tuple(heads), tuple(others)


def _routes(pattern: object, data: str) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.match(data) is not None
    if isinstance(pattern, type):
        return False  # arbitrary callback data objects: not used by this bot
    if callable(pattern):
        return bool(pattern(data))
    return pattern is None


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the fallbacks in a late group and the error handler."""
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, continue_dialog),
        group=FALLBACK_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(stale_button, pattern=lambda data: _unclaimed(app, data)), group=FALLBACK_GROUP
    )
    app.add_error_handler(on_error)  # type: ignore[arg-type]
