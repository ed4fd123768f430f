"""Answers to the question asked before a button cancels a sign-up (the question: handlers/teams.leave_asked)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from handlers import teams_render as r
from handlers.buttons import buttons
from handlers.common import Press, actor_for, answer
from handlers.teams import after_leave, team_error, teams_of

log = logging.getLogger(__name__)


async def _asked_of(update: Update, context: BotContext, press: Press) -> bool:
    """True when the person pressing is the one the question was for (else they are told so)."""
    user = update.effective_user
    if user is not None and user.id == press.args[1]:
        return True
    await answer(press.query, press.t._("This question is for someone else."), alert=True)
    return False


async def _drop_question(press: Press) -> None:
    """The answered question leaves the chat (the bot may always delete its own messages)."""
    try:
        await press.query.delete_message()
    except TelegramError as exc:
        log.info("answered question not deleted: %s", type(exc).__name__)


async def leave_confirmed(update: Update, context: BotContext, press: Press) -> None:
    """是: cancel the sign-up (the first on the waitlist moves up)."""
    if not await _asked_of(update, context, press):
        return
    try:
        left = await teams_of(context).leave(await actor_for(update, context), press.args[0], update.update_id)
    finally:
        await _drop_question(press)
    await answer(press.query, r.render_leave(press.t, left), alert=True)
    await after_leave(context, left)


async def leave_kept(update: Update, context: BotContext, press: Press) -> None:
    """否: nothing changes."""
    if not await _asked_of(update, context, press):
        return
    await answer(press.query, press.t._("All right: your sign-up stays."))
    await _drop_question(press)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """The 取消报名 question and its answers."""
    buttons(app, cb.TEAM_LEAVE, errors=team_error, yes=leave_confirmed, no=leave_kept)
