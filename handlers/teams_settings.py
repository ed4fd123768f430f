"""A team's settings: /teamsettings, its buttons, and the typed answers (places, deadline, purpose)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
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
from handlers.common import Press, actor_for, answer, commands, edit, reply, time_error_text, tr
from handlers.notify import mention
from handlers.teams import changed, named_team, team_error, teams_of
from storage.teams import Team

# The typed-answer dialogs a settings button opens.
CAPACITY, DEADLINE, PURPOSE = "team_capacity", "team_deadline", "team_purpose"


def settings_of(context: BotContext) -> TeamSettingsService:
    """The team settings service."""
    return context.deps.services.team_settings


async def team_settings(update: Update, context: BotContext) -> None:
    """/teamsettings [名称]: the settings buttons of a team."""
    named = await named_team(update, context, "set")
    if named is None:
        return
    t, actor, team = named
    team = await settings_of(context).team(actor, team.id)
    await reply(update, r.render_settings(t, team), reply_markup=r.settings_keyboard(t, team))


async def _show_settings(update: Update, context: BotContext, press: Press, team: Team, note: str) -> None:
    await answer(press.query, note)
    await changed(context, team.id)
    await edit(press.query, r.render_settings(press.t, team), r.settings_keyboard(press.t, team))


async def set_capacity(update: Update, context: BotContext, press: Press) -> None:
    """A number of places (0: no limit)."""
    (team_id, places) = press.args
    team = await settings_of(context).set_capacity(await actor_for(update, context), team_id, places or None)
    await _show_settings(update, context, press, team, press.t._("Saved."))


async def set_approval(update: Update, context: BotContext, press: Press) -> None:
    """Captain approval of new sign-ups on (1) or off (0)."""
    (team_id, on) = press.args
    team = await settings_of(context).set_approval(await actor_for(update, context), team_id, bool(on))
    await _show_settings(update, context, press, team, press.t._("Saved."))


async def set_open(update: Update, context: BotContext, press: Press) -> None:
    """Sign-up open (1) or closed (0)."""
    (team_id, on) = press.args
    team = await settings_of(context).set_open(await actor_for(update, context), team_id, bool(on))
    await _show_settings(update, context, press, team, press.t._("Saved."))


async def drop_deadline(update: Update, context: BotContext, press: Press) -> None:
    """No sign-up deadline."""
    team = await settings_of(context).set_deadline(await actor_for(update, context), press.args[0], None)
    await _show_settings(update, context, press, team, press.t._("Saved."))


async def back_to_settings(update: Update, context: BotContext, press: Press) -> None:
    """From the take-off list back to the settings."""
    team = await settings_of(context).team(await actor_for(update, context), press.args[0])
    await _show_settings(update, context, press, team, "")


async def show_kick(update: Update, context: BotContext, press: Press) -> None:
    """The list of members a captain can take off."""
    actor = await actor_for(update, context)
    team_id = press.args[0]
    await settings_of(context).team(actor, team_id)
    roster = await teams_of(context).roster_for(actor, team_id)
    await answer(press.query)
    await edit(press.query, r.render_kick(press.t, roster), r.kick_keyboard(press.t, roster))


def asking(kind: str) -> Callable[[Update, BotContext, Press], Coroutine[Any, Any, None]]:
    """A button that asks for a typed value of one kind (places, deadline, purpose)."""

    async def ask(update: Update, context: BotContext, press: Press) -> None:
        await ask_setting(update, context, press.t, await actor_for(update, context), press.args[0], kind)

    return ask


async def asking_by_number(update: Update, context: BotContext, press: Press) -> None:
    """A settings card posted by an older version: its question by number (1 places, 2 deadline, 3 purpose)."""
    kind = {1: CAPACITY, 2: DEADLINE, 3: PURPOSE}.get(press.args[1])
    if kind is None:
        await answer(press.query, press.t._("This button is no longer valid."))
        return
    await ask_setting(update, context, press.t, await actor_for(update, context), press.args[0], kind)


async def ask_setting(
    update: Update, context: BotContext, t: Translator, actor: Actor, team_id: int, kind: str
) -> None:
    """Ask for a typed value (places, deadline, purpose); the answer is a reply to this question."""
    query = update.callback_query
    assert query is not None
    team = await settings_of(context).team(actor, team_id)
    state = {"team": team.id, "kind": kind}
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, kind, state)
    await answer(query)
    who = mention(actor.user_id, actor.display_name)
    question = {
        CAPACITY: t._(
            "{who}, how many places should {team} have? Reply with a number, e.g. 12.", who=who, team=team.name
        ),
        DEADLINE: t._(
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
        if kind == CAPACITY:
            team = await service.set_capacity(actor, team_id, parse_capacity(text))
        elif kind == DEADLINE:
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
    commands(app, errors=team_error, teamsettings=team_settings)
    buttons(
        app,
        cb.TEAM_SET,
        errors=team_error,
        cap=set_capacity,
        places=asking(CAPACITY),
        until=asking(DEADLINE),
        about=asking(PURPOSE),
        ask=asking_by_number,
        appr=set_approval,
        open=set_open,
        nodl=drop_deadline,
        kick=show_kick,
        back=back_to_settings,
    )
    for kind in (CAPACITY, DEADLINE, PURPOSE):
        app.bot_data.ext.dialogs[kind] = answer_setting
