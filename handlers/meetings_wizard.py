"""Creating a meeting: the one-line /meeting and the guided /newmeeting, both confirmed before saving."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot import callback_data as cb
from bot.clock import from_ts
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.actor import Actor
from bot.services.errors import DomainError, InvalidInput, WrongChat
from bot.services.meeting_model import (
    KINDS,
    MAX_PLACE,
    OFFSET_CHOICES,
    Draft,
    clean_capacity,
    clean_text,
    kind_of,
    split_agenda,
)
from bot.services.meetings import MeetingService
from bot.timeparse import TimeRefusal
from handlers.buttons import buttons
from handlers.common import Press, actor_for, answer, command_args, commands, edit, reply, tr
from handlers.dispatcher import dispatcher
from handlers.meetings_render import (
    meeting_error,
    quick_usage,
)
from handlers.meetings_wizard_render import (
    CAPACITY_CHOICES,
    capacity_keyboard,
    confirm_keyboard,
    kind_keyboard,
    offsets_keyboard,
    reminder_choices,
    render_draft,
    render_time_check,
    time_check_keyboard,
    wizard_prompt,
    yards_keyboard,
)
from storage.meetings import MeetingRow

DIALOG = "meeting_wizard"
TYPED_STEPS = ("kind", "time", "time_check", "place", "agenda", "capacity")


def fresh_state(service: MeetingService) -> dict[str, Any]:
    """A new wizard at its first step."""
    return {"step": "kind", "quick": False, "draft": service.new_draft().to_state()}


def typed(service: MeetingService, state: dict[str, Any], text: str) -> dict[str, Any]:
    """Apply a typed answer to the current step; raise a DomainError to ask again."""
    step = state["step"]
    draft = Draft.from_state(state["draft"])
    nxt = dict(state)
    if step == "kind":
        kind = kind_of(text)
        if kind is None:
            raise InvalidInput("bad_kind")
        draft, nxt["step"] = replace(draft, kind=kind), "time"
    elif step in ("time", "time_check"):
        nxt["pending"], nxt["step"] = service.parse_start(text), "time_check"
    elif step == "place":
        draft, nxt["step"] = replace(draft, place=clean_text(text, limit=MAX_PLACE, reason="place_too_long")), "agenda"
    elif step == "agenda":
        title, agenda = split_agenda(text)
        draft, nxt["step"] = replace(draft, title=title, agenda=agenda), "targets"
    elif step == "capacity":
        draft, nxt["step"] = replace(draft, capacity=clean_capacity(text)), "reminders"
    nxt["draft"] = draft.to_state()
    return nxt


def pressed(
    service: MeetingService, state: dict[str, Any], action: str, arg: int, yard_ids: set[int], *, may_all: bool = False
) -> dict[str, Any]:
    """Apply a button to the wizard; buttons of another step change nothing."""
    step = state["step"]
    draft = Draft.from_state(state["draft"])
    nxt = dict(state)
    if action == "kind" and step == "kind" and 0 <= arg < len(KINDS):
        draft, nxt["step"] = replace(draft, kind=KINDS[arg]), "time"
    elif action == "tyes" and step == "time_check" and state.get("pending"):
        draft, nxt["step"] = replace(draft, starts_at=int(state["pending"])), "place"
    elif action == "tno" and step == "time_check":
        nxt["step"] = "time"
    elif action == "yard" and step == "targets" and arg in yard_ids:
        chosen = set(draft.yards) ^ {arg}
        draft = replace(draft, mode="yards", yards=tuple(sorted(chosen)))
    elif action == "all" and step == "targets" and may_all:
        draft = replace(draft, mode="yards" if draft.mode == "all" else "all")
    elif action == "ynext" and step == "targets":
        if draft.mode != "all" and not draft.yards:
            raise InvalidInput("no_targets")
        nxt["step"] = "confirm" if state.get("quick") else "capacity"
    elif action == "cap" and step == "capacity" and (arg == 0 or arg in CAPACITY_CHOICES):
        draft, nxt["step"] = replace(draft, capacity=arg or None), "reminders"
    elif action == "off" and step == "reminders" and arg in reminder_choices(service.default_offsets, OFFSET_CHOICES):
        draft = replace(draft, offsets=tuple(sorted(set(draft.offsets) ^ {arg}, reverse=True)))
    elif action == "undec" and step == "reminders":
        draft = replace(draft, only_undecided=not draft.only_undecided)
    elif action == "onext" and step == "reminders":
        nxt["step"] = "confirm"
    nxt["draft"] = draft.to_state()
    return nxt


async def step_view(
    context: BotContext, t: Translator, actor: Actor, state: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the wizard's current step."""
    service = context.deps.services.meetings
    step = state["step"]
    draft = Draft.from_state(state["draft"])
    if step == "kind":
        return wizard_prompt(t, step), kind_keyboard(t)
    if step == "time_check":
        return render_time_check(t, from_ts(int(state["pending"]))), time_check_keyboard(t)
    if step == "targets":
        yards = [(y.id, y.name) for y in await service.yard_choices(actor)]
        body = wizard_prompt(t, step) if yards else t._("No courtyard has a group chat yet; bind one with /bind.")
        return body, yards_keyboard(t, yards, draft, may_all=actor.is_social_worker)
    if step == "capacity":
        return wizard_prompt(t, step), capacity_keyboard(t)
    if step == "reminders":
        choices = reminder_choices(service.default_offsets, OFFSET_CHOICES)
        return wizard_prompt(t, step), offsets_keyboard(t, draft, choices)
    if step == "confirm":
        names = [y.name for y in await service.yard_choices(actor) if y.id in draft.yards]
        return render_draft(t, draft, names), confirm_keyboard(t)
    return wizard_prompt(t, step), None


async def show_step(
    update: Update, context: BotContext, actor: Actor, state: dict[str, Any], *, in_place: bool
) -> None:
    """Ask the current step's question (editing the pressed message when a button moved the wizard)."""
    t = await tr(update, context)
    text, markup = await step_view(context, t, actor, state)
    query = update.callback_query
    if in_place and query is not None:
        await edit(query, text, markup)
    else:
        await reply(update, text, reply_markup=markup)


async def quick_meeting(update: Update, context: BotContext) -> None:
    """/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工: echo everything, then confirm with a button."""
    t = await tr(update, context)
    text = command_args(update)
    if not text:
        await reply(update, quick_usage(t))
        return
    service = context.deps.services.meetings
    try:
        actor = await actor_for(update, context)
        service.require_organiser(actor)
        draft = service.quick_draft(text)
    except (DomainError, TimeRefusal) as exc:
        await reply(update, meeting_error(t, exc))
        return
    # In a group the meeting is for that group; in private the organiser picks the courtyards.
    draft = replace(draft, mode="here" if actor.in_group else "yards")
    state = {"step": "confirm" if actor.in_group else "targets", "quick": True, "draft": draft.to_state()}
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, DIALOG, state)
    await show_step(update, context, actor, state, in_place=False)


async def new_meeting(update: Update, context: BotContext) -> None:
    """/newmeeting: the guided flow in a private chat (an unfinished one can be resumed)."""
    t = await tr(update, context)
    services = context.deps.services
    actor = await actor_for(update, context)
    if actor.in_group:
        raise WrongChat("private")
    services.meetings.require_organiser(actor)
    pending = await services.people.dialog(actor.user_id, actor.chat_id)
    if pending is not None and pending[0] == DIALOG:
        build = cb.MEETING_WIZARD.build
        markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t._("▶️ Continue it"), callback_data=build("resume", 0))],
                [InlineKeyboardButton(t._("🆕 Start over"), callback_data=build("new", 0))],
            ]
        )
        await reply(update, t._("You have an unfinished meeting draft."), reply_markup=markup)
        return
    state = fresh_state(services.meetings)
    await services.people.start_dialog(actor.user_id, actor.chat_id, DIALOG, state)
    await show_step(update, context, actor, state, in_place=False)


async def continue_wizard(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """A typed answer to the wizard's question."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or state.get("step") not in TYPED_STEPS:
        if chat is not None and chat.type == ChatType.PRIVATE:
            t = await tr(update, context)
            await reply(update, t._("Please use the buttons above, or /cancel to stop."))
        return
    t = await tr(update, context)
    text = message.text or message.caption or ""
    services = context.deps.services
    try:
        actor = await actor_for(update, context)
        nxt = typed(services.meetings, state, text)
    except (DomainError, TimeRefusal) as exc:
        await reply(update, meeting_error(t, exc))
        return
    await services.people.start_dialog(actor.user_id, actor.chat_id, DIALOG, nxt)
    await show_step(update, context, actor, nxt, in_place=False)


async def press_wizard(update: Update, context: BotContext, press: Press) -> None:
    """Every wizard button; the organiser's role is checked again on each press."""
    action, (arg,), query, t = press
    services = context.deps.services
    actor = await actor_for(update, context)
    services.meetings.require_organiser(actor)
    pending = await services.people.dialog(actor.user_id, actor.chat_id)
    if pending is None or pending[0] != DIALOG:
        await answer(query, t._("This button is no longer valid."))
        return
    if action == "ok" and pending[1].get("step") != "confirm":
        # A confirm card of an earlier draft: the current one was never shown for confirmation.
        await answer(query, t._("This button is no longer valid."))
        return
    if action in ("ok", "cancel"):
        await finish(update, context, actor, pending[1], action == "ok")
        return
    state = fresh_state(services.meetings) if action == "new" else pending[1]
    yard_ids = {y.id for y in await services.meetings.yard_choices(actor)}
    state = pressed(services.meetings, state, action, arg, yard_ids, may_all=actor.is_social_worker)
    await services.people.start_dialog(actor.user_id, actor.chat_id, DIALOG, state)
    await answer(query)
    await show_step(update, context, actor, state, in_place=True)


async def finish(update: Update, context: BotContext, actor: Actor, state: dict[str, Any], create: bool) -> None:
    """Create the meeting (its notices and reminders are queued with it) or drop the draft."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    services = context.deps.services
    if not create:
        await services.people.end_dialog(actor.user_id, actor.chat_id)
        await answer(query)
        await edit(query, t._("OK, the meeting was not created."))
        return
    try:
        meeting = await services.meetings.create(actor, Draft.from_state(state["draft"]), dialog=DIALOG)
    except (DomainError, TimeRefusal) as exc:
        if isinstance(exc, TimeRefusal) and not state.get("quick"):
            # The echoed time has passed while the draft waited: ask for the time again.
            await services.people.start_dialog(actor.user_id, actor.chat_id, DIALOG, {**state, "step": "time"})
        await answer(query, meeting_error(t, exc)[:200], alert=True)
        return
    dispatcher(context).wake()
    await answer(query)
    await edit(query, created_text(t, meeting, private=not actor.in_group))


def created_text(t: Translator, meeting: MeetingRow, *, private: bool) -> str:
    """Confirmation; the check-in code only in private, so nobody checks in from home."""
    lines = [
        t._(
            "✅ Meeting #{id} created for {when}. The notice is on its way.",
            id=meeting.id,
            when=t.datetime(from_ts(meeting.starts_at)),
        )
    ]
    if private:
        lines.append(
            t._(
                "Check-in code: <b>{code}</b>. Say it at the meeting (or show the QR picture from /meetings → Manage).",
                code=meeting.checkin_code,
            )
        )
    else:
        lines.append(t._("Organiser: the check-in code and QR are in /meetings in a private chat with me."))
    return "\n".join(lines)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /meeting, /newmeeting, the wizard buttons and its dialog."""
    commands(app, errors=meeting_error, meeting=quick_meeting, newmeeting=new_meeting)
    buttons(app, cb.MEETING_WIZARD, press_wizard, errors=meeting_error)
    app.bot_data.ext.dialogs[DIALOG] = continue_wizard
