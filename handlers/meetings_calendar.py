"""Calendar files of meetings: /ics 12, the calendar button, and /start ics_12."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from bot.context import BotContext
from bot.ics import calendar
from bot.numbers import typed_number
from bot.services.errors import DomainError
from handlers.common import answer, chat_translator_for_id, command_args, reply, tr
from handlers.meetings_render import calendar_event, meeting_error

log = logging.getLogger(__name__)


async def ics_command(update: Update, context: BotContext) -> None:
    """/ics 12: the calendar file of a meeting, here."""
    t = await tr(update, context)
    number = typed_number(command_args(update))
    chat = update.effective_chat
    if number is None or chat is None:
        await reply(update, t._("Which meeting? Send /ics and its number, e.g. /ics 12 (see /meetings)."))
        return
    await send_ics(update, context, chat.id, number)


async def ics_link(update: Update, context: BotContext, payload: str) -> None:
    """/start ics_12, opened from the calendar button in a group."""
    chat = update.effective_chat
    number = typed_number(payload.partition("_")[2])
    if chat is not None and number is not None:
        await send_ics(update, context, chat.id, number)


async def send_ics(update: Update | None, context: BotContext, chat_id: int, meeting_id: int) -> None:
    """Send the .ics document of a meeting to a chat."""
    t = await chat_translator_for_id(context, chat_id)
    try:
        view = await context.deps.services.meetings.view(meeting_id)
    except DomainError as exc:
        if update is not None:
            await reply(update, meeting_error(t, exc))
        return
    data = calendar(calendar_event(t, view, context.bot.username), stamp=context.deps.clock.now())
    await context.bot.send_document(
        chat_id,
        InputFile(data, filename=f"meeting-{meeting_id}.ics"),
        caption=t._("Open this file to add the meeting to your phone's calendar."),
    )


async def calendar_button(update: Update, context: BotContext, meeting_id: int) -> None:
    """The calendar button: the file goes privately, so a group is not flooded with files."""
    query = update.callback_query
    assert query is not None and query.message is not None
    t = await tr(update, context)
    user_id = query.from_user.id
    if query.message.chat.type == ChatType.PRIVATE:
        await answer(query)
        await send_ics(update, context, user_id, meeting_id)
        return
    person = await context.deps.services.people.user(user_id)
    if person is not None and person.private_chat:
        try:
            await send_ics(None, context, user_id, meeting_id)
            await answer(query, t._("I sent you the calendar file in our private chat."))
            return
        except Forbidden:
            await context.deps.services.people.set_private_reachable(user_id, False)
    # Telegram opens this link as /start ics_<id> in the private chat with the bot.
    try:
        await query.answer(url=f"https://t.me/{context.bot.username}?start=ics_{meeting_id}")
    except TelegramError as exc:
        log.info("answerCallbackQuery with url failed: %s", type(exc).__name__)
