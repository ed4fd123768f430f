"""Meetings: notices with live answer counts, /meetings, check-in, /me, and the feature's outbox kinds."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.services.errors import DomainError, NotFound
from bot.services.meeting_model import NOTE, NOTICE, PROMOTED, REMINDER, TASK_DUE
from handlers import meetings_admin, meetings_calendar, meetings_wizard
from handlers.buttons import buttons
from handlers.common import (
    Press,
    answer,
    chat_translator_for_id,
    command_args,
    commands,
    reply,
    tr,
    unless_gone,
)
from handlers.dispatcher import Kind, Outgoing, dispatcher
from handlers.live import Rendered, live
from handlers.meetings_render import (
    LIVE,
    listing_keyboard,
    meeting_error,
    notice_markup,
    render_cancelled,
    render_checkin,
    render_late,
    render_listing,
    render_mine,
    render_moved,
    render_notice,
    render_promoted,
    render_reminder,
    render_rsvp,
    render_task_due,
    task_keyboard,
)
from handlers.notify import mention, register_note
from storage.outbox import OutboxItem


# -- commands ---------------------------------------------------------------------
async def show_meetings(update: Update, context: BotContext) -> None:
    """/meetings (and the menu button): upcoming meetings of this chat, or all of them in private."""
    t = await tr(update, context)
    chat = update.effective_chat
    assert chat is not None
    here = chat.type != ChatType.PRIVATE
    meetings = await context.deps.services.meetings.upcoming(chat.id if here else None)
    # A button per meeting: in private it opens the notice there; in a group it posts the live notice
    # again at the bottom, so nobody has to scroll back days to answer.
    await reply(update, render_listing(t, meetings, here=here), reply_markup=listing_keyboard(t, meetings))


async def checkin_command(update: Update, context: BotContext) -> None:
    """/checkin 4827: attendance by the code said at the meeting."""
    code = command_args(update)
    if not code:
        t = await tr(update, context)
        await reply(update, t._("Send the code said at the meeting, e.g. /checkin 4827."))
        return
    await check_in(update, context, code, "code")


async def checkin_link(update: Update, context: BotContext, payload: str) -> None:
    """/start ci_4827, from the QR picture."""
    await check_in(update, context, payload.partition("_")[2], "link")


async def check_in(update: Update, context: BotContext, code: str, via: str) -> None:
    """Record attendance and say so; a wrong or forged code is refused."""
    t = await tr(update, context)
    user = update.effective_user
    assert user is not None
    try:
        result = await context.deps.services.attendance.check_in(user.id, code, via)
    except DomainError as exc:
        await reply(update, meeting_error(t, exc))
        return
    await reply(update, render_checkin(t, result))
    if result.first_time:
        await live(context).changed(context, LIVE, result.meeting.id)


# -- answer buttons ----------------------------------------------------------------
async def calendar_pressed(update: Update, context: BotContext, press: Press) -> None:
    """The meeting as a calendar file."""
    await meetings_calendar.calendar_button(update, context, press.args[0])


async def press_rsvp(update: Update, context: BotContext, press: Press) -> None:
    """参加 / 待定 / 不参加."""
    action, (meeting_id,), query, t = press
    if query.message is None:
        return
    result = await context.deps.services.attendance.rsvp(
        query.from_user.id, meeting_id, action, query.message.chat.id, update.update_id
    )
    await answer(query, render_rsvp(t, result))
    if result.stale:
        return  # nothing changed: a later tap of this person was handled first
    await live(context).changed(context, LIVE, meeting_id)
    if query.message.chat.type == ChatType.PRIVATE:
        await meetings_admin.redraw_private(update, context, meeting_id)
    if result.promoted:
        dispatcher(context).wake()  # the notes to whoever moved up were queued with the answer


async def _answered(context: BotContext, user_id: int) -> list[int]:
    # The upcoming meetings the person answered: their notices count (and may name) them.
    return [meeting.id for meeting, _ in await context.deps.services.attendance.mine(user_id, limit=200)]


async def draw_live(context: BotContext, meeting_id: int, chat_id: int) -> Rendered | None:
    """The notice as it should look now."""
    view = await unless_gone(context.deps.services.meetings.view(meeting_id))
    if view is None:
        return None
    t = await chat_translator_for_id(context, chat_id)
    now = context.deps.clock.now()
    return render_notice(t, view, now), notice_markup(t, view, now)


async def draw_notice(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """A courtyard chat's notice; skipped once the meeting was cancelled or has begun."""
    assert item.ref_id is not None
    drawn = await draw_live(context, item.ref_id, item.chat_id)
    if drawn is None or drawn[1] is None:
        return None
    return Outgoing(*drawn)


async def adopt_notice(context: BotContext, item: OutboxItem, message: Message) -> None:
    """A sent notice keeps its answer counts up to date."""
    assert item.ref_id is not None
    await live(context).adopt(message.chat_id, message.message_id, LIVE, item.ref_id)


async def draw_reminder(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """A reminder that fell due: sent, skipped, fanned out to those who have not answered, or reported late."""
    assert item.ref_id is not None
    decision = await context.deps.services.meetings.due_reminder(item.ref_id, item.chat_id, item.payload)
    if decision.queued:
        dispatcher(context).wake()
    if decision.view is None:
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    now = context.deps.clock.now()
    people = [mention(p.user_id, p.name) for p in decision.mention]
    return Outgoing(render_reminder(t, decision.view, now, people), notice_markup(t, decision.view, now))


async def draw_note(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """Cancelled, moved, late-reminder, promotion and minutes notes."""
    assert item.ref_id is not None
    services = context.deps.services
    meeting = await unless_gone(services.meetings.meeting(item.ref_id))
    if meeting is None:
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    what = item.payload.get("what")
    if what == "late":
        return Outgoing(render_late(t, meeting))
    if what == "cancelled":
        return Outgoing(render_cancelled(t, meeting))
    if what == "moved":
        return Outgoing(render_moved(t, meeting, int(item.payload.get("old", 0))))
    if what == "promoted":  # queued by an older version; new ones are PROMOTED person notes
        user_id, name = int(item.payload.get("user_id", 0)), str(item.payload.get("name", ""))
        who = name if item.chat_id > 0 else mention(user_id, name)
        return Outgoing(render_promoted(t, who, meeting))
    if what == "minutes":
        return Outgoing(await meetings_admin.minutes_text(context, t, meeting.id))
    return None


async def draw_promoted(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """The note to whoever moved up from the waitlist (named plainly in private, mentioned in a group)."""
    assert item.ref_id is not None
    try:
        meeting = await context.deps.services.meetings.meeting(item.ref_id)
    except NotFound:
        return None
    return Outgoing(render_promoted(t, who or "", meeting))


async def draw_task_due(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """A task reminder when it falls due; skipped once done or when its owner was forgotten."""
    assert item.ref_id is not None
    view = await unless_gone(context.deps.services.minutes.task(item.ref_id))
    if view is None:
        return None
    task = view.task
    if task.done_at is not None or (task.owner_id is None and item.chat_id > 0):
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    name = task.owner_name or t._("(nobody)")
    owner: Html | str = mention(task.owner_id, name) if item.chat_id < 0 and task.owner_id else name
    return Outgoing(render_task_due(t, view, owner), task_keyboard(t, task))


async def my_meetings(update: Update, context: BotContext, t: Translator) -> str:
    """The /me section: upcoming meetings the person said yes or maybe to."""
    user = update.effective_user
    if user is None:
        return ""
    return render_mine(t, await context.deps.services.attendance.mine(user.id))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the meeting commands, buttons, live notices, outbox kinds and hooks."""
    commands(
        app, errors=meeting_error, meetings=show_meetings, ics=meetings_calendar.ics_command, checkin=checkin_command
    )
    buttons(app, cb.RSVP, errors=meeting_error, yes=press_rsvp, maybe=press_rsvp, no=press_rsvp, ics=calendar_pressed)
    meetings_wizard.register(app)
    meetings_admin.register(app)
    ext = app.bot_data.ext
    ext.start_payloads["ci"] = checkin_link
    ext.start_payloads["ics"] = meetings_calendar.ics_link
    ext.menu_actions["meetings"] = show_meetings
    ext.me_sections.append(my_meetings)
    live(app).register(LIVE, draw_live, lists=_answered)
    outbox = dispatcher(app)
    # Every meeting message is resent after an interrupted send: a rare duplicate notice or
    # reminder costs less than a courtyard that never hears about the meeting (ARCHITECTURE.md).
    outbox.register(NOTICE, Kind(render=draw_notice, resend_ambiguous=True, on_sent=adopt_notice))
    outbox.register(REMINDER, Kind(render=draw_reminder, resend_ambiguous=True))
    outbox.register(NOTE, Kind(render=draw_note, resend_ambiguous=True))
    register_note(app, PROMOTED, draw_promoted)
    outbox.register(TASK_DUE, Kind(render=draw_task_due, resend_ambiguous=True))
