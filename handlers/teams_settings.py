"""A team's settings: /teamsettings, its buttons, and the typed answers (places, deadline, purpose)."""

from __future__ import annotations

from typing import Any

from telegram import ForceReply, Update
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.actor import Actor
from bot.services.errors import DomainError, InvalidInput
from bot.services.teams import parse_capacity
from bot.services.teams_settings import TeamSettingsService
from bot.timeparse import TimeRefusal
from handlers import teams_render as r
from handlers.buttons import buttons
from handlers.common import Press, actor_for, answer, command, edit, reply, time_error_text, tr
from handlers.notify import mention
from handlers.teams import changed, pick_team, team_error, teams_of
from storage.teams import Team

DIALOG_KINDS = {1: "team_capacity", 2: "team_deadline", 3: "team_purpose"}


def settings_of(context: BotContext) -> TeamSettingsService:
    """The team settings service."""
    return context.deps.services.team_settings


async def team_settings(update: Update, context: BotContext) -> None:
    """/teamsettings [名称]: the settings buttons of a team."""
    t = await tr(update, context)
    try:
        actor = await actor_for(update, context)
        team = await pick_team(update, context, t, actor, "set")
        if team is None:
            return
        team = await settings_of(context).team(actor, team.id)
    except DomainError as exc:
        await reply(update, team_error(t, exc))
        return
    await reply(update, r.render_settings(t, team), reply_markup=r.settings_keyboard(t, team))


async def press_setting(update: Update, context: BotContext, press: Press) -> None:
    """A settings button: change one setting and redraw the settings message."""
    action, (team_id, value), query, t = press
    service = settings_of(context)
    actor = await actor_for(update, context)
    if action == "ask":
        await ask_setting(update, context, t, actor, team_id, value)
        return
    if action == "kick":
        await service.team(actor, team_id)
        roster = await teams_of(context).roster_for(actor, team_id)
        await answer(query)
        await edit(query, r.render_kick(t, roster), r.kick_keyboard(t, roster))
        return
    team = await change_setting(service, actor, action, team_id, value)
    await answer(query, t._("Saved."))
    await changed(context, team.id)
    await edit(query, r.render_settings(t, team), r.settings_keyboard(t, team))


async def change_setting(service: TeamSettingsService, actor: Actor, action: str, team_id: int, value: int) -> Team:
    """Apply one settings button."""
    if action == "cap":
        return await service.set_capacity(actor, team_id, value or None)
    if action == "appr":
        return await service.set_approval(actor, team_id, bool(value))
    if action == "open":
        return await service.set_open(actor, team_id, bool(value))
    if action == "nodl":
        return await service.set_deadline(actor, team_id, None)
    return await service.team(actor, team_id)  # "back"


async def ask_setting(
    update: Update, context: BotContext, t: Translator, actor: Actor, team_id: int, value: int
) -> None:
    """Ask for a typed value (places, deadline, purpose); the answer is a reply to this question."""
    query = update.callback_query
    assert query is not None
    team = await settings_of(context).team(actor, team_id)
    kind = DIALOG_KINDS.get(value)
    if kind is None:
        await answer(query, t._("This button is no longer valid."))
        return
    state = {"team": team.id, "kind": kind}
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, kind, state)
    await answer(query)
    who = mention(actor.user_id, actor.display_name)
    question = {
        "team_capacity": t._(
            "{who}, how many places should {team} have? Reply with a number, e.g. 12.", who=who, team=team.name
        ),
        "team_deadline": t._(
            "{who}, until which day can people sign up for {team}? Reply with a date, e.g. 2026-12-05 or 12月5日.",
            who=who,
            team=team.name,
        ),
    }.get(kind, t._("{who}, what does {team} do? Reply with one short sentence.", who=who, team=team.name))
    await context.bot.send_message(
        actor.chat_id, question + "\n" + t._("(/cancel to stop)"), reply_markup=ForceReply(selective=True)
    )


async def answer_setting(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The typed answer to a settings question."""
    t = await tr(update, context)
    message = update.effective_message
    text = (message.text or "") if message else ""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    people = context.deps.services.people
    kind = str(state.get("kind", ""))
    service = settings_of(context)
    try:
        actor = await actor_for(update, context)
        team_id = int(state.get("team", 0))
        if kind == "team_capacity":
            team = await service.set_capacity(actor, team_id, parse_capacity(text))
        elif kind == "team_deadline":
            team = await service.set_deadline(actor, team_id, text)
        else:
            team = await service.set_purpose(actor, team_id, text)
    except TimeRefusal as exc:
        await reply(update, time_error_text(t, exc) + "\n" + t._("(/cancel to stop)"))
        return
    except InvalidInput as exc:
        await reply(update, team_error(t, exc) + "\n" + t._("(/cancel to stop)"))
        return
    except DomainError as exc:
        await people.end_dialog(user.id, chat.id)
        await reply(update, team_error(t, exc))
        return
    await people.end_dialog(user.id, chat.id)
    await changed(context, team.id)
    await reply(update, r.render_settings(t, team), reply_markup=r.settings_keyboard(t, team))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /teamsettings, the settings buttons and the typed-answer dialogs."""
    app.add_handler(command("teamsettings", team_settings))
    buttons(app, cb.TEAM_SET, press_setting, errors=team_error)
    for kind in DIALOG_KINDS.values():
        app.bot_data.ext.dialogs[kind] = answer_setting
