"""Last-resort routes: pending dialogs and the error handler (unknown buttons: handlers/buttons.py)."""

from __future__ import annotations

import difflib
import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.reply_limiter import retry_seconds
from handlers.common import answer, reply, tr
from handlers.start import menu_keyboard, show_help, show_menu

log = logging.getLogger(__name__)

FALLBACK_GROUP = 50
# Typed in private instead of a command (Telegram marks only latin /commands): the menu or the help.
MENU_WORDS = frozenset({"菜单", "/菜单", "目录", "menu"})
HELP_WORDS = frozenset({"帮助", "/帮助", "help", "?", "？"})
HINT_EVERY = 60.0  # seconds: a group hears at most one "did you mean" per person per minute


async def continue_dialog(update: Update, context: BotContext) -> None:
    """Hand a plain message to the feature whose question it answers."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    pending = await context.deps.services.people.dialog(user.id, chat.id)
    if pending is None:
        if chat.type == ChatType.PRIVATE:
            await not_understood(update, context)
        return
    kind, state = pending
    handler = context.bot_data.ext.dialogs.get(kind)
    if handler is None:
        # A dialog of a kind this version does not know (e.g. after a downgrade): drop it.
        await context.deps.services.people.end_dialog(user.id, chat.id)
        return
    await handler(update, context, state)


async def not_understood(update: Update, context: BotContext) -> None:
    """In private, nothing goes unanswered: the menu or help for their words, else the menu buttons."""
    message = update.effective_message
    words = (message.text or "").strip().lower() if message is not None else ""
    if words in MENU_WORDS:
        await show_menu(update, context)
    elif words in HELP_WORDS:
        await show_help(update, context)
    else:
        t = await tr(update, context)
        await reply(update, t._("I did not understand that. Please tap a button below."), reply_markup=menu_keyboard(t))


def _known_commands(app: Application) -> frozenset[str]:  # type: ignore[type-arg]
    """Every command name some handler answers."""
    handlers: list[BaseHandler] = [h for group in app.handlers.values() for h in group]  # type: ignore[type-arg]
    return frozenset(name for h in handlers if isinstance(h, CommandHandler) for name in h.commands)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A /command no handler knows (a typo such as /joim): the menu in private, the closest command in a group."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or not message.text or user is None or chat is None:
        return
    name = message.text.split()[0][1:].split("@")[0].lower()
    known = _known_commands(context.application)
    if name in known:
        return
    if chat.type == ChatType.PRIVATE:
        await not_understood(update, context)
        return
    # In a group an unknown command may be another bot's: answer only a near miss, once a minute per person.
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    now = context.deps.clock.now().timestamp()
    hinted = context.bot_data.hinted
    if not close or now - hinted.get((chat.id, user.id), -HINT_EVERY) < HINT_EVERY:
        return
    if len(hinted) > 10_000:  # kept in memory only; a restart or a clear merely allows one more hint
        hinted.clear()
    hinted[(chat.id, user.id)] = now
    t = await tr(update, context)
    await reply(update, t._("Did you mean /{command}?", command=close[0]))


async def on_error(update: object, context: BotContext) -> None:
    """Log the update id and exception class (never message text) and apologise if possible."""
    exc = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(exc, RetryAfter):
        # The chat is flooded (bot/reply_limiter.py gave up on a long block): what the handler changed
        # is committed; only its reply is dropped, and an apology would be refused the same way.
        log.warning("reply to update %s dropped: the chat is flooded for %.0f s", update_id, retry_seconds(exc))
        return
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


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the fallbacks in a late group and the error handler."""
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, continue_dialog),
        group=FALLBACK_GROUP,
    )
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, unknown_command),
        group=FALLBACK_GROUP + 1,
    )
    app.add_error_handler(on_error)  # type: ignore[arg-type]
