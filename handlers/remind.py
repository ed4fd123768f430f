"""/remind and /reminders: free reminders in any chat, one-off or recurring."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import callback_data as cb
from bot.clock import from_ts
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.services.errors import DomainError, InvalidInput
from bot.services.reminders import REMINDER, REMINDER_NOTE, Reminder
from bot.timeparse import Recurrence, TimeRefusal
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    chat_translator_for_id,
    command_args,
    commands,
    edit,
    error_text,
    reply,
    time_error_text,
    tr,
)
from handlers.dispatcher import Kind, Outgoing, SendFailure, dispatcher
from handlers.notify import register_note
from storage.outbox import OutboxItem


def render_recurrence(t: Translator, rec: Recurrence) -> str:
    """每周三 19:00 / every Wed 19:00."""
    clock = f"{rec.hour:02d}:{rec.minute:02d}"
    if rec.kind == "weekly" and rec.weekday is not None:
        day = t.weekday(rec.weekday)
        return t._("every {day} {time}", day=day, time=clock)
    if rec.kind == "monthly" and rec.day is not None:
        return t._("on day {day} of every month at {time}", day=rec.day, time=clock)
    return t._("every day at {time}", time=clock)


def render_created(t: Translator, reminder: Reminder) -> str:
    """The confirmation, with the time echoed in full."""
    assert reminder.next_at is not None
    if reminder.recurrence is not None:
        return t._(
            "OK, I will remind this chat {when}: {text}\nFirst time: {first}",
            when=render_recurrence(t, reminder.recurrence),
            text=reminder.text,
            first=t.datetime(reminder.next_at),
        )
    return t._("OK, I will remind this chat on {when}: {text}", when=t.datetime(reminder.next_at), text=reminder.text)


def render_list(t: Translator, reminders: list[Reminder]) -> tuple[str, InlineKeyboardMarkup | None]:
    """This chat's reminders with cancel buttons."""
    if not reminders:
        return t._("No reminders in this chat. Set one with /remind 周六上午9点 带上扫帚."), None
    lines = [t._("<b>Reminders in this chat</b>")]
    rows = []
    for number, item in enumerate(reminders, start=1):
        when = render_recurrence(t, item.recurrence) if item.recurrence else ""
        nxt = t.short_datetime(item.next_at) if item.next_at else ""
        lines.append(t._("{n}. {when} {next} — {text}", n=number, when=when, next=nxt, text=item.text).strip())
        rows.append(
            [
                InlineKeyboardButton(
                    t._("Cancel reminder {n}", n=number), callback_data=cb.REMINDER.build("cancel", item.id)
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def set_reminder(update: Update, context: BotContext) -> None:
    """Parse "/remind <time> <text>" and confirm with the time in full."""
    t = await tr(update, context)
    raw = command_args(update)
    if not raw:
        await reply(update, t._("Write the time and what to remind, e.g. /remind 周六上午9点 带上扫帚"))
        return
    try:
        actor = await actor_for(update, context)
        reminder = await context.deps.services.reminders.create(actor, raw)
    except TimeRefusal as exc:
        await reply(update, time_error_text(t, exc))
        return
    except InvalidInput as exc:
        await reply(update, reminder_error(t, exc))
        return
    except DomainError as exc:
        await reply(update, error_text(t, exc))
        return
    dispatcher(context).wake()
    await reply(update, render_created(t, reminder))


def reminder_error(t: Translator, exc: InvalidInput) -> str:
    """Reminder-specific refusals."""
    if exc.reason == "empty_reminder":
        return t._("What should I remind? Write it after the time, e.g. /remind 周六上午9点 带上扫帚")
    if exc.reason == "reminder_too_long":
        return t._("That reminder is too long: at most {limit} characters, please.", limit=exc.details["limit"])
    if exc.reason == "too_many_reminders":
        return t._(
            "This chat already has {limit} reminders. Cancel some with /reminders first.", limit=exc.details["limit"]
        )
    return error_text(t, exc)


async def list_reminders(update: Update, context: BotContext) -> None:
    """Show this chat's reminders."""
    t = await tr(update, context)
    chat = update.effective_chat
    assert chat is not None
    text, markup = render_list(t, await context.deps.services.reminders.active(chat.id))
    await reply(update, text, reply_markup=markup)


async def press_cancel(update: Update, context: BotContext, press: Press) -> None:
    """Cancel a reminder from the list (creator, backbone or social worker)."""
    _, (reminder_id,), query, t = press
    actor = await actor_for(update, context)
    cancelled = await context.deps.services.reminders.cancel(actor, reminder_id)
    await answer(query, t._("Cancelled: {text}", text=cancelled.text))
    text, markup = render_list(t, await context.deps.services.reminders.active(actor.chat_id))
    await edit(query, text, markup)


async def draw_reminder(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """The reminder as it arrives; None if it was cancelled meanwhile."""
    assert item.ref_id is not None
    reminder = await context.deps.services.reminders.get(item.ref_id)
    if reminder is None:
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    return Outgoing(t._("⏰ <b>Reminder</b>\n{text}", text=reminder.text))


async def after_reminder(context: BotContext, item: OutboxItem) -> None:
    """Queue the next occurrence of a recurring reminder (a no-op when a failure already did, or ended it)."""
    assert item.ref_id is not None
    if await context.deps.services.reminders.advance(item.ref_id, item.due_at) is not None:
        dispatcher(context).wake()


def failure_reason(failure: SendFailure) -> str:
    """What the creator is told about a failed occurrence: gone, rights, network or other."""
    if failure.gone:
        return "gone"
    if failure.status == "unknown":
        return "network"
    lowered = failure.error.lower()
    if "rights" in lowered or "write_forbidden" in lowered or "administrator" in lowered:
        return "rights"
    return "other"


async def reminder_failed(context: BotContext, item: OutboxItem, failure: SendFailure) -> None:
    """A gone chat ends the reminder; anything else skips this occurrence; the creator is owed a note."""
    await context.deps.services.reminders.occurrence_failed(
        item, failure.status, failure.error, gone=failure.gone, why=failure_reason(failure)
    )


def render_note(t: Translator, what: str, why: str, text: str, where: Html, nxt: datetime | None) -> str:
    """The private note to a reminder's creator."""
    if what == "ended":
        return t._(
            "Your reminder “{text}” has stopped: I am no longer in {chat} (I was removed, or the group was closed).\n"
            "If it is still needed, add me to the group again and set it once more with /remind.",
            text=text,
            chat=where,
        )
    if why == "rights":
        reason = Html(t._("I am not allowed to send messages there. Please ask a group admin to let me send messages."))
    elif why == "network":
        reason = Html(t._("Telegram did not answer in time, so it may not have arrived."))
    else:
        reason = Html(t._("Telegram did not accept the message."))
    if nxt is None:
        return t._("Your reminder “{text}” could not be sent to {chat}: {reason}", text=text, chat=where, reason=reason)
    return t._(
        "Your reminder “{text}” could not be sent to {chat} this time: {reason}\n"
        "I will send it again as usual next time ({next}).",
        text=text,
        chat=where,
        reason=reason,
        next=t.datetime(nxt),
    )


async def draw_note(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """The creator's note (a mention when it goes to the group); None once the reminder's row is gone."""
    assert item.ref_id is not None
    services = context.deps.services
    about = await services.reminders.about(item.ref_id)
    if about is None:
        return None
    chat_id, text = about
    if chat_id > 0:
        where = Html(t._("our private chat"))
    else:
        row = await services.community.chat(chat_id)
        where = Html(t._("“{title}”", title=row.title if row and row.title else str(chat_id)))
    raw_next = item.payload.get("next")
    nxt = from_ts(int(raw_next)) if raw_next else None
    note = render_note(t, str(item.payload.get("what")), str(item.payload.get("why")), text, where, nxt)
    return Outgoing(f"{who}\n{note}" if who is not None and item.chat_id < 0 else note)


async def _repair(app: Application) -> None:  # type: ignore[type-arg]
    services = app.bot_data.services
    assert services is not None
    await services.reminders.repair()


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /remind, /reminders and the reminder outbox kind."""
    commands(app, remind=set_reminder, reminders=list_reminders)
    buttons(app, cb.REMINDER, press_cancel, errors=error_text)
    # A reminder sent twice is a small annoyance; a reminder lost is a missed meeting.
    outbox = dispatcher(app)
    outbox.register(
        REMINDER,
        Kind(render=draw_reminder, resend_ambiguous=True, on_done=after_reminder, on_failed=reminder_failed),
    )
    # The creator must learn that a reminder did not go out: a duplicate note beats none.
    register_note(app, REMINDER_NOTE, draw_note)
    app.bot_data.ext.on_startup.append(_repair)
