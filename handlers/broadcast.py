"""/broadcast: a social worker's notice to all or chosen courtyard chats, with a delivery report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Translator, esc
from bot.services.actor import Actor
from bot.services.broadcasts import BROADCAST, BROADCAST_REPORT, BroadcastReport, Notice, clean_notice
from bot.services.errors import DomainError, InvalidInput, NotFound
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
    tr,
)
from handlers.dispatcher import Kind, Outgoing, dispatcher
from storage.outbox import OutboxItem

DRAFT = "broadcast_draft"
MAX_FAILED_LISTED = 30


def render_notice(t: Translator, notice: Notice) -> str:
    """The notice as courtyard chats receive it."""
    lines = [t._("📢 <b>Community notice</b>"), "", esc(notice.text)]
    if notice.sender_name:
        lines += ["", t._("— {name}, social worker", name=notice.sender_name)]
    return "\n".join(lines)


def failure_reason(t: Translator, reason: str) -> str:
    """Why a copy was not delivered, in the sender's language (Telegram's own words only as a detail)."""
    text = reason.lower()
    if reason == "forbidden":
        return t._("the bot was removed or blocked")
    if "chat not found" in text or "deactivated" in text:
        return t._("the group no longer exists")
    if "not enough rights" in text or "have no rights" in text or "restricted" in text:
        return t._("the bot may not post in that group")
    if reason in ("render", "unknown kind"):
        return t._("an error in the bot; please tell the developers")
    return t._("Telegram refused it ({detail})", detail=reason)


def render_report(t: Translator, report: BroadcastReport) -> str:
    """The delivery report for the sender."""
    lines = [
        t._("📬 <b>Broadcast #{n} finished</b>", n=report.broadcast_id),
        t._("Delivered to {ok} of {total} chats.", ok=report.delivered, total=report.target_count),
    ]
    if report.failed:
        lines.append(t._("Not delivered ({n}):", n=len(report.failed)))
        for title, reason in report.failed[:MAX_FAILED_LISTED]:
            lines.append(t._("• {chat}: {why}", chat=title, why=failure_reason(t, reason)))
        if len(report.failed) > MAX_FAILED_LISTED:
            lines.append(t._("… and {n} more", n=len(report.failed) - MAX_FAILED_LISTED))
    if report.unknown:
        lines.append(
            t._(
                "Connection trouble while sending to: {chats}. It may or may not have arrived there.",
                chats=t.join(report.unknown),
            )
        )
    return "\n".join(lines)


def picker(t: Translator, text: str, yards: list[tuple[int, str]], chosen: set[int], total: int) -> tuple[str, Any]:
    """The preview with target buttons."""
    rows = [
        [InlineKeyboardButton(t._("📢 Send to all {n} chats", n=total), callback_data=cb.BROADCAST.build("all", 0))]
    ]
    for yard_id, name in yards[:40]:
        mark = "✅" if yard_id in chosen else "☐"
        rows.append([InlineKeyboardButton(f"{mark} {name}", callback_data=cb.BROADCAST.build("yard", yard_id))])
    if chosen:
        rows.append(
            [
                InlineKeyboardButton(
                    t._("Send to the {n} chosen courtyards", n=len(chosen)), callback_data=cb.BROADCAST.build("send", 0)
                )
            ]
        )
    rows.append([InlineKeyboardButton(t._("Cancel"), callback_data=cb.BROADCAST.build("cancel", 0))])
    body = "\n".join(
        [
            t._("This notice will be sent:"),
            "",
            esc(text),
            "",
            t._("Choose where it goes. Send a new message to replace the text."),
        ]
    )
    return body, InlineKeyboardMarkup(rows)


async def _show_picker(
    update: Update, context: BotContext, text: str, chosen: set[int], *, in_place: bool
) -> int | None:
    """Show the target picker (edited in place, or as a new card); return the new card's message id."""
    t = await tr(update, context)
    services = context.deps.services
    listing, _ = await services.community.listing()
    yards = [(item.courtyard.id, item.courtyard.name) for item in listing if item.chats]
    total = await services.broadcasts.target_count(None)
    body, markup = picker(t, text, yards, chosen, total)
    query = update.callback_query
    if in_place and query is not None:
        await edit(query, body, markup)
        return None
    card = await reply(update, body, reply_markup=markup)
    return card.message_id if card is not None else None


async def start_broadcast(update: Update, context: BotContext) -> None:
    """Take the notice text and offer the targets."""
    t = await tr(update, context)
    try:
        actor = await actor_for(update, context)
        actor.require_social_worker()
        text = clean_notice(command_args(update))
    except InvalidInput as exc:
        if exc.reason == "empty_notice":
            await reply(update, t._("Please write the notice after the command, e.g. /broadcast 本周六上午9点大扫除。"))
        else:
            await reply(update, broadcast_error(t, exc))
        return
    except DomainError as exc:
        await reply(update, error_text(t, exc))
        return
    # The draft remembers its card: a press on an older picker must not send the newest text.
    card = await _show_picker(update, context, text, set(), in_place=False)
    state: dict[str, Any] = {"text": text, "yards": [], "card": card}
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, DRAFT, state)


async def replace_draft_text(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """A new message while drafting replaces the notice text."""
    t = await tr(update, context)
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None or message is None:
        return
    try:
        text = clean_notice(message.text or message.caption or "")
    except InvalidInput as exc:
        await reply(update, broadcast_error(t, exc))
        return
    card = await _show_picker(update, context, text, set(state.get("yards", [])), in_place=False)
    await context.deps.services.people.start_dialog(user.id, chat.id, DRAFT, {**state, "text": text, "card": card})


DraftAction = Callable[[Update, BotContext, Press, Actor, dict[str, Any]], Awaitable[None]]


def on_draft(act: DraftAction) -> Callable[[Update, BotContext, Press], Awaitable[None]]:
    """A picker button: social workers only (checked on every press), on the draft still open."""

    async def pressed(update: Update, context: BotContext, press: Press) -> None:
        actor = await actor_for(update, context)
        actor.require_social_worker()
        pending = await context.deps.services.people.dialog(actor.user_id, actor.chat_id)
        card = pending[1].get("card") if pending is not None and pending[0] == DRAFT else None
        shown = press.query.message.message_id if press.query.message is not None else None
        # An older picker (a lower message id in this chat) shows an older text: it must not send the newest.
        if pending is None or pending[0] != DRAFT or (card is not None and shown is not None and shown < card):
            await answer(press.query, press.t._("This button is no longer valid."))
            return
        await act(update, context, press, actor, pending[1])

    return pressed


async def cancel_draft(update: Update, context: BotContext, press: Press, actor: Actor, state: dict[str, Any]) -> None:
    """Drop the draft; nothing is sent."""
    await context.deps.services.people.end_dialog(actor.user_id, actor.chat_id)
    await answer(press.query)
    await edit(press.query, press.t._("Broadcast cancelled. Nothing was sent."))


async def toggle_yard(update: Update, context: BotContext, press: Press, actor: Actor, state: dict[str, Any]) -> None:
    """Tick or untick one courtyard."""
    chosen = set(state.get("yards", [])) ^ {press.args[0]}
    people = context.deps.services.people
    await people.start_dialog(actor.user_id, actor.chat_id, DRAFT, {**state, "yards": sorted(chosen)})
    await answer(press.query)
    await _show_picker(update, context, state["text"], chosen, in_place=True)


async def send(update: Update, context: BotContext, press: Press, actor: Actor, state: dict[str, Any]) -> None:
    """Send to every courtyard chat ("all") or to the ticked ones ("send")."""
    t = press.t
    targets = None if press.action == "all" else sorted(set(state.get("yards", [])))
    try:
        created = await context.deps.services.broadcasts.create(actor, state["text"], targets, draft_kind=DRAFT)
    except NotFound:
        await answer(press.query, t._("This button is no longer valid."))
        return
    dispatcher(context).wake()
    await answer(press.query)
    await edit(
        press.query,
        t._(
            "Sending broadcast #{id} to {n} chats. I will report here when it is done.",
            id=created.id,
            n=created.target_count,
        ),
    )


def broadcast_error(t: Translator, exc: DomainError) -> str:
    """Broadcast-specific refusals."""
    if isinstance(exc, InvalidInput):
        if exc.reason == "notice_too_long":
            return t._("The notice is too long: at most {limit} characters, please.", limit=exc.details["limit"])
        if exc.reason == "no_targets":
            return t._("There is no active courtyard chat to send to. Bind groups with /bind first.")
        if exc.reason == "empty_notice":
            return t._("The notice is empty. Please write some text.")
    return error_text(t, exc)


async def draw_notice(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """Render one courtyard chat's copy of a broadcast."""
    assert item.ref_id is not None
    t = await chat_translator_for_id(context, item.chat_id)
    return Outgoing(render_notice(t, await context.deps.services.broadcasts.notice(item.ref_id)))


async def after_notice(context: BotContext, item: OutboxItem) -> None:
    """When the last copy is final, queue the report for the sender."""
    assert item.ref_id is not None
    if await context.deps.services.broadcasts.finish_if_complete(item.ref_id) is not None:
        dispatcher(context).wake()


async def draw_report(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """Render the delivery report."""
    assert item.ref_id is not None
    t = await chat_translator_for_id(context, item.chat_id)
    return Outgoing(render_report(t, await context.deps.services.broadcasts.report(item.ref_id)))


async def report_after_restart(app: Application) -> None:  # type: ignore[type-arg]
    """A crash between a broadcast's last send and its report must not lose the report."""
    if await BotContext(app).deps.services.broadcasts.report_finished():
        dispatcher(app).wake()


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /broadcast and its outbox kinds."""
    commands(app, broadcast=start_broadcast)
    buttons(
        app,
        cb.BROADCAST,
        errors=broadcast_error,
        all=on_draft(send),
        send=on_draft(send),
        yard=on_draft(toggle_yard),
        cancel=on_draft(cancel_draft),
    )
    app.bot_data.ext.dialogs[DRAFT] = replace_draft_text
    app.bot_data.ext.on_startup.append(report_after_restart)  # after the dispatcher's recovery
    outbox = dispatcher(app)
    # A duplicate notice in many groups is worse than one uncertain copy, which the report names.
    outbox.register(BROADCAST, Kind(render=draw_notice, resend_ambiguous=False, on_done=after_notice))
    outbox.register(BROADCAST_REPORT, Kind(render=draw_report, resend_ambiguous=True))
