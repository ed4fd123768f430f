"""Team notes through the outbox: a promotion or a captain's decision to the person, a request to the captain.

Queued by the teams service in the transaction of the change (bot/services/teams_notes.py);
drawn here when sent, in the language of the chat they go to: privately if the person opened a
chat with the bot, else mentioning them in the team's group. Both are sent again after an
interrupted send (ARCHITECTURE.md): a duplicate is a small annoyance and both copies' buttons work.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.services.teams_notes import TEAM_NOTE, TEAM_REQUEST, Notice
from handlers.dispatcher import Outgoing
from handlers.notify import register_note
from storage.outbox import OutboxItem


async def draw_team_note(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """A promotion or a captain's decision; skipped once the person's state moved on."""
    notice = await context.deps.services.teams.note(item.payload)
    if notice is None or who is None:
        return None
    return Outgoing(render_notice(t, notice, who))


async def draw_request(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """A sign-up waiting for the captain, with accept / decline; skipped once decided or withdrawn."""
    notice = await context.deps.services.teams.note(item.payload)
    if notice is None:
        return None
    text = render_request(t, notice, who if item.chat_id < 0 else None, private=item.chat_id > 0)
    return Outgoing(text, approval_keyboard(t, notice.seq))


def render_notice(t: Translator, notice: Notice, who: Html) -> str:
    """The message owed to a person after a captain's decision or a promotion."""
    team, n = notice.team.name, notice.position
    if notice.kind == "promoted":
        return t._(
            "Good news, {who}! A place is free in {team}: you are now a member (number {n}).", who=who, team=team, n=n
        )
    if notice.kind == "approved" and notice.status == "member":
        return t._("{who}, the captain accepted you into {team}. You are number {n}.", who=who, team=team, n=n)
    if notice.kind == "approved":
        return t._(
            "{who}, the captain accepted you, but {team} is full: you are number {n} on the waitlist.",
            who=who,
            team=team,
            n=n,
        )
    if notice.kind == "declined":
        return t._("{who}, sorry: the captain of {team} did not accept your request this time.", who=who, team=team)
    return t._("{who}, the captain has taken you off {team}. Questions? Please ask the captain.", who=who, team=team)


def render_request(t: Translator, notice: Notice, captain: Html | None, *, private: bool = False) -> str:
    """The approval request: to the captain privately, else in the group (mentioning the captain)."""
    if private:
        return t._("{person} would like to join {team}. Do you accept?", person=notice.name, team=notice.team.name)
    if captain is None:
        return t._(
            "{person} would like to join {team}. Captain or backbone, do you accept?",
            person=notice.name,
            team=notice.team.name,
        )
    return t._(
        "{captain}, {person} would like to join {team}. Do you accept?",
        captain=captain,
        person=notice.name,
        team=notice.team.name,
    )


def approval_keyboard(t: Translator, seq: int) -> InlineKeyboardMarkup:
    """Accept or decline one request."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("✅ Accept"), callback_data=cb.TEAM_DECIDE.build("ok", seq)),
                InlineKeyboardButton(t._("❌ Decline"), callback_data=cb.TEAM_DECIDE.build("no", seq)),
            ]
        ]
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Declare the two kinds of team notes."""
    register_note(app, TEAM_NOTE, draw_team_note)
    register_note(app, TEAM_REQUEST, draw_request)
