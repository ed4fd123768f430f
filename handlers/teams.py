"""Teams and sign-up (接龙): /newteam /teams /join /leave /roster /myteams /captain /callteam /exportroster."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import (
    Update,
)
from telegram.constants import ChatType
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.export import to_csv, to_xlsx
from bot.i18n import Translator
from bot.services.actor import Actor
from bot.services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from bot.services.teams import ROSTER, Decision, JoinResult, LeaveResult, TeamsService, split_team_prefix
from handlers import teams_render as r
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    chat_translator_for_id,
    command_args,
    commands,
    display_name,
    edit,
    error_text,
    replied_person,
    reply,
    send_files_privately,
    tr,
    user_translator,
)
from handlers.dispatcher import dispatcher
from handlers.live import Rendered, live
from handlers.notify import mention
from storage.teams import Team

log = logging.getLogger(__name__)

MAX_NOTE = 500  # a captain's words under /callteam; the mentions need the room


def teams_of(context: BotContext) -> TeamsService:
    """The teams service."""
    return context.deps.services.teams


def team_error(t: Translator, exc: DomainError) -> str:
    """Translate a team outcome; the foundation's texts cover the rest."""
    if isinstance(exc, PermissionDenied) and exc.needed == "captain":
        return t._("Sorry, only the team's captain, backbone volunteers and social workers can do this.")
    if isinstance(exc, NotFound):
        if exc.what == "request":
            return t._("This request is no longer there.")
        return t._("I could not find that team in this courtyard.")
    if isinstance(exc, InvalidInput):
        limit = exc.details.get("limit", "")
        text = {
            "team_exists": t._("This courtyard already has a team with that name."),
            "signup_closed": t._("Sorry, sign-up for this team is closed."),
            "deadline_passed": t._("Sorry, the sign-up deadline of this team has passed."),
            "not_in_team": t._("You are not in this team."),
            "bad_capacity": t._("Please type a whole number of places from 1 to {limit}.", limit=limit),
            "purpose_too_long": t._("That is too long: at most {limit} characters, please.", limit=limit),
            "already_decided": t._("This has already been decided."),
            "empty_team_name": t._(
                "Please write the team's name after the command, like this: /newteam 碧水苑墙绘队 8"
            ),
        }.get(exc.reason)
        if text:
            return text
        if exc.reason == "name_too_long":
            return t._("That team name is too long: at most {limit} characters, please.", limit=limit)
    return error_text(t, exc)


# -- posting rosters, after-commit work ----------------------------------------------------------
async def post_roster(context: BotContext, chat_id: int, team_id: int) -> None:
    """Post a team's roster in a chat as a live message (older ones there stop being updated)."""
    roster = await teams_of(context).roster(team_id)
    if roster is None:
        return
    t = await chat_translator_for_id(context, chat_id)
    message = await live(context).post(
        context, chat_id, ROSTER, team_id, r.render_live_roster(t, roster), r.roster_keyboard(t, roster)
    )
    await live(context).retire(context, chat_id, ROSTER, team_id, keep=message.message_id)


async def draw_roster(context: BotContext, team_id: int, chat_id: int) -> Rendered | None:
    """Renderer of live roster messages."""
    roster = await teams_of(context).roster(team_id)
    if roster is None:
        return None
    t = await chat_translator_for_id(context, chat_id)
    return r.render_live_roster(t, roster), r.roster_keyboard(t, roster)


async def changed(context: BotContext, team_id: int) -> None:
    """After a committed change: redraw the team's rosters and send the notes it queued."""
    dispatcher(context).wake()
    await live(context).changed(context, ROSTER, team_id)


async def after_join(context: BotContext, result: JoinResult) -> None:
    """A sign-up that changed something redraws the rosters (and may owe the captain a request)."""
    if not result.already:
        await changed(context, result.team.id)


async def after_leave(context: BotContext, result: LeaveResult) -> None:
    """A leave that was obeyed redraws the rosters (and may owe a promoted person a note)."""
    if result.current is None:
        await changed(context, result.team.id)


async def showing_person(context: BotContext, user_id: int) -> list[int]:
    """The teams whose rosters name a person (for /forget's redraw)."""
    teams = await teams_of(context).my_teams(user_id)
    return [item.team.id for item in teams]


# -- choosing a team -----------------------------------------------------------------------------
async def named_team(update: Update, context: BotContext, action: str) -> tuple[Translator, Actor, Team] | None:
    """A command's translator, actor and the team it names; otherwise buttons per team are offered (None)."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    team = await pick_team(update, context, t, actor, action)
    return None if team is None else (t, actor, team)


async def pick_team(update: Update, context: BotContext, t: Translator, actor: Actor, action: str) -> Team | None:
    """The team named after the command; otherwise offer one button per team and return None."""
    service = teams_of(context)
    name = command_args(update)
    teams = await service.to_leave(actor) if action == "leave" else [s.team for s in await service.teams_here(actor)]
    prompt = r.choose_prompt(t, action)
    if name:
        found = await service.match(actor, name)
        if len(found) == 1:
            return found[0]
        if not found:
            prompt = t._("There is no team called “{name}” here.", name=name) + "\n" + prompt
        teams = found or teams
    elif len(teams) == 1 and action != "join":
        return teams[0]
    if not teams:
        text = t._("You are not in any team here.") if action == "leave" else t._("There are no teams here yet.")
        await reply(update, text)
        return None
    await reply(update, prompt, reply_markup=r.choose_keyboard(teams, action))
    return None


# -- commands -----------------------------------------------------------------------------------
async def new_team(update: Update, context: BotContext) -> None:
    """/newteam 名称 [名额]: create a team here, post its sign-up list and its settings."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    text = command_args(update)
    if not text:
        actor.require_backbone()
        raise InvalidInput("empty_team_name")
    team = await teams_of(context).create(actor, text)
    await post_roster(context, actor.chat_id, team.id)
    await reply(update, r.render_settings(t, team, created=True), reply_markup=r.settings_keyboard(t, team))


async def list_teams(update: Update, context: BotContext) -> None:
    """/teams: every team of this courtyard with sign-up buttons; in private, the person's teams."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE:
        await my_teams(update, context)
        return
    t = await tr(update, context)
    actor = await actor_for(update, context)
    teams = await teams_of(context).teams_here(actor)
    yard = await context.deps.services.community.courtyard(actor.courtyard_id or 0)
    await reply(update, r.render_teams(t, yard.name if yard else "", teams), reply_markup=r.teams_keyboard(t, teams))


def signing(
    action: str,
    act: Callable[[TeamsService, Actor, int, int], Awaitable[Any]],
    after: Callable[[BotContext, Any], Awaitable[None]],
    render: Callable[[Translator, Any], str],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """/join or /leave [名称]: by name; without a name, buttons (for /leave, the person's own teams)."""

    async def by_name(update: Update, context: BotContext) -> None:
        named = await named_team(update, context, action)
        if named is None:
            return
        t, actor, team = named
        result = await act(teams_of(context), actor, team.id, update.update_id)
        await after(context, result)
        await reply(update, r.by_person(t, actor.display_name, render(t, result)))

    return by_name


async def roster_cmd(update: Update, context: BotContext) -> None:
    """/roster [名称]: the numbered list, kept up to date; long lists continue below it."""
    named = await named_team(update, context, "roster")
    if named is not None:
        _, actor, team = named
        await show_roster(context, actor, team.id)


async def show_roster(context: BotContext, actor: Actor, team_id: int) -> None:
    """Post the live roster in the actor's chat, and the rest of a long list after it."""
    roster = await teams_of(context).roster_for(actor, team_id)
    await post_roster(context, actor.chat_id, team_id)
    t = await chat_translator_for_id(context, actor.chat_id)
    for page in r.render_roster_pages(t, roster)[1:]:
        await context.bot.send_message(actor.chat_id, page)


async def my_teams(update: Update, context: BotContext) -> None:
    """/myteams: a person's teams across courtyards, with leave buttons."""
    t = await tr(update, context)
    user = update.effective_user
    if user is None:
        return
    items = await teams_of(context).my_teams(user.id)
    await reply(update, r.render_my_teams(t, items), reply_markup=r.my_teams_keyboard(t, items))


async def me_section(update: Update, context: BotContext, t: Translator) -> str:
    """The teams paragraph of /me."""
    user = update.effective_user
    return r.render_me_section(t, await teams_of(context).my_teams(user.id)) if user else ""


async def start_my_teams(update: Update, context: BotContext, payload: str) -> None:
    """Deep link /start myteams."""
    await my_teams(update, context)


async def set_captain(update: Update, context: BotContext) -> None:
    """/captain [名称], replying to a person: make them the team's captain."""
    t = await tr(update, context)
    target = replied_person(update.effective_message)
    if target is None:
        await reply(update, t._("Please reply to a message of the new captain, then type /captain 队名."))
        return
    service = teams_of(context)
    actor = await actor_for(update, context)
    name = command_args(update)
    teams = await service.match(actor, name) if name else [s.team for s in await service.teams_here(actor)]
    if len(teams) != 1:
        names = t.join([team.name for team in (teams or [s.team for s in await service.teams_here(actor)])])
        await reply(update, t._("Which team? Please type /captain 队名 — the teams here: {names}", names=names))
        return
    team = await context.deps.services.team_settings.set_captain(actor, teams[0].id, target.id)
    await changed(context, team.id)
    await reply(update, t._("{name} is now the captain of {team}.", name=display_name(target), team=team.name))


async def call_team(update: Update, context: BotContext) -> None:
    """/callteam [名称] [话]: one message to the group mentioning every member (split when long)."""
    t = await tr(update, context)
    service = teams_of(context)
    actor = await actor_for(update, context)
    teams = await service.to_call(actor)
    team, note = split_team_prefix(teams, command_args(update))
    if team is None and len(teams) > 1:
        await reply(update, r.choose_prompt(t, "call"), reply_markup=r.choose_keyboard(teams, "call"))
        return
    await send_call(context, actor, (team or teams[0]).id, note[:MAX_NOTE])


async def send_call(context: BotContext, actor: Actor, team_id: int, note: str) -> None:
    """Mention every member in the actor's group."""
    roster = await teams_of(context).call(actor, team_id)
    t = await chat_translator_for_id(context, actor.chat_id)
    mentions = [mention(p.user_id, p.display_name) for p in roster.members]
    for page in r.render_call(t, roster, actor.display_name, mentions, note):
        await context.bot.send_message(actor.chat_id, page)


async def export_roster(update: Update, context: BotContext) -> None:
    """/exportroster [名称]: CSV and Excel of the sign-ups, sent to the social worker privately."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    rows = await teams_of(context).export(actor, command_args(update) or None)
    if not rows:
        await reply(update, t._("There are no sign-ups to export yet."))
        return
    mine = await user_translator(context, actor.user_id)
    headers, cells = r.export_table(mine, rows)
    stamp = context.deps.clock.now().astimezone(mine.tz).strftime("%Y%m%d-%H%M")
    caption = mine._("Team rosters: {n} rows", n=len(rows))
    files = [
        (f"rosters-{stamp}.xlsx", to_xlsx(mine._("Rosters"), headers, cells)),
        (f"rosters-{stamp}.csv", to_csv(headers, cells)),
    ]
    if not await send_files_privately(update, context, t, actor, files, caption, start="myteams"):
        return
    if actor.in_group:
        await reply(update, t._("I have sent the rosters to you in our private chat."))


async def menu_teams(update: Update, context: BotContext) -> None:
    """The menu's 👥 button: this courtyard's teams in a group, the person's teams in private."""
    await list_teams(update, context)


# -- buttons ------------------------------------------------------------------------------------
async def join_pressed(update: Update, context: BotContext, press: Press) -> None:
    """✋ Sign up (or join the waitlist)."""
    joined = await teams_of(context).join(await actor_for(update, context), press.args[0], update.update_id)
    await answer(press.query, r.render_join(press.t, joined), alert=True)
    await after_join(context, joined)


async def leave_pressed(update: Update, context: BotContext, press: Press) -> None:
    """👋 Cancel the sign-up."""
    left = await teams_of(context).leave(await actor_for(update, context), press.args[0], update.update_id)
    await answer(press.query, r.render_leave(press.t, left), alert=True)
    await after_leave(context, left)


async def leave_asked(update: Update, context: BotContext, press: Press) -> None:
    """👋 取消报名: ask once (是 / 否) in the chat the button is in; nothing changes yet."""
    actor = await actor_for(update, context)
    team, signed_up = await teams_of(context).signed_up(actor, press.args[0])
    if not signed_up:
        raise InvalidInput("not_in_team")
    await answer(press.query)
    who = mention(actor.user_id, actor.display_name) if actor.in_group else None
    await context.bot.send_message(
        actor.chat_id,
        r.leave_question(press.t, team.name, who),
        reply_markup=r.leave_keyboard(press.t, team.id, actor.user_id),
    )


async def roster_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Post the roster."""
    actor = await actor_for(update, context)
    await teams_of(context).roster_for(actor, press.args[0])
    await answer(press.query)
    await show_roster(context, actor, press.args[0])


async def settings_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Open the team's settings."""
    actor = await actor_for(update, context)
    team = await context.deps.services.team_settings.team(actor, press.args[0])
    await answer(press.query)
    await context.bot.send_message(
        actor.chat_id, r.render_settings(press.t, team), reply_markup=r.settings_keyboard(press.t, team)
    )


async def call_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Call the team together."""
    actor = await actor_for(update, context)
    await teams_of(context).call(actor, press.args[0])
    await answer(press.query)
    await send_call(context, actor, press.args[0], "")


def deciding(
    decide: Callable[[TeamsService, Actor, int], Awaitable[Decision]],
) -> Callable[[Update, BotContext, Press], Coroutine[Any, Any, None]]:
    """A captain's button (accept, decline, take off) on request number press.args[0]."""

    async def decided(update: Update, context: BotContext, press: Press) -> None:
        service, t = teams_of(context), press.t
        actor = await actor_for(update, context)
        decision = await decide(service, actor, press.args[0])
        await answer(press.query, t._("Done."))
        await changed(context, decision.team.id)
        done = r.render_decision(t, decision, actor.display_name)
        if press.action == "rm":
            roster = await service.roster_for(actor, decision.team.id)
            await edit(press.query, done + "\n\n" + r.render_kick(t, roster), r.kick_keyboard(t, roster))
        else:
            await edit(press.query, done, None)

    return decided


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers, the roster renderer, the menu entry and /me section."""
    commands(
        app,
        errors=team_error,
        newteam=new_team,
        teams=list_teams,
        join=signing("join", TeamsService.join, after_join, r.render_join),
        leave=signing("leave", TeamsService.leave, after_leave, r.render_leave),
        roster=roster_cmd,
        myteams=my_teams,
        captain=set_captain,
        callteam=call_team,
        exportroster=export_roster,
    )
    buttons(
        app,
        cb.TEAM,
        errors=team_error,
        join=join_pressed,
        leave=leave_pressed,
        bye=leave_asked,
        roster=roster_pressed,
        set=settings_pressed,
        call=call_pressed,
    )
    buttons(
        app,
        cb.TEAM_DECIDE,
        errors=team_error,
        ok=deciding(TeamsService.approve),
        no=deciding(TeamsService.decline),
        rm=deciding(TeamsService.remove),
    )
    live(app).register(ROSTER, draw_roster, lists=showing_person)
    data = app.bot_data
    data.ext.menu_actions["teams"] = menu_teams
    data.ext.me_sections.append(me_section)
    data.ext.start_payloads["myteams"] = start_my_teams
