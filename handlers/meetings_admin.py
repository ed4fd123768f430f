"""The organiser's side: panel, check-in QR, who is coming, cancel, new time, minutes and tasks."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import segno
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ChatType, MessageEntityType
from telegram.error import BadRequest
from telegram.ext import Application

from bot import callback_data as cb
from bot.clock import from_ts
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.numbers import typed_number
from bot.services.actor import Actor
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.services.meeting_model import MeetingView, may_manage
from bot.timeparse import TimeRefusal
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    command_args,
    commands,
    display_name,
    edit,
    replied_person,
    reply,
    tr,
)
from handlers.dispatcher import dispatcher
from handlers.live import live
from handlers.meetings_render import (
    LIVE,
    meeting_error,
    notice_markup,
    panel_keyboard,
    render_minutes,
    render_notice,
    render_panel,
    render_qr_caption,
    render_task,
    render_who,
    rsvp_keyboard,
    task_keyboard,
)
from handlers.meetings_wizard_render import render_time_check
from handlers.notify import mention

log = logging.getLogger(__name__)

MINUTES = "meeting_minutes"
MOVE = "meeting_move"


def qr_png(url: str) -> bytes:
    """A QR picture of a link, as PNG."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


def checkin_link(bot_username: str, code: str) -> str:
    """The deep link the QR picture holds; Telegram turns it into /start ci_<code>."""
    return f"https://t.me/{bot_username}?start=ci_{code}"


async def minutes_text(context: BotContext, t: Translator, meeting_id: int) -> str:
    """The minutes as everyone sees them."""
    return render_minutes(t, await context.deps.services.minutes.minutes(meeting_id))


def finish_keyboard(t: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    """The button that closes the minutes."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t._("✅ Finish the minutes"), callback_data=cb.MEETING_ADMIN.build("mfin", meeting_id))]]
    )


def ask(update: Update) -> ForceReply | None:
    """In a group, make the organiser's answer a reply, which the bot sees in privacy mode."""
    chat = update.effective_chat
    return ForceReply(selective=True) if chat is not None and chat.type != ChatType.PRIVATE else None


# -- a meeting in private, and the panel ---------------------------------------------
async def show_private(update: Update, context: BotContext, actor: Actor, meeting_id: int) -> None:
    """A meeting's notice in the private chat, with answer buttons (and Manage for its organiser)."""
    t = await tr(update, context)
    service = context.deps.services.meetings
    view = await service.view(meeting_id)
    if actor.in_group:
        await show_in_group(context, actor, view, t)
        return
    manage = may_manage(actor, view.meeting)
    await reply(
        update, render_notice(t, view, context.deps.clock.now()), reply_markup=rsvp_keyboard(t, view, manage=manage)
    )


async def show_in_group(context: BotContext, actor: Actor, view: MeetingView, t: Translator) -> None:
    """From /meetings in a group: the notice posted again at the bottom, kept live; older copies here stop."""
    if view.meeting.id not in {m.id for m in await context.deps.services.meetings.upcoming(actor.chat_id)}:
        raise NotFound("meeting")  # not one of this chat's upcoming meetings (or a forged button)
    now = context.deps.clock.now()
    notices = live(context)
    message = await notices.post(
        context, actor.chat_id, LIVE, view.meeting.id, render_notice(t, view, now), notice_markup(t, view, now)
    )
    await notices.retire(context, actor.chat_id, LIVE, view.meeting.id, keep=message.message_id)


async def redraw_private(update: Update, context: BotContext, meeting_id: int) -> None:
    """After an answer in private, redraw the pressed message at once (it is not a live notice)."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    service = context.deps.services.meetings
    view = await service.view(meeting_id)
    actor = await actor_for(update, context)
    markup = rsvp_keyboard(t, view, manage=may_manage(actor, view.meeting))
    try:
        await edit(query, render_notice(t, view, context.deps.clock.now()), markup)
    except BadRequest as exc:
        # A message too old to edit: the answer itself was saved.
        log.info("private redraw skipped: %s", type(exc).__name__)


async def panel(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Code, counts and organiser buttons."""
    t = await tr(update, context)
    await reply(update, render_panel(t, view), reply_markup=panel_keyboard(t, view.meeting))


async def send_qr(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """The check-in QR picture, to show at the meeting."""
    t = await tr(update, context)
    png = qr_png(checkin_link(context.bot.username, view.meeting.checkin_code))
    await context.bot.send_photo(actor.chat_id, png, caption=render_qr_caption(t, view.meeting))


async def who(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Names of those coming, waiting and checked in."""
    t = await tr(update, context)
    minutes = await context.deps.services.minutes.minutes(view.meeting.id)
    await reply(update, render_who(t, view, minutes.attendees))


async def ask_cancel(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Confirm before cancelling: everyone invited is told."""
    t = await tr(update, context)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("Yes, cancel it and tell everyone"),
                    callback_data=cb.MEETING_ADMIN.build("cok", view.meeting.id),
                )
            ]
        ]
    )
    await reply(
        update, t._("Cancel {title}? Every invited chat will be told.", title=view.meeting.title), reply_markup=markup
    )


async def do_cancel(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Cancel the meeting: reminders stop, notices show it, chats are told."""
    t = await tr(update, context)
    query = update.callback_query
    assert query is not None
    try:
        await context.deps.services.meetings.cancel(actor, view.meeting.id)
    except DomainError as exc:
        await reply(update, meeting_error(t, exc))
        return
    dispatcher(context).wake()
    await edit(query, t._("The meeting was cancelled. I am telling the invited chats."))
    await live(context).changed(context, LIVE, view.meeting.id)


async def ask_move(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Ask for the new time."""
    t = await tr(update, context)
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, MOVE, {"meeting_id": view.meeting.id})
    await reply(update, t._("Type the new time, e.g. 下周六上午10点."), reply_markup=ask(update))


async def typed_move(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The new time typed: echo it in full and ask to confirm."""
    t = await tr(update, context)
    message = update.effective_message
    text = message.text or "" if message else ""
    services = context.deps.services
    try:
        actor = await actor_for(update, context)
        when = services.meetings.parse_start(text)
    except (DomainError, TimeRefusal) as exc:
        await reply(update, meeting_error(t, exc))
        return
    await services.people.start_dialog(actor.user_id, actor.chat_id, MOVE, {**state, "pending": when})
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("✅ Yes, move it"), callback_data=cb.MEETING_ADMIN.build("mvok", state["meeting_id"])
                )
            ]
        ]
    )
    card = await reply(update, render_time_check(t, from_ts(when)), reply_markup=markup)
    if card is not None:
        # Which card shows this time: ✅ on an older card (another time) must not move to this one.
        await services.people.start_dialog(
            actor.user_id, actor.chat_id, MOVE, {**state, "pending": when, "card": card.message_id}
        )


async def do_move(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Move the meeting to the confirmed time."""
    t = await tr(update, context)
    query = update.callback_query
    assert query is not None
    services = context.deps.services
    pending = await services.people.dialog(actor.user_id, actor.chat_id)
    if pending is None or pending[0] != MOVE or pending[1].get("meeting_id") != view.meeting.id:
        await reply(update, t._("This button is no longer valid."))
        return
    state = pending[1]
    if "pending" not in state:
        # "Move" was pressed again after this card: the new time has not been typed yet.
        await reply(
            update, t._("Type the new time first, e.g. 下周六上午10点, then press ✅."), reply_markup=ask(update)
        )
        return
    card = state.get("card")
    if card is not None and query.message is not None and query.message.message_id != card:
        await reply(update, t._("That time was changed since. Press ✅ on the newest message."))
        return
    try:
        moved = await services.meetings.move(actor, view.meeting.id, int(state["pending"]), dialog=MOVE)
    except (DomainError, TimeRefusal) as exc:
        await reply(update, meeting_error(t, exc))
        return
    dispatcher(context).wake()
    await edit(
        query, t._("Moved to {when}. I am telling the invited chats.", when=t.datetime(from_ts(moved.starts_at)))
    )
    await live(context).changed(context, LIVE, view.meeting.id)


# -- minutes and tasks ---------------------------------------------------------------
async def minutes_command(update: Update, context: BotContext) -> None:
    """/minutes [number]: write the minutes of a meeting that has begun (the latest one by default)."""
    t = await tr(update, context)
    arg = command_args(update).lstrip("#")
    service = context.deps.services.meetings
    actor = await actor_for(update, context)
    if arg.isdigit():
        meeting_id = typed_number(arg) or 0  # a number too large to be one is simply not found
    else:
        recent = await service.recent_for(actor)
        if not recent:
            await reply(update, t._("None of your meetings has begun in the last month. Send /minutes and its number."))
            return
        meeting_id = recent[0].id
    await begin_minutes(update, context, actor, meeting_id)


async def begin_minutes(update: Update, context: BotContext, actor: Actor, meeting_id: int) -> None:
    """Show attendance and ask for the decisions."""
    t = await tr(update, context)
    services = context.deps.services
    await services.minutes.start_minutes(actor, meeting_id)
    await services.people.start_dialog(actor.user_id, actor.chat_id, MINUTES, {"meeting_id": meeting_id})
    text = "\n\n".join(
        [
            await minutes_text(context, t, meeting_id),
            t._("Send the decisions, one per line (they replace any written before)."),
        ]
    )
    await reply(update, text, reply_markup=ask(update))


async def typed_decisions(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The decisions typed: save them and explain how to add tasks."""
    t = await tr(update, context)
    message = update.effective_message
    text = (message.text or "") if message else ""
    meeting_id = int(state["meeting_id"])
    try:
        actor = await actor_for(update, context)
        await context.deps.services.minutes.save_decisions(actor, meeting_id, text)
    except DomainError as exc:
        await reply(update, meeting_error(t, exc))
        return
    await reply(
        update,
        t._(
            "Decisions saved. Now the tasks: reply to a person's message with /task 截止时间 内容 "
            "(e.g. /task 周五下午5点 买油漆), or write /task and mention them. Press Finish when done."
        ),
        reply_markup=finish_keyboard(t, meeting_id),
    )


def task_owner(message: Message, args: str) -> tuple[User | None, str]:
    """The person a /task is for (the replied-to message's author, or a text mention) and the rest."""
    replied = replied_person(message)
    if replied is not None:
        return replied, args
    for entity, text in message.parse_entities([MessageEntityType.TEXT_MENTION]).items():
        if entity.user is not None and not entity.user.is_bot:
            return entity.user, args.replace(text, " ", 1)
    return None, args


async def task_command(update: Update, context: BotContext) -> None:
    """/task 截止时间 内容, replying to the owner's message (or mentioning them), during the minutes."""
    t = await tr(update, context)
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    services = context.deps.services
    actor = await actor_for(update, context)
    pending = await services.people.dialog(actor.user_id, actor.chat_id)
    if pending is None or pending[0] != MINUTES:
        await reply(update, t._("First open the minutes with /minutes (and the meeting's number)."))
        return
    owner, text = task_owner(message, command_args(update))
    if owner is None:
        await reply(update, meeting_error(t, InvalidInput("task_usage")))
        return
    group = chat.id if chat.type != ChatType.PRIVATE else None
    try:
        view = await services.minutes.add_task(
            actor, int(pending[1]["meeting_id"]), (owner.id, display_name(owner)), text, group
        )
    except (DomainError, TimeRefusal) as exc:
        await reply(update, meeting_error(t, exc))
        return
    dispatcher(context).wake()
    who: Html | str = mention(owner.id, display_name(owner)) if group else display_name(owner)
    await reply(update, render_task(t, view, who), reply_markup=task_keyboard(t, view.task))


async def finish_minutes(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Close the minutes dialog and offer to publish them."""
    t = await tr(update, context)
    await context.deps.services.people.end_dialog(actor.user_id, actor.chat_id)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("📢 Send the minutes to the invited chats"),
                    callback_data=cb.MEETING_ADMIN.build("pub", view.meeting.id),
                )
            ]
        ]
    )
    await reply(update, await minutes_text(context, t, view.meeting.id), reply_markup=markup)


async def publish(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """Send the minutes to every chat that got the notice."""
    t = await tr(update, context)
    try:
        count = await context.deps.services.minutes.publish_minutes(actor, view.meeting.id)
    except DomainError as exc:
        await reply(update, meeting_error(t, exc))
        return
    dispatcher(context).wake()
    await reply(update, t._("The minutes are on their way to {n} chats.", n=count))


async def open_minutes(update: Update, context: BotContext, actor: Actor, view: MeetingView) -> None:
    """The Minutes button of the panel."""
    t = await tr(update, context)
    try:
        await begin_minutes(update, context, actor, view.meeting.id)
    except DomainError as exc:
        await reply(update, meeting_error(t, exc))


async def press_task(update: Update, context: BotContext, press: Press) -> None:
    """✅ Mark as done: the owner, the organiser or a social worker."""
    _, (task_id,), query, t = press
    if query.message is None:
        return
    actor = await actor_for(update, context)
    view = await context.deps.services.minutes.finish_task(actor, task_id)
    await answer(query, t._("Marked as done. Thank you!"))
    name = view.task.owner_name or t._("(nobody)")
    owner: Html | str = mention(view.task.owner_id, name) if actor.in_group and view.task.owner_id else name
    await edit(query, render_task(t, view, owner))


def managing(act: AdminAction, *, private: bool = False) -> Callable[[Update, BotContext, Press], Awaitable[None]]:
    """An organiser's button: the role is checked again on every press; private ones refuse groups."""

    async def pressed(update: Update, context: BotContext, press: Press) -> None:
        actor = await actor_for(update, context)
        view = await context.deps.services.meetings.manage(actor, press.args[0])
        if private and actor.in_group:
            # Anyone in a group could check in from home with a code or QR posted there.
            text = press.t._("The check-in code stays private: open /meetings in a private chat with me.")
            await answer(press.query, text, alert=True)
            return
        await answer(press.query)
        await act(update, context, actor, view)

    return pressed


async def show_pressed(update: Update, context: BotContext, press: Press) -> None:
    """The meeting's card in private (anyone)."""
    await show_private(update, context, await actor_for(update, context), press.args[0])
    await answer(press.query)


AdminAction = Callable[[Update, BotContext, Actor, MeetingView], Awaitable[None]]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the organiser's commands, buttons and dialogs."""
    commands(app, errors=meeting_error, minutes=minutes_command, task=task_command)
    buttons(
        app,
        cb.MEETING_ADMIN,
        errors=meeting_error,
        show=show_pressed,
        adm=managing(panel, private=True),
        qr=managing(send_qr, private=True),
        who=managing(who),
        min=managing(open_minutes),
        mfin=managing(finish_minutes),
        pub=managing(publish),
        cancel=managing(ask_cancel),
        cok=managing(do_cancel),
        move=managing(ask_move),
        mvok=managing(do_move),
    )
    buttons(app, cb.MEETING_TASK, errors=meeting_error, done=press_task)
    app.bot_data.ext.dialogs[MINUTES] = typed_decisions
    app.bot_data.ext.dialogs[MOVE] = typed_move
